// The same inputs under every kernel profile with the lab's policy: each VM's outcome, refusals, and the
// rule that differs from the lab's own kernel (with the kernel function or commit that decides it).
import type { Explanation, VmOutcome } from '../../lib/types';

function Outcome({ o }: { o: VmOutcome | null | undefined }) {
  if (!o) return <td className="muted">—</td>;
  return (
    <td>
      <span className={`badge ${o.wbinvd ? 'amber' : 'off'}`}>{o.wbinvd ? 'wbinvd ON' : 'off'}</span>{' '}
      {o.coherencyHazard ? <span className="badge red">HAZARD</span> : null}
    </td>
  );
}

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
                <Outcome o={r?.a} />
                {vms.length > 1 ? <Outcome o={r?.b} /> : null}
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
