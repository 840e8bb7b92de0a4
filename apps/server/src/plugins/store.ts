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
  // Without its store the server can only answer errors: say so loudly, once.
  store.onFailure = (error) =>
    app.log.fatal({ err: error }, 'the lab store worker died; every lab call will fail');
  app.decorate('labs', store);
  app.decorate('ops', new OpQueue());
  app.addHook('onClose', async () => {
    await store.close();
  });
}

export default fp(storePlugin, { name: 'ioasid-store' });
