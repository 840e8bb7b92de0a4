'use client';
// Fetches /api/v1/health from the same origin and shows it: the footer of the labs list.
// Proves the page reached the real server and its native core.
import { useEffect, useState } from 'react';

interface Health {
  status: string;
  version: string;
  core: { abi: number };
}

export function HealthBadge() {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetch('/api/v1/health')
      .then((response) => response.json() as Promise<Health>)
      .then(setHealth, (failure: Error) => setError(failure.message));
  }, []);
  if (error) return <p role="alert">Server unreachable: {error}</p>;
  if (!health) return <p>Checking server…</p>;
  return (
    <p role="status" className="mono">
      server {health.status} · version {health.version} · core ABI {health.core.abi}
    </p>
  );
}
