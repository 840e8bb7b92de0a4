// Starts the server on HOST:PORT (default 127.0.0.1:4100) with the UI, and stops it cleanly on signals:
// in-flight requests finish, streams close, then every store worker closes its database and answers
// before the process exits. Each step is bounded (config.ts): requests that are still running after
// SHUTDOWN_DRAIN_MS no longer hold up the store's close, and a store worker that does not close within
// STORE_CLOSE_TIMEOUT_MS is terminated and logged.
import { buildApp } from './app.ts';
import {
  assertSafeBinding,
  DEFAULT_HOST,
  DEFAULT_PORT,
  SHUTDOWN_DRAIN_MS,
  STORE_CLOSE_TIMEOUT_MS,
  UnsafeBindError,
} from './config.ts';

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

/**
 * A stuck connection must not keep the process alive forever: past the drain bound the store is closed
 * anyway (its own bound applies), then the process exits; and if even that hangs, it exits regardless.
 */
function forceAfterDrain(): void {
  const drained = setTimeout(() => {
    app.log.error({ ms: SHUTDOWN_DRAIN_MS }, 'requests still running at shutdown; closing the store anyway');
    const last = setTimeout(
      () => {
        app.log.error('the lab store did not close; exiting');
        process.exit(1);
      },
      STORE_CLOSE_TIMEOUT_MS * 2 + 2_000,
    );
    last.unref();
    void app.labs.close().finally(() => process.exit(1));
  }, SHUTDOWN_DRAIN_MS);
  drained.unref();
}

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'shutting down');
  forceAfterDrain();
  // Requests in flight finish, streams close, then the store (plugins/store.ts): every worker's
  // database closed, or the worker terminated and logged, before the exit.
  await app.close();
  app.log.info('shut down');
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
