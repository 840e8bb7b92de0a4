// Applying one op to a lab from a route (through the group-commit queue): the event on success, an
// ApiError carrying the errno and the refused event's seq otherwise (the refusal is already history).
import type { Op } from '@ioasid-lab/core';
import type { StoredEvent } from '@ioasid-lab/db';
import { ApiError } from './errors.ts';
import type { OpQueue } from './op-queue.ts';
import type { RemoteLab } from './store/remote.ts';

/** Applies `op` through the lab's group-commit queue; a refusal becomes an ApiError with the event's seq. */
export async function applyOrThrow(queue: OpQueue, lab: RemoteLab, op: Op): Promise<StoredEvent> {
  const event = await queue.apply(lab, op);
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
