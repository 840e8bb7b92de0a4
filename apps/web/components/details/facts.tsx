// Label/value pairs of the details panel, as a definition list in the monospace facts style.
// Keys are the labels, so each object kind keeps its rows distinct.
import type { ReactNode } from 'react';

export function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {rows.map(([k, v]) => (
        <div key={k} style={{ display: 'contents' }}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
