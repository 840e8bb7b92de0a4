// Edge geometry for the topology: one SVG path string per edge kind, so thousands of edges cost a few elements.
// Edges touching the selected node are drawn again on top in the accent colour; edges leaving the focus
// (search, filters) are dimmed like their nodes; small labs also get one invisible wide path per edge
// that carries its hover card.
import type { LaidEdge, Layout } from '../../lib/layout';
import { EDGE_MEANING } from './labels';

function curve(layout: Layout, edge: LaidEdge): string {
  const a = layout.byKey.get(edge.from);
  const b = layout.byKey.get(edge.to);
  if (!a || !b) return '';
  const [top, bottom] = a.y < b.y ? [a, b] : [b, a];
  const x1 = top.x + top.w / 2;
  const y1 = top.y + top.h;
  const x2 = bottom.x + bottom.w / 2;
  const y2 = bottom.y;
  const my = (y1 + y2) / 2;
  return `M${x1} ${y1}C${x1} ${my} ${x2} ${my} ${x2} ${y2}`;
}

/**
 * The class list of an edge's path: its kind, "cross" for a device on another unit's table, "dim".
 * The dotted "cross" style only where labels are drawn: at overview zoom thousands of long dotted curves
 * cost seconds to rasterise and their dots are sub-pixel anyway.
 */
export function edgeClass(edge: LaidEdge, focus: ReadonlySet<string> | null, detail = true): string {
  const dim = focus !== null && !(focus.has(edge.from) && focus.has(edge.to));
  return `${edge.kind}${edge.cross && detail ? ' cross' : ''}${dim ? ' dim' : ''}`;
}

export function edgePaths(
  layout: Layout,
  hot: string | null,
  focus: ReadonlySet<string> | null = null,
  detail = true,
): { kind: string; d: string }[] {
  const byKind = new Map<string, string[]>();
  const hotParts: string[] = [];
  for (const edge of layout.edges) {
    const d = curve(layout, edge);
    if (hot && (edge.from === hot || edge.to === hot)) hotParts.push(d);
    const cls = edgeClass(edge, focus, detail);
    const list = byKind.get(cls) ?? [];
    list.push(d);
    byKind.set(cls, list);
  }
  const out = [...byKind].map(([kind, parts]) => ({ kind, d: parts.join('') }));
  if (hotParts.length) out.push({ kind: 'hot', d: hotParts.join('') });
  return out;
}

/** Above this many edges hover paths cost more than they tell; the legend still explains the styles. */
export const MAX_EDGE_HITS = 400;

export function edgeTitle(edge: LaidEdge): string {
  const name = (key: string) =>
    key.replace(/^dev:/, 'device ').replace(/^(\w+):/, (_, k) => `${k.toUpperCase()} `);
  const meaning = edge.cross ? `${EDGE_MEANING[edge.kind]}; ${EDGE_MEANING.cross}` : EDGE_MEANING[edge.kind];
  return `${name(edge.from)} → ${name(edge.to)}: ${meaning}`;
}

export function edgeHits(layout: Layout): { key: string; d: string; title: string }[] {
  if (layout.edges.length > MAX_EDGE_HITS) return [];
  return layout.edges.map((edge) => ({
    key: `${edge.from}>${edge.to}`,
    d: curve(layout, edge),
    title: edgeTitle(edge),
  }));
}
