// Starts the server on HOST:PORT (default 127.0.0.1:4100) with the UI, and stops it cleanly on signals.
import { buildApp } from './app.ts';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 4100);

const app = await buildApp({ web: process.env.LAB_NO_WEB !== '1', logger: true });
const shutdown = async (signal: string) => {
  app.log.info({ signal }, 'shutting down');
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
await app.listen({ host, port });
