// The encoding events cross threads in: the text the main thread parses or sends on must be what the
// events themselves serialize to, whatever the commits' sizes.
import type { StoredEvent } from '@ioasid-lab/db';
import { describe, expect, it } from 'vitest';
import { encodeEvents, joinedJson, resultMessage, resultValue } from './encoded-events.ts';
import type { CallMessage, WorkerMessage } from './protocol.ts';

function event(seq: number, client?: string): StoredEvent {
  return {
    seq,
    at: new Date(Date.UTC(2026, 10, 30, 12, 0, seq)).toISOString(),
    op: 'ioas.map',
    input: { ioas: 1, iova: `0x${(seq * 0x1000).toString(16)}`, length: '0x1000' },
    result: { ok: true },
    effects: [{ type: 'area.mapped', ioas: 1, iova: `0x${(seq * 0x1000).toString(16)}`, length: '0x1000' }],
    ...(client ? { client } : {}),
  } as StoredEvent;
}

describe('encoded events', () => {
  it('joins commits into the text one stringify of all their events gives', () => {
    const commits = [[event(1)], [event(2, 'ci "nightly"'), event(3)], [event(4)]];
    const batches = commits.map((events) => encodeEvents(events));
    expect(batches.map((batch) => [batch?.first, batch?.last])).toEqual([
      [1, 1],
      [2, 3],
      [4, 4],
    ]);
    const all = commits.flat();
    const joined = joinedJson(batches as NonNullable<(typeof batches)[number]>[]);
    expect(joined).toBe(JSON.stringify(all));
    expect(`{"type":"events","events":${joined}}`).toBe(JSON.stringify({ type: 'events', events: all }));
    expect(encodeEvents([])).toBeNull();
  });

  it('encodes an array once, and answers apply and applyBatch with text that parses back to the events', () => {
    const events = [event(7)];
    expect(encodeEvents(events)).toBe(encodeEvents(events));
    const apply = { id: 1, lab: 'a', method: 'apply', args: [] } as CallMessage;
    const batch = { id: 2, lab: 'a', method: 'applyBatch', args: [] } as CallMessage;
    const state = { id: 3, lab: 'a', method: 'state', args: [] } as CallMessage;
    const answers = [
      resultMessage(apply, events[0]),
      resultMessage(apply, event(8)),
      resultMessage(batch, events),
      resultMessage(batch, [event(9), event(10)]),
      resultMessage(state, { seq: 3 }),
    ] as Extract<WorkerMessage, { type: 'result'; ok: true }>[];
    expect(answers.map((answer) => answer.json !== undefined)).toEqual([true, true, true, true, false]);
    expect(answers.map(resultValue)).toEqual([
      event(7),
      event(8),
      [event(7)],
      [event(9), event(10)],
      { seq: 3 },
    ]);
  });
});
