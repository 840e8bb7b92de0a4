// Converts between ops/results as the core speaks them and event rows as the log stores them.
// The op column holds the whole op as JSON (bigints as 0x-hex strings) so any replay can re-apply it.
import type { Effect, ErrnoCode, Op, OpName, OpResult } from '@ioasid-lab/core';
import type { EventResult, OpInput, StoredEvent } from './store-types.ts';

/** One events row as the log reads and writes it (lab id aside). */
export interface EventRow {
  seq: number;
  at: number;
  op: string;
  errno: number;
  code: string | null;
  message: string | null;
  effects: string;
  aborted: number;
}

function jsonSafe(_key: string, value: unknown): unknown {
  // JSON has no bigint; the core accepts 0x-hex strings for every 64-bit field.
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}

export function encodeOp(op: Op): string {
  // A replacer slows every stringify down; ops almost never carry bigints, so only retry with it.
  try {
    return JSON.stringify(op);
  } catch (error) {
    if (error instanceof TypeError) return JSON.stringify(op, jsonSafe);
    throw error;
  }
}

export function toRow(seq: number, at: number, op: Op, result: OpResult, aborted = false): EventRow {
  return {
    seq,
    at,
    op: encodeOp(op),
    errno: result.ok ? 0 : result.errno,
    code: result.ok ? null : result.code,
    message: result.ok ? null : result.message,
    effects: result.ok ? JSON.stringify(result.effects) : '[]',
    aborted: aborted ? 1 : 0,
  };
}

export function splitOp(op: Op): { op: OpName; input: OpInput } {
  const { op: name, ...input } = op;
  return { op: name, input: input as OpInput };
}

/** The op without its `by` (who asked for it; the server adds it, the core ignores it). */
export function withoutClient(op: Op): Op {
  if (!('by' in op)) return op;
  const { by: _by, ...rest } = op as Op & { by?: string };
  return rest as Op;
}

export function toEvent(row: EventRow): StoredEvent {
  const parsed = JSON.parse(row.op) as Op & { by?: string };
  const { op, input } = splitOp(withoutClient(parsed));
  const result: EventResult =
    row.errno === 0
      ? { ok: true }
      : { ok: false, errno: row.errno, code: row.code as ErrnoCode, message: row.message ?? '' };
  return {
    seq: row.seq,
    at: new Date(row.at).toISOString(),
    op,
    input,
    result,
    effects: JSON.parse(row.effects) as Effect[],
    ...(typeof parsed.by === 'string' ? { client: parsed.by } : {}),
  };
}

/** A value that JSON carries as it is: what lets eventOf skip the round trip through the row's text. */
function plain(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value));
}

/**
 * The event of a row just made from `op` and `result`: what toEvent(row) gives, built from the objects in
 * hand instead of parsing back the JSON just written (two parses an event were a tenth of a busy lab's
 * commit). Ops whose fields are all strings, finite numbers and booleans take this path (map, unmap and most
 * others); one with a list, an object or a bigint is parsed back from the row. The effects are copied, so
 * the event shares nothing with the result, which the history index keeps. `at` is the row's time in ISO
 * 8601 (one per commit).
 */
export function eventOf(row: EventRow, op: Op, result: OpResult, at: string): StoredEvent {
  const input: Record<string, unknown> = {};
  let client: string | undefined;
  for (const key in op) {
    const value = (op as unknown as Record<string, unknown>)[key];
    if (key === 'op' || value === undefined) continue;
    if (!plain(value)) return toEvent(row);
    if (key === 'by') client = value as string;
    else input[key] = value;
  }
  const event: StoredEvent = {
    seq: row.seq,
    at,
    op: op.op,
    input: input as OpInput,
    result: result.ok
      ? { ok: true }
      : { ok: false, errno: result.errno, code: result.code, message: result.message },
    effects: result.ok ? result.effects.map((effect) => ({ ...effect })) : [],
  };
  if (typeof client === 'string') event.client = client;
  return event;
}

/** The op's name from its stored JSON. */
export function opNameOf(json: string): OpName {
  return (JSON.parse(json) as Op).op;
}
