// The benchmark's server: the real app (core, SQLite file with FULL sync, stream) in its own process,
// so the load generator does not share its event loop. Prints "LISTENING <url>".
import { buildApp } from '../src/app.ts';

const app = await buildApp({
  dbPath: process.env.LAB_DB,
  token: undefined,
  // The benchmark measures the server, not the limiter; both routes compared pass the same hooks otherwise.
  rateLimit: false,
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`LISTENING ${url}\n`);
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ stats: app.ops.stats(), cpu: process.cpuUsage() });
});
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
