// How often a lab's state is snapshotted. A snapshot costs its size (serialize, write, checkpoint), and a
// lab's state grows with what it holds: at a fixed interval, a lab of 100,000 mapped areas (1.7 MB a
// snapshot) spent most of its write path on snapshots. The interval therefore stretches with what the last
// snapshot point wrote (the lab's state and any counterfactual shadows saved with it), in whole multiples
// of the store's `snapshotEvery`, so that snapshots add at most about SNAPSHOT_BYTES_PER_EVENT bytes per
// committed event on average; a small lab keeps `snapshotEvery` exactly.

/**
 * Snapshot bytes a lab may write per committed event, on average: about what the event's own row takes
 * (op, result and effects as JSON), so snapshots at most double the bytes a busy lab writes. Measured on a
 * growing lab, a snapshot costs about 10 ns a byte all told (2.5 µs an event at this budget), about what
 * replaying one op costs; a state(at) then replays at most written / 256 ops past its snapshot: 1 MB of
 * state (about 60,000 mapped areas) with no shadows saved means up to 4,000 ops, ~10 ms.
 */
export const SNAPSHOT_BYTES_PER_EVENT = 256;

/**
 * The events until the next snapshot point after one that wrote `bytes`, for a store that snapshots every
 * `every` within `budget` bytes an event (Infinity: always `every`).
 */
export function snapshotInterval(every: number, bytes: number, budget = SNAPSHOT_BYTES_PER_EVENT): number {
  return every * Math.max(1, Math.ceil(bytes / (budget * every)));
}
