// Isolation between labs: the store worker as a router over several shard workers, each owning the labs
// whose name hashes to it, so one lab's long work (a fork or import of 100,000 events, an explain on a long
// history) runs on another thread than the next lab's reads and writes. Same messages as one worker
// (protocol.ts): RemoteStore, its restarts and its 503s do not change. A shard that dies takes the router
// with it, and RemoteStore starts them all again.
//
// Every shard sees every lab through the database (PostgreSQL, or the one SQLite file with a shard option,
// see packages/db/src/shard.ts): `listLabs` may ask any shard, and a lab forked by its source's shard is
// read by its own shard from the database.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { openDatabase, shardOf } from '@ioasid-lab/db';
import { isPostgresUrl } from '@ioasid-lab/db/pg';
import type { CallMessage, WorkerInput, WorkerMessage } from './protocol.ts';
import { storeShards } from './shards.ts';

const port = parentPort;
if (!port) throw new Error('router.ts must run in a worker thread');
const input = workerData as WorkerInput;
const count = storeShards(process.env, input.dbPath);
// SQLite: migrate (and check) the file once, before the shards open it together.
if (!isPostgresUrl(input.dbPath)) openDatabase(input.dbPath).close();

/** The lab a call is about (its shard's), or undefined for calls any shard can answer. */
function labOf(message: CallMessage): string | undefined {
  if (message.lab !== undefined) return message.lab;
  const [first] = message.args as [unknown];
  switch (message.method) {
    case 'createLab':
      return (first as { name?: unknown } | undefined)?.name as string | undefined;
    case 'importLab':
    case 'deleteLab':
    case 'subscribe':
    case 'unsubscribe':
      return typeof first === 'string' ? first : undefined;
    default:
      return undefined;
  }
}

const shards: Worker[] = [];
const ready = Array.from({ length: count }, (_, index) => {
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
    workerData: {
      dbPath: input.dbPath,
      faultInjection: input.faultInjection,
      shard: index,
    } satisfies WorkerInput & {
      shard: number;
    },
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

/** Broadcast calls (close) answered once every shard has answered. */
const broadcasts = new Map<number, { left: number; error?: WorkerMessage }>();
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

for (const worker of shards) {
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'result') {
      const broadcast = broadcasts.get(message.id);
      if (broadcast) {
        if (!message.ok) broadcast.error ??= message;
        if (--broadcast.left > 0) return;
        broadcasts.delete(message.id);
        port.postMessage(broadcast.error ?? message);
        return;
      }
    }
    port.postMessage(message);
  });
  worker.on('exit', (code) => {
    if (closing) return;
    // One shard gone: stop the whole store worker so RemoteStore restarts every shard.
    throw new Error(`store shard exited with code ${code}`);
  });
}

port.on('message', (message: CallMessage) => {
  if (message.lab === undefined && (message.method === 'close' || message.method === 'pragma')) {
    if (message.method === 'close') closing = true;
    broadcasts.set(message.id, { left: shards.length });
    for (const worker of shards) worker.postMessage(message);
    return;
  }
  const lab = labOf(message);
  const shard = lab === undefined ? 0 : shardOf(lab, shards.length);
  shards[shard]?.postMessage(message);
});

port.postMessage({ type: 'ready' } satisfies WorkerMessage);
