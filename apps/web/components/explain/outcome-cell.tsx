// One VM's outcome in a table cell: its wbinvd badge and, when it has one, the HAZARD badge; a dash when
// the replay has no such VM (a policy or kernel refused to build it).
import type { Outcome } from '../../lib/types';

export function OutcomeCell({ o }: { o: Outcome | null | undefined }) {
  if (!o) return <td className="muted">—</td>;
  return (
    <td>
      <span className={`badge ${o.wbinvd ? 'amber' : 'off'}`}>{o.wbinvd ? 'wbinvd ON' : 'off'}</span>{' '}
      {o.coherencyHazard ? <span className="badge red">HAZARD</span> : null}
    </td>
  );
}
