// Query and body shapes of a lab's history: its state at a seq, its events page by page, a page of a
// HWPT's leaves, and a revert to an earlier seq (docs/api.md, "State, history and explanation").
import { Type } from 'typebox';
import { Hex, Seq, U64Text } from './common.ts';

export const MAX_EVENTS_PER_PAGE = 10_000;

export const StateQuery = Type.Object({ at: Type.Optional(Seq) }, { additionalProperties: false });
export const EventsQuery = Type.Object(
  {
    after: Type.Optional(Seq),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EVENTS_PER_PAGE, default: 100 })),
  },
  { additionalProperties: false },
);

export const MAX_LEAVES_PER_PAGE = 4096;

export const PagetableQuery = Type.Object(
  {
    iova: Type.Optional(U64Text),
    length: Type.Optional(U64Text),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LEAVES_PER_PAGE, default: 1024 })),
    at: Type.Optional(Seq),
  },
  { additionalProperties: false },
);
export const LeafPage = Type.Object({
  leaves: Type.Array(
    Type.Object({
      iova: Hex,
      size: Type.Integer(),
      level: Type.Integer(),
      read: Type.Boolean(),
      write: Type.Boolean(),
      snoop: Type.Boolean(),
    }),
  ),
  next: Type.Union([Hex, Type.Null()], { description: 'Pass as `iova` to continue; null when done' }),
});

export const RevertBody = Type.Object(
  {
    to: Type.Optional(Seq),
    reset: Type.Optional(Type.Boolean({ description: "true: back to the end of the lab's template" })),
  },
  { additionalProperties: false },
);

export const RevertResult = Type.Object({
  to: Seq,
  from: Seq,
  seq: Seq,
  events: Type.Integer({ minimum: 0, description: 'events the revert appended' }),
});
