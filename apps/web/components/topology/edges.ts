// Edge geometry for the topology: one SVG path string per edge kind, so thousands of edges cost a few elements.
// Edges touching the selected node are drawn again on top in the accent colour.
import type { LaidEdge, Layout } from '../../lib/layout';

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

export function edgePaths(layout: Layout, hot: string | null): { kind: string; d: string }[] {
  const byKind = new Map<string, string[]>();
  const hotParts: string[] = [];
  for (const edge of layout.edges) {
    const d = curve(layout, edge);
    if (hot && (edge.from === hot || edge.to === hot)) hotParts.push(d);
    const list = byKind.get(edge.kind) ?? [];
    list.push(d);
    byKind.set(edge.kind, list);
  }
  const out = [...byKind].map(([kind, parts]) => ({ kind, d: parts.join('') }));
  if (hotParts.length) out.push({ kind: 'hot', d: hotParts.join('') });
  return out;
}
