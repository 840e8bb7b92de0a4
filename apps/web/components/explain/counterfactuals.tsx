// Counterfactual table: the same inputs under every policy, per VM wbinvd and hazard, plus tables and bytes.
// Tables and bytes come from /compare, joined per VM; a policy that refused the VM shows a dash.
import { bytes } from '../../lib/format';
import type { Comparison, Explanation } from '../../lib/types';
import { OutcomeCell } from './outcome-cell';

export function Counterfactuals({ x, compare }: { x: Explanation; compare: Comparison | null }) {
  const rows = Object.entries(x.counterfactual);
  if (x.policy && !x.counterfactual[x.policy]) rows.unshift([x.policy, { a: x.a, b: x.b, refused: 0 }]);
  // Refusals come from the same replay Compare shows, so both views give one number per policy.
  const refused = (policy: string, fallback: number | undefined) =>
    compare?.policies.find((p) => p.policy === policy)?.refused ?? fallback ?? 0;
  const stats = (policy: string, vm: string) =>
    compare?.policies.find((p) => p.policy === policy)?.vms.find((v) => v.vm === vm);
  return (
    <table aria-label="Counterfactuals">
      <thead>
        <tr>
          <th>policy</th>
          <th>{x.a.vm}</th>
          <th>{x.b.vm}</th>
          <th>
            tables {x.a.vm} / {x.b.vm}
          </th>
          <th>
            bytes {x.a.vm} / {x.b.vm}
          </th>
          <th>refused ops</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([policy, r]) => {
          const sa = stats(policy, x.a.vm);
          const sb = stats(policy, x.b.vm);
          return (
            <tr key={policy}>
              <td>
                {policy}
                {policy === x.policy ? ' (this lab)' : ''}
              </td>
              <OutcomeCell o={r.a} />
              <OutcomeCell o={r.b} />
              <td className="mono">
                {sa?.hwpts ?? '—'} / {sb?.hwpts ?? '—'}
              </td>
              <td className="mono">
                {sa ? bytes(sa.tableBytes) : '—'} / {sb ? bytes(sb.tableBytes) : '—'}
              </td>
              <td className="mono">{refused(policy, r.refused)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
