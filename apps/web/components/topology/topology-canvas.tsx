'use client';
// The lab's topology as one SVG: rows of nodes, edges per kind, pan (drag) and zoom (wheel, buttons, fit).
// The SVG element is exposed through svgRef so exports serialise exactly what is on screen.
import { type RefObject, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { type Layout, LEFT, ROW_LABEL, ROW_Y, SIZE } from '../../lib/layout';
import { markPainted } from '../../lib/perf';
import { edgePaths } from './edges';
import { CHUNK, NodeChunk } from './node-chunk';
import { TOPOLOGY_CSS } from './topology-css';

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

/** Screen pixels per layout unit at which labels are comfortably readable. */
const READABLE_PX_PER_UNIT = 0.75;
/** Culling bounds move in these steps, so panning re-renders only when a step is crossed. */
const CULL_STEP = 2000;

interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

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
  const [view, setView] = useState<View | null>(null);
  const touched = useRef(false);
  /** 'readable' starts a lab too wide for the screen at a zoom where labels read; 'all' shows everything. */
  const fitMode = useRef<'readable' | 'all'>('readable');
  const drag = useRef<{ px: number; py: number; view: View } | null>(null);

  const fit = useCallback(() => {
    const box = boxRef.current;
    if (!box) return;
    const aspect = box.clientWidth / Math.max(1, box.clientHeight);
    let w = Math.max(layout.width, 600);
    if (fitMode.current === 'readable') w = Math.min(w, box.clientWidth / READABLE_PX_PER_UNIT);
    const h = Math.max(layout.height, w / aspect);
    // Wide labs leave spare height: centre the rows in it rather than hugging the top.
    setView({ x: 0, y: -(h - layout.height) / 2, w: Math.max(w, h * aspect), h });
  }, [layout.width, layout.height]);

  // Fit once, and keep fitting while the user has not panned or zoomed (so growth stays visible).
  // A layout effect, so the first frame already has the fitted view (nothing is drawn before it).
  useLayoutEffect(() => {
    if (!touched.current) fit();
  }, [fit]);

  const zoom = useCallback((factor: number, cx?: number, cy?: number) => {
    touched.current = true;
    setView((v) => {
      if (!v) return v;
      const px = cx ?? v.x + v.w / 2;
      const py = cy ?? v.y + v.h / 2;
      const w = Math.min(Math.max(v.w * factor, 200), 400_000);
      const h = (v.h * w) / v.w;
      return { x: px - ((px - v.x) * w) / v.w, y: py - ((py - v.y) * h) / v.h, w, h };
    });
  }, []);

  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = svg.getBoundingClientRect();
      const v = svg.viewBox.baseVal;
      const cx = v.x + ((e.clientX - rect.left) / rect.width) * v.width;
      const cy = v.y + ((e.clientY - rect.top) / rect.height) * v.height;
      zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, cx, cy);
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, [svgRef, zoom]);

  // A selection made elsewhere (URL, search, filter) that lies outside the view brings the view to it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new selection moves the view.
  useEffect(() => {
    const node = selected ? layout.byKey.get(selected) : undefined;
    if (!node) return;
    setView((cur) => {
      if (!cur) return cur;
      const inside = node.x >= cur.x && node.x + node.w <= cur.x + cur.w;
      if (inside) return cur;
      touched.current = true;
      return { ...cur, x: node.x + node.w / 2 - cur.w / 2 };
    });
  }, [selected, view === null]);

  const hot = selected;
  const paths = useMemo(() => edgePaths(layout, hot), [layout, hot]);
  const v = view ?? { x: 0, y: 0, w: layout.width, h: layout.height };
  // Level of detail: below ~0.4 px per unit a node's text is unreadable, so only its box is drawn.
  const pxPerUnit = (boxRef.current?.clientWidth ?? 1200) / v.w;
  const detail = Boolean(forceDetail) || pxPerUnit > 0.4;
  // Nodes well outside the view are left out of the DOM (exports draw them all).
  const cullFrom = forceDetail
    ? Number.NEGATIVE_INFINITY
    : Math.floor((v.x - v.w / 2) / CULL_STEP) * CULL_STEP;
  const cullTo = forceDetail
    ? Number.POSITIVE_INFINITY
    : Math.ceil((v.x + v.w * 1.5) / CULL_STEP) * CULL_STEP;
  const visible = useMemo(
    () => (view || forceDetail ? layout.nodes.filter((n) => n.x + n.w >= cullFrom && n.x <= cullTo) : []),
    [layout, cullFrom, cullTo, view, forceDetail],
  );
  const chunks = useMemo(() => {
    const out = [];
    for (let i = 0; i < visible.length; i += CHUNK) out.push(visible.slice(i, i + CHUNK));
    return out;
  }, [visible]);
  useEffect(() => markPainted(visible.length), [visible]);
  const select = useCallback((key: string) => onSelect(key), [onSelect]);

  return (
    <div className="canvas" ref={boxRef}>
      <div className="canvas-tools">
        <button type="button" onClick={() => zoom(1 / 1.3)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => zoom(1.3)} aria-label="Zoom out">
          −
        </button>
        <button
          type="button"
          onClick={() => {
            touched.current = false;
            fitMode.current = 'all';
            fit();
          }}
          aria-label="Fit topology"
        >
          fit
        </button>
      </div>
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
        onPointerDown={(e) => {
          if ((e.target as Element).closest('.tn')) return;
          drag.current = { px: e.clientX, py: e.clientY, view: v };
          (e.currentTarget as Element).setPointerCapture(e.pointerId);
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          const svg = svgRef.current;
          if (!d || !svg) return;
          const scale = d.view.w / svg.clientWidth;
          touched.current = true;
          setView({
            ...d.view,
            x: d.view.x - (e.clientX - d.px) * scale,
            y: d.view.y - (e.clientY - d.py) * scale,
          });
        }}
        onPointerUp={() => {
          drag.current = null;
        }}
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
        {chunks.map((nodes, i) => {
          const inChunk = (pick: (key: string) => boolean) =>
            nodes
              .filter((n) => pick(n.key))
              .map((n) => n.key)
              .join('\n');
          return (
            <NodeChunk
              // biome-ignore lint/suspicious/noArrayIndexKey: chunks are positional runs of a stable node order.
              key={i}
              nodes={nodes}
              selected={selected && nodes.some((n) => n.key === selected) ? selected : null}
              flashSig={flash.size ? inChunk((k) => flash.has(k)) : ''}
              dimSig={focus ? inChunk((k) => !focus.has(k)) : ''}
              detail={detail}
              onSelect={select}
              onOpen={onOpen}
            />
          );
        })}
      </svg>
    </div>
  );
}
