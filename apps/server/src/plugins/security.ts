// Security defaults: helmet headers, a strict CSP on what the server itself sends, per-client rate
// limit. CORS stays off: no Access-Control-* headers are ever sent, so other origins cannot read replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import { isLoopbackHost, type RateLimitSettings } from '../config.ts';
import { ApiError } from '../errors.ts';

export interface SecurityOptions {
  rateLimit: RateLimitSettings | false;
}

async function securityPlugin(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  // The headers do not depend on the request: compute them once. (@fastify/helmet re-parses the whole
  // configuration on every request, a tenth of the cost of a small API call.)
  const { 'content-security-policy': policy, ...headers } = helmetHeaders({
    // API replies, /docs (swagger-ui: script files only, inline styles) and the login page run no inline
    // script. Styles keep 'unsafe-inline': swagger-ui and the login page style elements inline.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    // The lab is served over plain HTTP on loopback; HSTS there would only break other local ports.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  // The CSP goes on at onSend, which runs for every reply Fastify sends (errors, 401 login page and 429
  // included) but not for the UI's pages: those are handed to Next (reply.hijack in app.ts), whose proxy
  // (apps/web/proxy.ts) sets a policy with a per-request nonce. So a page carries exactly one CSP.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (policy) reply.header('content-security-policy', policy);
    done(null, payload);
  });

  if (options.rateLimit) {
    const { max, windowMs } = options.rateLimit;
    await app.register(rateLimit, {
      global: false,
      max,
      timeWindow: windowMs,
      // Per client address; on loopback every local program shares 127.0.0.1, so there each connection
      // is its own client (a runaway script must not lock the browser out; the connection cap bounds them).
      keyGenerator: (request) =>
        isLoopbackHost(request.ip) ? `${request.ip}:${request.socket.remotePort ?? ''}` : request.ip,
      errorResponseBuilder: (_request, context) =>
        new ApiError('EBUSY', `rate limit of ${context.max} requests per ${context.after} exceeded`, {
          status: 429,
        }),
    });
    // One global hook, registered before auth: every request counts, unauthenticated ones, unknown
    // routes and router refusals included (token guessing is rate-limited too).
    app.addHook('onRequest', app.rateLimit());
  }
}

/** Runs helmet once against a recording response and returns the headers it set. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

export default fp(securityPlugin, { name: 'ioasid-security' });
