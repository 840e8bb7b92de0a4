// The inspector's number cards: totals (pages, bytes, leaves with and without SNP, by size), table pages
// per level, and the IOAS's areas with a button each to list their leaves.
import { bytes, pageSize } from '../../lib/format';
import type { AreaState, HwptState } from '../../lib/types';

// Long only in markup: three small tables (totals, levels, areas) with no logic of their own.
export function InspectorCards({
  hwpt,
  areas,
  onArea,
}: {
  hwpt: HwptState;
  areas: AreaState[];
  onArea: (a: AreaState) => void;
}) {
  const s = hwpt.stats;
  return (
    <div className="cards">
      <section className="card" aria-label="Totals">
        <h2>Totals</h2>
        <table>
          <tbody>
            <tr>
              <th>table pages</th>
              <td className="mono">{s.tablePages}</td>
            </tr>
            <tr>
              <th>bytes</th>
              <td className="mono">
                {s.bytes} ({bytes(s.bytes)})
              </td>
            </tr>
            <tr>
              <th>leaves</th>
              <td className="mono">
                {s.leaves} ({s.snoopLeaves} SNP, {s.leaves - s.snoopLeaves} without)
              </td>
            </tr>
            {Object.entries(s.leavesBySize ?? {}).map(([size, n]) => (
              <tr key={size}>
                <th>{pageSize(size)} leaves</th>
                <td className="mono">{n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card" aria-label="Levels">
        <h2>Levels</h2>
        <table>
          <thead>
            <tr>
              <th>level</th>
              <th>table pages</th>
            </tr>
          </thead>
          <tbody>
            {(s.tablePagesByLevel ?? []).map((n, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the index is the level.
              <tr key={i}>
                <td className="mono">{i + 1}</td>
                <td className="mono">{n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card" aria-label="Areas">
        <h2>IOAS areas</h2>
        <table>
          <tbody>
            {areas.map((a) => (
              <tr key={a.iova}>
                <td className="mono">
                  {a.iova}+{a.length}
                </td>
                <td>
                  <button type="button" onClick={() => onArea(a)}>
                    Leaves of {a.iova}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
