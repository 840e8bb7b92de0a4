// Piecewise scale of an IOVA aperture: cut at every area and reserved-region boundary, each piece as wide
// as the log of its length (mapped pieces get a floor), so a 4 KiB map at 0x7f... shows on a 48-bit space.

export type PieceKind = 'gap' | 'mapped' | 'reserved';

export interface Piece {
  start: bigint;
  end: bigint;
  kind: PieceKind;
  /** Index into the areas (mapped) or reserved regions (reserved); -1 for gaps. */
  index: number;
  x: number;
  w: number;
}

export interface Span {
  start: bigint;
  length: bigint;
}

const FLOOR: Record<PieceKind, number> = { gap: 1, mapped: 8, reserved: 4 };

function log2(v: bigint): number {
  const s = v.toString(2).length;
  return s > 52 ? s : Math.log2(Number(v));
}

/** Lays the aperture [0, 2^bits) out on a strip `width` units wide. */
export function layoutStrip(bits: number, areas: Span[], reserved: Span[], width: number): Piece[] {
  const top = 1n << BigInt(bits);
  const marked: Omit<Piece, 'x' | 'w'>[] = [];
  const add = (list: Span[], kind: PieceKind) =>
    list.forEach((s, index) => {
      const start = s.start < top ? s.start : top;
      const end = s.start + s.length < top ? s.start + s.length : top;
      if (end > start) marked.push({ start, end, kind, index });
    });
  add(areas, 'mapped');
  add(reserved, 'reserved');
  marked.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));

  const pieces: Omit<Piece, 'x' | 'w'>[] = [];
  let at = 0n;
  for (const m of marked) {
    if (m.start < at) continue; // overlaps an earlier piece: shown by that one
    if (m.start > at) pieces.push({ start: at, end: m.start, kind: 'gap', index: -1 });
    pieces.push(m);
    at = m.end;
  }
  if (at < top) pieces.push({ start: at, end: top, kind: 'gap', index: -1 });

  const weights = pieces.map((p) => Math.max(FLOOR[p.kind], log2(p.end - p.start) - 10));
  const total = weights.reduce((a, b) => a + b, 0);
  let x = 0;
  return pieces.map((p, i) => {
    const w = ((weights[i] ?? 0) / total) * width;
    const piece = { ...p, x, w };
    x += w;
    return piece;
  });
}
