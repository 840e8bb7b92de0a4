// The causal chain of an explanation: events with their input and effects, one marked (first divergence,
// or the cause of a single VM's state), each seq a link to the lab at that event.
import Link from 'next/link';
import { enc } from '../../lib/api';
import { inputText } from '../../lib/format';
import type { Effect, LabEvent } from '../../lib/types';
import { Effects } from '../timeline/effects';

interface Props {
  lab: string;
  chain: { seq: number; op: string; effects: (Effect | string)[] }[];
  events: LabEvent[];
  marked: number | null;
  markLabel: string;
}

export function ChainList({ lab, chain, events, marked, markLabel }: Props) {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  return (
    <ol className="mono chain">
      {chain.map((link) => {
        const event = bySeq.get(link.seq);
        return (
          <li key={link.seq} className={link.seq === marked ? 'first' : undefined}>
            {link.seq === marked ? <b>{markLabel} · </b> : null}
            <Link href={`/labs/${enc(lab)}?seq=${link.seq}`}>{link.seq}</Link>: {link.op}{' '}
            {event ? inputText(event.input) : ''} → <Effects effects={link.effects} />
          </li>
        );
      })}
    </ol>
  );
}
