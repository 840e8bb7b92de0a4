'use client';
// Compare: the lab's inputs replayed under each policy, side by side (wbinvd per VM, tables, bytes) + chart.
// Recomputed whenever the lab moves on; ?policies= narrows the set, ?kernels= replays under those kernel
// profiles too (docs/kernels.md), so "which kernel fixes this?" is one click.
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { ApiFailure, api } from '../../lib/api';
import { bytes } from '../../lib/format';
import { type Comparison, KERNELS, type Kernel, type Policy, type PolicyComparison } from '../../lib/types';
import { useLab } from '../../lib/use-lab';
import { useQuery } from '../../lib/use-query';
import { LabFrame } from '../frame/lab-frame';
import { CompareChart } from './compare-chart';

function useComparison(lab: string, seq: number, ready: boolean, policies: string, kernels: string | null) {
  const [data, setData] = useState<Comparison | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: seq is the trigger: the comparison is fetched again whenever the lab moves on
  useEffect(() => {
    if (!ready) return;
    let current = true;
    api
      .compare(lab, policies.split(',') as Policy[], kernels ? (kernels.split(',') as Kernel[]) : undefined)
      .then(
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
  }, [lab, seq, ready, policies, kernels]);
  return { data, error };
}

export function CompareView({ lab }: { lab: string }) {
  const live = useLab(lab);
  // ?policies=type1,shared narrows the comparison; by default every policy is replayed.
  const [query] = useQuery();
  const policies = query.get('policies') ?? 'type1,iommufd,shared,explicit';
  const kernels = query.get('kernels');
  const { data, error } = useComparison(lab, live.seq, live.seq > 0 || !!live.state, policies, kernels);
  const base = `/labs/${encodeURIComponent(lab)}/compare`;
  return (
    <LabFrame lab={lab} live={live} current="compare">
      <h1>Compare policies{kernels ? ' and kernels' : ''}</h1>
      <p className="muted">
        The lab's {data?.seq ?? live.seq} inputs replayed under each policy
        {kernels ? `, on kernels ${kernels.split(',').join(', ')}` : ` on kernel ${live.state?.kernel ?? ''}`}
        .{' '}
        {kernels ? (
          <Link href={base}>Only this lab's kernel</Link>
        ) : (
          <Link href={`${base}?kernels=${KERNELS.join(',')}`}>Every kernel profile</Link>
        )}
      </p>
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
            <CompareChart policies={data.policies} withKernels={!!kernels} />
          </div>
          <div className="cards">
            {data.policies.map((p) => (
              <PolicyCard
                key={`${p.policy}@${p.kernel}`}
                row={p}
                withKernel={!!kernels}
                own={p.policy === live.state?.policy && p.kernel === live.state?.kernel}
              />
            ))}
          </div>
        </>
      ) : null}
    </LabFrame>
  );
}

/** One replay: its totals and each VM's wbinvd, hazard, tables and bytes. */
function PolicyCard({
  row: p,
  withKernel,
  own,
}: {
  row: PolicyComparison;
  withKernel: boolean;
  own: boolean;
}) {
  const title = withKernel ? `${p.policy} on ${p.kernel}` : p.policy;
  return (
    <section className="card" aria-label={`Policy ${title}`}>
      <h2>
        {title}
        {own ? ' (this lab)' : ''}
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
  );
}
