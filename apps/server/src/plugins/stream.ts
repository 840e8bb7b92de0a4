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
  const hub = new StreamHub(options.hub);
  await app.register(websocket, {
    // On shutdown every stream ends with 1001 (going away), so clients know to reconnect later; the
    // plugin's default would close them without a code (1005) before our own hook ran.
    preClose(this: FastifyInstance, done: () => void) {
      hub.closeAll();
      for (const client of this.websocketServer?.clients ?? []) client.close(1001, 'server stopping');
      this.websocketServer?.close();
      done();
    },
    options: {
      // Clients only ever send small control messages ({"type":"since"}).
      maxPayload: 64 * 1024,
      // Pick our protocol when offered; never echo a `bearer.<token>` entry back.
      handleProtocols: (protocols: Set<string>) => (protocols.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
    },
  });
  app.decorate('streams', hub);
}

export default fp(streamPlugin, { name: 'ioasid-stream' });
