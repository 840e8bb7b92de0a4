// The whole IOVA space of a HWPT as one strip, log-scaled so a 4 KiB page and a 256 TiB aperture both show:
// mapped areas, reserved regions, leaves of the selected range coloured by size and hatched where SNP is missing.
import { big } from '../../lib/format';
import type { AreaState, Leaf } from '../../lib/types';

export const SIZE_COLOUR: Record<number, string> = {
  4096: '#3b82f6',
  2097152: '#a855f7',
  1073741824: '#14b8a6',
};

interface Props {
  bits: number;
  areas: AreaState[];
  reserved: { start: string; length: string; kind: string }[];
  leaves: Leaf[];
  onPick: (area: AreaState) => void;
}

const W = 1000;

export function IovaStrip({ bits, areas, reserved, leaves, onPick }: Props) {
  const pos = (v: bigint) => (Math.log2(Number(v) + 1) / bits) * W;
  const span = (start: bigint, length: bigint) => {
    const x = pos(start);
    return { x, w: Math.max(1.5, pos(start + length) - x) };
  };
  const ticks = [12, 21, 30, 32, 39, 48, 57].filter((b) => b <= bits);
  const tickLabel: Record<number, string> = {
    12: '4K',
    21: '2M',
    30: '1G',
    32: '4G',
    39: '512G',
    48: '256T',
    57: '128P',
  };
  return (
    <svg viewBox={`0 0 ${W} 64`} width="100%" height={72} role="img" aria-label="IOVA space (log scale)">
      <defs>
        <pattern
          id="nosnp-hatch"
          width="6"
          height="6"
          patternUnits="userSpaceOnUse"
          patternTransform="rotate(45)"
        >
          <rect width="6" height="6" fill="transparent" />
          <line x1="0" y1="0" x2="0" y2="6" stroke="var(--red)" strokeWidth="2" />
        </pattern>
      </defs>
      <rect x={0} y={8} width={W} height={30} fill="var(--panel)" stroke="var(--line)" />
      {reserved.map((r) => {
        const s = span(big(r.start), big(r.length));
        return <rect key={r.start} x={s.x} y={8} width={s.w} height={30} fill="var(--line)" opacity={0.8} />;
      })}
      {areas.map((a) => {
        const s = span(big(a.iova), big(a.length));
        return (
          // biome-ignore lint/a11y/noStaticElementInteractions: the areas table below offers the same picks by keyboard.
          <rect
            key={a.iova}
            x={s.x}
            y={12}
            width={s.w}
            height={22}
            fill="var(--muted)"
            opacity={0.5}
            onClick={() => onPick(a)}
            style={{ cursor: 'pointer' }}
          />
        );
      })}
      {leaves.map((l) => {
        const s = span(big(l.iova), BigInt(l.size));
        return (
          <g key={l.iova}>
            <rect x={s.x} y={14} width={s.w} height={18} fill={SIZE_COLOUR[l.size] ?? 'var(--accent)'} />
            {!l.snoop ? <rect x={s.x} y={14} width={s.w} height={18} fill="url(#nosnp-hatch)" /> : null}
          </g>
        );
      })}
      {ticks.map((b) => (
        <g key={b}>
          <line x1={pos(1n << BigInt(b))} x2={pos(1n << BigInt(b))} y1={38} y2={44} stroke="var(--muted)" />
          <text x={pos(1n << BigInt(b))} y={56} fontSize={10} textAnchor="middle" fill="var(--muted)">
            {tickLabel[b]}
          </text>
        </g>
      ))}
    </svg>
  );
}
