// Entry of the store worker thread: registers the TypeScript loader (workers do not inherit the
// parent's), then runs worker.ts; when LAB_DB names a PostgreSQL database, pg-worker.ts, or router.ts
// over LAB_STORE_SHARDS of them (default 4; each shard is started with its index in workerData.shard).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const data = workerData ?? {};
const shards =
  process.env.LAB_STORE_SHARDS === undefined || process.env.LAB_STORE_SHARDS === ''
    ? 4
    : Number(process.env.LAB_STORE_SHARDS);
if (!/^postgres(ql)?:\/\//.test(data.dbPath ?? '')) await import('./worker.ts');
else if (data.shard === undefined && shards !== 1) await import('./router.ts');
else await import('./pg-worker.ts');
