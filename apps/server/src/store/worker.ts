// The store worker: owns the LabStore (native cores + SQLite) so commits and their fsyncs, snapshots
// and replays never block the HTTP event loop. Answers calls in arrival order; pushes subscribed events.
import { parentPort, workerData } from 'node:worker_threads';
import {
  applyPragmaForTests,
  checkOps,
  type LabStore,
  openLabStore,
  quotasFromEnv,
  type StoredLab,
  shardOf,
  storageFaultCode,
} from '@ioasid-lab/db';
import { batchText, eventPusher, resultMessage } from './encoded-events.ts';
import type {
  CallMessage,
  ErrorShape,
  LabCalls,
  LabMethod,
  StoreCalls,
  StoreCloseReport,
  StoreMethod,
  WorkerInput,
  WorkerMessage,
} from './protocol.ts';
import { type Port, serveCalls } from './serve.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const { dbPath, faultInjection, shard: index, shards, lane } = workerData as WorkerInput;
/** Where subscribed labs' events go: the lane their calls come on (a router's shard), else the parent. */
const eventPort = lane ?? port;

function post(message: WorkerMessage): void {
  port?.postMessage(message);
}

function errorShape(error: unknown): ErrorShape {
  const e = error as { name?: string; message?: string; code?: unknown; cause?: { message?: unknown } };
  const storage = storageFaultCode(error);
  // Drizzle wraps SQLite's error: its own message is the query, the cause says what went wrong.
  const message =
    storage && typeof e?.cause?.message === 'string'
      ? e.cause.message
      : typeof e?.message === 'string'
        ? e.message
        : String(error);
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message,
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(storage ? { storage } : {}),
  };
}

/** LAB_MAX_LABS, LAB_MAX_EVENTS, LAB_MAX_TABLE_BYTES: ENOSPC before anything is applied. */
const quotas = quotasFromEnv();
let store: LabStore;
try {
  // One of LAB_STORE_SHARDS workers over the file (router.ts), or the only one.
  const shard = index === undefined ? undefined : { index, count: shards };
  store = openLabStore({ path: dbPath, quotas, shard });
  if (!shard || shardOf('seed', shard.count) === shard.index) store.ensureSeedLab();
} catch (error) {
  post({ type: 'failed', error: errorShape(error) });
  throw error;
}

/** Labs whose events the main thread wants, with the unsubscribe function of each. */
const subscriptions = new Map<string, () => void>();

/** The worker's side of StoreCalls: each store method, implemented. */
type StoreHandlers = {
  [M in StoreMethod]: (...args: Parameters<StoreCalls[M]>) => ReturnType<StoreCalls[M]>;
};
/** The worker's side of LabCalls: each lab method, on the named lab. */
type LabHandlers = {
  [M in LabMethod]: (lab: StoredLab, ...args: Parameters<LabCalls[M]>) => ReturnType<LabCalls[M]>;
};

const storeMethods: StoreHandlers = {
  listLabs: () => store.listLabs(),
  // A StoredLab cannot cross threads: methods that make one answer with its summary.
  createLab: (input) => store.createLab(input).summary(),
  importLab: (...args) => store.importLab(...args).summary(),
  deleteLab: (name) => {
    subscriptions.get(name)?.();
    subscriptions.delete(name);
    store.deleteLab(name);
  },
  subscribe: (name) => {
    if (!subscriptions.has(name)) {
      subscriptions.set(name, store.getLab(name).subscribe(eventPusher(eventPort, name)));
    }
    return store.getLab(name).seq;
  },
  unsubscribe: (name) => {
    subscriptions.get(name)?.();
    subscriptions.delete(name);
  },
  pragma: (pragma) => {
    if (!faultInjection) throw new Error('no store method pragma');
    return applyPragmaForTests(pragma);
  },
  // Closing the connection checkpoints the WAL into the file when it is the file's last one (router.ts
  // makes sure some connection is, once every shard has closed).
  close: (): StoreCloseReport => {
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
    store.close();
    return { terminated: [], errors: [] };
  },
};

const labMethods: LabHandlers = {
  seq: (lab) => lab.seq,
  summary: (lab) => lab.summary(),
  apply: (lab, op) => {
    checkOps(quotas, lab, [op]);
    return lab.apply(op);
  },
  applyBatch: (lab, ops, options) => {
    checkOps(quotas, lab, ops);
    return lab.applyBatch(ops, options);
  },
  applyBatchText: (lab, ops, options) => {
    checkOps(quotas, lab, ops);
    return batchText(lab.applyBatch(ops, options));
  },
  state: (lab, ...args) => lab.state(...args),
  events: (lab, ...args) => lab.events(...args),
  explain: (lab, ...args) => lab.explain(...args),
  compare: (lab, ...args) => lab.compare(...args),
  fork: (lab, ...args) => lab.fork(...args).summary(),
  export: (lab) => lab.export(),
  pagetable: (lab, ...args) => lab.pagetable(...args),
};

function call(message: CallMessage): unknown {
  // Names come from the other thread: only the tables' own keys are methods.
  if (message.lab === undefined) {
    if (!Object.hasOwn(storeMethods, message.method)) throw new Error(`no store method ${message.method}`);
    const method = storeMethods[message.method] as (...args: unknown[]) => unknown;
    return method(...message.args);
  }
  if (!Object.hasOwn(labMethods, message.method)) throw new Error(`no lab method ${message.method}`);
  const method = labMethods[message.method] as (lab: StoredLab, ...args: unknown[]) => unknown;
  return method(store.getLab(message.lab), ...message.args);
}

/** Runs one call and answers it on the port it came on. */
function answer(from: Port, message: CallMessage): void {
  let reply: WorkerMessage;
  try {
    reply = resultMessage(message, call(message));
  } catch (error) {
    reply = { type: 'result', id: message.id, ok: false, error: errorShape(error) };
  }
  from.postMessage(reply);
}

serveCalls(port, lane, answer);

post({ type: 'ready' });
