import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './index.ts';

describe('openDatabase', () => {
  it('creates the file and folder, applies migrations and uses WAL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ioasid-db-'));
    const db = openDatabase(join(dir, 'nested', 'lab.db'));
    const mode = db.sqlite.pragma('journal_mode', { simple: true });
    const tables = db.sqlite
      .prepare("select name from sqlite_master where type = 'table' order by name")
      .all()
      .map((row) => (row as { name: string }).name);
    db.close();
    expect(mode).toBe('wal');
    expect(tables).toEqual(expect.arrayContaining(['labs', 'events', 'snapshots']));
  });
});
