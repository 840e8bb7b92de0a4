'use client';
// Explain: two VMs → verdict, first divergence, summary (copyable), causal chain, counterfactuals, remedies.
// Recomputed whenever the lab's seq moves, so applying a remedy shows its outcome here at once.
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { ApiFailure, api, enc } from '../../lib/api';
import { effectText, inputText } from '../../lib/format';
import type { Comparison, Explanation } from '../../lib/types';
import { useLab } from '../../lib/use-lab';
import { useQuery } from '../../lib/use-query';
import { LabFrame } from '../frame/lab-frame';
import { CopyButton } from '../shell/copy-button';
import { Effects } from '../timeline/effects';
import { Counterfactuals } from './counterfactuals';
import { RemedyCard } from './remedy-card';
import { verdictSentence } from './verdict';

export function ExplainView({ lab }: { lab: string }) {
  const live = useLab(lab);
  const [query, setQuery] = useQuery();
  const vms = live.state?.vms.map((v) => v.name) ?? [];
  const a = query.get('a') ?? vms[0] ?? '';
  const b = query.get('b') ?? vms.find((v) => v !== a) ?? '';
  const [x, setX] = useState<Explanation | null>(null);
  const [compare, setCompare] = useState<Comparison | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);

  useEffect(() => {
    if (!a || !b || live.seq === 0) return;
    let current = true;
    api.explain(lab, a, b).then(
      (r) => {
        if (!current) return;
        setX(r);
        setError(null);
      },
      (e) => current && e instanceof ApiFailure && setError(e),
    );
    api.compare(lab).then(
      (r) => current && setCompare(r),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [lab, a, b, live.seq]);

  const first = x?.firstDivergence ?? null;
  const firstEvent = first ? live.events.find((e) => e.seq === first.seq) : undefined;

  return (
    <LabFrame lab={lab} live={live} current="explain" mark={first?.seq ?? null}>
      <h1>Explain</h1>
      <div style={{ display: 'flex', gap: 12, alignItems: 'center' }}>
        <label>
          VM A{' '}
          <select aria-label="VM A" value={a} onChange={(e) => setQuery({ a: e.target.value })}>
            {vms.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          VM B{' '}
          <select aria-label="VM B" value={b} onChange={(e) => setQuery({ b: e.target.value })}>
            {vms.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
      </div>
      {vms.length < 2 && live.state ? <p className="muted">This lab needs two VMs to compare.</p> : null}
      {error ? (
        <p role="alert" className="refused">
          {error.code}: {error.message}
        </p>
      ) : null}
      {x ? (
        <>
          <section aria-label="Verdict">
            <p className={`verdict${x.diverges ? '' : ' same'}`}>{verdictSentence(x, live.events)}</p>
          </section>
          {first ? (
            <section aria-label="First divergence">
              <h2>First divergence</h2>
              <p className="mono">
                <Link href={`/labs/${enc(lab)}?seq=${first.seq}`}>event {first.seq}</Link>: {first.op}{' '}
                {firstEvent ? inputText(firstEvent.input) : ''} → {effectText(first.effect)}
              </p>
            </section>
          ) : null}
          <section aria-label="Summary">
            <h2>Summary</h2>
            <p>{x.summary}</p>
            <CopyButton label="Copy summary" text={() => x.summary} />
          </section>
          <section aria-label="Causal chain">
            <h2>Chain</h2>
            <ol className="mono">
              {x.chain.map((link) => {
                const event = live.events.find((e) => e.seq === link.seq);
                return (
                  <li key={link.seq} className={link.seq === first?.seq ? 'first' : undefined}>
                    {link.seq === first?.seq ? <b>first divergence · </b> : null}
                    {link.seq}: {link.op} {event ? inputText(event.input) : ''} →{' '}
                    <Effects effects={link.effects} />
                  </li>
                );
              })}
            </ol>
          </section>
          <section>
            <h2>Counterfactuals</h2>
            <Counterfactuals x={x} compare={compare} />
          </section>
          <section aria-label="Remedies">
            <h2>Remedies</h2>
            {x.remedies.length === 0 ? <p className="muted">No remedy needed or found.</p> : null}
            <ul className="cards" style={{ listStyle: 'none', padding: 0 }}>
              {x.remedies.map((r, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: remedies are recomputed as a whole.
                <RemedyCard key={`${x.seq}-${i}`} lab={lab} remedy={r} a={x.a.vm} b={x.b.vm} index={i} />
              ))}
            </ul>
          </section>
        </>
      ) : null}
    </LabFrame>
  );
}
