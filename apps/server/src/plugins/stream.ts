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
    // The close frames are given up to 2 s to get through before the process may exit (a process that
    // exits first leaves clients with 1006); whoever has not answered by then is dropped.
    preClose(this: FastifyInstance, done: () => void) {
      hub.closeAll();
      const clients = [...(this.websocketServer?.clients ?? [])];
      for (const client of clients) client.close(1001, 'server stopping');
      this.websocketServer?.close();
      const open = clients.filter((client) => client.readyState !== client.CLOSED);
      if (open.length === 0) {
        done();
        return;
      }
      let left = open.length;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        for (const client of open) if (client.readyState !== client.CLOSED) client.terminate();
        done();
      };
      const timer = setTimeout(finish, 2000);
      for (const client of open) {
        client.once('close', () => {
          left -= 1;
          if (left === 0) finish();
        });
      }
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
