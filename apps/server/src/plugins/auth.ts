// Bearer-token check on every request (REST, UI pages and the WebSocket upgrade) when a token is set.
// Browsers cannot set headers, so the token may also come as a stream subprotocol, or a browser trades
// it once for a session cookie: an opaque random id (never the token), expiring, revocable.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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
export const SESSION_COOKIE = 'ioasid_lab_session';
const SESSION_PATH = '/api/v1/session';
/** How long a session lasts; the server forgets every session when it restarts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at most; past it the oldest is dropped. */
const MAX_SESSIONS = 1000;

/** Sessions by the SHA-256 of their id (so a lookup says nothing about stored ids), with expiry. */
class Sessions {
  readonly #byDigest = new Map<string, number>();

  create(): string {
    const id = randomBytes(32).toString('base64url');
    this.#byDigest.set(digest(id).toString('hex'), Date.now() + SESSION_TTL_MS);
    while (this.#byDigest.size > MAX_SESSIONS) {
      const oldest = this.#byDigest.keys().next().value;
      if (oldest === undefined) break;
      this.#byDigest.delete(oldest);
    }
    return id;
  }

  valid(id: string): boolean {
    const key = digest(id).toString('hex');
    const expires = this.#byDigest.get(key);
    if (expires === undefined) return false;
    if (expires <= Date.now()) {
      this.#byDigest.delete(key);
      return false;
    }
    return true;
  }

  revoke(id: string): void {
    this.#byDigest.delete(digest(id).toString('hex'));
  }
}

function cookieValue(header: string | undefined): string | undefined {
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

/** What the request presents: a token (header or subprotocol), a session id (cookie), or nothing. */
function presented(request: FastifyRequest): { token: string } | { session: string } | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return { token: match?.[1] ?? '' };
  }
  const protocols = request.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string') {
    for (const protocol of protocols.split(',')) {
      const trimmed = protocol.trim();
      if (trimmed.startsWith(BEARER_PROTOCOL_PREFIX))
        return { token: trimmed.slice(BEARER_PROTOCOL_PREFIX.length) };
    }
  }
  const session = cookieValue(request.headers.cookie);
  return session === undefined ? undefined : { session };
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
  const sessions = new Sessions();

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
          `${SESSION_COOKIE}=${sessions.create()}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}${secure}`,
        );
        return form ? reply.redirect('/', 303) : reply.status(204).send();
      },
    );
    // Signing out revokes the session on the server, not just the browser's copy of the cookie.
    scope.delete(
      SESSION_PATH,
      { schema: { tags: ['server'], summary: 'End the browser session of the cookie sent (sign out)' } },
      async (request, reply) => {
        const session = cookieValue(request.headers.cookie);
        if (session) sessions.revoke(session);
        reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
        return reply.status(204).send();
      },
    );
  });

  if (!expected) return;
  app.addHook('onRequest', async (request, reply) => {
    if ((request.method === 'POST' || request.method === 'DELETE') && request.url === SESSION_PATH) return;
    const credential = presented(request);
    if (credential === undefined) {
      if (isPageNavigation(request)) {
        return reply.status(401).type('text/html').send(loginPage('This lab needs its token.'));
      }
      reply.header('www-authenticate', 'Bearer realm="ioasid-lab"');
      throw new ApiError('EPERM', 'missing bearer token (Authorization: Bearer <LAB_TOKEN>)', {
        status: 401,
      });
    }
    if ('session' in credential) {
      if (!sessions.valid(credential.session)) {
        if (isPageNavigation(request)) {
          return reply.status(401).type('text/html').send(loginPage('Your session has ended.'));
        }
        throw new ApiError('EPERM', 'the session has expired or was revoked; sign in again', { status: 403 });
      }
      return;
    }
    if (!tokenMatches(expected, credential.token))
      throw new ApiError('EPERM', 'wrong bearer token', { status: 403 });
  });
}

export default fp(authPlugin, { name: 'ioasid-auth' });
