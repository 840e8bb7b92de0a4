// How many store workers a server runs: LAB_STORE_SHARDS, default 4 on PostgreSQL and on a SQLite file, so
// one lab's long fork or explain does not stall the others' reads (docs/scale.md); router.ts spreads labs
// over them, and worker-entry.mjs applies the same default.

const DEFAULT_SHARDS = 4;

export function storeShards(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LAB_STORE_SHARDS;
  const value = raw === undefined || raw === '' ? DEFAULT_SHARDS : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new Error(`LAB_STORE_SHARDS must be an integer 1..64, not ${raw}`);
  }
  return value;
}
