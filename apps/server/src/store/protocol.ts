// Messages between the server's main thread and the store worker: calls, their answers, and the
// events of subscribed labs, pushed in commit order. The calls are typed from the store's own interfaces.
import type { MessagePort } from 'node:worker_threads';
import type { LabStore, LabSummary, StoredLab } from '@ioasid-lab/db';
import type { BatchText, EncodedEvents } from './encoded-events.ts';

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
} & {
  seq(): number;
  /** applyBatch answered as its events' JSON text and counts, for a route that sends the text on. */
  applyBatchText(...args: Parameters<StoredLab['applyBatch']>): BatchText;
};

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
  /** Closes every database the worker (and each shard of a router) holds, within the close bound. */
  close(): StoreCloseReport;
};

/**
 * What closing the store left undone: workers that did not answer within the bound and were terminated
 * ("store shard 2", "store worker"), and anything else that failed on the way (one line each).
 */
export interface StoreCloseReport {
  terminated: string[];
  errors: string[];
}

export type LabMethod = keyof LabCalls;
export type StoreMethod = keyof StoreCalls;

/** A call of a store method (no `lab`) or of a lab method on the lab named `lab`. */
export type CallMessage =
  | { id: number; lab?: undefined; method: StoreMethod; args: unknown[] }
  | { id: number; lab: string; method: LabMethod; args: unknown[] };

/** `storage`: the SQLite code when the storage failed (full disk, read-only or damaged file, I/O error). */
export type ErrorShape = { name: string; message: string; code?: string; storage?: string };

export type WorkerMessage =
  /** `lanes`: from a router, one port per shard, straight to it (see labOf). */
  | { type: 'ready'; lanes?: MessagePort[] }
  | { type: 'failed'; error: ErrorShape }
  /** `json`: the value as JSON text instead (the events apply and applyBatch answer: encoded-events.ts). */
  | { type: 'result'; id: number; ok: true; value: unknown; json?: undefined }
  | { type: 'result'; id: number; ok: true; json: string; value?: undefined }
  | { type: 'result'; id: number; ok: false; error: ErrorShape }
  | { type: 'events'; lab: string; batch: EncodedEvents }
  /** A lab deleted through another replica (PostgreSQL): its streams here are closed as a local delete's. */
  | { type: 'deleted'; lab: string };

export interface WorkerInput {
  dbPath: string;
  /** Adds the `pragma` store method, with which fault tests make the store's connection fail. */
  faultInjection?: boolean;
  /** Store workers (LAB_STORE_SHARDS, read once by the main thread): a router over them when above 1. */
  shards: number;
  /** Set by the router for each of its shards: which one this is. */
  shard?: number;
  /**
   * Set by the router for each of its shards: the shard's end of a channel to the main thread, which sends
   * every call about a lab (labOf) straight to the lab's shard on it, without the hop through the router.
   */
  lane?: MessagePort;
  /** How long each worker may take to close its database before the router terminates it. */
  closeTimeoutMs: number;
  /** This server's id among the replicas of one PostgreSQL database (its own deletes are not echoed). */
  replica: string;
}

/**
 * The lab a call is about, whose shard must answer it; undefined for calls any shard can answer (listLabs)
 * or that go to every shard (pragma, close). Every call naming a lab travels the same way, so a lab's calls
 * and its pushed events stay in the order they were made.
 */
export function labOf(message: CallMessage): string | undefined {
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
