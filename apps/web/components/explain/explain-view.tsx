'use client';
// Explain: one VM (why it is as it is, latent hazards, remedies) or two VMs side by side (verdict, first
// divergence, chain, counterfactuals, remedies). Recomputed whenever the lab's seq moves, so applying a
// remedy shows its outcome here at once; a quiet line says when an answer is on its way.
import { useEffect, useState } from 'react';
import { ApiFailure, api, enc } from '../../lib/api';
import type { Comparison, Explanation, VmExplanation } from '../../lib/types';
import { useLab } from '../../lib/use-lab';
import { useQuery } from '../../lib/use-query';
import { LabFrame } from '../frame/lab-frame';
import { PairExplanation } from './pair-explanation';
import { UndoBar } from './undo-bar';
import { VmExplanationView } from './vm-explanation';

type Answer = { kind: 'pair'; x: Explanation } | { kind: 'vm'; x: VmExplanation };

/** Fetches the explanation of (a, b), or of a alone when b is empty, each time the lab's seq moves. */
function useExplanation(lab: string, a: string, b: string, seq: number) {
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [compare, setCompare] = useState<Comparison | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const key = `${a}|${b}`;
  const [shownKey, setShownKey] = useState('');
  useEffect(() => {
    if (!a || seq === 0) return;
    let current = true;
    const ask = b
      ? api.explain(lab, a, b).then((x): Answer => ({ kind: 'pair', x }))
      : api
          .request<VmExplanation>('GET', `/labs/${enc(lab)}/explain?a=${enc(a)}`)
          .then((x): Answer => ({ kind: 'vm', x }));
    ask.then(
      (r) => {
        if (!current) return;
        setAnswer(r);
        setShownKey(`${a}|${b}`);
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
  }, [lab, a, b, seq]);
  // An answer for another pair than the one picked is not shown while the new one loads.
  return { answer: shownKey === key ? answer : null, compare, error };
}

export function ExplainView({ lab }: { lab: string }) {
  const live = useLab(lab);
  const [query, setQuery] = useQuery();
  const vms = live.state?.vms.map((v) => v.name) ?? [];
  const a = query.get('a') ?? vms[0] ?? '';
  // ?b= absent: the second VM when there is one; ?b= empty: this VM alone.
  const b = query.has('b') ? (query.get('b') ?? '') : (vms.find((v) => v !== a) ?? '');
  const { answer, compare, error } = useExplanation(lab, a, b === a ? '' : b, live.seq);
  const [applied, setApplied] = useState<number | null>(null);
  const mark =
    answer?.kind === 'pair' ? (answer.x.firstDivergence?.seq ?? null) : (answer?.x.cause?.seq ?? null);

  return (
    <LabFrame lab={lab} live={live} current="explain" mark={mark}>
      <h1>Explain</h1>
      <div className="pickers">
        <label>
          VM{' '}
          <select aria-label="VM A" value={a} onChange={(e) => setQuery({ a: e.target.value })}>
            {vms.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          compared with{' '}
          <select
            aria-label="VM B"
            value={b === a ? '' : b}
            onChange={(e) => setQuery({ b: e.target.value })}
          >
            <option value="">— none: this VM alone</option>
            {vms
              .filter((v) => v !== a)
              .map((v) => (
                <option key={v}>{v}</option>
              ))}
          </select>
        </label>
      </div>
      {live.state && vms.length === 0 ? (
        <p className="muted">This lab has no VM yet: create one first.</p>
      ) : null}
      {error ? (
        <p role="alert" className="refused">
          {error.code}: {error.message}
        </p>
      ) : null}
      {!answer && !error && a ? (
        <p className="loading" role="status">
          Explaining {a}
          {b && b !== a ? ` and ${b}` : ''}: replaying its history…
        </p>
      ) : null}
      {applied !== null ? <UndoBar lab={lab} before={applied} onDone={() => setApplied(null)} /> : null}
      {answer?.kind === 'pair' ? (
        <PairExplanation
          lab={lab}
          x={answer.x}
          compare={compare}
          events={live.events}
          seq={live.seq}
          onApplied={setApplied}
        />
      ) : null}
      {answer?.kind === 'vm' ? (
        <VmExplanationView
          lab={lab}
          x={answer.x}
          compare={compare}
          events={live.events}
          seq={live.seq}
          onApplied={setApplied}
        />
      ) : null}
    </LabFrame>
  );
}
