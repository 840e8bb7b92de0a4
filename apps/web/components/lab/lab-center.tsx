'use client';
// The middle of a lab's page: the past bar while scrubbed, errors, and the topology: the canvas, or on a
// narrow screen the list view (the canvas stays mounted but hidden, so exports still have an SVG).
import type { RefObject } from 'react';
import type { ApiFailure } from '../../lib/api';
import type { Layout } from '../../lib/layout';
import type { LabState } from '../../lib/types';
import { useNarrow } from '../../lib/use-narrow';
import { TopologyCanvas } from '../topology/topology-canvas';
import { TopologyList } from '../topology/topology-list';
import { PastBar } from './past-bar';

interface Props {
  lab: string;
  state: LabState | null;
  layout: Layout | null;
  viewSeq: number | null;
  errors: (ApiFailure | null)[];
  selected: string | null;
  flash: ReadonlySet<string>;
  focus: ReadonlySet<string> | null;
  onSelect: (key: string | null) => void;
  onOpen: (key: string) => void;
  onLive: () => void;
  onReverted: () => void;
  svgRef: RefObject<SVGSVGElement | null>;
  forceDetail: boolean;
}

export function LabCenter(p: Props) {
  const narrow = useNarrow();
  return (
    <main className="center" aria-label="Topology">
      {p.viewSeq !== null ? (
        <PastBar lab={p.lab} seq={p.viewSeq} onLive={p.onLive} onReverted={p.onReverted} />
      ) : null}
      {p.errors.map((e) =>
        e ? (
          <p
            key={e.code + e.message}
            role="alert"
            className="refused"
            style={{ padding: '4px 12px', margin: 0 }}
          >
            {e.code}: {e.message}
            {p.state ? ' — showing the last state received' : ''}
          </p>
        ) : null,
      )}
      {p.layout && p.state ? (
        <>
          {narrow ? (
            <TopologyList
              state={p.state}
              selected={p.selected}
              flash={p.flash}
              focus={p.focus}
              onSelect={p.onSelect}
            />
          ) : null}
          <div className="canvas-wrap" hidden={narrow && !p.forceDetail}>
            <TopologyCanvas
              layout={p.layout}
              selected={p.selected}
              flash={p.flash}
              focus={p.focus}
              onSelect={p.onSelect}
              onOpen={p.onOpen}
              svgRef={p.svgRef}
              forceDetail={p.forceDetail}
            />
          </div>
        </>
      ) : (
        <p className="muted" role="status" style={{ padding: 16 }}>
          Loading lab…
        </p>
      )}
    </main>
  );
}
