// One async face over both engines: the embedded SQLite store (sync, wrapped here) and the PostgreSQL
// store (pg/store.ts). Reads run a function on the lab as the store has it now (a StoredLab either way),
// so every read of the past is the same code on both engines.
import type { Kernel, Op, Policy } from '@ioasid-lab/core';
import type {
  BatchOptions,
  CreateLabInput,
  LabExport,
  LabStore,
  LabSummary,
  StoredEvent,
  StoredLab,
} from './store-types.ts';

export interface AsyncLabStore {
  listLabs(): Promise<LabSummary[]>;
  createLab(input: CreateLabInput): Promise<LabSummary>;
  importLab(
    name: string,
    policy: Policy | undefined,
    exported: LabExport,
    kernel?: Kernel,
  ): Promise<LabSummary>;
  fork(source: string, name: string, policy?: Policy, at?: number, kernel?: Kernel): Promise<LabSummary>;
  deleteLab(name: string): Promise<void>;
  apply(name: string, op: Op): Promise<StoredEvent>;
  applyBatch(name: string, ops: Op[], options?: BatchOptions): Promise<StoredEvent[]>;
  /** Runs `fn` on the lab as committed now. LabError ENOENT for an unknown lab. */
  read<T>(name: string, fn: (lab: StoredLab) => T): Promise<T>;
  close(): Promise<void>;
}

/** The SQLite store behind the async face (each call runs at once, in the caller's thread). */
export function asyncLabStore(store: LabStore): AsyncLabStore {
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    listLabs: () => run(() => store.listLabs()),
    createLab: (input) => run(() => store.createLab(input).summary()),
    importLab: (name, policy, exported, kernel) =>
      run(() => store.importLab(name, policy, exported, kernel).summary()),
    fork: (source, name, policy, at, kernel) =>
      run(() => store.getLab(source).fork(name, policy, at, kernel).summary()),
    deleteLab: (name) => run(() => store.deleteLab(name)),
    apply: (name, op) => run(() => store.getLab(name).apply(op)),
    applyBatch: (name, ops, options) => run(() => store.getLab(name).applyBatch(ops, options)),
    read: (name, fn) => run(() => fn(store.getLab(name))),
    close: () => run(() => store.close()),
  };
}
