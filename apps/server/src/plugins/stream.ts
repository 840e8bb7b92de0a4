// The WebSocket layer: @fastify/websocket with bounded frames, the per-lab StreamHub, and closing
// every stream before the store goes away on shutdown.
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type HubOptions, StreamHub } from '../stream/hub.ts';
import { STREAM_PROTOCOL } from './auth.ts';

declare module 'fastify' {
  interface FastifyInstance {
    streams: StreamHub;
  }
}

export interface StreamPluginOptions {
  hub?: Partial<HubOptions>;
}

async function streamPlugin(app: FastifyInstance, options: StreamPluginOptions): Promise<void> {
  await app.register(websocket, {
    options: {
      // Clients only ever send small control messages ({"type":"since"}).
      maxPayload: 64 * 1024,
      // Pick our protocol when offered; never echo a `bearer.<token>` entry back.
      handleProtocols: (protocols: Set<string>) => (protocols.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
    },
  });
  const hub = new StreamHub(options.hub);
  app.decorate('streams', hub);
  app.addHook('preClose', async () => {
    hub.closeAll();
  });
}

export default fp(streamPlugin, { name: 'ioasid-stream' });
