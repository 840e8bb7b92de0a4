// Migrations: the committed SQL applies to an empty file, and upgrades a file made by the previous
// schema version (0000_init only) without losing its labs and events.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';

const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '..', 'drizzle');

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`pragma table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

/** A copy of the migrations folder that stops after the first `count` migrations (an older version). */
function versionFolder(count: number): string {
  const folder = join(mkdtempSync(join(tmpdir(), 'ioasid-mig-')), 'drizzle');
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  expect(journal.entries.length).toBeGreaterThan(count);
  journal.entries = journal.entries.slice(0, count);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

describe('migrations', () => {
  it('apply to an empty file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ioasid-mig-')), 'empty.db');
    const db = openDatabase(path);
    expect(columns(db.sqlite, 'events')).toContain('aborted');
    expect(columns(db.sqlite, 'meta')).toEqual(['key', 'value']);
    expect(columns(db.sqlite, 'shadow_snapshots')).toEqual(['lab_id', 'policy', 'seq', 'refused', 'state']);
    db.close();
  });

  it.each([1, 2])(
    'upgrade a file made by schema version %i (first migrations only), keeping its rows',
    (count) => {
      const path = join(mkdtempSync(join(tmpdir(), 'ioasid-mig-')), 'old.db');
      const old = new Database(path);
      migrate(drizzle(old), { migrationsFolder: versionFolder(count) });
      expect(columns(old, 'events').includes('aborted')).toBe(count >= 2);
      expect(columns(old, 'shadow_snapshots')).toEqual([]);
      old
        .prepare("insert into labs (name, policy, template, created_at) values ('old', 'shared', 'seed', 1)")
        .run();
      old.prepare("insert into events (lab_id, seq, at, op, effects) values (1, 1, 2, ?, '[]')").run(
        JSON.stringify({
          op: 'iommu.add',
          name: 'iommu0',
          vendor: 'intel-vtd',
          enforceCacheCoherency: true,
        }),
      );
      old.close();

      const db = openDatabase(path);
      const event = db.sqlite.prepare('select seq, op, errno, aborted from events').get() as Record<
        string,
        unknown
      >;
      const lab = db.sqlite.prepare('select name, policy from labs').get();
      const shadows = columns(db.sqlite, 'shadow_snapshots');
      db.close();
      expect(shadows).toContain('refused');
      expect(lab).toEqual({ name: 'old', policy: 'shared' });
      expect(event).toMatchObject({ seq: 1, errno: 0, aborted: 0 });
      expect(JSON.parse(event.op as string)).toMatchObject({ op: 'iommu.add', name: 'iommu0' });
    },
  );
});
