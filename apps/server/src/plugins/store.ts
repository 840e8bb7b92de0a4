// Starts the store worker (SQLite event log + live cores, seeded on a fresh database) once per server
// and closes it last on shutdown, after in-flight requests have finished.
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
}

async function storePlugin(app: FastifyInstance, options: StoreOptions): Promise<void> {
  const store = await RemoteStore.open(options.dbPath);
  // A dead worker fails the calls in flight (503); say so loudly, and whether a new one is coming.
  store.onFailure = (error, willRestart) =>
    willRestart
      ? app.log.error({ err: error }, 'the lab store worker died; restarting it')
      : app.log.fatal({ err: error }, 'the lab store is down for good; every lab call answers 503');
  store.onRestart = () => app.log.warn('the lab store worker restarted; labs rebuilt from the database');
  app.decorate('labs', store);
  app.decorate('ops', new OpQueue());
  app.addHook('onClose', async () => {
    await store.close();
  });
}

export default fp(storePlugin, { name: 'ioasid-store' });
