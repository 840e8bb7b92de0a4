'use client';
// One remedy: what it does, the ops it would run, its verified result, and Apply (an atomic batch).
// Apply posts the ops as one atomic batch; a refusal shows its errno on the card.
import { useState } from 'react';
import { ApiFailure, call, curlFor, type Request } from '../../lib/api';
import { inputText } from '../../lib/format';
import type { Op, Remedy } from '../../lib/types';
import { CopyButton } from '../shell/copy-button';

export function RemedyCard({
  lab,
  remedy,
  a,
  b,
  index,
}: {
  lab: string;
  remedy: Remedy;
  a: string;
  b: string;
  index: number;
}) {
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const request: Request = (c) => c.batch(lab, remedy.ops as Op[], { atomic: true });
  const title = remedy.description ?? `remedy ${index + 1}`;
  return (
    <li className="card" aria-label={`Remedy: ${title}`}>
      <b>{title}</b>
      <ol className="mono">
        {remedy.ops.map((op, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: ops are a fixed list in order.
          <li key={i}>
            {String(op.op)} {inputText(op)}
          </li>
        ))}
      </ol>
      <p>
        verified by replay: {a} wbinvd {remedy.result.a.wbinvd ? 'ON' : 'off'}
        {remedy.result.a.coherencyHazard ? ' HAZARD' : ''} · {b} wbinvd{' '}
        {remedy.result.b.wbinvd ? 'ON' : 'off'}
        {remedy.result.b.coherencyHazard ? ' HAZARD' : ''}
      </p>
      <div style={{ display: 'flex', gap: 6 }}>
        <button
          type="button"
          className="primary"
          disabled={busy}
          aria-label={`Apply: ${title}`}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await call(request);
            } catch (e) {
              if (e instanceof ApiFailure) setError(e);
            } finally {
              setBusy(false);
            }
          }}
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
    </li>
  );
}
