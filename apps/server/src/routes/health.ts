// GET /api/v1/health: liveness plus the ABI version read from the loaded native core, and the store
// worker's state: 503 in the API error shape while the store cannot serve (restarting or failed).
import { abiVersion } from '@ioasid-lab/core';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { SERVER_VERSION } from '../version.ts';

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async () => {
    const store = app.labs.health();
    if (store.state !== 'ok') {
      const message =
        store.state === 'failed'
          ? 'the lab store has failed; restart the server'
          : 'the lab store is restarting';
      throw new ApiError('EIO', message, { status: 503 });
    }
    return { status: 'ok', version: SERVER_VERSION, core: { abi: abiVersion() }, store };
  });
}
