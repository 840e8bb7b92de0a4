// buildApp: the whole server (API, stream, UI) as a Fastify instance, for main.ts and for tests.
import Fastify, { type FastifyInstance } from 'fastify';
import {
  assertSafeBinding,
  BODY_LIMIT,
  corsOriginsFromEnv,
  DEFAULT_RATE_LIMIT,
  type RateLimitSettings,
  rateLimitFromEnv,
} from './config.ts';
import { ApiError, toApiError } from './errors.ts';
import authPlugin from './plugins/auth.ts';
import corsPlugin from './plugins/cors.ts';
import openapiPlugin from './plugins/openapi.ts';
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
}

export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const token = 'token' in options ? options.token : process.env.LAB_TOKEN || undefined;
  if (options.host !== undefined) assertSafeBinding(options.host, token);
  const dbPath = options.dbPath ?? process.env.LAB_DB ?? 'data/ioasid-lab.db';
  const rateLimit =
    options.rateLimit ??
    (process.env.LAB_RATE_LIMIT ? rateLimitFromEnv(process.env.LAB_RATE_LIMIT) : DEFAULT_RATE_LIMIT);
  const corsOrigins = options.corsOrigins ?? corsOriginsFromEnv(process.env.LAB_CORS_ORIGIN);

  const app = Fastify({
    logger: options.logger ? { level: 'info', redact: ['req.headers.authorization'] } : false,
    bodyLimit: BODY_LIMIT,
    genReqId: () => crypto.randomUUID(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { maxParamLength: 200 },
    // Requests that reach a closing server are refused by our own hook below, in the API error shape.
    return503OnClosing: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API; replies are serialised as they are, so no field the core adds
  // is silently dropped by a stricter serialiser.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
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
    if (closing) done(new ApiError('EBUSY', 'the server is shutting down', { status: 503 }));
    else done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.status(apiError.status).send(apiError.body());
  });

  try {
    await registerEverything(app, options, { token, dbPath, rateLimit, corsOrigins });
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
  },
): Promise<void> {
  const { token, dbPath, rateLimit, corsOrigins } = settings;

  // The WebSocket plugin goes first: its onRequest hook marks upgrade requests so that a refusal by a
  // later hook (auth, rate limit) still ends the socket instead of leaving it open forever.
  await app.register(streamPlugin, { hub: options.stream });
  await app.register(securityPlugin, { rateLimit });
  // Before auth: a browser's preflight carries no token and must still be answered.
  await app.register(corsPlugin, { origins: corsOrigins });
  // Before any route, so the document lists them all (the session route of auth included).
  await app.register(openapiPlugin);
  await app.register(authPlugin, { token });
  await app.register(storePlugin, { dbPath });

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

  const web = options.web ? await prepareWeb() : null;
  if (web) app.addHook('onClose', web.close);

  // Unknown routes and UI pages count against the same per-client budget as the API.
  const notFoundOptions = rateLimit ? { preHandler: app.rateLimit() } : {};
  app.setNotFoundHandler(notFoundOptions, async (request, reply) => {
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
