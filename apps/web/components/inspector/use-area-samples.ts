'use client';
// Leaf sizes and SNP of each mapped area, sampled from the pagetable endpoint with one-leaf probes
// (area start and its middle at 2 MiB and 1 GiB alignment) instead of paging millions of leaves.
import { useEffect, useState } from 'react';
import { api } from '../../lib/api';
import { hex } from '../../lib/format';
import type { AreaState } from '../../lib/types';

export interface AreaSample {
  /** Leaf sizes seen by the probes, largest first. */
  sizes: number[];
  /** True when a probed leaf lacks SNP. */
  noSnoop: boolean;
}

/** At most this many areas are probed; the rest stay uncoloured. */
export const MAX_SAMPLED = 128;
const PARALLEL = 6;

function probes(area: AreaState): bigint[] {
  const start = BigInt(area.iova);
  const end = start + BigInt(area.length);
  const mid = start + BigInt(area.length) / 2n;
  const points = [start];
  for (const size of [1n << 21n, 1n << 30n]) {
    const p = mid - (mid % size);
    if (p > start && p < end && !points.includes(p)) points.push(p);
  }
  return points;
}

async function sample(lab: string, id: number, area: AreaState): Promise<AreaSample> {
  const end = BigInt(area.iova) + BigInt(area.length);
  const pages = await Promise.all(
    probes(area).map((p) => api.pagetable(lab, id, { iova: hex(p), length: hex(end - p), limit: 1 })),
  );
  const leaves = pages.flatMap((page) => page.leaves);
  const sizes = [...new Set(leaves.map((l) => l.size))].sort((a, b) => b - a);
  return { sizes, noSnoop: leaves.some((l) => !l.snoop) };
}

/** Samples keyed by area IOVA; `version` changes when the table's leaves may have changed. */
export function useAreaSamples(
  lab: string,
  id: number,
  areas: AreaState[] | undefined,
  version: string,
): Map<string, AreaSample> {
  const [samples, setSamples] = useState<Map<string, AreaSample>>(new Map());
  // biome-ignore lint/correctness/useExhaustiveDependencies: areas are covered by version, which the caller derives from them.
  useEffect(() => {
    if (!areas) return;
    let alive = true;
    const picked = areas.slice(0, MAX_SAMPLED);
    const results: (AreaSample | null)[] = [];
    let cursor = 0;
    const worker = async () => {
      while (alive && cursor < picked.length) {
        const i = cursor++;
        const area = picked[i];
        if (area) results[i] = await sample(lab, id, area).catch(() => null);
      }
    };
    Promise.all(Array.from({ length: PARALLEL }, worker)).then(() => {
      if (!alive) return;
      const next = new Map<string, AreaSample>();
      results.forEach((r, i) => {
        const area = picked[i];
        if (r && area) next.set(area.iova, r);
      });
      setSamples(next);
    });
    return () => {
      alive = false;
    };
  }, [lab, id, version]);
  return samples;
}
