'use client';
// Frame of the secondary lab views (explain, compare, inspector, events): header, content, timeline.
// Shares the live stream so each view recomputes when the lab moves on.
import { useRouter } from 'next/navigation';
import { type ReactNode, useRef } from 'react';
import { enc } from '../../lib/api';
import type { LiveLab } from '../../lib/use-lab';
import { LabHeader } from '../shell/lab-header';
import { Timeline } from '../timeline/timeline';

interface Props {
  lab: string;
  live: LiveLab;
  current: 'explain' | 'compare' | 'events' | 'inspector';
  mark?: number | null;
  children: ReactNode;
}

export function LabFrame({ lab, live, current, mark = null, children }: Props) {
  const router = useRouter();
  const scrubRef = useRef<HTMLInputElement>(null);
  const base = `/labs/${enc(lab)}`;
  const shortcuts = [
    { keys: 'g l', label: 'go to the live topology', run: () => router.push(base) },
    { keys: 'e', label: 'explain', run: () => router.push(`${base}/explain`) },
    { keys: 'c', label: 'compare policies', run: () => router.push(`${base}/compare`) },
    { keys: 't', label: 'focus the timeline', run: () => scrubRef.current?.focus() },
  ];
  return (
    <div style={{ display: 'flex', flexDirection: 'column', minHeight: '100vh' }}>
      <LabHeader
        lab={lab}
        policy={live.state?.policy}
        kernel={(live.state as { kernel?: string } | null)?.kernel}
        seq={live.seq}
        connected={live.connected}
        current={current}
        shortcuts={shortcuts}
      />
      <main className="page" style={{ flex: 1 }}>
        {children}
      </main>
      <Timeline
        ref={scrubRef}
        events={live.events}
        liveSeq={live.seq}
        viewSeq={null}
        mark={mark}
        onScrub={(seq) => router.push(seq === null ? base : `${base}?seq=${seq}`)}
      />
    </div>
  );
}
