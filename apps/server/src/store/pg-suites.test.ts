// The server's API and stream suites again, on PostgreSQL: each server these suites start gets a fresh
// database of a throwaway cluster (4 store shards, the default) instead of a SQLite file. The same
// files also run on their own, on SQLite.
import { type PgCluster, startCluster } from '@ioasid-lab/db/pg-cluster';
import { afterAll, beforeAll, expect } from 'vitest';
import { useTestDatabase } from '../test/harness.ts';

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

await import('../routes/routes.test.ts');
await import('../routes/batch.test.ts');
await import('../routes/errors.test.ts');
await import('../routes/concurrency.test.ts');
await import('../stream/stream.test.ts');
await import('../routes/revert.test.ts');
await import('../routes/seed-story.test.ts');
await import('../routes/kernels.test.ts');
