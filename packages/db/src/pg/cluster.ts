// Test and benchmark support: a throwaway PostgreSQL cluster (Debian's `postgresql` package) in a temp
// dir on a free loopback port, run as a non-root user, stopped and removed by stop() or at process exit.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INSTALL_HINT =
  'PostgreSQL is not installed: the PostgreSQL suites need its server binaries (initdb, pg_ctl) under ' +
  '/usr/lib/postgresql/<version>/bin; install them with `apt-get install -y postgresql` (.ci/run does)';

export interface PgCluster {
  /** postgres://… of the cluster's `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** Creates a fresh database and answers its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): void;
}

/** The newest installed server's bin folder, or null. PG_BIN overrides. */
export function postgresBin(): string | null {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: as root, commands run as the `postgres` user the package made. */
function runner(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error(`running as root and there is no postgres user. ${INSTALL_HINT}`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

let counter = 0;

export async function startCluster(options: { fsync?: boolean } = {}): Promise<PgCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error(INSTALL_HINT);
  const user = runner();
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-pg-'));
  chmodSync(dir, 0o700);
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid ?? user.uid);
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  const exec = (file: string, args: string[]) =>
    execFileSync(join(bin, file), args, { ...user, cwd: dir, stdio: 'pipe', timeout: 120_000 });
  let port = 0;
  const stop = () => {
    try {
      if (existsSync(join(data, 'postmaster.pid')))
        exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already down
    }
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', stop);
  };
  try {
    exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      const settings = [
        `-p ${port}`,
        `-k ${dir}`,
        '-c listen_addresses=127.0.0.1',
        '-c max_connections=200',
        '-c shared_buffers=32MB',
        `-c fsync=${options.fsync === false ? 'off' : 'on'}`,
      ].join(' ');
      try {
        exec('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-w', '-t', '60', 'start']);
        break;
      } catch (error) {
        // Another process took the port between our probe and the start: try another one.
        if (attempt >= 5) {
          const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
          throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${tail}`);
        }
      }
    }
  } catch (error) {
    stop();
    throw error;
  }
  process.on('exit', stop);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name = `lab_${process.pid}_${++counter}`) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`create database "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
