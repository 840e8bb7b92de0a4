// Events as they cross from a store worker to the main thread: JSON text, not a structured clone. A
// commit's events are encoded once in the worker, for both the answer to the call that made them and the
// lab's stream; the main thread parses the answer (JSON.parse is about twice as fast as deserializing the
// clone) and the stream hub sends the text as it is, ordering and joining batches by the seqs carried
// beside it (docs/architecture.md, "Events across threads").
import type { StoredEvent } from '@ioasid-lab/db';
import type { CallMessage, WorkerMessage } from './protocol.ts';
import type { Port } from './serve.ts';

/** One commit's events: their JSON array text and the seqs it spans. */
export interface EncodedEvents {
  json: string;
  first: number;
  last: number;
}

/** Encodings already made, by the array the lab handed its listeners (and returned to the caller). */
const byArray = new WeakMap<readonly StoredEvent[], EncodedEvents>();
/** The text of a lone event, by the event: LiveLab.apply answers the one event of its commit's array. */
const byEvent = new WeakMap<StoredEvent, string>();

/** A lab subscription's listener in a store worker: each commit's events, encoded, pushed on `port`. */
export function eventPusher(port: Port, lab: string): (events: readonly StoredEvent[]) => void {
  return (events) => {
    const batch = encodeEvents(events);
    if (batch) port.postMessage({ type: 'events', lab, batch } satisfies WorkerMessage);
  };
}

/** The events' JSON array text, encoded once per array. */
function eventsJson(events: readonly StoredEvent[]): string {
  return encodeEvents(events)?.json ?? '[]';
}

/** The events' encoding, made once per array; null for none. */
export function encodeEvents(events: readonly StoredEvent[]): EncodedEvents | null {
  const known = byArray.get(events);
  if (known) return known;
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last) return null;
  const encoded = { json: JSON.stringify(events), first: first.seq, last: last.seq };
  byArray.set(events, encoded);
  if (events.length === 1) byEvent.set(first, encoded.json.slice(1, -1));
  return encoded;
}

/** A batch's events as JSON text, with how many there are and how many were refused. */
export interface BatchText {
  json: string;
  count: number;
  refused: number;
}

/** The events a batch committed, as the batch route sends them: text encoded once, and the counts. */
export function batchText(events: readonly StoredEvent[]): BatchText {
  let refused = 0;
  for (const event of events) if (!event.result.ok) refused += 1;
  return { json: eventsJson(events), count: events.length, refused };
}

/** The answer to a call that succeeded: apply and applyBatch answer their events as JSON text. */
export function resultMessage(message: CallMessage, value: unknown): WorkerMessage {
  if (message.lab !== undefined && message.method === 'applyBatch') {
    return { type: 'result', id: message.id, ok: true, json: eventsJson(value as StoredEvent[]) };
  }
  if (message.lab !== undefined && message.method === 'apply') {
    const event = value as StoredEvent;
    return { type: 'result', id: message.id, ok: true, json: byEvent.get(event) ?? JSON.stringify(event) };
  }
  return { type: 'result', id: message.id, ok: true, value };
}

/** The value a result message carries, parsed when it came as JSON text. */
export function resultValue(message: Extract<WorkerMessage, { type: 'result'; ok: true }>): unknown {
  return message.json === undefined ? message.value : JSON.parse(message.json);
}

/** The events of several encoded batches, in order, as one JSON array text (a stream frame's `events`). */
export function joinedJson(batches: readonly EncodedEvents[]): string {
  if (batches.length === 1) return (batches[0] as EncodedEvents).json;
  return `[${batches.map((batch) => batch.json.slice(1, -1)).join(',')}]`;
}
