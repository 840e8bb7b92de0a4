// Applying one op to a stored lab from a route: the event on success, an ApiError carrying the
// errno and the refused event's seq otherwise (the refusal is already in the history).
import type { Op } from '@ioasid-lab/core';
import type { StoredEvent, StoredLab } from '@ioasid-lab/db';
import { ApiError } from './errors.ts';

export function applyOrThrow(lab: StoredLab, op: Op): StoredEvent {
  const event = lab.apply(op);
  if (!event.result.ok) {
    throw new ApiError(event.result.code, event.result.message, { seq: event.seq });
  }
  return event;
}

/** What a route that created or changed one object answers: the object, plus the event's seq and effects. */
export function withEvent<T extends object>(
  object: T,
  event: StoredEvent,
): T & Pick<StoredEvent, 'seq' | 'effects'> {
  return { ...object, seq: event.seq, effects: event.effects };
}
