'use client';
// The topology's viewport: fit to the box (and keep fitting while untouched), zoom by wheel and buttons,
// pan by drag, follow a selection made elsewhere. A box with no size (hidden, collapsed) leaves it alone.
import { type RefObject, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Layout } from '../../lib/layout';

export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Screen pixels per layout unit at which labels are comfortably readable. */
const READABLE_PX_PER_UNIT = 0.75;

/** The view that shows `layout` in a box of the given size, or null when the box has no size. */
export function fitView(
  layout: { width: number; height: number },
  boxWidth: number,
  boxHeight: number,
  mode: 'readable' | 'all',
): View | null {
  if (!(boxWidth > 0 && boxHeight > 0)) return null;
  const aspect = boxWidth / boxHeight;
  let w = Math.max(layout.width, 600);
  if (mode === 'readable') w = Math.min(w, boxWidth / READABLE_PX_PER_UNIT);
  const h = Math.max(layout.height, w / aspect);
  // Wide labs leave spare height: centre the rows in it rather than hugging the top.
  return { x: 0, y: -(h - layout.height) / 2, w: Math.max(w, h * aspect), h };
}

// Long because fit, zoom and pan share one view state; wheel and selection-follow are split out below.
export function useViewport(
  layout: Layout,
  boxRef: RefObject<HTMLDivElement | null>,
  svgRef: RefObject<SVGSVGElement | null>,
  selected: string | null,
) {
  const [view, setView] = useState<View | null>(null);
  const touched = useRef(false);
  /** 'readable' starts a lab too wide for the screen at a zoom where labels read; 'all' shows everything. */
  const fitMode = useRef<'readable' | 'all'>('readable');
  const drag = useRef<{ px: number; py: number; view: View } | null>(null);

  const fit = useCallback(
    (force = false) => {
      const box = boxRef.current;
      if (!box) return;
      const next = fitView(layout, box.clientWidth, box.clientHeight, fitMode.current);
      if (!next) return;
      // A live update that still fits keeps the view, so nodes do not jump when the lab grows a little.
      setView((cur) => {
        if (!force && cur && layout.width <= cur.x + cur.w && cur.w <= next.w * 1.5) return cur;
        return next;
      });
    },
    [layout, boxRef],
  );

  // Fit once, and keep fitting while the user has not panned or zoomed (so growth stays visible).
  // A layout effect, so the first frame already has the fitted view (nothing is drawn before it).
  useLayoutEffect(() => {
    if (!touched.current) fit();
  }, [fit]);

  // A box that changes size (window resized, narrow layout left) fits again if the user has not moved.
  // Subscribed once; it reads the latest fit through a ref and acts on real size changes only, so live
  // updates (a new layout, a new fit) never refit the view behind the user's back.
  const fitRef = useRef(fit);
  fitRef.current = fit;
  useEffect(() => {
    const box = boxRef.current;
    if (!box || typeof ResizeObserver === 'undefined') return;
    let last = `${box.clientWidth}x${box.clientHeight}`;
    const observer = new ResizeObserver(() => {
      const size = `${box.clientWidth}x${box.clientHeight}`;
      if (size === last) return;
      last = size;
      if (!touched.current) fitRef.current(true);
    });
    observer.observe(box);
    return () => observer.disconnect();
  }, [boxRef]);

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

  useWheelZoom(svgRef, zoom);
  useFollowSelection(layout, selected, setView, touched, view === null);

  const fitAll = () => {
    touched.current = false;
    fitMode.current = 'all';
    fit(true);
  };

  const pointer = {
    onPointerDown: (e: React.PointerEvent<SVGSVGElement>, current: View) => {
      if ((e.target as Element).closest('.tn')) return;
      drag.current = { px: e.clientX, py: e.clientY, view: current };
      (e.currentTarget as Element).setPointerCapture(e.pointerId);
    },
    onPointerMove: (e: React.PointerEvent<SVGSVGElement>) => {
      const d = drag.current;
      const svg = svgRef.current;
      if (!d || !svg || svg.clientWidth === 0) return;
      const scale = d.view.w / svg.clientWidth;
      touched.current = true;
      setView({
        ...d.view,
        x: d.view.x - (e.clientX - d.px) * scale,
        y: d.view.y - (e.clientY - d.py) * scale,
      });
    },
    onPointerUp: () => {
      drag.current = null;
    },
  };

  return { view, zoom, fitAll, pointer };
}

/** Wheel zooms around the pointer (a non-passive listener, so the page does not scroll meanwhile). */
function useWheelZoom(
  svgRef: RefObject<SVGSVGElement | null>,
  zoom: (factor: number, cx?: number, cy?: number) => void,
) {
  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = svg.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) return;
      const v = svg.viewBox.baseVal;
      const cx = v.x + ((e.clientX - rect.left) / rect.width) * v.width;
      const cy = v.y + ((e.clientY - rect.top) / rect.height) * v.height;
      zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, cx, cy);
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, [svgRef, zoom]);
}

/** A selection made elsewhere (URL, search, filter) that lies outside the view brings the view to it. */
function useFollowSelection(
  layout: Layout,
  selected: string | null,
  setView: (update: (cur: View | null) => View | null) => void,
  touched: { current: boolean },
  noView: boolean,
) {
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
  }, [selected, noView]);
}
