// @ioasid-lab/db/pg: the PostgreSQL event store (LAB_DB=postgres://…) and its fan-out across replicas.
export { type AsyncLabStore, asyncLabStore } from '../async-store.ts';
export { QuotaError, type Quotas, quotasFromEnv } from '../quotas.ts';
export { type FanoutOptions, PgFanout } from './fanout.ts';
export { EVENTS_CHANNEL, migratePg, type OpenPgLabStoreOptions, PgLabStore } from './store.ts';

/** True for a LAB_DB that names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(value: string | undefined): boolean {
  return typeof value === 'string' && /^postgres(ql)?:\/\//.test(value);
}
