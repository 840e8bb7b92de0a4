// GET /api/v1/health: liveness plus the ABI version read from the loaded native core.
import { abiVersion } from '@ioasid-lab/core';
import type { FastifyInstance } from 'fastify';
import { SERVER_VERSION } from '../version.ts';

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async () => ({ status: 'ok', version: SERVER_VERSION, core: { abi: abiVersion() } }));
}
