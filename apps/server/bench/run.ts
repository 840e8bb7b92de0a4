// Benchmarks of the API on loopback, bounded in time and count: durable single-op requests against a
// trivial route of the same server in the same run, and WebSocket fan-out of one lab to 50 clients.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@ioasid-lab/core';
import { WebSocket } from 'ws';

const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 2000);
/** Trivial and durable phases alternate this many times, so load from other processes hits both alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const FANOUT_CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 50);
const FANOUT_EVENTS = Number(process.env.BENCH_FANOUT_EVENTS ?? 40_000);
const FANOUT_BATCH = 250;

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function startServer(dbPath: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(join(import.meta.dirname, 'server.ts'), {
    env: { ...process.env, LAB_DB: dbPath },
    // BENCH_PROFILE=<dir> writes a CPU profile of the server process there.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
    ],
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
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function must(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const { status, text } = await send(url, method, path, body);
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Runs `worker` on CONCURRENCY connections for PHASE_MS; each call is one request. */
type Stats = { commits: number; ops: number; applyMs: number };
let server: ChildProcess | null = null;

/** The server process's counters and CPU time (user + system, microseconds). */
function serverStats(): Promise<{ stats: Stats; cpuUs: number }> {
  return new Promise((resolve) => {
    server?.once('message', (message) => {
      const { stats, cpu } = message as { stats: Stats; cpu: { user: number; system: number } };
      resolve({ stats, cpuUs: cpu.user + cpu.system });
    });
    server?.send('stats');
  });
}

async function load(
  name: string,
  worker: (id: number, iteration: number) => Promise<void>,
): Promise<{
  name: string;
  rps: number;
  p50: number;
  p99: number;
  count: number;
  serverUsPerRequest: number;
}> {
  const before = await serverStats();
  const latencies: number[] = [];
  const deadline = performance.now() + PHASE_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, id) => {
      for (let i = 0; performance.now() < deadline; i += 1) {
        const t0 = performance.now();
        await worker(id, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = PHASE_MS / 1000;
  latencies.sort((a, b) => a - b);
  const after = await serverStats();
  return {
    serverUsPerRequest: (after.cpuUs - before.cpuUs) / latencies.length,
    name,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    count: latencies.length,
  };
}

async function singleOps(url: string): Promise<void> {
  await must(url, 'POST', '/labs', { name: 'bench', policy: 'iommufd' });
  await must(url, 'POST', '/labs/bench/iommus', {
    name: 'u0',
    vendor: 'intel-vtd',
    enforceCacheCoherency: true,
  });
  await must(url, 'POST', '/labs/bench/devices', { name: 'd0', iommu: 'u0', noSnoop: true });
  const vm = (await must(url, 'POST', '/labs/bench/vms', {
    name: 'vm',
    memory: '0x100000',
    devices: ['d0'],
  })) as {
    ioas: number;
  };
  const base = 0x100000000;
  const warm = async (id: number, i: number) => {
    const iova = toHex(base + (id * 1_000_000 + i) * 0x1000);
    await must(url, 'POST', `/labs/bench/ioas/${vm.ioas}/map`, { iova, length: '0x1000' });
    await must(url, 'POST', `/labs/bench/ioas/${vm.ioas}/unmap`, { iova, length: '0x1000' });
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => warm(id, 0)));

  const trivialRequest = async () => {
    const { status } = await send(url, 'GET', '/health');
    if (status !== 200) throw new Error(`health ${status}`);
  };
  // Each iteration is one request: even iterations map a 4 KiB page, odd ones unmap it again.
  let round = 0;
  const durableRequest = async (id: number, i: number) => {
    const page = round * 100_000 + Math.floor(i / 2);
    const iova = toHex(base + (id * 1_000_000 + page) * 0x1000);
    const path = `/labs/bench/ioas/${vm.ioas}/${i % 2 === 0 ? 'map' : 'unmap'}`;
    const { status, text } = await send(url, 'POST', path, { iova, length: '0x1000' });
    if (status !== 200) throw new Error(`${path} ${status} ${text}`);
  };
  // Warm both paths (JIT, SQLite page cache) before anything is measured.
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, id) => {
      for (let i = 0; i < 100; i += 1) await trivialRequest();
      for (let i = 0; i < 100; i += 1) await durableRequest(id, i + 1_000_000);
    }),
  );

  let trivialTotal = 0;
  let durableTotal = 0;
  for (round = 1; round <= ROUNDS; round += 1) {
    const trivial = await load(`GET /health (trivial) #${round}`, trivialRequest);
    const durable = await load(`POST map|unmap 4 KiB (durable) #${round}`, durableRequest);
    for (const phase of [trivial, durable]) {
      console.log(
        `${phase.name.padEnd(36)} ${phase.rps.toFixed(0).padStart(7)} req/s  p50 ${phase.p50.toFixed(2)} ms  p99 ${phase.p99.toFixed(2)} ms  server CPU ${phase.serverUsPerRequest.toFixed(0)} us/req  (${phase.count} requests, ${CONCURRENCY} connections)`,
      );
    }
    trivialTotal += trivial.count;
    durableTotal += durable.count;
  }
  const ratio = durableTotal / trivialTotal;
  console.log(
    `durable / trivial ratio over ${ROUNDS} rounds: ${ratio.toFixed(2)} (target >= 0.40) ${ratio >= 0.4 ? 'PASS' : 'FAIL'}`,
  );
}

const EVENTS_PREFIX = Buffer.from('{"type":"events"');
const RESYNC_PREFIX = Buffer.from('{"type":"resync"');

/** Reads the digits after `at` in a buffer. */
function numberAt(data: Buffer, at: number): number {
  let value = 0;
  for (let i = at; i < data.length; i += 1) {
    const c = data[i] as number;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return value;
}

/**
 * First and last event seq of an `events` message, read from the raw bytes: 50 clients decoding
 * every message in full would measure this process's JSON parser, not the server.
 */
function seqRange(data: Buffer): { first: number; last: number } | null {
  if (!data.subarray(0, EVENTS_PREFIX.length).equals(EVENTS_PREFIX)) return null;
  const first = data.indexOf('{"seq":');
  const last = data.lastIndexOf('{"seq":');
  if (first < 0 || last < 0) return null;
  return { first: numberAt(data, first + 7), last: numberAt(data, last + 7) };
}

/**
 * Pushes, for every event of the message, its age on arrival: arrival wall time minus the event's
 * commit time (`at`, ISO 8601, from the server's clock, which is this machine's clock).
 */
function pushEventAges(data: Buffer, arrivedAt: number, into: number[]): void {
  const committedAt = new Map<number, number>();
  for (let at = data.indexOf('"at":"'); at >= 0; at = data.indexOf('"at":"', at + 30)) {
    // Events of one commit share their `at`: parse each distinct timestamp once.
    const key = data.readUIntBE(at + 23, 6);
    let time = committedAt.get(key);
    if (time === undefined) {
      time = Date.parse(data.toString('latin1', at + 6, at + 30));
      committedAt.set(key, time);
    }
    into.push(arrivedAt - time);
  }
}

async function fanout(url: string): Promise<void> {
  await must(url, 'POST', '/labs', { name: 'fan', policy: 'iommufd' });
  await must(url, 'POST', '/labs/fan/iommus', {
    name: 'u0',
    vendor: 'intel-vtd',
    enforceCacheCoherency: true,
  });
  await must(url, 'POST', '/labs/fan/devices', { name: 'd0', iommu: 'u0' });
  const vm = (await must(url, 'POST', '/labs/fan/vms', {
    name: 'vm',
    memory: '0x100000',
    devices: ['d0'],
  })) as {
    ioas: number;
  };
  const startSeq = ((await must(url, 'GET', '/labs/fan')) as { events: number }).events;
  const target = startSeq + FANOUT_EVENTS;

  const sentAt = new Map<number, number>();
  const arrivals: { seq: number; at: number }[][] = [];
  // Per event, on every tenth client: commit to arrival (wall clock, ms resolution).
  const commitLatencies: number[] = [];
  let gaps = 0;
  let resyncs = 0;
  const clients = await Promise.all(
    Array.from({ length: FANOUT_CLIENTS }, (_, index) => {
      // The server is trusted here; validating UTF-8 of every frame would measure this client, not it.
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/labs/fan/stream`, {
        skipUTF8Validation: true,
      });
      const mine: { seq: number; at: number }[] = [];
      arrivals[index] = mine;
      let last = startSeq;
      let done: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      socket.on('message', (data: Buffer) => {
        const at = performance.now();
        const wall = Date.now();
        if (data.subarray(0, RESYNC_PREFIX.length).equals(RESYNC_PREFIX)) {
          resyncs += 1;
          last = JSON.parse(data.toString()).seq;
          return;
        }
        const range = seqRange(data);
        if (!range) return;
        if (range.first !== last + 1) gaps += 1;
        last = range.last;
        mine.push({ seq: range.last, at });
        if (index % 10 === 0) pushEventAges(data, wall, commitLatencies);
        if (last >= target) done();
      });
      return new Promise<{ socket: WebSocket; finished: Promise<void> }>((resolve) =>
        socket.once('message', () => resolve({ socket, finished })),
      );
    }),
  );

  const began = performance.now();
  let next = 0x100000000;
  let inFlight: Promise<unknown>[] = [];
  for (let made = 0; made < FANOUT_EVENTS; made += FANOUT_BATCH) {
    const ops = Array.from({ length: FANOUT_BATCH }, () => {
      next += 0x1000;
      return { op: 'ioas.map', ioas: vm.ioas, iova: toHex(next), length: '0x1000' };
    });
    const t0 = performance.now();
    // The lab applies batches in the order sent, so batch k holds seqs startSeq + k*B + 1 .. + B:
    // the generator need not decode the 250 events of every answer (that would slow the clients here).
    const firstSeq = startSeq + made + 1;
    for (let seq = firstSeq; seq < firstSeq + FANOUT_BATCH; seq += 1) sentAt.set(seq, t0);
    const pending = send(url, 'POST', '/labs/fan/batch', { ops }).then(({ status, text }) => {
      if (status !== 200) throw new Error(`batch ${status} ${text.slice(0, 200)}`);
    });
    inFlight.push(pending);
    // Two batches in flight keep the lab busy without queueing unboundedly in the generator.
    if (inFlight.length >= 2) {
      await inFlight.shift();
    }
  }
  await Promise.all(inFlight);
  inFlight = [];
  await Promise.race([
    Promise.all(clients.map((client) => client.finished)),
    new Promise((resolve) => setTimeout(resolve, 30_000)),
  ]);
  const elapsed = (performance.now() - began) / 1000;
  for (const client of clients) client.socket.close();

  const latencies: number[] = [];
  let delivered = 0;
  for (const mine of arrivals) {
    let previous = startSeq;
    for (const { seq, at } of mine) {
      // Every event of a message arrived at `at`; its latency is measured from its batch's request.
      for (let s = previous + 1; s <= seq; s += 1) {
        const t0 = sentAt.get(s);
        if (t0 !== undefined) latencies.push(at - t0);
        delivered += 1;
      }
      previous = seq;
    }
  }
  latencies.sort((a, b) => a - b);
  const perSecond = delivered / elapsed;
  const sourceRate = FANOUT_EVENTS / elapsed;
  commitLatencies.sort((a, b) => a - b);
  const p99 = percentile(commitLatencies, 99);
  console.log(
    `fan-out to ${FANOUT_CLIENTS} clients: ${FANOUT_EVENTS} events in ${elapsed.toFixed(2)} s = ${sourceRate.toFixed(0)} events/s per client, ${perSecond.toFixed(0)} events/s delivered in total`,
  );
  console.log(
    `  latency commit -> client (per event, sampled clients): p50 ${percentile(commitLatencies, 50).toFixed(0)} ms  p99 ${p99.toFixed(0)} ms  max ${(commitLatencies.at(-1) ?? Number.NaN).toFixed(0)} ms; gaps ${gaps}, resyncs ${resyncs}`,
  );
  console.log(
    `  latency batch request -> client (per event, includes the generator's queue): p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms`,
  );
  console.log(
    `  target >= 20000 events/s per client and p99 < 100 ms: ${sourceRate >= 20_000 && p99 < 100 && gaps === 0 ? 'PASS' : 'FAIL'}`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'ioasid-bench-'));
const { child, url } = await startServer(join(dir, 'bench.db'));
server = child;
try {
  console.log(
    `server ${url}, SQLite ${join(dir, 'bench.db')} (WAL, synchronous=FULL), rate limit off, ${PHASE_MS} ms per phase`,
  );
  // BENCH_ONLY=fanout skips the request-rate phases (for looking at the stream alone).
  if (process.env.BENCH_ONLY !== 'fanout') await singleOps(url);
  const { stats } = await serverStats();
  console.log(
    `group commit: ${stats.ops} single ops in ${stats.commits} commits (${(stats.ops / stats.commits).toFixed(1)} per commit), ` +
      `${((stats.applyMs * 1000) / stats.ops).toFixed(1)} us per op applying + committing`,
  );
  await fanout(url);
} finally {
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
