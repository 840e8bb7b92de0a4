// Opens the lab store (SQLite event log + live core instances) once per server, seeds a fresh
// database with the `seed` lab, and closes it last on shutdown, after in-flight requests finished.
import { type LabStore, openLabStore } from '@ioasid-lab/db';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { OpQueue } from '../op-queue.ts';

declare module 'fastify' {
  interface FastifyInstance {
    labs: LabStore;
    /** Every op of every route goes through here: per-lab order plus group commit. */
    ops: OpQueue;
  }
}

export interface StoreOptions {
  dbPath: string;
}

async function storePlugin(app: FastifyInstance, options: StoreOptions): Promise<void> {
  const store = openLabStore({ path: options.dbPath });
  try {
    const seeded = store.ensureSeedLab();
    if (seeded)
      app.log.info({ lab: seeded.name, events: seeded.seq }, 'fresh database: created the seed lab');
  } catch (error) {
    store.close();
    throw error;
  }
  app.decorate('labs', store);
  app.decorate('ops', new OpQueue());
  app.addHook('onClose', async () => {
    store.close();
  });
}

export default fp(storePlugin, { name: 'ioasid-store' });
