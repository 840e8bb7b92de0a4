// The same inputs under every kernel profile with the lab's policy: each VM's outcome, refusals, and the
// rule that differs from the lab's own kernel (with the kernel function or commit that decides it).
import type { Explanation } from '../../lib/types';
import { OutcomeCell } from './outcome-cell';

export function KernelsTable({
  kernels,
  kernel,
  vms,
}: {
  kernels: Explanation['kernels'];
  kernel: string;
  vms: string[];
}) {
  const rows = Object.entries(kernels ?? {});
  if (rows.length === 0) return null;
  return (
    <section aria-label="Kernels">
      <h2>Under other kernels</h2>
      <div className="scroll-x">
        <table aria-label="Kernel profiles">
          <thead>
            <tr>
              <th>kernel</th>
              {vms.map((vm) => (
                <th key={vm}>{vm}</th>
              ))}
              <th>refused ops</th>
              <th>why it differs</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([k, r]) => (
              <tr key={k}>
                <td>
                  {k}
                  {k === kernel ? ' (this lab)' : ''}
                </td>
                <OutcomeCell o={r?.a} />
                {vms.length > 1 ? <OutcomeCell o={r?.b} /> : null}
                <td className="mono">{r?.refused ?? 0}</td>
                <td>{r?.rule ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
