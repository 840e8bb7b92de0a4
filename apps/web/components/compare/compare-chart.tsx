// A small bar chart for Compare: page-table bytes per policy, with the count of VMs emulating wbinvd above.
// Plain SVG with theme colours, sized to the number of policies.
import { bytes } from '../../lib/format';
import type { PolicyComparison } from '../../lib/types';

export function CompareChart({
  policies,
  withKernels = false,
}: {
  policies: PolicyComparison[];
  /** Rows span several kernel profiles: label each bar with its kernel too. */
  withKernels?: boolean;
}) {
  const max = Math.max(1, ...policies.map((p) => p.tableBytes));
  const bw = 70;
  const h = 140;
  return (
    <svg
      role="img"
      aria-label="Page-table bytes and VMs with wbinvd per policy"
      width={policies.length * (bw + (withKernels ? 50 : 30)) + 20}
      height={h + 50}
    >
      {policies.map((p, i) => {
        const bh = (p.tableBytes / max) * h;
        const x = 20 + i * (bw + (withKernels ? 50 : 30));
        const wb = p.vms.filter((v) => v.wbinvd).length;
        return (
          <g key={`${p.policy}@${p.kernel}`}>
            <rect x={x} y={h - bh + 20} width={bw} height={bh} fill="var(--accent)" opacity={0.75} />
            <text x={x + bw / 2} y={h - bh + 14} textAnchor="middle" fontSize={11} fill="var(--fg)">
              {bytes(p.tableBytes)}
            </text>
            <text x={x + bw / 2} y={h + 34} textAnchor="middle" fontSize={12} fill="var(--fg)">
              {withKernels ? `${p.policy} · ${p.kernel}` : p.policy}
            </text>
            <text
              x={x + bw / 2}
              y={h + 48}
              textAnchor="middle"
              fontSize={11}
              fill={wb ? 'var(--amber)' : 'var(--muted)'}
            >
              {wb} wbinvd ON
            </text>
          </g>
        );
      })}
    </svg>
  );
}
