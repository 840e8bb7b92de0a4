'use client';
// The lab as it was at a past seq (null = live): fetched from the state endpoint at that seq, latest request wins.
// Only the response to the latest requested seq is kept, however fast the scrubber moves.
import { useEffect, useState } from 'react';
import { ApiFailure, api } from '../../lib/api';
import type { LabState } from '../../lib/types';

export function usePastState(
  lab: string,
  seq: number | null,
): { past: LabState | null; error: ApiFailure | null } {
  const [past, setPast] = useState<LabState | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  useEffect(() => {
    if (seq === null) {
      setPast(null);
      return;
    }
    let current = true;
    api.state(lab, seq).then(
      (s) => {
        if (!current) return;
        setPast(s);
        setError(null);
      },
      (e) => current && e instanceof ApiFailure && setError(e),
    );
    return () => {
      current = false;
    };
  }, [lab, seq]);
  return { past, error };
}
