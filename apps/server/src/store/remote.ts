// The main thread's face of the store worker: the LabStore / StoredLab API with every call async.
// Calls run in the worker one at a time in the order made; refusals come back as LabErrors.
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
import type { CallMessage, ErrorShape, WorkerMessage } from './protocol.ts';

function toError(shape: ErrorShape): Error {
  if (shape.name === 'LabError' && shape.code && shape.code in ERRNO) {
    return new LabError(shape.code as ErrnoCode, shape.message);
  }
  const error = new Error(shape.message);
  error.name = shape.name;
  return error;
}

export class RemoteStore {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  readonly #listeners = new Map<string, Set<EventListener>>();
  readonly #labs = new Map<string, RemoteLab>();
  #nextId = 1;
  #closed = false;
  /** Called once if the worker dies while the store is open (every later call fails). */
  onFailure: (error: unknown) => void = () => {};

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: WorkerMessage) => this.#receive(message));
    worker.on('error', (error) => this.#failAll(error));
    worker.on('exit', (code) => this.#failAll(new Error(`the store worker exited with code ${code}`)));
  }

  /** Starts the worker on `dbPath`; resolves once the store is open and seeded. */
  static open(dbPath: string): Promise<RemoteStore> {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: { dbPath } });
    return new Promise((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'ready') {
          worker.off('message', onMessage);
          worker.off('error', reject);
          resolve(new RemoteStore(worker));
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

  call<T>(lab: string | undefined, method: string, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new LabError('EINVAL', 'the lab store is closed'));
    const id = this.#nextId++;
    const message: CallMessage = { id, method, args, ...(lab === undefined ? {} : { lab }) };
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage(message);
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
    await this.call(undefined, 'close').catch(() => undefined);
    this.#closed = true;
    await this.#worker.terminate();
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
    if (message.ok) pending.resolve(message.value);
    else pending.reject(toError(message.error));
  }

  #failAll(error: unknown): void {
    if (!this.#closed) this.onFailure(error);
    this.#closed = true;
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
