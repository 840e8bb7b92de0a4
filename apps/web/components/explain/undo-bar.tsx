'use client';
// After a remedy is applied: what happened and Undo, which reverts the lab to the seq it had before
// (new events; the remedy stays in the history). Lives above the explanation, which is recomputed.
import { ActionForm } from '../actions/action-form';

export function UndoBar({ lab, before, onDone }: { lab: string; before: number; onDone: () => void }) {
  return (
    <div className="undo-bar" role="status" aria-label="Remedy applied">
      <span>Remedy applied after seq {before}.</span>
      <ActionForm
        title={`Undo: revert to seq ${before}`}
        short="Undo"
        fields={[]}
        build={() => (c) => c.request('POST', `/labs/${encodeURIComponent(lab)}/revert`, { to: before })}
        onDone={onDone}
      />
    </div>
  );
}
