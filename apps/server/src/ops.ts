// Applying one op to a lab from a route (through the group-commit queue): the event, or an ApiError with the
// errno and the refused event's seq (the refusal is already history); or the object the op made, read back.
import type { Op } from '@ioasid-lab/core';
import type { LabState, StoredEvent } from '@ioasid-lab/db';
import { ApiError } from './errors.ts';
import type { OpQueue } from './op-queue.ts';
import type { RemoteLab } from './store/remote.ts';

/**
 * Applies `op` through the lab's group-commit queue on behalf of `by` (the request's X-Lab-Client label);
 * a refusal becomes an ApiError with the event's seq.
 */
export async function applyOrThrow(queue: OpQueue, lab: RemoteLab, op: Op, by: string): Promise<StoredEvent> {
  const event = await queue.apply(lab, op, by);
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

type Collections = Pick<LabState, 'iommus' | 'devices' | 'vms' | 'hwpts'>;

/** Where the object an op created or changed is found in the state after it, and what to answer if not. */
export interface Target<K extends keyof Collections> {
  collection: K;
  find(item: Collections[K][number], event: StoredEvent): boolean;
  missing(event: StoredEvent): object;
}

/** The object of `collection` called `name`. */
export function named<K extends 'iommus' | 'devices' | 'vms'>(collection: K, name: string): Target<K> {
  return { collection, find: (item) => item.name === name, missing: () => ({ name }) };
}

/** The HWPT the op's `hwpt.created` effect names. */
export function createdHwpt(): Target<'hwpts'> {
  const created = (event: StoredEvent) =>
    event.effects.find((effect) => effect.type === 'hwpt.created')?.hwpt;
  return {
    collection: 'hwpts',
    find: (hwpt, event) => hwpt.id === created(event),
    missing: (event) => ({ id: created(event) }),
  };
}

/**
 * Applies `op` (as applyOrThrow), then answers the object it created or changed as the state now holds it,
 * with the event's seq and effects: what every route that adds or changes one object replies.
 */
export async function applyAndDescribe<K extends keyof Collections>(
  queue: OpQueue,
  lab: RemoteLab,
  op: Op,
  target: Target<K>,
  by: string,
): Promise<object & Pick<StoredEvent, 'seq' | 'effects'>> {
  const event = await applyOrThrow(queue, lab, op, by);
  const items: readonly Collections[K][number][] = (await lab.state())[target.collection];
  const object = items.find((item) => target.find(item, event));
  return withEvent(object ?? target.missing(event), event);
}
