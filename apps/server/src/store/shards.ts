// How many store workers a server runs: LAB_STORE_SHARDS, default 4 on a SQLite file and on PostgreSQL
// alike, so one lab's long fork, import or explain does not stall the other labs' calls (docs/scale.md).
// Read once, by the main thread (remote.ts), which hands the count to the router and to every shard, so
// all of them hash lab names over the same number of shards.

export const DEFAULT_SHARDS = 4;

export function storeShards(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LAB_STORE_SHARDS;
  const value = raw === undefined || raw.trim() === '' ? DEFAULT_SHARDS : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new Error(`LAB_STORE_SHARDS must be an integer 1..64, not ${raw}`);
  }
  return value;
}
