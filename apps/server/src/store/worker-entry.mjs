// Entry of the store worker thread: registers the TypeScript loader (workers do not inherit the
// parent's), then runs worker.ts, or pg-worker.ts when LAB_DB names a PostgreSQL database.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
if (/^postgres(ql)?:\/\//.test(workerData?.dbPath ?? '')) await import('./pg-worker.ts');
else await import('./worker.ts');
