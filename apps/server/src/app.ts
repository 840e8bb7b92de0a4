// buildApp: the whole server (API, stream, UI) as a Fastify instance, for main.ts and for tests.
import Fastify, { type FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';
import { prepareWeb } from './plugins/web.ts';
import healthRoutes from './routes/health.ts';

export interface AppOptions {
  /** SQLite file; defaults to LAB_DB or data/ioasid-lab.db. */
  dbPath?: string;
  /** Serve the Next.js UI too (needs `npm run build` first). */
  web?: boolean;
  logger?: boolean;
}

export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 1024 * 1024,
    genReqId: () => crypto.randomUUID(),
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ApiError) return reply.status(error.status).send(error.body());
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error(error);
    const code = status === 413 ? 'E2BIG' : status === 429 ? 'EBUSY' : status >= 500 ? 'EIO' : 'EINVAL';
    return reply.status(status).send({ error: { code, message: error.message } });
  });

  await app.register(healthRoutes, { prefix: '/api/v1' });

  const web = options.web ? await prepareWeb() : null;
  if (web) app.addHook('onClose', web.close);

  app.setNotFoundHandler(async (request, reply) => {
    if (web && request.method === 'GET' && !request.url.startsWith('/api/')) {
      reply.hijack();
      await web.handle(request.raw, reply.raw);
      return;
    }
    throw new ApiError('ENOENT', `no route ${request.method} ${request.url.split('?')[0]}`, { status: 404 });
  });

  return app;
}
