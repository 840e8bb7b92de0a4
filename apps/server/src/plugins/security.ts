// Security defaults: helmet headers (a CSP the Next UI and /docs can live with), per-client rate
// limit. CORS stays off: no Access-Control-* headers are ever sent, so other origins cannot read replies.
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RateLimitSettings } from '../config.ts';
import { ApiError } from '../errors.ts';

export interface SecurityOptions {
  rateLimit: RateLimitSettings | false;
}

async function securityPlugin(app: FastifyInstance, options: SecurityOptions): Promise<void> {
  await app.register(helmet, {
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
    hsts: false,
  });

  if (options.rateLimit) {
    const { max, windowMs } = options.rateLimit;
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: windowMs,
      errorResponseBuilder: (_request, context) =>
        new ApiError('EBUSY', `rate limit of ${context.max} requests per ${context.after} exceeded`, {
          status: 429,
        }),
    });
  }
}

export default fp(securityPlugin, { name: 'ioasid-security' });
