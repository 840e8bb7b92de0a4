// Bearer-token check on every request (REST, UI pages and the WebSocket upgrade) when a token is set.
// Browsers cannot set headers, so the token may also come as a stream subprotocol or a session cookie.
import { createHash, timingSafeEqual } from 'node:crypto';
import { STREAM_PROTOCOL } from '@ioasid-lab/api/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
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

/** The session cookie a browser gets from POST /api/v1/session: HttpOnly, SameSite=Strict. */
export const SESSION_COOKIE = 'ioasid_lab_token';
const SESSION_PATH = '/api/v1/session';

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== SESSION_COOKIE) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return '';
    }
  }
  return undefined;
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
  return cookieToken(request.headers.cookie);
}

/** A browser opening a page (not a script calling the API). */
function isPageNavigation(request: FastifyRequest): boolean {
  return (
    request.method === 'GET' &&
    !request.url.startsWith('/api/') &&
    (request.headers.accept ?? '').includes('text/html')
  );
}

function loginPage(message: string): string {
  // No script and no external resource: it renders under the strict CSP and leaks nothing.
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ioasid-lab: sign in</title>
<meta name="viewport" content="width=device-width"></head>
<body style="font:14px system-ui;margin:4rem auto;max-width:24rem">
<h1 style="font-size:1.2rem">ioasid-lab</h1><p>${message}</p>
<form method="post" action="${SESSION_PATH}"><label>LAB_TOKEN <input name="token" type="password" autofocus required></label>
<button type="submit">Sign in</button></form></body></html>`;
}

async function authPlugin(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const token = options.token;
  const expected = token ? digest(token) : null;

  // POST /api/v1/session {token} (JSON or a form) -> session cookie, so the UI works behind a token.
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.post(
      SESSION_PATH,
      {
        schema: {
          tags: ['server'],
          summary: 'Trade LAB_TOKEN for an HttpOnly session cookie (for browsers; scripts use the header)',
          body: {
            type: 'object',
            required: ['token'],
            properties: { token: { type: 'string', minLength: 1, maxLength: 1024 } },
          },
        },
      },
      async (request, reply) => {
        const form = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded');
        const presented = (request.body as { token: string }).token;
        if (!token || !expected) return reply.status(204).send();
        if (!tokenMatches(expected, presented)) {
          if (form) return reply.status(403).type('text/html').send(loginPage('Wrong token.'));
          throw new ApiError('EPERM', 'wrong token', { status: 403 });
        }
        const secure = request.protocol === 'https' ? '; Secure' : '';
        reply.header(
          'set-cookie',
          `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=604800${secure}`,
        );
        return form ? reply.redirect('/', 303) : reply.status(204).send();
      },
    );
  });

  if (!expected) return;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && request.url === SESSION_PATH) return;
    const presented = presentedToken(request);
    if (presented === undefined) {
      if (isPageNavigation(request)) {
        return reply.status(401).type('text/html').send(loginPage('This lab needs its token.'));
      }
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
