'use client';
// Leaves of a range in a virtualised table: fixed-height rows, only the visible window is in the DOM,
// so tens of thousands of 4 KiB leaves scroll as smoothly as ten.
import { useState } from 'react';
import { pageSize } from '../../lib/format';
import type { Leaf } from '../../lib/types';

const ROW = 22;
const HEIGHT = 360;
const OVERSCAN = 10;

export function LeavesTable({ leaves }: { leaves: Leaf[] }) {
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(leaves.length, Math.ceil((top + HEIGHT) / ROW) + OVERSCAN);
  const shown = leaves.slice(first, last);
  return (
    <div style={{ maxHeight: HEIGHT, overflow: 'auto' }} onScroll={(e) => setTop(e.currentTarget.scrollTop)}>
      <table aria-label="Leaves" aria-rowcount={leaves.length + 1} className="mono">
        <thead>
          <tr>
            <th>IOVA</th>
            <th>size</th>
            <th>level</th>
            <th>R</th>
            <th>W</th>
            <th>SNP</th>
          </tr>
        </thead>
        <tbody>
          {first > 0 ? (
            <tr style={{ height: first * ROW }}>
              <td colSpan={6} />
            </tr>
          ) : null}
          {shown.map((l, i) => (
            <tr key={l.iova} style={{ height: ROW }} aria-rowindex={first + i + 2}>
              <td>{l.iova}</td>
              <td>{pageSize(l.size)}</td>
              <td>{l.level}</td>
              <td>{l.read ? '✓' : ''}</td>
              <td>{l.write ? '✓' : ''}</td>
              <td>{l.snoop ? '✓' : <span className="refused">no</span>}</td>
            </tr>
          ))}
          {last < leaves.length ? (
            <tr style={{ height: (leaves.length - last) * ROW }}>
              <td colSpan={6} />
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
