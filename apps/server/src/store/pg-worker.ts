// The store worker on PostgreSQL (LAB_DB=postgres://…): the same messages as worker.ts (protocol.ts), so
// RemoteStore, its restarts and its 503s are unchanged. Calls run concurrently across labs and in order
// within a lab (PgLabStore serialises per lab); subscribed labs' events come from every replica's commits,
// in seq order, through LISTEN/NOTIFY with catch-up from the table (PgFanout). Deletes reach the other
// replicas' streams the same way (pg-deletes.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { StoredLab } from '@ioasid-lab/db';
import { PgFanout, PgLabStore, quotasFromEnv } from '@ioasid-lab/db/pg';
import { batchText, eventPusher, resultMessage } from './encoded-events.ts';
import { DeleteListener, missingLabs, notifyDeleted, SWEEP_MS } from './pg-deletes.ts';
import type {
  CallMessage,
  ErrorShape,
  LabMethod,
  StoreCloseReport,
  StoreMethod,
  WorkerInput,
  WorkerMessage,
} from './protocol.ts';
import { type Port, serveCalls } from './serve.ts';

const port = parentPort;
if (!port) throw new Error('pg-worker.ts must run in a worker thread');
const { dbPath, shard, replica, lane } = workerData as WorkerInput;
/** Where subscribed labs' events go: the lane their calls come on (a router's shard), else the parent. */
const eventPort = lane ?? port;
/** One worker per replica listens for other replicas' deletes: the only one, or shard 0. */
const listensForDeletes = shard === undefined || shard === 0;

function post(message: WorkerMessage): void {
  port?.postMessage(message);
}

/** SQLSTATE classes and socket codes that mean the database is unreachable or failing, not the request. */
function storageCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(08|53|57|58|XX)/.test(code) && code.length === 5) return `PG_${code}`;
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH)$/.test(code)) return code;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return 'PG_CONNECTION';
  }
  return undefined;
}

function errorShape(error: unknown): ErrorShape {
  const e = error as { name?: string; message?: string; code?: unknown };
  const storage = storageCode(error);
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.code === 'string' && e.name === 'LabError' ? { code: e.code } : {}),
    ...(storage ? { storage } : {}),
  };
}

let store: PgLabStore;
let fanout: PgFanout;
let deletes: DeleteListener | undefined;
try {
  // LAB_MAX_LABS, LAB_MAX_EVENTS, LAB_MAX_TABLE_BYTES: ENOSPC before anything is applied. The deletes'
  // listener holds one connection of the pool for good.
  const poolSize = (shard !== undefined ? 4 : 8) + (listensForDeletes ? 1 : 0);
  store = await PgLabStore.open({ url: dbPath, quotas: quotasFromEnv(), poolSize });
  await store.ensureSeedLab();
  fanout = new PgFanout(dbPath, store);
  await fanout.start();
  if (listensForDeletes) {
    deletes = new DeleteListener(store.pool, replica, (lab) => post({ type: 'deleted', lab }));
    await deletes.start();
  }
} catch (error) {
  post({ type: 'failed', error: errorShape(error) });
  throw error;
}

const subscriptions = new Map<string, () => void>();

/** Streamed labs deleted by another replica whose notification did not arrive (see pg-deletes.ts). */
let sweeping = false;
const sweep = setInterval(() => {
  if (sweeping || subscriptions.size === 0) return;
  sweeping = true;
  missingLabs(store.pool, [...subscriptions.keys()])
    .then((gone) => {
      for (const lab of gone) if (subscriptions.has(lab)) post({ type: 'deleted', lab });
    })
    .catch(() => undefined)
    .finally(() => {
      sweeping = false;
    });
}, SWEEP_MS);
sweep.unref();

type Handler = (...args: never[]) => unknown;

const storeMethods: Record<StoreMethod, Handler> = {
  listLabs: () => store.listLabs(),
  createLab: (input: Parameters<PgLabStore['createLab']>[0]) => store.createLab(input),
  importLab: (...args: Parameters<PgLabStore['importLab']>) => store.importLab(...args),
  deleteLab: async (name: string) => {
    subscriptions.get(name)?.();
    subscriptions.delete(name);
    await store.deleteLab(name);
    // Committed: the other replicas close the lab's streams (their sweep does if this is lost).
    await notifyDeleted(store.pool, replica, name).catch(() => undefined);
  },
  subscribe: async (name: string) => {
    if (subscriptions.has(name)) return store.deliveredSeq(name) ?? 0;
    const { seq, unsubscribe } = await store.subscribe(name, eventPusher(eventPort, name));
    subscriptions.set(name, unsubscribe);
    return seq;
  },
  unsubscribe: (name: string) => {
    subscriptions.get(name)?.();
    subscriptions.delete(name);
  },
  pragma: () => {
    throw new Error('no store method pragma on PostgreSQL');
  },
  close: async (): Promise<StoreCloseReport> => {
    clearInterval(sweep);
    deletes?.stop();
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
    await fanout.stop();
    await store.close();
    return { terminated: [], errors: [] };
  },
};

const read =
  <A extends unknown[]>(fn: (lab: StoredLab, ...args: A) => unknown) =>
  (name: string, ...args: A) =>
    store.read(name, (lab) => fn(lab, ...args));

const labMethods: Record<LabMethod, (name: string, ...args: never[]) => unknown> = {
  seq: read((lab) => lab.seq),
  summary: read((lab) => lab.summary()),
  apply: (name: string, ...args: Parameters<StoredLab['apply']>) => store.apply(name, ...args),
  applyBatch: (name: string, ...args: Parameters<StoredLab['applyBatch']>) => store.applyBatch(name, ...args),
  applyBatchText: async (name: string, ...args: Parameters<StoredLab['applyBatch']>) =>
    batchText(await store.applyBatch(name, ...args)),
  state: read((lab, at?: number) => lab.state(at)),
  events: read((lab, after?: number, limit?: number) => lab.events(after, limit)),
  explain: read((lab, a: string, b?: string) => lab.explain(a, b)),
  compare: read((lab, ...args: Parameters<StoredLab['compare']>) => lab.compare(...args)),
  fork: (name: string, ...args: Parameters<StoredLab['fork']>) => store.fork(name, ...args),
  export: read((lab) => lab.export()),
  pagetable: read((lab, ...args: Parameters<StoredLab['pagetable']>) => lab.pagetable(...args)),
};

async function call(message: CallMessage): Promise<unknown> {
  if (message.lab === undefined) {
    if (!Object.hasOwn(storeMethods, message.method)) throw new Error(`no store method ${message.method}`);
    return (storeMethods[message.method] as (...args: unknown[]) => unknown)(...message.args);
  }
  if (!Object.hasOwn(labMethods, message.method)) throw new Error(`no lab method ${message.method}`);
  return (labMethods[message.method] as (...args: unknown[]) => unknown)(message.lab, ...message.args);
}

/** Starts one call and answers it on the port it came on when it settles. */
function answer(from: Port, message: CallMessage): void {
  call(message).then(
    (value) => from.postMessage(resultMessage(message, value)),
    (error) =>
      from.postMessage({
        type: 'result',
        id: message.id,
        ok: false,
        error: errorShape(error),
      } satisfies WorkerMessage),
  );
}

serveCalls(port, lane, answer);

post({ type: 'ready' });
