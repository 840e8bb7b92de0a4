// Starts the store worker (SQLite event log + live cores, seeded on a fresh database) once per server
// and closes it last on shutdown, after in-flight requests have finished: every store worker closes its
// database within a bound, and one that does not is terminated and logged (store/remote.ts).
import { lockDatabase } from '@ioasid-lab/db';
import { isPostgresUrl } from '@ioasid-lab/db/pg';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { OpQueue } from '../op-queue.ts';
import { RemoteStore } from '../store/remote.ts';

declare module 'fastify' {
  interface FastifyInstance {
    labs: RemoteStore;
    /** Every op of every route goes through here: per-lab order plus group commit. */
    ops: OpQueue;
  }
}

export interface StoreOptions {
  dbPath: string;
  /** Tests only: lets them make the store's database connection fail (full disk, read-only). */
  faultInjection?: boolean;
}

async function storePlugin(app: FastifyInstance, options: StoreOptions): Promise<void> {
  // One server per database file: a second one is refused here, naming the process that holds it.
  // (PostgreSQL is shared by design: any number of servers, none special.)
  const lock = isPostgresUrl(options.dbPath) ? { release: () => undefined } : lockDatabase(options.dbPath);
  let store: RemoteStore;
  try {
    store = await RemoteStore.open(options.dbPath, { faultInjection: options.faultInjection });
  } catch (error) {
    lock.release();
    throw error;
  }
  // A dead worker fails the calls in flight (503); say so loudly, and whether a new one is coming.
  store.onFailure = (error, willRestart) =>
    willRestart
      ? app.log.error({ err: error }, 'the lab store worker died; restarting it')
      : app.log.fatal({ err: error }, 'the lab store is down for good; every lab call answers 503');
  store.onRestart = () => app.log.warn('the lab store worker restarted; labs rebuilt from the database');
  // Another replica (PostgreSQL) deleted a lab: its streams here close as after a local delete.
  store.onLabDeleted = (lab) => app.streams.closeLab(lab);
  store.onClosed = (report) => {
    for (const worker of report.terminated) {
      app.log.error(
        { worker, timeoutMs: store.closeTimeoutMs },
        `${worker} did not close its database in time and was terminated; what it committed is in the WAL`,
      );
    }
    for (const error of report.errors) app.log.warn({ error }, 'closing the lab store');
  };
  app.log.info({ shards: store.shards }, 'lab store open');
  app.decorate('labs', store);
  app.decorate('ops', new OpQueue());
  app.addHook('onClose', async () => {
    try {
      await store.close();
    } finally {
      lock.release();
    }
  });
}

export default fp(storePlugin, { name: 'ioasid-store' });
