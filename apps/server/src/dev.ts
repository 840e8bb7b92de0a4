// `npm run dev`: the API and stream as main.ts serves them, with the UI from Next's development server on the
// same port (pages compile from source on each load, no build); `tsx watch` restarts it on server changes.
import next from 'next';
import { buildApp } from './app.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from './config.ts';
import { webDir } from './plugins/web.ts';

const host = process.env.HOST || DEFAULT_HOST;
const port = Number(process.env.PORT ?? DEFAULT_PORT);

const nextApp = next({ dir: webDir(), dev: true, hostname: host, port });
await nextApp.prepare();
const handle = nextApp.getRequestHandler();

const app = await buildApp({ web: false, logger: false, host, token: process.env.LAB_TOKEN || undefined });

/** What the server itself answers; everything else is a page, an asset or a dev-server request of Next. */
const ownPath = (url: string) => /^\/(api|docs)([/?]|$)/.test(url);

// After the server's own hooks (host and origin checks, auth), so the dev UI is guarded like the built one.
// The server's own CSP is set on Fastify's replies only (onSend); pages get theirs from the UI's proxy.ts,
// which in development also allows the bundle's eval.
app.addHook('onRequest', async (request, reply) => {
  if ((request.method !== 'GET' && request.method !== 'HEAD') || ownPath(request.url)) return;
  reply.hijack();
  await handle(request.raw, reply.raw);
});

const stop = async () => {
  await app.close();
  await nextApp.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

await app.listen({ host, port });
process.stdout.write(`DEV http://${host}:${(app.server.address() as { port: number }).port}\n`);
