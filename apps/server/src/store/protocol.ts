// Messages between the server's main thread and the store worker: calls, their answers, and the
// events of subscribed labs, pushed in commit order.
import type { StoredEvent } from '@ioasid-lab/db';

/** A call of a LabStore method (no `lab`) or of a StoredLab method on the lab named `lab`. */
export interface CallMessage {
  id: number;
  lab?: string;
  method: string;
  args: unknown[];
}

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
