// One event of the history in a table row: seq, wall-clock time, op and input, result (errno for refusals,
// never cut), effects. Long inputs and effects are cut to one line; the full text is in the title.
import { effectText, inputText } from '../../lib/format';
import type { LabEvent } from '../../lib/types';
import { Effects } from './effects';

/** One formatter for every row: building one per call costs more than the rest of a row's render. */
const TIME = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** An event's wall-clock time of day in the viewer's time zone (the full ISO time is in its title). */
export function localTime(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : TIME.format(d);
}

export function ResultCell({ event }: { event: LabEvent }) {
  if (event.result.ok) return <span className="ok">ok</span>;
  return (
    <span className="refused" title={event.result.message}>
      {event.result.code} ({event.result.errno}){event.result.message ? `: ${event.result.message}` : ''}
    </span>
  );
}

export function EventRow({
  event,
  current,
  marked,
  onPick,
}: {
  event: LabEvent;
  current: boolean;
  marked: boolean;
  onPick?: (seq: number) => void;
}) {
  return (
    <tr
      className={`${current ? 'current' : ''}${marked ? ' mark' : ''}`}
      aria-current={current ? 'step' : undefined}
    >
      <td className="mono">
        {onPick ? (
          <button type="button" aria-label={`Show seq ${event.seq}`} onClick={() => onPick(event.seq)}>
            {event.seq}
          </button>
        ) : (
          event.seq
        )}
      </td>
      <td className="mono time" title={event.at}>
        {localTime(event.at)}
      </td>
      <td className="mono" title={`${event.op} ${inputText(event.input)}`}>
        <b>{event.op}</b> {inputText(event.input)}
      </td>
      <td className={`mono result${event.result.ok ? '' : ' refused-row'}`}>
        <ResultCell event={event} />
      </td>
      <td className="mono" title={event.effects.map(effectText).join('\n')}>
        <Effects effects={event.effects} />
      </td>
    </tr>
  );
}
