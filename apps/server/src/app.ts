// buildApp: the whole server (API, stream, UI) as a Fastify instance, for main.ts and for tests.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import clientLabelPlugin from './client-label.ts';
import {
  allowedHostsFromEnv,
  assertSafeBinding,
  BODY_LIMIT,
  connectionLimitsFromEnv,
  corsOriginsFromEnv,
  DEFAULT_RATE_LIMIT,
  defaultLimits,
  type RateLimitSettings,
  rateLimitFromEnv,
  type ServerLimits,
} from './config.ts';
import { ApiError, toApiError } from './errors.ts';
import authPlugin from './plugins/auth.ts';
import corsPlugin from './plugins/cors.ts';
import { clientErrorHandler, gateConnections, openFileLimit } from './plugins/limits.ts';
import openapiPlugin from './plugins/openapi.ts';
import originPlugin from './plugins/origin.ts';
import securityPlugin from './plugins/security.ts';
import storePlugin from './plugins/store.ts';
import streamPlugin from './plugins/stream.ts';
import { prepareWeb } from './plugins/web.ts';
import analysisRoutes from './routes/analysis.ts';
import batchRoutes from './routes/batch.ts';
import deviceRoutes from './routes/devices.ts';
import healthRoutes from './routes/health.ts';
import hwptRoutes from './routes/hwpts.ts';
import importHostRoutes from './routes/import-host.ts';
import ioasRoutes from './routes/ioas.ts';
import iommuRoutes from './routes/iommus.ts';
import labRoutes from './routes/labs.ts';
import revertRoutes from './routes/revert.ts';
import stateRoutes from './routes/state.ts';
import streamRoutes from './routes/stream.ts';
import vmRoutes from './routes/vms.ts';
import type { HubOptions } from './stream/hub.ts';
import { validatorCompiler } from './validation.ts';

export interface AppOptions {
  /** SQLite file; defaults to LAB_DB or data/ioasid-lab.db. */
  dbPath?: string;
  /** Serve the Next.js UI too (needs `npm run build` first). */
  web?: boolean;
  /** Fastify's logger: true for JSON logs with request ids. */
  logger?: boolean;
  /** Bearer token required on every request; defaults to LAB_TOKEN. Pass undefined explicitly for none. */
  token?: string;
  /** The address main.ts will listen on; a non-loopback one without a token is refused here. */
  host?: string;
  /** Per-client limit; defaults to LAB_RATE_LIMIT or DEFAULT_RATE_LIMIT; false turns it off. */
  rateLimit?: RateLimitSettings | false;
  /** Browser origins allowed by CORS; defaults to LAB_CORS_ORIGIN (comma-separated); empty = off. */
  corsOrigins?: string[];
  /** Stream tuning (coalescing window, slow-consumer thresholds); tests shrink them. */
  stream?: Partial<HubOptions>;
  /** Timeouts and connection caps; defaults from defaultLimits() and LAB_MAX_CONNECTIONS. */
  limits?: Partial<ServerLimits>;
  /**
   * Host names served besides loopback ones; defaults to LAB_ALLOWED_HOSTS. Without a token only
   * loopback names and these are served; with a token and none listed, any Host is.
   */
  allowedHosts?: string[];
  /** Tests only: lets them make the store's database connection fail (full disk, read-only file). */
  faultInjection?: boolean;
}

/** Where a request the router refused (bad percent-encoding, overlong parameter) is re-routed. */
const FRAMEWORK_ERROR_PATH = '/api/v1/_refused';
const FRAMEWORK_ERROR = Symbol('frameworkError');
type RefusedRequest = IncomingMessage & { [FRAMEWORK_ERROR]?: ApiError };

/** Fastify's router errors as API errors. */
function frameworkError(error: { code?: string }): ApiError {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new ApiError('EINVAL', 'a path segment is longer than 200 characters', { status: 414 });
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return new ApiError('EINVAL', 'the URL is not valid (bad percent-encoding)');
  }
  return new ApiError('EINVAL', 'the request could not be routed');
}

/** Body charsets other than UTF-8 are refused rather than misread. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * Hooks every request passes: its id on the reply, the 503 once the server is closing (and connection:
 * close on the answers still going out), and the refusal of bodies that are not UTF-8.
 */
function addRequestHooks(app: FastifyInstance): void {
  // Once closing, answers to in-flight requests end their keep-alive connection: otherwise a client's
  // idle socket would hold the shutdown open until its keep-alive timeout. A request that still arrives
  // (on a connection busy at close time) is refused with 503 in the API's error shape.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback-style hooks on the hot path: no promise per request for a header.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      done(new ApiError('EBUSY', 'the server is shutting down', { status: 503 }));
      return;
    }
    done();
  });
  // After every onRequest hook (headers, host, auth), before the body is read.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(
        new ApiError('EINVAL', `request bodies must be UTF-8, not ${charset || 'an empty charset'}`, {
          status: 415,
        }),
      );
      return;
    }
    done(null, payload);
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}

export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const token = 'token' in options ? options.token : process.env.LAB_TOKEN || undefined;
  if (options.host !== undefined) assertSafeBinding(options.host, token);
  const dbPath = options.dbPath ?? process.env.LAB_DB ?? 'data/ioasid-lab.db';
  const rateLimit =
    options.rateLimit ??
    (process.env.LAB_RATE_LIMIT ? rateLimitFromEnv(process.env.LAB_RATE_LIMIT) : DEFAULT_RATE_LIMIT);
  const corsOrigins = options.corsOrigins ?? corsOriginsFromEnv(process.env.LAB_CORS_ORIGIN);
  const configuredHosts = options.allowedHosts ?? allowedHostsFromEnv(process.env.LAB_ALLOWED_HOSTS);
  const allowedHosts = token && configuredHosts.length === 0 ? null : configuredHosts;
  const limits: ServerLimits = {
    ...defaultLimits(openFileLimit(() => readFileSync('/proc/self/limits', 'utf8'))),
    ...connectionLimitsFromEnv(process.env.LAB_MAX_CONNECTIONS),
    ...options.limits,
  };
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);

  const app = Fastify({
    logger: options.logger ? { level: 'info', redact: ['req.headers.authorization'] } : false,
    bodyLimit: BODY_LIMIT,
    genReqId: () => crypto.randomUUID(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
    // Requests that reach a closing server are refused by our own hook below, in the API error shape.
    return503OnClosing: false,
    // Slow or half-sent requests cannot hold a connection forever (Fastify's defaults are no limit).
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout,
      // Node enforces the two timeouts above on this sweep (30 s by default).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))),
    },
    clientErrorHandler,
    // Router refusals go through the routing again, to a route that answers with their error: so they
    // pass the same hooks (request id, security headers, host check, auth, rate limit) as any request.
    frameworkErrors: (error, request, reply) => {
      const raw = request.raw as RefusedRequest;
      raw[FRAMEWORK_ERROR] = frameworkError(error);
      raw.url = FRAMEWORK_ERROR_PATH;
      app.routing(raw, reply.raw);
    },
  });
  gateConnections(app.server, limits);
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API; replies are serialised as they are, so no field the core adds
  // is silently dropped by a stricter serialiser.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  addRequestHooks(app);

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(apiError.status).send(apiError.body());
  });

  try {
    await registerEverything(app, options, { token, dbPath, rateLimit, corsOrigins, allowedHosts });
  } catch (error) {
    // Whatever was opened (the database, Next) is closed again before the failure is reported.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

async function registerEverything(
  app: FastifyInstance,
  options: AppOptions,
  settings: {
    token: string | undefined;
    dbPath: string;
    rateLimit: RateLimitSettings | false;
    corsOrigins: string[];
    allowedHosts: string[] | null;
  },
): Promise<void> {
  const { token, dbPath, rateLimit, corsOrigins, allowedHosts } = settings;

  // The WebSocket plugin goes first: its onRequest hook marks upgrade requests so that a refusal by a
  // later hook (auth, rate limit) still ends the socket instead of leaving it open forever.
  await app.register(streamPlugin, { hub: options.stream });
  await app.register(securityPlugin, { rateLimit });
  // Before CORS and auth: a foreign Host or Origin is refused whatever else the request carries.
  await app.register(originPlugin, { allowedHosts, corsOrigins });
  // Before auth: a browser's preflight carries no token and must still be answered.
  await app.register(corsPlugin, { origins: corsOrigins });
  // Before any route, so the document lists them all (the session route of auth included).
  await app.register(openapiPlugin);
  await app.register(authPlugin, { token });
  await app.register(clientLabelPlugin);
  await app.register(storePlugin, { dbPath, faultInjection: options.faultInjection === true });

  await app.register(
    async (api) => {
      await api.register(healthRoutes);
      await api.register(labRoutes);
      await api.register(importHostRoutes);
      await api.register(iommuRoutes);
      await api.register(deviceRoutes);
      await api.register(vmRoutes);
      await api.register(ioasRoutes);
      await api.register(hwptRoutes);
      await api.register(stateRoutes);
      await api.register(analysisRoutes);
      await api.register(batchRoutes);
      await api.register(revertRoutes);
      await api.register(streamRoutes);
    },
    { prefix: '/api/v1' },
  );

  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: FRAMEWORK_ERROR_PATH,
    schema: { hide: true },
    handler: async (request) => {
      throw (
        (request.raw as RefusedRequest)[FRAMEWORK_ERROR] ??
        new ApiError('ENOENT', `no route ${request.method} ${FRAMEWORK_ERROR_PATH}`, { status: 404 })
      );
    },
  });

  const web = options.web ? await prepareWeb() : null;
  if (web) app.addHook('onClose', web.close);

  // Unknown routes and UI pages count against the same per-client budget as the API (the security
  // plugin's global rate-limit hook sees every request).
  app.setNotFoundHandler(async (request, reply) => {
    if (web && (request.method === 'GET' || request.method === 'HEAD') && !request.url.startsWith('/api/')) {
      // Headers set by hooks (helmet, request id) live on the Fastify reply; Next writes to the raw one.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(name, value);
      }
      reply.hijack();
      await web.handle(request.raw, reply.raw);
      return;
    }
    throw new ApiError('ENOENT', `no route ${request.method} ${request.url.split('?')[0]}`, { status: 404 });
  });
}
