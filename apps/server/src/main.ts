// Starts the server on HOST:PORT (default 127.0.0.1:4100) with the UI, and stops it cleanly on signals:
// in-flight requests finish, streams close, then the database closes.
import { buildApp } from './app.ts';
import { assertSafeBinding, DEFAULT_HOST, DEFAULT_PORT, UnsafeBindError } from './config.ts';

const host = process.env.HOST || DEFAULT_HOST;
const port = Number(process.env.PORT ?? DEFAULT_PORT);
const token = process.env.LAB_TOKEN || undefined;

try {
  assertSafeBinding(host, token);
} catch (error) {
  if (error instanceof UnsafeBindError) {
    process.stderr.write(`ioasid-lab: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

/** Startup failures end the process with one line naming the cause (the database path included). */
function fatal(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`ioasid-lab: ${message.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(1);
}

let app: Awaited<ReturnType<typeof buildApp>>;
try {
  app = await buildApp({ web: process.env.LAB_NO_WEB !== '1', logger: true, host, token });
} catch (error) {
  fatal(error);
}

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'shutting down');
  // A stuck connection must not keep the process alive forever.
  const force = setTimeout(() => {
    app.log.error('shutdown took over 10 s; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

try {
  await app.listen({ host, port });
} catch (error) {
  await app.close().catch(() => undefined);
  fatal(error);
}
process.stdout.write(
  `LISTENING http://${host.includes(':') ? `[${host}]` : host}:${(app.server.address() as { port: number }).port}\n`,
);
