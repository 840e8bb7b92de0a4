// Isolation between labs: the store worker as a router over several shard workers, each owning the labs
// whose name hashes to it, so one lab's long work (a fork or import of 100,000 events, an explain on a long
// history) runs on another thread than the next lab's reads and writes. Same messages as one worker
// (protocol.ts): RemoteStore, its restarts and its 503s do not change. A shard that dies takes the router
// with it, and RemoteStore starts them all again.
//
// Every shard sees every lab through the database (PostgreSQL, or the one SQLite file with a shard option,
// see packages/db/src/shard.ts): `listLabs` may ask any shard, and a lab forked by its source's shard is
// read by its own shard from the database. The shard count comes from the main thread (WorkerInput.shards)
// and goes to every shard with its index, so the router and the shards hash names over the same count.
//
// Close: every shard is asked to close its database and answer within WorkerInput.closeTimeoutMs; one that
// does not is terminated (its thread's connections are closed as it goes). Then, on a SQLite file, the
// router opens the file once more as its last connection, which checkpoints the WAL into it and removes it.
import { existsSync } from 'node:fs';
import { MessageChannel, type MessagePort, parentPort, Worker, workerData } from 'node:worker_threads';
import { openDatabase, shardOf } from '@ioasid-lab/db';
import { isPostgresUrl } from '@ioasid-lab/db/pg';
import { within } from './bounded.ts';
import {
  type CallMessage,
  labOf,
  type StoreCloseReport,
  type WorkerInput,
  type WorkerMessage,
} from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('router.ts must run in a worker thread');
const input = workerData as WorkerInput;
const count = input.shards;
const sqlite = !isPostgresUrl(input.dbPath);
// SQLite: migrate (and check) the file once, before the shards open it together.
if (sqlite) openDatabase(input.dbPath).close();

type Result = Extract<WorkerMessage, { type: 'result' }>;

const shards: Worker[] = [];
/** The main thread's ends of the shards' lanes, handed over with `ready`. */
const lanes: MessagePort[] = [];
const ready = Array.from({ length: count }, (_, index) => {
  const { port1, port2 } = new MessageChannel();
  lanes.push(port2);
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
    workerData: { ...input, shard: index, lane: port1 } satisfies WorkerInput,
    transferList: [port1],
  });
  shards.push(worker);
  return new Promise<void>((resolve, reject) => {
    const first = (message: WorkerMessage) => {
      if (message.type === 'ready') {
        worker.off('message', first);
        resolve();
      } else if (message.type === 'failed') {
        worker.off('message', first);
        reject(message.error);
      }
    };
    worker.on('message', first);
    worker.once('error', reject);
  });
});

/** Answers the router collects itself (broadcast calls: pragma, close), by call id, with the shard's index. */
const collecting = new Map<number, (answer: Result, shard: number) => void>();
let closing = false;

try {
  await Promise.all(ready);
} catch (error) {
  for (const worker of shards) void worker.terminate();
  const shape = error as { name?: string; message?: string };
  port.postMessage({
    type: 'failed',
    error: { name: shape?.name ?? 'Error', message: shape?.message ?? String(error) },
  } satisfies WorkerMessage);
  throw error;
}

for (const [index, worker] of shards.entries()) {
  worker.on('message', (message: WorkerMessage) => {
    const collect = message.type === 'result' ? collecting.get(message.id) : undefined;
    if (collect && message.type === 'result') collect(message, index);
    else port.postMessage(message);
  });
  worker.on('exit', (code) => {
    if (closing) return;
    // One shard gone: stop the whole store worker so RemoteStore restarts every shard.
    throw new Error(`store shard exited with code ${code}`);
  });
}

/** A pragma (fault tests) on every shard, answered once all have: the first error, else the last answer. */
function broadcast(message: CallMessage): void {
  let left = shards.length;
  let failed: Result | undefined;
  collecting.set(message.id, (answer) => {
    if (!answer.ok) failed ??= answer;
    if (--left > 0) return;
    collecting.delete(message.id);
    port?.postMessage(failed ?? answer);
  });
  for (const worker of shards) worker.postMessage(message);
}

/** Asks one shard to close; past the bound, or once it answered, its thread is ended. */
async function closeShard(
  worker: Worker,
  index: number,
  answer: Promise<Result>,
  report: StoreCloseReport,
): Promise<void> {
  const answered = await within(answer, input.closeTimeoutMs);
  if (answered === undefined) report.terminated.push(`store shard ${index}`);
  else if (!answered.ok) report.errors.push(`store shard ${index}: ${answered.error.message}`);
  else report.errors.push(...(answered.value as StoreCloseReport).errors);
  await worker.terminate();
}

/**
 * The last connection to a SQLite file checkpoints the WAL into it and removes it. The shards closed in
 * parallel, so none of them may have been the last on its own; the router is, once they are all gone.
 */
function checkpointFile(report: StoreCloseReport): void {
  const wal = `${input.dbPath}-wal`;
  if (!sqlite || !existsSync(wal)) return;
  try {
    const db = openDatabase(input.dbPath, { check: false });
    try {
      db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  } catch (error) {
    report.errors.push(`checkpoint of ${input.dbPath}: ${(error as Error)?.message ?? String(error)}`);
  }
  if (existsSync(wal)) report.errors.push(`${wal} is still there; SQLite replays it at the next open`);
}

async function close(id: number): Promise<void> {
  closing = true;
  const report: StoreCloseReport = { terminated: [], errors: [] };
  const answered: ((answer: Result) => void)[] = [];
  collecting.set(id, (answer, shard) => answered[shard]?.(answer));
  await Promise.all(
    shards.map((worker, index) => {
      const answer = new Promise<Result>((resolve) => {
        answered[index] = resolve;
      });
      worker.postMessage({ id, method: 'close', args: [] } satisfies CallMessage);
      return closeShard(worker, index, answer, report);
    }),
  );
  collecting.delete(id);
  checkpointFile(report);
  port?.postMessage({ type: 'result', id, ok: true, value: report } satisfies WorkerMessage);
}

port.on('message', (message: CallMessage) => {
  if (message.lab === undefined && message.method === 'close') {
    if (!closing) void close(message.id);
    return;
  }
  if (message.lab === undefined && message.method === 'pragma') {
    broadcast(message);
    return;
  }
  const lab = labOf(message);
  const shard = lab === undefined ? 0 : shardOf(lab, shards.length);
  shards[shard]?.postMessage(message);
});

// Calls about a lab go from the main thread straight to its shard on these; the router keeps the rest.
port.postMessage({ type: 'ready', lanes } satisfies WorkerMessage, lanes);
