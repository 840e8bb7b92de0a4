// Messages between the server's main thread and the store worker: calls, their answers, and the
// events of subscribed labs, pushed in commit order. The calls are typed from the store's own interfaces.
import type { LabStore, LabSummary, StoredEvent, StoredLab } from '@ioasid-lab/db';

/** What crosses the thread boundary for a result: a StoredLab cannot, so it goes as its summary. */
type Posted<T> = T extends StoredLab ? LabSummary : T;

/** A method of T as the other thread sees it: the same arguments, the posted result. */
type Call<T, M extends keyof T> = T[M] extends (...args: infer A) => infer R
  ? (...args: A) => Posted<R>
  : never;

/**
 * The StoredLab methods a RemoteLab calls on the worker's lab of that name. Derived from StoredLab, so a
 * method renamed or retyped there fails to compile here, in remote.ts and in worker.ts.
 */
export type LabCalls = {
  [M in
    | 'summary'
    | 'apply'
    | 'applyBatch'
    | 'state'
    | 'events'
    | 'explain'
    | 'compare'
    | 'fork'
    | 'export'
    | 'pagetable']: Call<StoredLab, M>;
} & { seq(): number };

/**
 * The calls on the store itself: LabStore's own, plus the worker's (event subscriptions, close, and the
 * `pragma` of fault tests, present only with WorkerInput.faultInjection).
 */
export type StoreCalls = {
  [M in 'listLabs' | 'createLab' | 'importLab' | 'deleteLab']: Call<LabStore, M>;
} & {
  /** Starts pushing the lab's events; answers its seq. */
  subscribe(lab: string): number;
  unsubscribe(lab: string): void;
  pragma(pragma: string): unknown;
  close(): void;
};

export type LabMethod = keyof LabCalls;
export type StoreMethod = keyof StoreCalls;

/** A call of a store method (no `lab`) or of a lab method on the lab named `lab`. */
export type CallMessage =
  | { id: number; lab?: undefined; method: StoreMethod; args: unknown[] }
  | { id: number; lab: string; method: LabMethod; args: unknown[] };

/** `storage`: the SQLite code when the storage failed (full disk, read-only or damaged file, I/O error). */
export type ErrorShape = { name: string; message: string; code?: string; storage?: string };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; error: ErrorShape }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: ErrorShape }
  | { type: 'events'; lab: string; events: StoredEvent[] };

export interface WorkerInput {
  dbPath: string;
  /** Adds the `pragma` store method, with which fault tests make the store's connection fail. */
  faultInjection?: boolean;
}
