'use client';
// One remedy: what it does, the ops it would run, its verified result, and Apply (an atomic batch, after
// a confirmation). Once applied it reports the seq before, so the view can offer Undo (a revert).
import { useState } from 'react';
import { ApiFailure, call, curlFor, type Request } from '../../lib/api';
import { inputText } from '../../lib/format';
import type { Op, VmOutcome } from '../../lib/types';
import { ConfirmDialog } from '../shell/confirm-dialog';
import { CopyButton } from '../shell/copy-button';

interface Props {
  lab: string;
  remedy: { description?: string; ops: Op[] | Record<string, unknown>[]; result: Record<string, VmOutcome> };
  /** VM names in the order of `remedy.result` keys a, b. */
  vms: string[];
  index: number;
  /** The lab's seq now: what Undo goes back to. */
  seq: number;
  onApplied: (before: number) => void;
}

function outcome(vm: string, o: VmOutcome | undefined): string {
  if (!o) return '';
  return `${vm} wbinvd ${o.wbinvd ? 'ON' : 'off'}${o.coherencyHazard ? ' HAZARD' : ''}`;
}

export function RemedyCard({ lab, remedy, vms, index, seq, onApplied }: Props) {
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const request: Request = (c) => c.batch(lab, remedy.ops as Op[], { atomic: true });
  const title = remedy.description ?? `remedy ${index + 1}`;
  const run = async (req: Request, after: () => void) => {
    setBusy(true);
    setError(null);
    try {
      await call(req);
      after();
    } catch (e) {
      if (e instanceof ApiFailure) setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="card" aria-label={`Remedy: ${title}`}>
      <b>{title}</b>
      <ol className="mono">
        {remedy.ops.map((op, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: ops are a fixed list in order.
          <li key={i}>
            {String(op.op)} {inputText(op as Record<string, unknown>)}
          </li>
        ))}
      </ol>
      <p>
        verified by replay:{' '}
        {[outcome(vms[0] ?? 'a', remedy.result.a), outcome(vms[1] ?? 'b', remedy.result.b)]
          .filter(Boolean)
          .join(' · ')}
      </p>
      <div style={{ display: 'flex', gap: 6, flexWrap: 'wrap' }}>
        <button
          type="button"
          className="primary"
          disabled={busy}
          aria-label={`Apply: ${title}`}
          onClick={() => setAsking(true)}
        >
          Apply
        </button>
        <CopyButton label="Copy as curl" text={() => curlFor(request, location.origin)} />
      </div>
      {error ? (
        <p role="alert" className="refused">
          <b>{error.code}</b>: {error.message}
        </p>
      ) : null}
      {asking ? (
        <ConfirmDialog
          title={`Apply: ${title}?`}
          message={`Runs ${remedy.ops.length} op(s) on ${lab} as one atomic batch (new events). Undo, revert or "Reset the demo" bring it back.`}
          confirm="Apply"
          onCancel={() => setAsking(false)}
          onConfirm={() => {
            setAsking(false);
            const before = seq;
            void run(request, () => onApplied(before));
          }}
        />
      ) : null}
    </li>
  );
}
