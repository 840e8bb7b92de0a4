// Entry of the store worker thread: registers the TypeScript loader (workers do not inherit the
// parent's), then runs router.ts over LAB_STORE_SHARDS store workers (default 4 on PostgreSQL, 1 on a
// SQLite file), each started here again with its index in workerData.shard; or, with one shard, the store
// worker itself: worker.ts on a SQLite file, pg-worker.ts when LAB_DB names a PostgreSQL database.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const data = workerData ?? {};
const postgres = /^postgres(ql)?:\/\//.test(data.dbPath ?? '');
const raw = process.env.LAB_STORE_SHARDS;
const shards = raw === undefined || raw === '' ? (postgres ? 4 : 1) : Number(raw);
if (data.shard === undefined && shards !== 1) await import('./router.ts');
else if (postgres) await import('./pg-worker.ts');
else await import('./worker.ts');
