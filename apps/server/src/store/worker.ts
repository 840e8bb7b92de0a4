// The store worker: owns the LabStore (native cores + SQLite) so commits and their fsyncs, snapshots
// and replays never block the HTTP event loop. Answers calls in arrival order; pushes subscribed events.
import { parentPort, workerData } from 'node:worker_threads';
import {
  applyPragmaForTests,
  type LabStore,
  openLabStore,
  type StoredLab,
  storageFaultCode,
} from '@ioasid-lab/db';
import type { CallMessage, ErrorShape, WorkerInput, WorkerMessage } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const { dbPath, faultInjection } = workerData as WorkerInput;

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

let store: LabStore;
try {
  store = openLabStore({ path: dbPath });
  store.ensureSeedLab();
} catch (error) {
  post({ type: 'failed', error: errorShape(error) });
  throw error;
}

/** Labs whose events the main thread wants, with the unsubscribe function of each. */
const subscriptions = new Map<string, () => void>();

// Methods that hand back a StoredLab answer with its summary: the object itself cannot cross threads.
const summarise = (value: unknown) =>
  value && typeof (value as StoredLab).summary === 'function' ? (value as StoredLab).summary() : value;

const storeMethods: Record<string, (...args: never[]) => unknown> = {
  listLabs: () => store.listLabs(),
  createLab: (input: Parameters<LabStore['createLab']>[0]) => summarise(store.createLab(input)),
  importLab: (...args: Parameters<LabStore['importLab']>) => summarise(store.importLab(...args)),
  deleteLab: (name: string) => {
    subscriptions.get(name)?.();
    subscriptions.delete(name);
    store.deleteLab(name);
    return null;
  },
  subscribe: (name: string) => {
    if (!subscriptions.has(name)) {
      subscriptions.set(
        name,
        store.getLab(name).subscribe((events) => post({ type: 'events', lab: name, events })),
      );
    }
    return store.getLab(name).seq;
  },
  unsubscribe: (name: string) => {
    subscriptions.get(name)?.();
    subscriptions.delete(name);
    return null;
  },
  ...(faultInjection ? { pragma: (pragma: string) => applyPragmaForTests(pragma) } : {}),
  close: () => {
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
    store.close();
    return null;
  },
};

const labMethods = new Set([
  'summary',
  'apply',
  'applyBatch',
  'state',
  'events',
  'explain',
  'compare',
  'fork',
  'export',
  'pagetable',
]);

function call(message: CallMessage): unknown {
  if (message.lab === undefined) {
    const method = storeMethods[message.method];
    if (!method) throw new Error(`no store method ${message.method}`);
    return (method as (...args: unknown[]) => unknown)(...message.args);
  }
  const lab = store.getLab(message.lab);
  if (message.method === 'seq') return lab.seq;
  if (!labMethods.has(message.method)) throw new Error(`no lab method ${message.method}`);
  const method = (lab as unknown as Record<string, (...args: unknown[]) => unknown>)[message.method];
  return summarise(method?.apply(lab, message.args));
}

port.on('message', (message: CallMessage) => {
  try {
    post({ type: 'result', id: message.id, ok: true, value: call(message) });
  } catch (error) {
    post({ type: 'result', id: message.id, ok: false, error: errorShape(error) });
  }
});

post({ type: 'ready' });
