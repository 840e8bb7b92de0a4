'use client';
// Page-table inspector of one HWPT: IOVA strip, levels and totals, and the leaves of a selected range (paged).
// The range (?iova=&length=) is part of the URL, so a view of some leaves can be shared.
import { useCallback, useEffect, useState } from 'react';
import { ApiFailure, api } from '../../lib/api';
import { bytes, hex, pageSize, parseU64 } from '../../lib/format';
import type { Leaf } from '../../lib/types';
import { useLab } from '../../lib/use-lab';
import { useQuery } from '../../lib/use-query';
import { LabFrame } from '../frame/lab-frame';
import { IovaStrip, SIZE_COLOUR } from './iova-strip';
import { LeavesTable } from './leaves-table';
import { useAreaSamples } from './use-area-samples';

export function InspectorView({ lab, id }: { lab: string; id: number }) {
  const live = useLab(lab);
  const [query, setQuery] = useQuery();
  const hwpt = live.state?.hwpts.find((h) => h.id === id);
  const ioas = live.state?.ioas.find((a) => a.id === hwpt?.ioas);
  const unit = live.state?.iommus.find((u) => u.name === hwpt?.iommu);
  const firstArea = ioas?.areas[0];
  const iova = query.get('iova') ?? firstArea?.iova ?? '0x0';
  const length = query.get('length') ?? firstArea?.length ?? '0x200000';
  const [iovaText, setIovaText] = useState(iova);
  const [lengthText, setLengthText] = useState(length);
  const [leaves, setLeaves] = useState<Leaf[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const areasKey = ioas?.areas.map((a) => `${a.iova}+${a.length}`).join(',') ?? '';
  const samples = useAreaSamples(
    lab,
    id,
    ioas?.areas,
    `${areasKey}|${hwpt?.stats.leaves}|${hwpt?.stats.snoopLeaves}|${hwpt?.enforceCacheCoherency}`,
  );

  useEffect(() => {
    setIovaText(iova);
    setLengthText(length);
  }, [iova, length]);

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
    if (hwpt) void load(iova, false);
  }, [load, iova, hwpt?.stats.leaves, live.seq]);

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
          <div className="cards">
            <section className="card" aria-label="Totals">
              <h2>Totals</h2>
              <table>
                <tbody>
                  <tr>
                    <th>table pages</th>
                    <td className="mono">{hwpt.stats.tablePages}</td>
                  </tr>
                  <tr>
                    <th>bytes</th>
                    <td className="mono">
                      {hwpt.stats.bytes} ({bytes(hwpt.stats.bytes)})
                    </td>
                  </tr>
                  <tr>
                    <th>leaves</th>
                    <td className="mono">
                      {hwpt.stats.leaves} ({hwpt.stats.snoopLeaves} SNP,{' '}
                      {hwpt.stats.leaves - hwpt.stats.snoopLeaves} without)
                    </td>
                  </tr>
                  {Object.entries(hwpt.stats.leavesBySize ?? {}).map(([s, n]) => (
                    <tr key={s}>
                      <th>{pageSize(s)} leaves</th>
                      <td className="mono">{n}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="card" aria-label="Levels">
              <h2>Levels</h2>
              <table>
                <thead>
                  <tr>
                    <th>level</th>
                    <th>table pages</th>
                  </tr>
                </thead>
                <tbody>
                  {(hwpt.stats.tablePagesByLevel ?? []).map((n, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: the index is the level.
                    <tr key={i}>
                      <td className="mono">{i + 1}</td>
                      <td className="mono">{n}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="card" aria-label="Areas">
              <h2>IOAS areas</h2>
              <table>
                <tbody>
                  {ioas.areas.map((a) => (
                    <tr key={a.iova}>
                      <td className="mono">
                        {a.iova}+{a.length}
                      </td>
                      <td>
                        <button type="button" onClick={() => setQuery({ iova: a.iova, length: a.length })}>
                          Leaves of {a.iova}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
          <h2>Leaves</h2>
          <form
            className="action"
            aria-label="Leaf range"
            style={{ gridTemplateColumns: 'repeat(3, auto)', justifyContent: 'start' }}
            onSubmit={(e) => {
              e.preventDefault();
              setQuery({ iova: parseU64(iovaText), length: parseU64(lengthText) });
            }}
          >
            <label>
              IOVA
              <input value={iovaText} onChange={(e) => setIovaText(e.target.value)} />
            </label>
            <label>
              length
              <input value={lengthText} onChange={(e) => setLengthText(e.target.value)} />
            </label>
            <button type="submit">Show leaves</button>
          </form>
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
