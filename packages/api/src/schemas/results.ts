// Response shapes of the operation endpoints: the object an op created or changed, with its event.
import { type TSchema, Type } from 'typebox';
import { Effect } from './state.ts';

/** `{ ...object, seq, effects }`: what a route answers after an op created or changed one object. */
export function CreatedBy(object: TSchema): TSchema {
  return Type.Intersect([
    object,
    Type.Object({ seq: Type.Integer({ minimum: 1 }), effects: Type.Array(Effect) }),
  ]);
}

export const BatchResult = Type.Object({
  atomic: Type.Boolean(),
  applied: Type.Integer({ description: 'How many ops were applied (not refused)' }),
  refused: Type.Integer(),
  events: Type.Array(Type.Object({}, { description: 'The stored events, in seq order' })),
});
