// How many store workers a server runs: LAB_STORE_SHARDS, default 4 on PostgreSQL and 1 on a SQLite file
// (router.ts spreads labs over them; worker-entry.mjs applies the same default).
import { isPostgresUrl } from '@ioasid-lab/db/pg';

export function storeShards(env: NodeJS.ProcessEnv = process.env, dbPath = env.LAB_DB): number {
  const raw = env.LAB_STORE_SHARDS;
  const value = raw === undefined || raw === '' ? (isPostgresUrl(dbPath) ? 4 : 1) : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new Error(`LAB_STORE_SHARDS must be an integer 1..64, not ${raw}`);
  }
  return value;
}
