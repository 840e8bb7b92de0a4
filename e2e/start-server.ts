// Starts the real server for the end-to-end run and prints its address for global-setup to read.
// Runs under tsx, so the server and core are used from source exactly as in development.
import { buildApp } from '@ioasid-lab/server';

const app = await buildApp({ web: true });
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`LISTENING ${url}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
