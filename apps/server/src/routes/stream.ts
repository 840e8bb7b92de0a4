// GET /labs/:lab/stream: the lab's live WebSocket (hello, events, resync); a plain GET gets an error.
// Auth and the lab's existence are checked by hooks before the upgrade, so refusals are plain HTTP.
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, LabParams } from '@ioasid-lab/api/schemas';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.ts';

export default async function streamRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.route({
    method: 'GET',
    url: '/labs/:lab/stream',
    schema: {
      tags: ['stream'],
      summary: 'WebSocket: hello {seq, state}, then events batches (≤ every 50 ms), resync when behind',
      description:
        'Send {"type":"since","seq":N} to resume after a reconnect. With LAB_TOKEN set, authenticate with ' +
        'Authorization: Bearer, or offer the subprotocols "ioasid-lab.v1" and "bearer.<token>".',
      params: LabParams,
      response: { 101: Type.Null({ description: 'Switching protocols' }), ...errorResponses },
    },
    preHandler: async (request) => {
      // Throws ENOENT (404) before the upgrade for an unknown lab.
      await app.labs.getLab(request.params.lab).summary();
    },
    handler: async () => {
      throw new ApiError('EINVAL', 'this endpoint is a WebSocket: send an Upgrade request');
    },
    wsHandler: (socket, request) => {
      const lab = app.labs.getLab(request.params.lab);
      const connection = app.streams.attach(lab, socket);
      socket.on('message', (data, isBinary) => {
        connection.onMessage(isBinary ? '' : data.toString());
      });
      socket.on('close', () => connection.onClose());
      socket.on('error', (error) => request.log.warn({ err: error }, 'stream socket error'));
    },
  });
}
