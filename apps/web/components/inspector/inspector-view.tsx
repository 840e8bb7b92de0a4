'use client';
// Page-table inspector of one HWPT: IOVA strip, levels and totals, and the leaves of a selected range (paged).
// The range (?iova=&length=) is part of the URL, so a view of some leaves can be shared.
import { useCallback, useEffect, useState } from 'react';
import { ApiFailure, api } from '../../lib/api';
import { hex, pageSize } from '../../lib/format';
import type { Leaf } from '../../lib/types';
import { useLab } from '../../lib/use-lab';
import { useQuery } from '../../lib/use-query';
import { LabFrame } from '../frame/lab-frame';
import { InspectorCards } from './inspector-cards';
import { IovaStrip, SIZE_COLOUR } from './iova-strip';
import { LeafRangeForm } from './leaf-range-form';
import { LeavesTable } from './leaves-table';
import { useAreaSamples } from './use-area-samples';

/** The leaves of [iova, iova+length) page by page, reloaded when `moved` changes (the lab moved on). */
function useLeaves(lab: string, id: number, iova: string, length: string, exists: boolean, moved: string) {
  const [leaves, setLeaves] = useState<Leaf[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const load = useCallback(
    async (from: string, append: boolean) => {
      try {
        const end = BigInt(iova) + BigInt(length);
        const rest = hex(end - BigInt(from));
        const page = await api.pagetable(lab, id, { iova: from, length: rest });
        setLeaves((prev) => (append ? prev.concat(page.leaves) : page.leaves));
        setNext(page.next);
        setError(null);
      } catch (e) {
        if (e instanceof ApiFailure) setError(e);
      }
    },
    [lab, id, iova, length],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the lab moves on, too.
  useEffect(() => {
    if (exists) void load(iova, false);
  }, [load, iova, exists, moved]);
  return { leaves, next, error, load };
}

// Long only in markup: the strip, its legend, the cards, the range form and the leaves, in page order.
export function InspectorView({ lab, id }: { lab: string; id: number }) {
  const live = useLab(lab);
  const [query, setQuery] = useQuery();
  const hwpt = live.state?.hwpts.find((h) => h.id === id);
  const ioas = live.state?.ioas.find((a) => a.id === hwpt?.ioas);
  const unit = live.state?.iommus.find((u) => u.name === hwpt?.iommu);
  const firstArea = ioas?.areas[0];
  const iova = query.get('iova') ?? firstArea?.iova ?? '0x0';
  const length = query.get('length') ?? firstArea?.length ?? '0x200000';
  const areasKey = ioas?.areas.map((a) => `${a.iova}+${a.length}`).join(',') ?? '';
  const samples = useAreaSamples(
    lab,
    id,
    ioas?.areas,
    `${areasKey}|${hwpt?.stats.leaves}|${hwpt?.stats.snoopLeaves}|${hwpt?.enforceCacheCoherency}`,
  );

  const { leaves, next, error, load } = useLeaves(
    lab,
    id,
    iova,
    length,
    Boolean(hwpt),
    `${hwpt?.stats.leaves}|${live.seq}`,
  );

  return (
    <LabFrame lab={lab} live={live} current="inspector">
      <h1>
        Page table: HWPT {id}{' '}
        {hwpt ? (
          <span className={`badge ${hwpt.enforceCacheCoherency ? 'snp' : 'nosnp'}`}>
            {hwpt.enforceCacheCoherency ? 'SNP' : 'no SNP'}
          </span>
        ) : null}
      </h1>
      {!live.state ? (
        <p className="loading" role="status">
          Loading the page table…
        </p>
      ) : null}
      {live.state && !hwpt ? (
        <p className="refused">HWPT {id} does not exist (any more) in this lab.</p>
      ) : null}
      {hwpt && unit && ioas ? (
        <>
          <p className="mono">
            IOMMU {hwpt.iommu} ({unit.vendor}, {unit.iovaBits}-bit) · IOAS {hwpt.ioas} · devices{' '}
            {hwpt.devices.join(', ') || '—'} · {hwpt.levels ?? '?'} levels
          </p>
          <IovaStrip
            bits={unit.iovaBits}
            areas={ioas.areas}
            reserved={unit.reserved}
            samples={samples}
            selected={ioas.areas.find((a) => a.iova === iova && a.length === length)?.iova ?? null}
            onPick={(a) => setQuery({ iova: a.iova, length: a.length })}
          />
          <p className="muted">
            {Object.entries(SIZE_COLOUR).map(([s, c]) => (
              <span key={s} style={{ marginRight: 12 }}>
                <span style={{ display: 'inline-block', width: 10, height: 10, background: c }} />{' '}
                {pageSize(s)} leaf
              </span>
            ))}
            <span style={{ color: 'var(--red)' }}>▨ hatched: no SNP</span> · grey: reserved · click a range
            for its leaves
          </p>
          <InspectorCards
            hwpt={hwpt}
            areas={ioas.areas}
            onArea={(a) => setQuery({ iova: a.iova, length: a.length })}
          />
          <h2>Leaves</h2>
          <LeafRangeForm iova={iova} length={length} onRange={(i, l) => setQuery({ iova: i, length: l })} />
          {error ? (
            <p role="alert" className="refused">
              {error.code}: {error.message}
            </p>
          ) : null}
          <LeavesTable leaves={leaves} />
          {next ? (
            <button type="button" onClick={() => void load(next, true)}>
              More leaves (from {next})
            </button>
          ) : (
            <p className="muted">{leaves.length} leaves in range.</p>
          )}
        </>
      ) : null}
    </LabFrame>
  );
}
