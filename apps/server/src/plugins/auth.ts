// Bearer-token check on every request (REST, UI pages and the WebSocket upgrade) when a token is set.
// Browsers cannot set headers on a WebSocket, so the stream also accepts the token as a subprotocol.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STREAM_PROTOCOL } from '../client/stream.ts';
import { ApiError } from '../errors.ts';

/** The stream's subprotocol (shared with the client); a client may offer `bearer.<token>` next to it. */
export { STREAM_PROTOCOL };
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

export interface AuthOptions {
  token?: string;
}

// Hashing both sides first gives equal-length buffers, so the comparison time says nothing about
// the token's length or content.
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function tokenMatches(expected: Buffer, presented: string): boolean {
  return timingSafeEqual(expected, digest(presented));
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1] : '';
  }
  const protocols = request.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const protocol of protocols.split(',')) {
      const trimmed = protocol.trim();
      if (trimmed.startsWith(BEARER_PROTOCOL_PREFIX)) return trimmed.slice(BEARER_PROTOCOL_PREFIX.length);
    }
  }
  return undefined;
}

async function authPlugin(app: FastifyInstance, options: AuthOptions): Promise<void> {
  if (!options.token) return;
  const expected = digest(options.token);
  app.addHook('onRequest', async (request, reply) => {
    const presented = presentedToken(request);
    if (presented === undefined) {
      reply.header('www-authenticate', 'Bearer realm="ioasid-lab"');
      throw new ApiError('EPERM', 'missing bearer token (Authorization: Bearer <LAB_TOKEN>)', {
        status: 401,
      });
    }
    if (!tokenMatches(expected, presented))
      throw new ApiError('EPERM', 'wrong bearer token', { status: 403 });
  });
}

export default fp(authPlugin, { name: 'ioasid-auth' });
