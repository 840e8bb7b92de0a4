'use client';
import { ActionForm } from '../actions/action-form';

export function PastBar({ lab, seq, onLive }: { lab: string; seq: number; onLive: () => void }) {
  return (
    <div className="pastbar" role="status" aria-label="Viewing the past">
      viewing seq {seq} — read-only
      <button type="button" onClick={onLive}>
        Back to live
      </button>
      <ActionForm
        key={`fork-${seq}`}
        title={`Fork at seq ${seq}`}
        fields={[{ name: 'name', label: 'new lab', value: `${lab}-at-${seq}` }]}
        build={(v) => (c) => c.forkLab(lab, { name: String(v.name).trim(), at: seq })}
      />
    </div>
  );
}
