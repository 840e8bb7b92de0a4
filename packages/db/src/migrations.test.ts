// Migrations: the committed SQL applies to an empty file, and upgrades a file made by any previous
// schema version without losing its labs and events; a file written before kernel profiles opens with its
// labs on 6.12, its snapshots dropped and its events' results derived again under the current core's rules.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { abiVersion, Lab } from '@ioasid-lab/core';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';
import { openLabStore } from './store.ts';

const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '..', 'drizzle');
/** `sqlite3 .dump` of a file the store wrote before kernel profiles (core ABI 1, snapshot format 1). */
const PREVIOUS_DUMP = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'pre-kernel-profiles.sql',
);

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
    expect(columns(db.sqlite, 'shadow_snapshots')).toEqual([
      'lab_id',
      'policy',
      'kernel',
      'seq',
      'refused',
      'state',
    ]);
    expect(columns(db.sqlite, 'labs')).toContain('kernel');
    expect(columns(db.sqlite, 'history_index')).toEqual(['lab_id', 'vm', 'seq', 'state']);
    const indexes = db.sqlite.prepare('pragma index_list(events)').all() as {
      name: string;
      partial: number;
    }[];
    expect(indexes).toContainEqual(expect.objectContaining({ name: 'events_refused', partial: 1 }));
    db.close();
  });

  it.each([1, 2, 3, 4])(
    'upgrade a file made by schema version %i (first migrations only), keeping its rows',
    (count) => {
      const path = join(mkdtempSync(join(tmpdir(), 'ioasid-mig-')), 'old.db');
      const old = new Database(path);
      migrate(drizzle(old), { migrationsFolder: versionFolder(count) });
      expect(columns(old, 'events').includes('aborted')).toBe(count >= 2);
      const kernel = count >= 4 ? ['kernel'] : [];
      expect(columns(old, 'shadow_snapshots')).toEqual(
        count >= 3 ? ['lab_id', 'policy', ...kernel, 'seq', 'refused', 'state'] : [],
      );
      expect(columns(old, 'labs').includes('kernel')).toBe(count >= 4);
      expect(columns(old, 'history_index')).toEqual([]);
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
      const lab = db.sqlite.prepare('select name, policy, kernel from labs').get();
      const shadows = columns(db.sqlite, 'shadow_snapshots');
      const history = columns(db.sqlite, 'history_index');
      db.close();
      expect(history).toContain('state');
      expect(shadows).toContain('refused');
      expect(lab).toEqual({ name: 'old', policy: 'shared', kernel: '6.12' });
      expect(event).toMatchObject({ seq: 1, errno: 0, aborted: 0 });
      expect(JSON.parse(event.op as string)).toMatchObject({ op: 'iommu.add', name: 'iommu0' });
    },
  );
});

describe('a file written by the core before kernel profiles', () => {
  it('opens: labs on 6.12, snapshots dropped, results derived again under the current rules', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ioasid-mig-')), 'prev.db');
    const old = new Database(path);
    migrate(drizzle(old), { migrationsFolder: versionFolder(3) });
    old
      .prepare("insert into labs (name, policy, template, created_at) values ('t1', 'type1', 'seed', 1)")
      .run();
    const hardware = [
      { op: 'iommu.add', name: 'iommu0', vendor: 'intel-vtd', enforceCacheCoherency: true },
      { op: 'iommu.add', name: 'iommu1', vendor: 'intel-vtd', enforceCacheCoherency: false },
      { op: 'device.add', name: 'A', iommu: 'iommu0', noSnoop: true },
      { op: 'device.add', name: 'B', iommu: 'iommu1', noSnoop: true },
    ];
    const insert = old.prepare(
      'insert into events (lab_id, seq, at, op, errno, code, message, effects) values (1, ?, 2, ?, 0, null, null, ?)',
    );
    let seq = 0;
    for (const op of hardware) insert.run(++seq, JSON.stringify(op), '[]');
    // What the previous core recorded: a KVM count per file (2), and a replace type1 accepted.
    insert.run(
      ++seq,
      JSON.stringify({ op: 'vm.create', name: 'VM1', devices: ['A', 'B'] }),
      JSON.stringify([{ type: 'vm.noncoherent_changed', vm: 'VM1', noncoherentDma: 2 }]),
    );
    insert.run(
      ++seq,
      JSON.stringify({
        op: 'device.replace',
        vm: 'VM1',
        device: 'A',
        hwpt: 'new',
        enforceCacheCoherency: true,
      }),
      JSON.stringify([{ type: 'device.replaced', vm: 'VM1', device: 'A' }]),
    );
    // A snapshot at the last seq that the current core can read but holds another state (an empty lab):
    // a store that trusted it would report no VM at all.
    const empty = Lab.create('type1');
    old.prepare('insert into snapshots (lab_id, seq, state) values (1, ?, ?)').run(seq, empty.serialize());
    empty.destroy();
    old.close();

    const store = openLabStore({ path });
    const lab = store.getLab('t1');
    expect(lab.summary()).toMatchObject({ policy: 'type1', kernel: '6.12', events: seq });
    const vm = lab.state().vms.find((v) => v.name === 'VM1');
    expect(vm).toMatchObject({ devices: ['A', 'B'], noncoherentDma: 1, wbinvd: true });
    const [create, replace] = lab.events(seq - 2);
    expect(create?.effects).toContainEqual(
      expect.objectContaining({ type: 'vm.noncoherent_changed', noncoherentDma: 1 }),
    );
    expect(create?.effects).not.toContainEqual(expect.objectContaining({ noncoherentDma: 2 }));
    expect(replace?.result).toMatchObject({ ok: false, code: 'EOPNOTSUPP' });
    // The answer does not depend on which store instance derived it: reopening keeps it, no second rewrite.
    store.close();
    const again = openLabStore({ path });
    expect(again.getLab('t1').events(seq - 1)[0]?.result).toMatchObject({ ok: false, code: 'EOPNOTSUPP' });
    expect(again.getLab('t1').state().vms[0]).toMatchObject({ noncoherentDma: 1 });
    again.close();
  });
});

describe('a file written by the previous store and core (fixtures/pre-kernel-profiles.sql)', () => {
  it('opens with every lab, its results derived again under 6.12 and its old snapshots dropped', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ioasid-mig-')), 'previous.db');
    const old = new Database(path);
    old.exec(readFileSync(PREVIOUS_DUMP, 'utf8'));
    // What the previous code wrote: snapshot format 1, a KVM count of 2 for {A, B} under type1, and a
    // replace under type1 recorded as applied.
    expect(old.prepare('select count(*) from snapshots').pluck().get()).toBeGreaterThan(0);
    const count = old
      .prepare(
        "select effects from events e join labs l on l.id = e.lab_id where l.name = 'replace-type1' and seq = 6",
      )
      .pluck()
      .get() as string;
    expect(JSON.parse(count)).toContainEqual(
      expect.objectContaining({ type: 'vm.noncoherent_changed', noncoherentDma: 2 }),
    );
    old.close();

    const store = openLabStore({ path });
    expect(store.listLabs().map((l) => [l.name, l.policy, l.kernel, l.events])).toEqual([
      ['seed', 'shared', '6.12', 8],
      ['story-type1', 'type1', '6.12', 8],
      ['order-iommufd', 'iommufd', '6.12', 8],
      ['replace-type1', 'type1', '6.12', 8],
    ]);
    const vms = (lab: string) =>
      store
        .getLab(lab)
        .state()
        .vms.map((v) => [v.name, v.noncoherentDma, v.wbinvd, v.coherencyHazard]);
    expect(vms('seed')).toEqual([
      ['VM1', 1, true, false],
      ['VM2', 0, false, false],
    ]);
    expect(vms('story-type1')).toEqual([
      ['VM1', 0, false, false],
      ['VM2', 0, false, false],
    ]);
    expect(vms('order-iommufd')).toEqual([
      ['VM1', 0, false, true],
      ['VM2', 0, false, false],
    ]);
    const replaced = store.getLab('replace-type1');
    const [boot, replace] = replaced.events(5, 2);
    expect(boot?.effects).toContainEqual(
      expect.objectContaining({ type: 'vm.noncoherent_changed', noncoherentDma: 1 }),
    );
    expect(replace?.result).toMatchObject({ ok: false, code: 'EOPNOTSUPP' });
    expect(vms('replace-type1')).toEqual([['VM1', 0, false, false]]);
    expect(replaced.state().hwpts).toHaveLength(1);
    // Explain reads the derived history and replays the other profiles.
    const story = store.getLab('story-type1').explain('VM1', 'VM2');
    expect(story.kernels['6.1']?.a?.wbinvd).toBe(true);
    store.close();

    const after = new Database(path, { readonly: true });
    expect(after.prepare("select value from meta where key = 'core.abi'").pluck().get()).toBe(
      String(abiVersion()),
    );
    expect(after.prepare('select count(*) from snapshots where seq <= 8').pluck().get()).toBe(0);
    after.close();
  });
});

describe('two openers of one file written by the previous core', () => {
  it('the second waits past busy_timeout for the first to derive the results, then opens', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ioasid-mig-')), 'previous.db');
    const old = new Database(path);
    old.exec(readFileSync(PREVIOUS_DUMP, 'utf8'));
    old.close();
    openDatabase(path).close(); // migrated (and in WAL), results not yet derived
    // Another opener (a shard, a second server starting) holds the write lock for longer than busy_timeout
    // (5 s), as a long derivation would, then lets go without finishing.
    const holder = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const Database = require('better-sqlite3');
       const db = new Database(workerData.path);
       db.exec('BEGIN IMMEDIATE');
       parentPort.postMessage('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 6500);
       db.exec('ROLLBACK');
       db.close();`,
      { eval: true, workerData: { path } },
    );
    await new Promise((resolve) => holder.once('message', resolve));
    const started = Date.now();
    const store = openLabStore({ path });
    expect(Date.now() - started).toBeGreaterThan(5000);
    expect(store.getLab('replace-type1').events(6, 1)[0]?.result).toMatchObject({
      ok: false,
      code: 'EOPNOTSUPP',
    });
    store.close();
    await new Promise((resolve) => holder.once('exit', resolve));
  }, 30_000);
});
