'use client';
// An IOAS in the details panel: its owner and every mapped area.
// Areas are listed exactly as the core reports them (hex).
import { Facts } from './facts';
import type { KindProps } from './kind-props';

export function IoasDetails({ state, id }: KindProps) {
  const a = state.ioas.find((x) => String(x.id) === id);
  if (!a) return <p className="muted">IOAS {id} does not exist at this seq.</p>;
  return (
    <section aria-label="Details">
      <h2>IOAS {a.id}</h2>
      <Facts rows={[['VM', a.vm ?? '—']]} />
      <table className="mono">
        <thead>
          <tr>
            <th>IOVA</th>
            <th>length</th>
            <th>R</th>
            <th>W</th>
          </tr>
        </thead>
        <tbody>
          {a.areas.map((ar) => (
            <tr key={ar.iova}>
              <td>{ar.iova}</td>
              <td>{ar.length}</td>
              <td>{ar.read ? '✓' : ''}</td>
              <td>{ar.write ? '✓' : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
