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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const FANOUT_CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 50);
const FANOUT_EVENTS = Number(process.env.BENCH_FANOUT_EVENTS ?? 40_000);
const FANOUT_BATCH = 250;
/**
 * Batches a saturating generator keeps in flight. The server runs at most two of a lab's batches at its
 * store worker at once (op-queue.ts); with only two in flight here, the worker sat idle while an answer
 * went back and the next request came in (a fifth of both cores idle), so the figure measured the round
 * trip, not the lab. Four keep two waiting in the server's queue behind the two at the worker.
 */
const FANOUT_IN_FLIGHT = 4;
/** The paced phase: events a second (one op per request, each its own commit) and how long. */
const FANOUT_RATE = Number(process.env.BENCH_FANOUT_RATE ?? 1000);
const FANOUT_PACED_MS = Number(process.env.BENCH_FANOUT_PACED_MS ?? 5000);

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

/** The median of per-round figures, and "median (min-max)" with `digits` decimals: the spread beside it. */
function medianSpread(values: number[], digits = 0): { median: number; text: string } {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const min = sorted[0] as number;
  const max = sorted.at(-1) as number;
  return { median, text: `${median.toFixed(digits)} (${min.toFixed(digits)}-${max.toFixed(digits)})` };
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
  /** This process's CPU per request: the load generator, on the same two cores as the server. */
  clientUsPerRequest: number;
}> {
  const before = await serverStats();
  const clientBefore = process.cpuUsage();
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
  const client = process.cpuUsage(clientBefore);
  return {
    serverUsPerRequest: (after.cpuUs - before.cpuUs) / latencies.length,
    clientUsPerRequest: (client.user + client.system) / latencies.length,
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

  const ratios: number[] = [];
  let trivialCpu = 0;
  let durableCpu = 0;
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
    ratios.push(durable.count / trivial.count);
    trivialCpu += trivial.serverUsPerRequest / ROUNDS;
    durableCpu += durable.serverUsPerRequest / ROUNDS;
    trivialTotal += (trivial.serverUsPerRequest + trivial.clientUsPerRequest) / ROUNDS;
    durableTotal += (durable.serverUsPerRequest + durable.clientUsPerRequest) / ROUNDS;
  }
  const { median: ratio, text } = medianSpread(ratios, 2);
  console.log(
    `durable / trivial ratio, median of ${ROUNDS} rounds: ${text}, target >= 0.7: ${ratio >= 0.7 ? 'PASS' : 'FAIL'}`,
  );
  // What a durable request costs the server beside a trivial one, in CPU: load generator and server share
  // two cores, so this, not the disk, is what the ratio above mostly measures.
  console.log(
    `  server CPU per request: trivial ${trivialCpu.toFixed(0)} us, durable ${durableCpu.toFixed(0)} us (${(durableCpu / trivialCpu).toFixed(1)}x)`,
  );
  // The bound that CPU alone sets: with both phases using all of the machine's CPU, their rates can differ
  // by no more than their CPU per request, server and load generator together, differs.
  const bound = trivialTotal / durableTotal;
  console.log(
    `  server + load generator CPU per request: trivial ${trivialTotal.toFixed(0)} us, durable ${durableTotal.toFixed(0)} us: ` +
      `CPU bounds the ratio at ${bound.toFixed(2)}; 0.7 needs a durable request within ${(trivialTotal / 0.7).toFixed(0)} us of CPU in all`,
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

/** One stream client of the fan-out: checks order and gaps, records when each message arrived. */
interface FanoutClient {
  socket: WebSocket;
  /** Last seq seen. */
  last: number;
  /** Resolves once `last` reaches `until` (set before each phase). */
  reached: Promise<void>;
  expect(until: number): void;
}

interface FanoutTally {
  gaps: number;
  resyncs: number;
  /** Commit-to-arrival of every event, on every tenth client (ms). */
  ages: number[];
}

function openFanoutClient(url: string, index: number, startSeq: number, tally: FanoutTally) {
  // The server is trusted here; validating UTF-8 of every frame would measure this client, not it.
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/labs/fan/stream`, {
    skipUTF8Validation: true,
  });
  let until = Number.POSITIVE_INFINITY;
  let done: () => void = () => {};
  const client: FanoutClient = {
    socket,
    last: startSeq,
    reached: Promise.resolve(),
    expect(target) {
      until = target;
      client.reached = new Promise<void>((resolve) => {
        done = resolve;
        if (client.last >= until) resolve();
      });
    },
  };
  socket.on('message', (data: Buffer) => {
    const wall = Date.now();
    if (data.subarray(0, RESYNC_PREFIX.length).equals(RESYNC_PREFIX)) {
      tally.resyncs += 1;
      client.last = JSON.parse(data.toString()).seq;
      return;
    }
    const range = seqRange(data);
    if (!range) return;
    if (range.first !== client.last + 1) tally.gaps += 1;
    client.last = range.last;
    if (index % 10 === 0) pushEventAges(data, wall, tally.ages);
    if (client.last >= until) done();
  });
  return new Promise<FanoutClient>((resolve) => socket.once('message', () => resolve(client)));
}

/** Waits until every client has seen `target`, or 30 s. */
async function allReached(clients: FanoutClient[], target: number): Promise<void> {
  for (const client of clients) client.expect(target);
  await Promise.race([
    Promise.all(clients.map((client) => client.reached)),
    new Promise((resolve) => setTimeout(resolve, 30_000)),
  ]);
}

function fanoutLatencyLine(tally: FanoutTally): { p99: number } {
  const ages = [...tally.ages].sort((a, b) => a - b);
  const p99 = percentile(ages, 99);
  console.log(
    `  latency commit -> client (per event, every tenth client): p50 ${percentile(ages, 50).toFixed(0)} ms  p99 ${p99.toFixed(0)} ms  max ${(ages.at(-1) ?? Number.NaN).toFixed(0)} ms; gaps ${tally.gaps}, resyncs ${tally.resyncs}`,
  );
  return { p99 };
}

/**
 * Paced: FANOUT_RATE single-op requests a second for FANOUT_PACED_MS, each its own commit, sent on a
 * schedule (not waiting for answers, at most 64 outstanding): the latency a live dashboard sees.
 */
async function pacedPhase(url: string, ioas: number, clients: FanoutClient[], tally: FanoutTally) {
  const count = Math.round((FANOUT_RATE * FANOUT_PACED_MS) / 1000);
  const from = Math.max(...clients.map((client) => client.last));
  tally.ages.length = 0;
  const gapsBefore = tally.gaps;
  const began = performance.now();
  const outstanding = new Set<Promise<unknown>>();
  for (let sent = 0; sent < count; ) {
    const due = Math.min(count, Math.floor(((performance.now() - began) * FANOUT_RATE) / 1000) + 1);
    while (sent < due && outstanding.size < 64) {
      sent += 1;
      const iova = toHex(0x200000000 + sent * 0x1000);
      const request = must(url, 'POST', `/labs/fan/ioas/${ioas}/map`, { iova, length: '0x1000' });
      outstanding.add(request);
      void request.finally(() => outstanding.delete(request));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(outstanding);
  await allReached(clients, from + count);
  const elapsed = (performance.now() - began) / 1000;
  console.log(
    `fan-out, paced: ${count} single-op commits in ${elapsed.toFixed(2)} s (${(count / elapsed).toFixed(0)} events/s) to ${clients.length} clients`,
  );
  const { p99 } = fanoutLatencyLine(tally);
  const ok = p99 < 25 && tally.gaps === gapsBefore;
  console.log(`  target p99 < 25 ms at ${FANOUT_RATE} events/s, no gaps: ${ok ? 'PASS' : 'FAIL'}`);
}

/**
 * Commits `count` maps in 250-op batches, FANOUT_IN_FLIGHT at a time, from IOVA `from` up: as fast as the
 * lab commits them. Resolves to the seconds it took.
 */
async function pushBatches(
  url: string,
  lab: string,
  ioas: number,
  from: number,
  count: number,
): Promise<number> {
  const began = performance.now();
  let next = from;
  const inFlight: Promise<unknown>[] = [];
  for (let made = 0; made < count; made += FANOUT_BATCH) {
    const ops = Array.from({ length: FANOUT_BATCH }, () => {
      next += 0x1000;
      return { op: 'ioas.map', ioas, iova: toHex(next), length: '0x1000' };
    });
    inFlight.push(must(url, 'POST', `/labs/${lab}/batch`, { ops }));
    if (inFlight.length >= FANOUT_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return (performance.now() - began) / 1000;
}

/**
 * Saturation: batches as fast as the lab commits them, to every client, for ROUNDS rounds of
 * FANOUT_EVENTS events. Each round's rate is what the slowest client saw: from the first batch sent until
 * every client has the round's last event.
 */
async function saturationPhase(url: string, ioas: number, clients: FanoutClient[], tally: FanoutTally) {
  tally.ages.length = 0;
  const gapsBefore = tally.gaps;
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const startSeq = Math.max(...clients.map((client) => client.last));
    const began = performance.now();
    await pushBatches(url, 'fan', ioas, 0x400000000 + round * FANOUT_EVENTS * 0x1000, FANOUT_EVENTS);
    await allReached(clients, startSeq + FANOUT_EVENTS);
    rates.push(FANOUT_EVENTS / ((performance.now() - began) / 1000));
  }
  const { median, text } = medianSpread(rates);
  console.log(
    `fan-out, saturation: ${ROUNDS} rounds of ${FANOUT_EVENTS} events to ${clients.length} clients: ${text} events/s per client (median, spread), ${(median * clients.length).toFixed(0)} events/s delivered in total`,
  );
  fanoutLatencyLine(tally);
  const ok = median >= 50_000 && tally.gaps === gapsBefore;
  console.log(`  target >= 50000 events/s per client, no gaps: ${ok ? 'PASS' : 'FAIL'}`);
}

/** A lab with one VM on a snooping IOMMU; answers the VM's IOAS. */
async function fanoutLab(url: string, lab: string): Promise<number> {
  await must(url, 'POST', '/labs', { name: lab, policy: 'iommufd' });
  await must(url, 'POST', `/labs/${lab}/iommus`, {
    name: 'u0',
    vendor: 'intel-vtd',
    enforceCacheCoherency: true,
  });
  await must(url, 'POST', `/labs/${lab}/devices`, { name: 'd0', iommu: 'u0' });
  const vm = (await must(url, 'POST', `/labs/${lab}/vms`, {
    name: 'vm',
    memory: '0x100000',
    devices: ['d0'],
  })) as {
    ioas: number;
  };
  return vm.ioas;
}

async function fanout(url: string): Promise<void> {
  // The ceiling of any client's rate: how fast a lab commits these batches with nobody streaming. A lab
  // of its own, so the streamed lab starts as empty as it would without this.
  const aloneIoas = await fanoutLab(url, 'fan-alone');
  const alone: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const from = 0x400000000 + round * FANOUT_EVENTS * 0x1000;
    alone.push(FANOUT_EVENTS / (await pushBatches(url, 'fan-alone', aloneIoas, from, FANOUT_EVENTS)));
  }
  console.log(
    `fan-out, a lab alone (no stream clients, ${FANOUT_IN_FLIGHT} batches of ${FANOUT_BATCH} in flight): ${ROUNDS} rounds of ${FANOUT_EVENTS} events, ${medianSpread(alone).text} events/s committed (median, spread), the ceiling of the per-client rate below`,
  );
  const vm = { ioas: await fanoutLab(url, 'fan') };
  const startSeq = ((await must(url, 'GET', '/labs/fan')) as { events: number }).events;
  const tally: FanoutTally = { gaps: 0, resyncs: 0, ages: [] };
  const clients = await Promise.all(
    Array.from({ length: FANOUT_CLIENTS }, (_, index) => openFanoutClient(url, index, startSeq, tally)),
  );
  try {
    await pacedPhase(url, vm.ioas, clients, tally);
    await saturationPhase(url, vm.ioas, clients, tally);
  } finally {
    for (const client of clients) client.socket.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ioasid-bench-'));
const { child, url } = await startServer(join(dir, 'bench.db'));
server = child;
try {
  console.log(
    `server ${url}, SQLite ${join(dir, 'bench.db')} (WAL, synchronous=FULL), rate limit off, ${PHASE_MS} ms per phase`,
  );
  // BENCH_ONLY=fanout skips the request-rate phases (for looking at the stream alone), BENCH_ONLY=requests
  // the fan-out.
  if (process.env.BENCH_ONLY !== 'fanout') {
    await singleOps(url);
    const { stats } = await serverStats();
    console.log(
      `group commit: ${stats.ops} single ops in ${stats.commits} commits (${(stats.ops / stats.commits).toFixed(1)} per commit), ` +
        `${((stats.applyMs * 1000) / stats.ops).toFixed(1)} us per op applying + committing`,
    );
  }
  if (process.env.BENCH_ONLY !== 'requests') await fanout(url);
} finally {
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
