'use client';
// The timeline under every lab view: ticks per event, a scrubber over seq, and the events around it.
// Scrubbing reports a seq (null = live); the parent shows the lab as it was and offers the way back.
import { forwardRef } from 'react';
import type { LabEvent } from '../../lib/types';
import { EventRow } from './event-row';
import { TickStrip } from './tick-strip';

interface Props {
  events: LabEvent[];
  liveSeq: number;
  viewSeq: number | null;
  mark: number | null;
  onScrub: (seq: number | null) => void;
}

export const Timeline = forwardRef<HTMLInputElement, Props>(function Timeline(
  { events, liveSeq, viewSeq, mark, onScrub },
  ref,
) {
  const at = viewSeq ?? liveSeq;
  // With a marked event (explain's first divergence) and nothing scrubbed, the list centres on the mark.
  const centre = viewSeq === null && mark !== null ? mark + 3 : at;
  const upTo = events.filter((e) => e.seq <= centre);
  const shown = upTo.slice(-6).reverse();
  const pick = (seq: number) => onScrub(seq >= liveSeq ? null : seq);
  return (
    <section className="timeline" aria-label="Timeline">
      <div className="scrub">
        <span className="mono">seq 0</span>
        <div style={{ flex: 1 }}>
          <TickStrip events={events} maxSeq={liveSeq} viewSeq={at} mark={mark} />
          <input
            ref={ref}
            type="range"
            min={0}
            max={Math.max(liveSeq, 1)}
            step={1}
            value={at}
            aria-label="Timeline scrubber"
            aria-valuetext={viewSeq === null ? `live, seq ${liveSeq}` : `seq ${viewSeq}`}
            onChange={(e) => pick(Number(e.target.value))}
            style={{ width: '100%' }}
          />
        </div>
        <span className="mono">seq {liveSeq}</span>
        <button type="button" onClick={() => onScrub(null)} disabled={viewSeq === null}>
          Live
        </button>
      </div>
      <div className="events-list">
        <table>
          <tbody>
            {shown.map((e) => (
              <EventRow key={e.seq} event={e} current={e.seq === at} marked={e.seq === mark} onPick={pick} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
});
