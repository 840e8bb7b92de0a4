'use client';
// The bar shown while the lab is viewed at a past seq: read-only notice, back to live, revert the lab to
// this seq (new events, after a confirmation), or fork a new lab from here and open it.
import { useRouter } from 'next/navigation';
import { enc } from '../../lib/api';
import { ActionForm } from '../actions/action-form';

interface Props {
  lab: string;
  seq: number;
  onLive: () => void;
  onReverted: () => void;
}

export function PastBar({ lab, seq, onLive, onReverted }: Props) {
  const router = useRouter();
  return (
    <div className="pastbar" role="status" aria-label="Viewing the past">
      <span>viewing seq {seq} — read-only</span>
      <button type="button" onClick={onLive}>
        Back to live
      </button>
      <ActionForm
        key={`revert-${seq}`}
        title={`Revert to seq ${seq}`}
        danger
        fields={[]}
        confirm={`${lab} goes back to how it was at seq ${seq}. This appends new events (unplug, destroy, then the inputs up to seq ${seq} again); nothing in the history is removed.`}
        build={() => (c) => c.request('POST', `/labs/${enc(lab)}/revert`, { to: seq })}
        onDone={onReverted}
      />
      <ActionForm
        key={`fork-${seq}`}
        title={`Fork at seq ${seq}`}
        fields={[{ name: 'name', label: 'new lab', value: `${lab}-at-${seq}` }]}
        build={(v) => (c) => c.forkLab(lab, { name: String(v.name).trim(), at: seq })}
        onDone={(_, v) => router.push(`/labs/${enc(String(v.name).trim())}`)}
      />
    </div>
  );
}
