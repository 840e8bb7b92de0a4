// Security defaults: helmet headers (a CSP the Next UI and /docs can live with), per-client rate
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
  const headers = helmetHeaders({
    // Next's app router hydrates through inline scripts and swagger-ui styles inline, so scripts and
    // styles allow 'unsafe-inline' but only from this origin; everything else stays locked to 'self'.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
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
