// GET /api/v1/health: liveness plus the ABI version read from the loaded native core, and the store
// worker's state: 503 in the API error shape while the store cannot serve (restarting or failed).
import { abiVersion } from '@ioasid-lab/core';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';
import { SERVER_VERSION } from '../version.ts';

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async (_request, reply) => {
    const store = app.labs.health();
    if (store.state !== 'ok') {
      const message =
        store.state === 'failed'
          ? 'the lab store has failed; restart the server'
          : store.state === 'fault'
            ? `the lab store cannot use its database (${store.fault?.code}); writes resume once it can`
            : 'the lab store is restarting';
      // The error shape, plus the store's state (docs/api.md: /health reports store.state other than ok).
      return reply.status(503).send({ ...new ApiError('EIO', message, { status: 503 }).body(), store });
    }
    return { status: 'ok', version: SERVER_VERSION, core: { abi: abiVersion() }, store };
  });
}
