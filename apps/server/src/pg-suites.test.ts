// The server's API and stream suites again, on PostgreSQL: each server these suites start gets a fresh
// database of a throwaway cluster (4 store shards, the default) instead of a SQLite file. The same
// files also run on their own, on SQLite.
import { type PgCluster, startCluster } from '@ioasid-lab/db/pg-cluster';
import { afterAll, beforeAll, expect } from 'vitest';
import { useTestDatabase } from './test/harness.ts';

let cluster: PgCluster | undefined;
/** Servers started on PostgreSQL: proof that the suites below did not fall back to SQLite. */
let made = 0;
beforeAll(async () => {
  cluster = await startCluster();
  const started = cluster;
  useTestDatabase(() => {
    made += 1;
    return started.createDatabase();
  });
}, 120_000);
afterAll(() => {
  useTestDatabase(undefined);
  cluster?.stop();
  expect(made).toBeGreaterThanOrEqual(8);
});

await import('./routes.test.ts');
await import('./batch.test.ts');
await import('./errors.test.ts');
await import('./concurrency.test.ts');
await import('./stream.test.ts');
await import('./revert.test.ts');
await import('./seed-story.test.ts');
await import('./kernels.test.ts');
