'use client';
// Compare: the lab's inputs replayed under each policy, side by side (wbinvd per VM, tables, bytes) + chart.
// Recomputed whenever the lab moves on; ?policies= narrows the set.
import { useEffect, useState } from 'react';
import { ApiFailure, api } from '../../lib/api';
import { bytes } from '../../lib/format';
import type { Comparison, Policy } from '../../lib/types';
import { useLab } from '../../lib/use-lab';
import { useQuery } from '../../lib/use-query';
import { LabFrame } from '../frame/lab-frame';
import { CompareChart } from './compare-chart';

// Long only in markup: one card per policy with its VM table; the data is one request.
export function CompareView({ lab }: { lab: string }) {
  const live = useLab(lab);
  const [data, setData] = useState<Comparison | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  // ?policies=type1,shared narrows the comparison; by default every policy is replayed.
  const [query] = useQuery();
  const policies = query.get('policies') ?? 'type1,iommufd,shared,explicit';
  useEffect(() => {
    if (live.seq === 0 && !live.state) return;
    let current = true;
    api.compare(lab, policies.split(',') as Policy[]).then(
      (r) => {
        if (!current) return;
        setData(r);
        setError(null);
      },
      (e) => current && e instanceof ApiFailure && setError(e),
    );
    return () => {
      current = false;
    };
  }, [lab, live.seq, live.state, policies]);

  return (
    <LabFrame lab={lab} live={live} current="compare">
      <h1>Compare policies</h1>
      <p className="muted">The lab's {data?.seq ?? live.seq} inputs replayed under each policy.</p>
      {error ? (
        <p role="alert" className="refused">
          {error.code}: {error.message}
        </p>
      ) : null}
      {!data && !error ? (
        <p className="loading" role="status">
          Replaying the lab's inputs under each policy…
        </p>
      ) : null}
      {data ? (
        <>
          <div className="scroll-x">
            <CompareChart policies={data.policies} />
          </div>
          <div className="cards">
            {data.policies.map((p) => (
              <section key={p.policy} className="card" aria-label={`Policy ${p.policy}`}>
                <h2>
                  {p.policy}
                  {p.policy === live.state?.policy ? ' (this lab)' : ''}
                </h2>
                <p className="mono">
                  {p.hwpts} page tables · {bytes(p.tableBytes)} · {p.refused} refused
                </p>
                <table>
                  <thead>
                    <tr>
                      <th>VM</th>
                      <th>wbinvd</th>
                      <th>tables</th>
                      <th>bytes</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.vms.map((v) => (
                      <tr key={v.vm}>
                        <td>{v.vm}</td>
                        <td>
                          <span className={`badge ${v.wbinvd ? 'amber' : 'off'}`}>
                            {v.wbinvd ? 'wbinvd ON' : 'off'}
                          </span>{' '}
                          {v.coherencyHazard ? <span className="badge red">HAZARD</span> : null}
                        </td>
                        <td className="mono">{v.hwpts}</td>
                        <td className="mono">{bytes(v.tableBytes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            ))}
          </div>
        </>
      ) : null}
    </LabFrame>
  );
}
