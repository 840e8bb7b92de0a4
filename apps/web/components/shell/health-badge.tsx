'use client';
// Fetches the server's health through the typed client and shows it: the footer of the labs list.
// Proves the page reached the real server and its native core.
import type { Health } from '@ioasid-lab/api';
import { useEffect, useState } from 'react';
import { api } from '../../lib/api';

export function HealthBadge() {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.health().then(setHealth, (failure: Error) => setError(failure.message));
  }, []);
  if (error) return <p role="alert">Server unreachable: {error}</p>;
  if (!health) return <p>Checking server…</p>;
  return (
    <p role="status" className="mono">
      server {health.status} · version {health.version} · core ABI {health.core.abi}
    </p>
  );
}
