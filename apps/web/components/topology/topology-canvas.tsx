'use client';
// The lab's topology as one SVG: rows of nodes, edges per kind, pan (drag) and zoom (wheel, buttons, fit).
// The SVG element is exposed through svgRef so exports serialise exactly what is on screen.
import { type RefObject, useCallback, useEffect, useMemo, useRef } from 'react';
import { type LaidNode, type Layout, LEFT, ROW_LABEL, ROW_Y, SIZE } from '../../lib/layout';
import { markPainted } from '../../lib/perf';
import { edgeHits, edgePaths } from './edges';
import { CHUNK, NodeChunk } from './node-chunk';
import { TOPOLOGY_CSS } from './topology-css';
import { useViewport } from './use-viewport';

interface Props {
  layout: Layout;
  selected: string | null;
  flash: ReadonlySet<string>;
  focus: ReadonlySet<string> | null;
  onSelect: (key: string | null) => void;
  onOpen: (key: string) => void;
  svgRef: RefObject<SVGSVGElement | null>;
  /** Draw every node in full whatever the zoom (for exports). */
  forceDetail?: boolean;
}

/** Above this many nodes in the DOM, touched nodes do not flash (see showFlash). */
const FLASH_MAX_NODES = 2500;

/** Culling bounds move in these steps, so panning re-renders only when a step is crossed. */
const CULL_STEP = 2000;

/** Nodes well outside the view are left out of the DOM (exports draw them all): bounds in CULL_STEP steps. */
function cullRange(v: { x: number; w: number }, all: boolean): [number, number] {
  if (all) return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  return [
    Math.floor((v.x - v.w / 2) / CULL_STEP) * CULL_STEP,
    Math.ceil((v.x + v.w * 1.5) / CULL_STEP) * CULL_STEP,
  ];
}

function keysWhere(nodes: LaidNode[], pick: (key: string) => boolean): string {
  return nodes
    .filter((n) => pick(n.key))
    .map((n) => n.key)
    .join('\n');
}

// Long only in markup and memoised derivations; viewport, edges and nodes live in their own modules.
export function TopologyCanvas({
  layout,
  selected,
  flash,
  focus,
  onSelect,
  onOpen,
  svgRef,
  forceDetail,
}: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const { view, zoom, fitAll, pointer } = useViewport(layout, boxRef, svgRef, selected);
  const hits = useMemo(() => (forceDetail ? [] : edgeHits(layout)), [layout, forceDetail]);
  const v = view ?? { x: 0, y: 0, w: layout.width, h: layout.height };
  // Level of detail: below ~0.4 px per unit a node's text is unreadable, so only its box is drawn.
  const pxPerUnit = (boxRef.current?.clientWidth || 1200) / v.w;
  const detail = Boolean(forceDetail) || pxPerUnit > 0.4;
  // Search and filters dim edges whose ends are both outside the focus, like the nodes.
  // A layout that keeps its predecessor's edges array also keeps every position (layoutLab), so the paths,
  // 30-100 ms of string building per refresh in a 10,000-device lab, change only with the edges.
  // biome-ignore lint/correctness/useExhaustiveDependencies: positions change only with layout.edges, see above.
  const paths = useMemo(
    () => edgePaths(layout, selected, focus, detail),
    [layout.edges, selected, focus, detail],
  );
  const [cullFrom, cullTo] = cullRange(v, Boolean(forceDetail));
  const visible = useMemo(
    () => (view || forceDetail ? layout.nodes.filter((n) => n.x + n.w >= cullFrom && n.x <= cullTo) : []),
    [layout, cullFrom, cullTo, view, forceDetail],
  );
  const chunks = useMemo(() => {
    const out = [];
    for (let i = 0; i < visible.length; i += CHUNK) out.push(visible.slice(i, i + CHUNK));
    return out;
  }, [visible]);
  // A flash animates every frame for a second, and each frame repaints the whole SVG: past a few thousand
  // drawn nodes that paint alone is a long task, and a stream keeps something flashing all the time.
  const showFlash = flash.size > 0 && visible.length <= FLASH_MAX_NODES;
  // Per chunk, the keys of its flashing and dimmed nodes: worked out when chunks, flash or focus change,
  // not on every render (a 10,000-node overview has 200 chunks).
  const flashSigs = useMemo(
    () => chunks.map((nodes) => (showFlash ? keysWhere(nodes, (k) => flash.has(k)) : '')),
    [chunks, flash, showFlash],
  );
  const dimSigs = useMemo(
    () => chunks.map((nodes) => (focus ? keysWhere(nodes, (k) => !focus.has(k)) : '')),
    [chunks, focus],
  );
  useEffect(() => markPainted(visible.length), [visible]);
  const select = useCallback((key: string) => onSelect(key), [onSelect]);

  return (
    <div className="canvas" ref={boxRef}>
      <CanvasTools zoom={zoom} fitAll={fitAll} />
      {/* biome-ignore lint/a11y/useSemanticElements: an SVG cannot be a fieldset; the group names the node buttons inside. */}
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: background click clears the selection; Escape and nodes' own keys cover keyboards. */}
      <svg
        ref={svgRef}
        xmlns="http://www.w3.org/2000/svg"
        role="group"
        aria-label="Lab topology"
        viewBox={`${v.x} ${v.y} ${v.w} ${v.h}`}
        width="100%"
        height="100%"
        onClick={() => onSelect(null)}
        onPointerDown={(e) => pointer.onPointerDown(e, v)}
        onPointerMove={pointer.onPointerMove}
        onPointerUp={pointer.onPointerUp}
      >
        <style>{TOPOLOGY_CSS}</style>
        {(Object.keys(ROW_Y) as (keyof typeof ROW_Y)[]).map((k) => (
          <text key={k} className="rowlabel" x={LEFT - 100} y={ROW_Y[k] + SIZE[k].h / 2 + 4}>
            {ROW_LABEL[k]}
          </text>
        ))}
        {paths.map((p) => (
          <path key={p.kind} className={`edge ${p.kind}`} d={p.d} />
        ))}
        {hits.map((h) => (
          <path key={h.key} className="edge-hit" d={h.d} data-edge={h.key}>
            <title>{h.title}</title>
          </path>
        ))}
        {chunks.map((nodes, i) => (
          <NodeChunk
            // biome-ignore lint/suspicious/noArrayIndexKey: chunks are positional runs of a stable node order.
            key={i}
            nodes={nodes}
            selected={selected && nodes.some((n) => n.key === selected) ? selected : null}
            flashSig={flashSigs[i] ?? ''}
            dimSig={dimSigs[i] ?? ''}
            detail={detail}
            onSelect={select}
            onOpen={onOpen}
          />
        ))}
      </svg>
    </div>
  );
}

function CanvasTools({ zoom, fitAll }: { zoom: (factor: number) => void; fitAll: () => void }) {
  return (
    <div className="canvas-tools">
      <button type="button" onClick={() => zoom(1 / 1.3)} aria-label="Zoom in">
        +
      </button>
      <button type="button" onClick={() => zoom(1.3)} aria-label="Zoom out">
        −
      </button>
      <button type="button" onClick={fitAll} aria-label="Fit topology">
        fit
      </button>
    </div>
  );
}
