'use client';
// Events: the whole history of the lab, filterable by op and by refusals, each row a link to that seq.
// Rows come from the live stream, so new events appear without a reload.
import Link from 'next/link';
import { useState } from 'react';
import { enc } from '../../lib/api';
import { inputText } from '../../lib/format';
import { useLab } from '../../lib/use-lab';
import { LabFrame } from '../frame/lab-frame';
import { Effects } from '../timeline/effects';
import { localTime, ResultCell } from '../timeline/event-row';

export function EventsView({ lab }: { lab: string }) {
  const live = useLab(lab);
  const [op, setOp] = useState('');
  const [refusedOnly, setRefusedOnly] = useState(false);
  const ops = [...new Set(live.events.map((e) => e.op))].sort();
  const shown = live.events.filter((e) => (!op || e.op === op) && (!refusedOnly || !e.result.ok));
  return (
    <LabFrame lab={lab} live={live} current="events">
      <h1>Events</h1>
      <div style={{ display: 'flex', gap: 12, marginBottom: 8 }}>
        <label>
          Op{' '}
          <select aria-label="Op" value={op} onChange={(e) => setOp(e.target.value)}>
            <option value="">all</option>
            {ops.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={refusedOnly} onChange={(e) => setRefusedOnly(e.target.checked)} />{' '}
          refused only
        </label>
        <span className="muted">
          {shown.length} of {live.events.length}
        </span>
      </div>
      {live.events.length === 0 && !live.state ? (
        <p className="loading" role="status">
          Loading the history…
        </p>
      ) : null}
      <div className="scroll-x">
        <table aria-label="Events" style={{ width: '100%' }}>
          <thead>
            <tr>
              <th>seq</th>
              <th>time</th>
              <th>op</th>
              <th>result</th>
              <th>by</th>
              <th>effects</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.seq}>
                <td className="mono">
                  <Link href={`/labs/${enc(lab)}?seq=${e.seq}`}>{e.seq}</Link>
                </td>
                <td className="mono" title={e.at}>
                  {localTime(e.at)}
                </td>
                <td className="mono">
                  <b>{e.op}</b> {inputText(e.input)}
                </td>
                <td className="mono">
                  <ResultCell event={e} />
                </td>
                <td
                  className="mono"
                  title={e.client ? `X-Lab-Client: ${e.client}` : 'made with the lab from its template'}
                >
                  {e.client ?? 'template'}
                </td>
                <td className="mono">
                  <Effects effects={e.effects} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </LabFrame>
  );
}
