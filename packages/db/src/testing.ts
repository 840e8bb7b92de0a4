// Test support: a store on a real SQLite file in a fresh temp dir (never a mock), closed after the test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLabStore } from './store.ts';
import type { LabStore, OpenLabStoreOptions } from './store-types.ts';

export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'ioasid-store-')), 'lab.db');
}

export function openTempStore(options: Omit<OpenLabStoreOptions, 'path'> = {}): {
  store: LabStore;
  path: string;
  reopen(): LabStore;
} {
  const path = tempDbPath();
  const state = { store: openLabStore({ ...options, path }) };
  return {
    get store() {
      return state.store;
    },
    path,
    reopen() {
      state.store.close();
      state.store = openLabStore({ ...options, path });
      return state.store;
    },
  };
}
