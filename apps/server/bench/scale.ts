// Team-scale benchmarks on loopback, bounded in count and time, each against a baseline of the same run:
//   1. a durable op through the PostgreSQL store against a raw prepared INSERT through `pg`;
//   2. durable HTTP maps on two replicas of one PostgreSQL database against one replica;
//   3. cross-lab isolation: the latency of reads of lab X while lab Y (100,000 events) is forked, against
//      the same reads with nothing else running, on SQLite and on PostgreSQL.
// Prints medians and the spread of the rounds. BENCH_SCALE_ONLY=durable,replicas,isolation picks parts.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@ioasid-lab/core';
import { PgLabStore } from '@ioasid-lab/db/pg';
import { startCluster } from '@ioasid-lab/db/pg-cluster';
import pg from 'pg';

const ONLY = new Set((process.env.BENCH_SCALE_ONLY ?? 'durable,replicas,isolation').split(','));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURABLE_OPS = Number(process.env.BENCH_DURABLE_OPS ?? 300);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const FORK_EVENTS = Number(process.env.BENCH_FORK_EVENTS ?? 100_000);
/** The read lab and the forked lab (x and y hash to different store shards on PostgreSQL; a and e to one). */
const [X, Y] = (process.env.BENCH_ISOLATION_LABS ?? 'x,y').split(',') as [string, string];

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const spread = (values: number[], digits = 2) =>
  `median ${fmt(median(values), digits)} (${values.map((v) => fmt(v, digits)).join(', ')})`;

function startServer(
  dbPath: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(join(import.meta.dirname, 'server.ts'), {
    env: { ...process.env, LAB_DB: dbPath, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /LISTENING (\S+)/.exec(buffered);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

async function stopServer(server: { child: ChildProcess }): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

function send(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${url}/api/v1${path}`,
      {
        method,
        agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function ok(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const reply = await send(url, method, path, body);
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.text.slice(0, 300)}`);
  return JSON.parse(reply.text || 'null');
}

/** A lab with a VM, and its IOAS id. */
async function labWithVm(url: string, name: string): Promise<number> {
  await ok(url, 'POST', '/labs', { name, policy: 'iommufd', template: 'seed' });
  const vm = (await ok(url, 'POST', `/labs/${name}/vms`, {
    name: 'VM1',
    memory: '0x100000',
    devices: ['A'],
  })) as {
    ioas: number;
  };
  return vm.ioas;
}

// 1. Durable op on PostgreSQL against a raw prepared insert.
async function durable(url: string): Promise<void> {
  const store = await PgLabStore.open({ url });
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  try {
    await raw.query(
      'create table if not exists raw_events (lab int, seq int, op text, primary key (lab, seq))',
    );
    await store.createLab({ name: 'durable', policy: 'iommufd', template: 'seed' });
    await store.apply('durable', { op: 'vm.create', name: 'VM1', memory: '0x100000', devices: ['A'] });
    let page = 0x100000;
    let rawSeq = 0;
    const storeUs: number[] = [];
    const rawUs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let started = performance.now();
      for (let i = 0; i < DURABLE_OPS; i++) {
        await store.apply('durable', {
          op: 'ioas.map',
          ioas: 1,
          iova: toHex(BigInt(page++) * 0x1000n),
          length: '0x1000',
        });
      }
      storeUs.push(((performance.now() - started) * 1000) / DURABLE_OPS);
      started = performance.now();
      for (let i = 0; i < DURABLE_OPS; i++) {
        await raw.query({
          name: 'raw-insert',
          text: 'insert into raw_events (lab, seq, op) values ($1, $2, $3)',
          values: [1, ++rawSeq, '{"op":"ioas.map","ioas":1,"iova":"0x100000000","length":"0x1000"}'],
        });
      }
      rawUs.push(((performance.now() - started) * 1000) / DURABLE_OPS);
    }
    console.log(`pg durable op (lock, catch-up, core, insert, notify, commit): ${spread(storeUs, 0)} µs/op`);
    console.log(`pg raw prepared insert (one autocommit row):                 ${spread(rawUs, 0)} µs/op`);
    console.log(
      `  ratio durable/raw: ${spread(
        storeUs.map((s, i) => s / (rawUs[i] as number)),
      )} (${DURABLE_OPS} ops per phase, ${ROUNDS} rounds, fsync on)`,
    );
  } finally {
    await raw.end();
    await store.close();
  }
}

/** Durable maps from `connections` loops spread over `urls` and `labs` for PHASE_MS: requests per second. */
async function mapLoad(
  urls: string[],
  labs: { name: string; ioas: number }[],
  next: () => bigint,
): Promise<number> {
  const until = performance.now() + PHASE_MS;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const url = urls[i % urls.length] as string;
      const lab = labs[i % labs.length] as { name: string; ioas: number };
      while (performance.now() < until) {
        const reply = await send(url, 'POST', `/labs/${lab.name}/ioas/${lab.ioas}/map`, {
          iova: toHex(next()),
          length: 4096,
        });
        if (reply.status !== 200) throw new Error(`map: ${reply.status} ${reply.text}`);
        done++;
      }
    }),
  );
  return (done * 1000) / PHASE_MS;
}

// 2. Two replicas against one.
async function replicas(url: string): Promise<void> {
  const one = await startServer(url);
  const two = await startServer(url);
  try {
    const labs = [];
    for (let i = 0; i < 8; i++) labs.push({ name: `load${i}`, ioas: await labWithVm(one.url, `load${i}`) });
    let page = 0x100000n;
    const next = () => (page++ << 12n) as bigint;
    const single: number[] = [];
    const double: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      single.push(await mapLoad([one.url], labs, next));
      double.push(await mapLoad([one.url, two.url], labs, next));
    }
    console.log(`pg one replica,  ${CONCURRENCY} connections, 8 labs: ${spread(single, 0)} maps/s`);
    console.log(`pg two replicas, ${CONCURRENCY} connections, 8 labs: ${spread(double, 0)} maps/s`);
    console.log(
      `  ratio two/one: ${spread(double.map((d, i) => d / (single[i] as number)))} (${PHASE_MS} ms phases)`,
    );
  } finally {
    await stopServer(one);
    await stopServer(two);
  }
}

/** Sequential reads of lab X's state until `done` resolves: each read's latency in ms. */
async function readLoop(url: string, lab: string, done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const latencies: number[] = [];
  while (!finished) {
    const started = performance.now();
    const reply = await send(url, 'GET', `/labs/${lab}/state`);
    if (reply.status !== 200) throw new Error(`read: ${reply.status}`);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

// 3. Isolation: reads of lab X while lab Y forks FORK_EVENTS events, against reads alone.
async function isolation(engine: string, dbPath: string): Promise<void> {
  const server = await startServer(dbPath);
  try {
    const { url } = server;
    await ok(url, 'POST', '/labs', { name: X, policy: 'shared', template: 'seed-story' });
    const ioas = await labWithVm(url, Y);
    for (let done = 0; done < FORK_EVENTS; done += 10_000) {
      const ops = Array.from({ length: Math.min(10_000, FORK_EVENTS - done) }, (_, i) => ({
        op: 'ioas.map',
        ioas,
        iova: toHex(BigInt(0x100000 + done + i) << 12n),
        length: '0x1000',
      }));
      await ok(url, 'POST', `/labs/${Y}/batch`, { ops });
    }
    const quiet: number[] = [];
    const busy: number[] = [];
    const forkMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const sleep = new Promise((resolve) => setTimeout(resolve, 1000));
      quiet.push(...(await readLoop(url, X, sleep)));
      const started = performance.now();
      const forked = ok(url, 'POST', `/labs/${Y}/fork`, { name: `${Y}${round}` }).then(() => {
        forkMs.push(performance.now() - started);
      });
      busy.push(...(await readLoop(url, X, forked)));
      await forked;
      await ok(url, 'DELETE', `/labs/${Y}${round}`);
    }
    console.log(
      `${engine}: reads of lab X alone:          p50 ${fmt(quantile(quiet, 0.5))} ms, p99 ${fmt(quantile(quiet, 0.99))} ms, max ${fmt(Math.max(...quiet))} ms (${quiet.length} reads)`,
    );
    console.log(
      `${engine}: reads of lab X while Y forks:  p50 ${fmt(quantile(busy, 0.5))} ms, p99 ${fmt(quantile(busy, 0.99))} ms, max ${fmt(Math.max(...busy))} ms (${busy.length} reads); fork of ${FORK_EVENTS + 7} events ${spread(forkMs, 0)} ms`,
    );
  } finally {
    await stopServer(server);
  }
}

const cluster = await startCluster();
const dir = mkdtempSync(join(tmpdir(), 'ioasid-scale-bench-'));
try {
  if (ONLY.has('durable')) await durable(await cluster.createDatabase());
  if (ONLY.has('replicas')) await replicas(await cluster.createDatabase());
  if (ONLY.has('isolation')) {
    await isolation('sqlite', join(dir, 'lab.db'));
    await isolation('postgres', await cluster.createDatabase());
  }
} finally {
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
  agent.destroy();
}
