// The real entry point (main.ts) as a child process on an ephemeral port, API only, for tests that
// need signals: SIGTERM for clean shutdown, SIGKILL for crash recovery.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface MainProcess {
  child: ChildProcess;
  base: string;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
}

/** Children still running: a test that fails half-way must not leave a server behind. */
const running = new Set<ChildProcess>();

/** SIGKILLs every child this module started that has not exited; call it in a test's `finally`. */
export function killLeftovers(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * main.ts as a child process on `dbPath`: loopback, an ephemeral port, the API only, no token and no rate
 * limit, with `env` on top. Tracked for killLeftovers.
 */
export function spawnMain(dbPath: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'main.ts')], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LAB_DB: dbPath,
      LAB_NO_WEB: '1',
      LAB_TOKEN: '',
      LAB_RATE_LIMIT: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export function startMain(dbPath: string, env: Record<string, string> = {}): Promise<MainProcess> {
  const child = spawnMain(dbPath, env);
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /LISTENING (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve({ child, base: match[1], logs: () => output });
    });
    child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}: ${output}`)));
  });
}

/**
 * Runs main.ts for a start it must refuse, and resolves with its exit code and all it wrote once it exits.
 * Should it start serving after all, it is killed (and the code is then null).
 */
export function runMainToExit(
  dbPath: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawnMain(dbPath, env);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('LISTENING')) child.kill('SIGKILL');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}
