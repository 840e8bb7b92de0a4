// Public entry of @ioasid-lab/db: the event store, its contract, and the database it lives in.
export * from './database.ts';
export * from './quotas.ts';
export * as schema from './schema.ts';
export { shardOf } from './shard.ts';
export { openLabStore, SNAPSHOT_EVERY } from './store.ts';
export * from './store-types.ts';
export { SEED_HARDWARE, SEED_STORY, templateOps } from './templates.ts';
