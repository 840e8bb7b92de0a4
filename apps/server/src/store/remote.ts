// The main thread's face of the store worker: the LabStore / StoredLab API with every call async.
// Calls run in the worker one at a time in the order made; refusals come back as LabErrors. A worker
// that dies is replaced (a few times), else the store fails closed with 503s. Closing is bounded: every
// worker closes its database and answers within the close timeout, or is terminated and reported.
import { randomUUID } from 'node:crypto';
import { type MessagePort, Worker } from 'node:worker_threads';
import type { StoreHealth } from '@ioasid-lab/api';
import { ERRNO, type ErrnoCode, LabError } from '@ioasid-lab/core';
import { type Explanation, shardOf } from '@ioasid-lab/db';
import { STORE_CLOSE_TIMEOUT_MS } from '../config.ts';
import { ApiError } from '../errors.ts';
import { within } from './bounded.ts';
import { type EncodedEvents, resultValue } from './encoded-events.ts';
import {
  type CallMessage,
  type ErrorShape,
  type LabCalls,
  type LabMethod,
  labOf,
  type StoreCalls,
  type StoreCloseReport,
  type StoreMethod,
  type WorkerInput,
  type WorkerMessage,
} from './protocol.ts';
import { storeShards } from './shards.ts';

export type { StoreCloseReport };

/** Receives each commit's events of a subscribed lab, as the worker encoded them (encoded-events.ts). */
export type BatchListener = (batch: EncodedEvents) => void;

/** A method of the worker's table (protocol.ts) as this thread calls it: same arguments, a promise. */
type Async<T, M extends keyof T> = T[M] extends (...args: infer A) => infer R
  ? (...args: A) => Promise<R>
  : never;

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
 * The store's condition for /health, shaped by the API (StoreHealth). `fault`: the last write failed for a
 * storage reason (full disk, read-only or damaged file, I/O error); it clears once a write succeeds again.
 */
export type { StoreHealth };

/** Calls that write: their success shows the storage works again. */
const WRITES = new Set([
  'apply',
  'applyBatch',
  'applyBatchText',
  'createLab',
  'importLab',
  'deleteLab',
  'fork',
]);

/** The answer to calls the store cannot serve: the worker died, is restarting, or could not restart. */
function unavailable(message: string): ApiError {
  return new ApiError('EIO', message, { status: 503 });
}

export interface RemoteStoreOptions {
  /** Lets tests run pragmas on the worker's connection (see applyPragmaForTests). */
  faultInjection?: boolean;
  /** Store workers; default LAB_STORE_SHARDS (shards.ts). */
  shards?: number;
  /** How long each store worker may take to close its database; default STORE_CLOSE_TIMEOUT_MS. */
  closeTimeoutMs?: number;
}

/** What the router may take beyond the shards' bound: ending them, then the file's last checkpoint. */
const ROUTER_CLOSE_MARGIN_MS = 2_000;

/** A started store worker, and with a router, its lanes: one port straight to each shard. */
interface Started {
  worker: Worker;
  lanes: MessagePort[];
}

function startWorker(input: WorkerInput): Promise<Started> {
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: input });
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'ready') {
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve({ worker, lanes: message.lanes ?? [] });
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
  readonly #input: WorkerInput;
  #fault: StoreHealth['fault'] | undefined;
  #worker: Worker;
  /**
   * With a router, a port straight to each shard: calls about a lab go to its shard on its lane and are
   * answered there (two thread hops, not four); the rest go through the router.
   */
  #lanes: MessagePort[] = [];
  /** Calls made while a new worker starts, sent in order once it is ready. */
  #backlog: CallMessage[] | null = null;
  #failed = false;
  #deaths: number[] = [];
  #restarts = 0;
  readonly #pending = new Map<
    number,
    { method: string; resolve(value: unknown): void; reject(error: unknown): void }
  >();
  readonly #listeners = new Map<string, Set<BatchListener>>();
  readonly #labs = new Map<string, RemoteLab>();
  #nextId = 1;
  #closed = false;
  #closing: Promise<StoreCloseReport> | undefined;
  /**
   * Called when the worker dies while the store is open. Calls in flight then fail with 503 (they may
   * or may not have committed); a new worker re-opens the file, which rebuilds every lab from its
   * snapshot and events. After MAX_RESTARTS deaths in a minute, or a failed re-open, every call fails.
   */
  onFailure: (error: unknown, willRestart: boolean) => void = () => {};
  onRestart: () => void = () => {};
  /** A lab deleted through another replica of the same PostgreSQL database. */
  onLabDeleted: (lab: string) => void = () => {};
  /** Called once the store is closed, with what closing left undone (workers terminated, errors). */
  onClosed: (report: StoreCloseReport) => void = () => {};

  private constructor(input: WorkerInput, started: Started) {
    this.#input = input;
    this.#worker = started.worker;
    this.#watch(started);
  }

  /** Starts the worker on `dbPath`; resolves once the store is open and seeded. */
  static async open(dbPath: string, options: RemoteStoreOptions = {}): Promise<RemoteStore> {
    const input: WorkerInput = {
      dbPath,
      faultInjection: options.faultInjection === true,
      shards: options.shards ?? storeShards(process.env),
      closeTimeoutMs: options.closeTimeoutMs ?? STORE_CLOSE_TIMEOUT_MS,
      replica: randomUUID(),
    };
    return new RemoteStore(input, await startWorker(input));
  }

  /** Store workers: the shards a router spreads labs over, or 1 (no router). */
  get shards(): number {
    return this.#input.shards;
  }

  get closeTimeoutMs(): number {
    return this.#input.closeTimeoutMs;
  }

  /** The current worker thread: fault tests terminate it to prove the store recovers. */
  get worker(): Worker {
    return this.#worker;
  }

  health(): StoreHealth {
    const state = this.#failed ? 'failed' : this.#backlog ? 'restarting' : this.#fault ? 'fault' : 'ok';
    return { state, restarts: this.#restarts, ...(this.#fault ? { fault: this.#fault } : {}) };
  }

  /** A call of a method of the store itself, by the worker's table (protocol.ts). */
  call<M extends StoreMethod>(
    lab: undefined,
    method: M,
    ...args: Parameters<StoreCalls[M]>
  ): Promise<ReturnType<StoreCalls[M]>>;
  /** A call of a method of the lab named `lab`. */
  call<M extends LabMethod>(
    lab: string,
    method: M,
    ...args: Parameters<LabCalls[M]>
  ): Promise<ReturnType<LabCalls[M]>>;
  call(lab: string | undefined, method: StoreMethod | LabMethod, ...args: unknown[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(new LabError('EINVAL', 'the lab store is closed'));
    if (this.#failed) return Promise.reject(unavailable('the lab store is unavailable; restart the server'));
    const id = this.#nextId++;
    const message = (lab === undefined ? { id, method, args } : { id, lab, method, args }) as CallMessage;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject });
      if (this.#backlog) this.#backlog.push(message);
      else this.#post(message);
    });
  }

  /** Sends a call: on its lab's lane when there are lanes and it names a lab, else to the worker. */
  #post(message: CallMessage): void {
    const lab = this.#lanes.length > 0 ? labOf(message) : undefined;
    if (lab === undefined) this.#worker.postMessage(message);
    else (this.#lanes[shardOf(lab, this.#lanes.length)] as MessagePort).postMessage(message);
  }

  listLabs: Async<StoreCalls, 'listLabs'> = () => this.call(undefined, 'listLabs');
  createLab: Async<StoreCalls, 'createLab'> = (...args) => this.call(undefined, 'createLab', ...args);
  importLab: Async<StoreCalls, 'importLab'> = (...args) => this.call(undefined, 'importLab', ...args);
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

  /** Events of `lab` in commit order, delivered after the worker committed them, one commit per call. */
  subscribe(lab: string, listener: BatchListener): () => void {
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

  /**
   * Closes every database the workers hold and ends them. Each worker gets closeTimeoutMs to close and
   * answer (the router a margin more); one that does not is terminated, and the report says which.
   * Calling it again answers the same report.
   */
  close(): Promise<StoreCloseReport> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<StoreCloseReport> {
    const report = this.#failed ? { terminated: [], errors: [] } : await this.#closeWorker();
    this.#closed = true;
    this.#rejectAll(new LabError('EINVAL', 'the lab store is closed'));
    await this.#worker.terminate();
    for (const lane of this.#lanes) lane.close();
    this.onClosed(report);
    return report;
  }

  async #closeWorker(): Promise<StoreCloseReport> {
    const { shards, closeTimeoutMs } = this.#input;
    const bound = shards > 1 ? closeTimeoutMs + ROUTER_CLOSE_MARGIN_MS : closeTimeoutMs;
    try {
      return (
        (await within(this.call(undefined, 'close'), bound)) ?? { terminated: ['store worker'], errors: [] }
      );
    } catch (error) {
      return { terminated: [], errors: [`store worker: ${(error as Error)?.message ?? String(error)}`] };
    }
  }

  #watch({ worker, lanes }: Started): void {
    for (const lane of this.#lanes) lane.close();
    this.#lanes = lanes;
    const receive = (message: WorkerMessage) => {
      if (worker === this.#worker) this.#receive(message);
    };
    worker.on('message', receive);
    for (const lane of lanes) lane.on('message', receive);
    let cause: unknown;
    worker.on('error', (error) => {
      cause = error;
    });
    worker.on('exit', (code) => {
      if (worker !== this.#worker || this.#closed) return;
      const error = cause ?? new Error(`the store worker exited with code ${code}`);
      // Closing: no new worker; the close call fails and says why.
      if (this.#closing) this.#rejectAll(error);
      else this.#died(error);
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
    startWorker(this.#input).then(
      (started) => {
        const backlog = this.#backlog ?? [];
        this.#backlog = null;
        if (this.#closed) {
          void started.worker.terminate();
          return;
        }
        this.#worker = started.worker;
        this.#watch(started);
        this.#restarts += 1;
        // Streams keep their listeners; the new worker must push their labs' events again. Events
        // committed but not pushed before the death show up as a gap the hub fetches from the log.
        for (const lab of this.#listeners.keys()) {
          this.#post({ id: this.#nextId++, method: 'subscribe', args: [lab] } satisfies CallMessage);
        }
        for (const message of backlog) this.#post(message);
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
      for (const listener of this.#listeners.get(message.lab) ?? []) listener(message.batch);
      return;
    }
    if (message.type === 'deleted') {
      this.onLabDeleted(message.lab);
      return;
    }
    if (message.type !== 'result') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.ok) {
      if (this.#fault && WRITES.has(pending.method)) this.#fault = undefined;
      pending.resolve(resultValue(message));
    } else if (message.error.storage) {
      // The storage failed, not the request: 503 EIO (docs/api.md), and /health says so until writes work.
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

  #call<M extends LabMethod>(method: M, ...args: Parameters<LabCalls[M]>): Promise<ReturnType<LabCalls[M]>> {
    return this.#store.call(this.name, method, ...args);
  }

  seq: Async<LabCalls, 'seq'> = () => this.#call('seq');
  summary: Async<LabCalls, 'summary'> = () => this.#call('summary');
  apply: Async<LabCalls, 'apply'> = (...args) => this.#call('apply', ...args);
  applyBatch: Async<LabCalls, 'applyBatch'> = (...args) => this.#call('applyBatch', ...args);
  applyBatchText: Async<LabCalls, 'applyBatchText'> = (...args) => this.#call('applyBatchText', ...args);
  state: Async<LabCalls, 'state'> = (...args) => this.#call('state', ...args);
  events: Async<LabCalls, 'events'> = (...args) => this.#call('events', ...args);
  /** Two VMs give their comparison; one VM alone, its own explanation. */
  explain(a: string, b: string): Promise<Explanation>;
  explain(...args: Parameters<LabCalls['explain']>): Promise<ReturnType<LabCalls['explain']>>;
  explain(...args: Parameters<LabCalls['explain']>) {
    return this.#call('explain', ...args);
  }
  compare: Async<LabCalls, 'compare'> = (...args) => this.#call('compare', ...args);
  fork: Async<LabCalls, 'fork'> = (...args) => this.#call('fork', ...args);
  export: Async<LabCalls, 'export'> = () => this.#call('export');
  pagetable: Async<LabCalls, 'pagetable'> = (...args) => this.#call('pagetable', ...args);
  subscribe = (listener: BatchListener) => this.#store.subscribe(this.name, listener);
}
