// Starts one real server for the run (built UI, fresh SQLite file in a temp dir) and exposes its URL.
// The returned function stops the server after the run.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ioasid-e2e-'));
  const server = spawn(process.execPath, ['--import', 'tsx', 'e2e/start-server.ts'], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, LAB_DB: join(dataDir, 'lab.db'), PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    server.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /LISTENING (http:\/\/\S+)/.exec(buffered);
      if (match?.[1]) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
    setTimeout(() => reject(new Error('server did not start within 60 s')), 60_000).unref();
  });
  process.env.BASE_URL = url;
  return async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  };
}
