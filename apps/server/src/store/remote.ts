// The main thread's face of the store worker: the LabStore / StoredLab API with every call async.
// Calls run in the worker one at a time in the order made; refusals come back as LabErrors. A worker
// that dies is replaced (a few times), else the store fails closed with 503s.
import { Worker } from 'node:worker_threads';
import type { LeafPage } from '@ioasid-lab/core';
import { ERRNO, type ErrnoCode, LabError, type Op, type Policy, type U64Input } from '@ioasid-lab/core';
import type {
  BatchOptions,
  Comparison,
  CreateLabInput,
  EventListener,
  Explanation,
  LabExport,
  LabState,
  LabSummary,
  StoredEvent,
} from '@ioasid-lab/db';
import { ApiError } from '../errors.ts';
import type { CallMessage, ErrorShape, WorkerInput, WorkerMessage } from './protocol.ts';

function toError(shape: ErrorShape): Error {
  if (shape.name === 'LabError' && shape.code && shape.code in ERRNO) {
    return new LabError(shape.code as ErrnoCode, shape.message);
  }
  const error = new Error(shape.message);
  error.name = shape.name;
  return error;
}

/** Worker deaths tolerated within RESTART_WINDOW_MS before the store gives up and fails closed. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

/**
 * `fault`: the last write failed for a storage reason (full disk, read-only or damaged file, I/O
 * error); it clears by itself once a write succeeds again.
 */
export type StoreHealth = {
  state: 'ok' | 'restarting' | 'failed' | 'fault';
  restarts: number;
  fault?: { code: string; message: string; since: string };
};

/** Calls that write: their success shows the storage works again. */
const WRITES = new Set(['apply', 'applyBatch', 'createLab', 'importLab', 'deleteLab', 'fork']);

/** The answer to calls the store cannot serve: the worker died, is restarting, or could not restart. */
function unavailable(message: string): ApiError {
  return new ApiError('EIO', message, { status: 503 });
}

export interface RemoteStoreOptions {
  /** Lets tests run pragmas on the worker's connection (see applyPragmaForTests). */
  faultInjection?: boolean;
}

function startWorker(dbPath: string, options: RemoteStoreOptions): Promise<Worker> {
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
    workerData: { dbPath, faultInjection: options.faultInjection === true } satisfies WorkerInput,
  });
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'ready') {
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(worker);
      } else if (message.type === 'failed') {
        worker.off('message', onMessage);
        void worker.terminate();
        reject(toError(message.error));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

export class RemoteStore {
  readonly #dbPath: string;
  readonly #options: RemoteStoreOptions;
  #fault: StoreHealth['fault'] | undefined;
  #worker: Worker;
  /** Calls made while a new worker starts, sent in order once it is ready. */
  #backlog: CallMessage[] | null = null;
  #failed = false;
  #deaths: number[] = [];
  #restarts = 0;
  readonly #pending = new Map<
    number,
    { method: string; resolve(value: unknown): void; reject(error: unknown): void }
  >();
  readonly #listeners = new Map<string, Set<EventListener>>();
  readonly #labs = new Map<string, RemoteLab>();
  #nextId = 1;
  #closed = false;
  /**
   * Called when the worker dies while the store is open. Calls in flight then fail with 503 (they may
   * or may not have committed); a new worker re-opens the file, which rebuilds every lab from its
   * snapshot and events. After MAX_RESTARTS deaths in a minute, or a failed re-open, every call fails.
   */
  onFailure: (error: unknown, willRestart: boolean) => void = () => {};
  onRestart: () => void = () => {};

  private constructor(dbPath: string, worker: Worker, options: RemoteStoreOptions) {
    this.#dbPath = dbPath;
    this.#options = options;
    this.#worker = worker;
    this.#watch(worker);
  }

  /** Starts the worker on `dbPath`; resolves once the store is open and seeded. */
  static async open(dbPath: string, options: RemoteStoreOptions = {}): Promise<RemoteStore> {
    return new RemoteStore(dbPath, await startWorker(dbPath, options), options);
  }

  /** The current worker thread: fault tests terminate it to prove the store recovers. */
  get worker(): Worker {
    return this.#worker;
  }

  health(): StoreHealth {
    const state = this.#failed ? 'failed' : this.#backlog ? 'restarting' : this.#fault ? 'fault' : 'ok';
    return { state, restarts: this.#restarts, ...(this.#fault ? { fault: this.#fault } : {}) };
  }

  call<T>(lab: string | undefined, method: string, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new LabError('EINVAL', 'the lab store is closed'));
    if (this.#failed) return Promise.reject(unavailable('the lab store is unavailable; restart the server'));
    const id = this.#nextId++;
    const message: CallMessage = { id, method, args, ...(lab === undefined ? {} : { lab }) };
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      if (this.#backlog) this.#backlog.push(message);
      else this.#worker.postMessage(message);
    });
  }

  listLabs = () => this.call<LabSummary[]>(undefined, 'listLabs');
  createLab = (input: CreateLabInput) => this.call<LabSummary>(undefined, 'createLab', input);
  importLab = (name: string, policy: Policy | undefined, exported: LabExport) =>
    this.call<LabSummary>(undefined, 'importLab', name, policy, exported);
  async deleteLab(name: string): Promise<void> {
    await this.call(undefined, 'deleteLab', name);
    this.#listeners.delete(name);
  }

  /** A handle on a lab; it does not check that the lab exists (its calls answer ENOENT if not). */
  getLab(name: string): RemoteLab {
    let lab = this.#labs.get(name);
    if (!lab) {
      lab = new RemoteLab(this, name);
      this.#labs.set(name, lab);
      // Handles are tiny, but names come from requests: keep the cache from growing without bound.
      if (this.#labs.size > 10_000) this.#labs.clear();
    }
    return lab;
  }

  /** Events of `lab` in commit order, delivered after the worker committed them. */
  subscribe(lab: string, listener: EventListener): () => void {
    let set = this.#listeners.get(lab);
    if (!set) {
      set = new Set();
      this.#listeners.set(lab, set);
      void this.call(undefined, 'subscribe', lab).catch(() => undefined);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(lab);
      if (!current?.delete(listener) || current.size > 0) return;
      this.#listeners.delete(lab);
      if (!this.#closed) void this.call(undefined, 'unsubscribe', lab).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (!this.#failed) await this.call(undefined, 'close').catch(() => undefined);
    this.#closed = true;
    this.#rejectAll(new LabError('EINVAL', 'the lab store is closed'));
    await this.#worker.terminate();
  }

  #watch(worker: Worker): void {
    worker.on('message', (message: WorkerMessage) => {
      if (worker === this.#worker) this.#receive(message);
    });
    let cause: unknown;
    worker.on('error', (error) => {
      cause = error;
    });
    worker.on('exit', (code) => {
      if (worker !== this.#worker || this.#closed) return;
      this.#died(cause ?? new Error(`the store worker exited with code ${code}`));
    });
  }

  #died(error: unknown): void {
    const now = Date.now();
    this.#deaths = [...this.#deaths.filter((at) => now - at < RESTART_WINDOW_MS), now];
    const willRestart = this.#deaths.length <= MAX_RESTARTS;
    this.onFailure(error, willRestart);
    this.#rejectAll(unavailable('the lab store stopped during this request; it may or may not have applied'));
    if (!willRestart) {
      this.#failed = true;
      return;
    }
    this.#backlog = [];
    startWorker(this.#dbPath, this.#options).then(
      (worker) => {
        const backlog = this.#backlog ?? [];
        this.#backlog = null;
        if (this.#closed) {
          void worker.terminate();
          return;
        }
        this.#worker = worker;
        this.#watch(worker);
        this.#restarts += 1;
        // Streams keep their listeners; the new worker must push their labs' events again. Events
        // committed but not pushed before the death show up as a gap the hub fetches from the log.
        for (const lab of this.#listeners.keys()) {
          worker.postMessage({ id: this.#nextId++, method: 'subscribe', args: [lab] } satisfies CallMessage);
        }
        for (const message of backlog) worker.postMessage(message);
        this.onRestart();
      },
      (reopenError: unknown) => {
        this.#backlog = null;
        this.#failed = true;
        this.onFailure(reopenError, false);
        this.#rejectAll(unavailable('the lab store could not be reopened; restart the server'));
      },
    );
  }

  #receive(message: WorkerMessage): void {
    if (message.type === 'events') {
      for (const listener of this.#listeners.get(message.lab) ?? []) listener(message.events);
      return;
    }
    if (message.type !== 'result') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.ok) {
      if (this.#fault && WRITES.has(pending.method)) this.#fault = undefined;
      pending.resolve(message.value);
    } else if (message.error.storage) {
      // The storage failed, not the request: 503 EIO (API.md), and /health says so until writes work.
      this.#fault = {
        code: message.error.storage,
        message: message.error.message,
        since: this.#fault?.since ?? new Date().toISOString(),
      };
      pending.reject(
        new ApiError('EIO', `the lab store cannot use its database: ${message.error.message}`, {
          status: 503,
        }),
      );
    } else pending.reject(toError(message.error));
  }

  #rejectAll(error: unknown): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

/** One lab, by name: StoredLab's methods, async. */
export class RemoteLab {
  readonly name: string;
  readonly #store: RemoteStore;

  constructor(store: RemoteStore, name: string) {
    this.#store = store;
    this.name = name;
  }

  #call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.#store.call<T>(this.name, method, ...args);
  }

  seq = () => this.#call<number>('seq');
  summary = () => this.#call<LabSummary>('summary');
  apply = (op: Op) => this.#call<StoredEvent>('apply', op);
  applyBatch = (ops: Op[], options: BatchOptions = {}) =>
    this.#call<StoredEvent[]>('applyBatch', ops, options);
  state = (at?: number) => this.#call<LabState>('state', ...(at === undefined ? [] : [at]));
  events = (after = 0, limit = 100) => this.#call<StoredEvent[]>('events', after, limit);
  explain = (a: string, b: string) => this.#call<Explanation>('explain', a, b);
  compare = (policies?: Policy[]) => this.#call<Comparison>('compare', ...(policies ? [policies] : []));
  fork = (name: string, policy?: Policy, at?: number) => this.#call<LabSummary>('fork', name, policy, at);
  export = () => this.#call<LabExport>('export');
  pagetable = (hwpt: number, range?: { iova?: U64Input; length?: U64Input; limit?: number }, at?: number) =>
    this.#call<LeafPage>('pagetable', hwpt, range, at);
  subscribe = (listener: EventListener) => this.#store.subscribe(this.name, listener);
}
