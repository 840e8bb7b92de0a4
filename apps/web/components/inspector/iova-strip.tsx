// The whole IOVA aperture of a HWPT as one strip on a piecewise log scale: mapped areas coloured by their
// sampled leaf size, hatched where SNP is missing, reserved regions in grey; clicking an area selects it.
import { type KeyboardEvent, useRef } from 'react';
import { bytes, hex, pageSize } from '../../lib/format';
import type { AreaState } from '../../lib/types';
import { useWidth } from '../../lib/use-width';
import { layoutStrip, type Piece } from './strip-scale';
import type { AreaSample } from './use-area-samples';

export const SIZE_COLOUR: Record<number, string> = {
  4096: '#3b82f6',
  2097152: '#a855f7',
  1073741824: '#14b8a6',
};

interface Props {
  bits: number;
  areas: AreaState[];
  reserved: { start: string; length: string; kind: string }[];
  samples: Map<string, AreaSample>;
  /** IOVA of the selected area, if any. */
  selected: string | null;
  onPick: (area: AreaState) => void;
}

/** Layout units equal screen pixels (measured), so labels keep their size on any screen; 1000 until measured. */
const DEFAULT_W = 1000;
const LABEL_GAP = 90;

function rangeText(p: Piece): string {
  return `${hex(p.start)}–${hex(p.end - 1n)} (${bytes(Number(p.end - p.start))})`;
}

export function areaName(p: Piece, sample: AreaSample | undefined): string {
  const leaves = sample?.sizes.length
    ? `${sample.sizes.map((s) => pageSize(s)).join(' and ')} leaves, ${sample.noSnoop ? 'no SNP' : 'SNP'}`
    : 'leaves not sampled';
  return `Mapped ${rangeText(p)}: ${leaves}`;
}

function axisLabels(pieces: Piece[], W: number): { x: number; text: string }[] {
  const labels = [{ x: 0, text: '0x0' }];
  for (const p of pieces) {
    if (p.kind === 'gap' || p.start === 0n) continue;
    const last = labels[labels.length - 1];
    if ((!last || p.x - last.x >= LABEL_GAP) && p.x <= W - 1.5 * LABEL_GAP)
      labels.push({ x: p.x, text: hex(p.start) });
  }
  return labels;
}

export function IovaStrip(props: Props) {
  const box = useRef<HTMLDivElement>(null);
  const measured = useWidth(box);
  return (
    <div ref={box} className="strip-box">
      <StripSvg {...props} W={measured > 0 ? Math.round(measured) : DEFAULT_W} />
    </div>
  );
}

// Long only in markup: the SVG of the strip (pattern, pieces, axis); the scale is in strip-scale.ts.
function StripSvg({ bits, areas, reserved, samples, selected, onPick, W }: Props & { W: number }) {
  const pieces = layoutStrip(
    bits,
    areas.map((a) => ({ start: BigInt(a.iova), length: BigInt(a.length) })),
    reserved.map((r) => ({ start: BigInt(r.start), length: BigInt(r.length) })),
    W,
  );
  const top = hex((1n << BigInt(bits)) - 1n);
  const keyPick = (e: KeyboardEvent, area: AreaState) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    onPick(area);
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: the strip is an SVG; a group role names its range buttons.
    <svg
      viewBox={`0 0 ${W} 64`}
      width="100%"
      height={72}
      role="group"
      aria-label={`IOVA space 0x0–${top} (${bits}-bit, piecewise log scale)`}
    >
      <defs>
        <pattern
          id="nosnp-hatch"
          width="6"
          height="6"
          patternUnits="userSpaceOnUse"
          patternTransform="rotate(45)"
        >
          <line x1="0" y1="0" x2="0" y2="6" stroke="var(--red)" strokeWidth="2" />
        </pattern>
      </defs>
      <rect x={0} y={8} width={W} height={30} fill="var(--panel)" stroke="var(--line)" />
      {pieces.map((p) => {
        if (p.kind === 'gap') return null;
        if (p.kind === 'reserved') {
          const r = reserved[p.index];
          return (
            <rect key={`r${p.start}`} x={p.x} y={8} width={p.w} height={30} fill="var(--line)">
              <title>{`Reserved ${rangeText(p)}${r ? ` (${r.kind})` : ''}`}</title>
            </rect>
          );
        }
        const area = areas[p.index];
        if (!area) return null;
        const sample = samples.get(area.iova);
        const size = sample?.sizes[0];
        const name = areaName(p, sample);
        const isSelected = selected === area.iova;
        return (
          // biome-ignore lint/a11y/useSemanticElements: an SVG shape cannot be a <button>; role and keys make it one.
          <g
            key={`m${p.start}`}
            role="button"
            tabIndex={0}
            aria-label={name}
            aria-pressed={isSelected}
            onClick={() => onPick(area)}
            onKeyDown={(e) => keyPick(e, area)}
            style={{ cursor: 'pointer' }}
          >
            <title>{name}</title>
            <rect
              x={p.x}
              y={12}
              width={p.w}
              height={22}
              fill={size ? (SIZE_COLOUR[size] ?? 'var(--accent)') : 'var(--muted)'}
              stroke={isSelected ? 'var(--fg)' : 'none'}
              strokeWidth={2}
            />
            {sample?.noSnoop ? (
              <rect x={p.x} y={12} width={p.w} height={22} fill="url(#nosnp-hatch)" />
            ) : null}
          </g>
        );
      })}
      {axisLabels(pieces, W).map((l) => (
        <g key={l.text}>
          <line x1={l.x} x2={l.x} y1={38} y2={44} stroke="var(--muted)" />
          <text x={l.x} y={56} fontSize={10} textAnchor="start" fill="var(--muted)">
            {l.text}
          </text>
        </g>
      ))}
      <text x={W} y={56} fontSize={10} textAnchor="end" fill="var(--muted)">
        {top}
      </text>
    </svg>
  );
}
