// Entry of the store worker thread: registers the TypeScript loader (workers do not inherit the
// parent's), then runs router.ts over workerData.shards store workers (LAB_STORE_SHARDS, default 4, read
// once by the main thread in remote.ts), each started here again with its index in workerData.shard; or,
// with one shard, the store worker itself: worker.ts on a SQLite file, pg-worker.ts when LAB_DB names a
// PostgreSQL database.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const data = workerData ?? {};
const postgres = /^postgres(ql)?:\/\//.test(data.dbPath ?? '');
if (data.shard === undefined && data.shards > 1) await import('./router.ts');
else if (postgres) await import('./pg-worker.ts');
else await import('./worker.ts');
