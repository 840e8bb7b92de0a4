// The event store's semantics on both engines, through the same async face: the embedded SQLite file and
// a real PostgreSQL cluster (started here, thrown away after). Then what only PostgreSQL has: two replicas
// on one database, catch-up, subscriptions, quotas.
import type { Op } from '@ioasid-lab/core';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AsyncLabStore, asyncLabStore } from '../async-store.ts';
import type { Quotas } from '../quotas.ts';
import type { StoredEvent } from '../store-types.ts';
import { SEED_HARDWARE, SEED_STORY } from '../templates.ts';
import { openTempStore } from '../testing.ts';
import { randomOp } from '../testing-ops.ts';
import { type PgCluster, startCluster } from './cluster.ts';
import { PgFanout } from './fanout.ts';
import { PgLabStore } from './store.ts';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);
afterAll(() => cluster?.stop());

const opened: AsyncLabStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function openPg(url?: string, options: { snapshotEvery?: number; quotas?: Quotas } = {}) {
  const store = await PgLabStore.open({ url: url ?? (await cluster.createDatabase()), ...options });
  opened.push(store);
  return store;
}

const engines: [string, (snapshotEvery?: number) => Promise<AsyncLabStore>][] = [
  [
    'sqlite',
    async (snapshotEvery) => {
      const store = asyncLabStore(openTempStore({ snapshotEvery }).store);
      opened.push(store);
      return store;
    },
  ],
  ['postgres', (snapshotEvery) => openPg(undefined, { snapshotEvery })],
];

const strip = (events: StoredEvent[]) => events.map(({ at: _at, ...rest }) => rest);

describe.each(engines)('event store on %s', (_engine, open) => {
  it('creates labs from templates as ordinary events, lists them, refuses bad input with errnos', async () => {
    const store = await open();
    await store.createLab({ name: 'e', policy: 'type1' });
    await store.createLab({ name: 'story', policy: 'shared', template: 'seed-story' });
    expect((await store.listLabs()).map((l) => [l.name, l.policy, l.kernel, l.events])).toEqual([
      ['e', 'type1', '6.12', 0],
      ['story', 'shared', '6.12', SEED_HARDWARE.length + SEED_STORY.length],
    ]);
    const ops = await store.read('story', (lab) => lab.events(0, 100).map((e) => e.op));
    expect(ops).toEqual([...SEED_HARDWARE, ...SEED_STORY].map((o) => o.op));
    await expect(store.createLab({ name: 'e', policy: 'shared' })).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(store.createLab({ name: '-bad', policy: 'shared' })).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(store.createLab({ name: 'k', policy: 'iommufd', kernel: '6.1' })).rejects.toMatchObject({
      code: 'EOPNOTSUPP',
    });
    await expect(store.read('nope', (lab) => lab.seq)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.apply('nope', { op: 'vm.destroy', vm: 'x' })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await expect(store.deleteLab('nope')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('records refusals as events, keeps one aborted event for a refused atomic batch, pages events', async () => {
    const store = await open();
    await store.createLab({ name: 'l', policy: 'iommufd', template: 'seed' });
    const ok = await store.apply('l', { op: 'vm.create', name: 'VM1', devices: ['A'] });
    expect(ok).toMatchObject({ seq: 6, op: 'vm.create', result: { ok: true } });
    const refused = await store.apply('l', { op: 'vm.create', name: 'VM1', devices: [] });
    expect(refused).toMatchObject({ seq: 7, result: { ok: false, code: 'EEXIST' } });
    const atomic = await store.applyBatch(
      'l',
      [
        { op: 'vm.create', name: 'VM2', devices: ['A2'] },
        { op: 'vm.attach', vm: 'VM9', device: 'B' },
      ],
      { atomic: true },
    );
    expect(atomic).toHaveLength(1);
    expect(atomic[0]).toMatchObject({ seq: 8, op: 'vm.attach', result: { ok: false, code: 'ENOENT' } });
    const plain = await store.applyBatch('l', [
      { op: 'vm.create', name: 'VM2', devices: ['A2'] },
      { op: 'vm.attach', vm: 'VM9', device: 'B' },
    ]);
    expect(plain.map((e) => [e.seq, e.result.ok])).toEqual([
      [9, true],
      [10, false],
    ]);
    const state = await store.read('l', (lab) => lab.state());
    expect(state.seq).toBe(10);
    expect(state.vms.map((v) => v.name)).toEqual(['VM1', 'VM2']);
    expect(await store.read('l', (lab) => lab.events(7, 2).map((e) => e.seq))).toEqual([8, 9]);
    expect(await store.read('l', (lab) => lab.state(6).vms.map((v) => v.name))).toEqual(['VM1']);
    await expect(store.read('l', (lab) => lab.state(11))).rejects.toMatchObject({ code: 'ERANGE' });
    // The aborted attempt is on the timeline but not in the export.
    const exported = await store.read('l', (lab) => lab.export());
    expect(exported.ops).toHaveLength(9);
  });

  it('forks, exports, imports and deletes; explain and compare read the same history', async () => {
    const store = await open(50);
    await store.createLab({ name: 'src', policy: 'shared', template: 'seed-story' });
    for (let i = 0; i < 120; i++) {
      await store.apply('src', { op: 'ioas.map', ioas: 1, iova: 0x40000000 + i * 0x1000, length: 0x1000 });
    }
    const forked = await store.fork('src', 'f', 'type1', 8);
    expect(forked).toMatchObject({ name: 'f', policy: 'type1', events: 8 });
    const exported = await store.read('src', (lab) => lab.export());
    const imported = await store.importLab('imp', undefined, exported);
    expect(imported.events).toBe(128);
    const [a, b] = await Promise.all([
      store.read('src', (lab) => lab.state()),
      store.read('imp', (lab) => lab.state()),
    ]);
    expect({ ...b, seq: 0 }).toEqual({ ...a, seq: 0 });
    const explanation = await store.read('src', (lab) => lab.explain('VM1', 'VM2'));
    expect(explanation.firstDivergence).not.toBeNull();
    const comparison = await store.read('src', (lab) => lab.compare());
    expect(comparison.policies.map((p) => p.policy)).toEqual(['type1', 'iommufd', 'shared', 'explicit']);
    await expect(store.fork('src', 'g', undefined, 999)).rejects.toMatchObject({ code: 'ERANGE' });
    await store.deleteLab('f');
    expect((await store.listLabs()).map((l) => l.name)).toEqual(['src', 'imp']);
  });
});

describe('PostgreSQL matches SQLite', () => {
  it('gives the same events, states, comparisons and explanations for the same random ops', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomOp, { minLength: 1, maxLength: 40 }), async (ops: Op[]) => {
        const lite = asyncLabStore(openTempStore({ snapshotEvery: 7 }).store);
        const pgStore = await openPg(undefined, { snapshotEvery: 7 });
        for (const store of [lite, pgStore]) {
          await store.createLab({ name: 'p', policy: 'shared', template: 'seed' });
          for (let i = 0; i < ops.length; i += 3) await store.applyBatch('p', ops.slice(i, i + 3));
        }
        const read = (store: AsyncLabStore) =>
          store.read('p', (lab) => {
            const vms = lab.state().vms.map((v) => v.name);
            return {
              events: strip(lab.events(0, 1000)),
              now: lab.state(),
              past: lab.state(Math.floor(lab.seq / 2)),
              // The history engine reads the same log on both: comparisons and explanations agree.
              compare: lab.compare(),
              explain: vms.length >= 2 ? lab.explain(vms[0] as string, vms[1] as string) : null,
              single: vms.length >= 1 ? lab.explain(vms[0] as string) : null,
            };
          });
        expect(await read(pgStore)).toEqual(await read(lite));
        await lite.close();
        await pgStore.close();
        opened.splice(0);
      }),
      { numRuns: 8 },
    );
  });
});

describe('PostgreSQL replicas', () => {
  it('two stores on one database: writes through both interleave into one gapless log', async () => {
    const url = await cluster.createDatabase();
    const [one, two] = [await openPg(url, { snapshotEvery: 16 }), await openPg(url, { snapshotEvery: 16 })];
    await one.createLab({ name: 'shared-lab', policy: 'iommufd', template: 'seed-story' });
    const seen: number[] = [];
    const sub = await two.subscribe('shared-lab', (events) => seen.push(...events.map((e) => e.seq)));
    expect(sub.seq).toBe(8);
    const writes: Promise<StoredEvent>[] = [];
    for (let i = 0; i < 60; i++) {
      const store = i % 2 ? one : two;
      writes.push(
        store.apply('shared-lab', { op: 'ioas.map', ioas: 1, iova: 0x40000000 + i * 0x2000, length: 0x1000 }),
      );
    }
    const events = await Promise.all(writes);
    expect(events.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => 9 + i),
    );
    expect(events.every((e) => e.result.ok)).toBe(true);
    await two.refresh('shared-lab');
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => 9 + i));
    const [a, b] = await Promise.all([
      one.read('shared-lab', (lab) => lab.state()),
      two.read('shared-lab', (lab) => lab.state()),
    ]);
    expect(a).toEqual(b);
    expect(a.seq).toBe(68);
    // A third replica started later loads the lab from PostgreSQL (snapshot plus tail) and agrees.
    const three = await openPg(url, { snapshotEvery: 16 });
    expect(await three.read('shared-lab', (lab) => lab.state())).toEqual(a);
    expect(await three.read('shared-lab', (lab) => lab.state(30))).toEqual(
      await one.read('shared-lab', (lab) => lab.state(30)),
    );
    // A lab deleted through one replica and created again through another is the new lab everywhere.
    await two.deleteLab('shared-lab');
    await expect(one.read('shared-lab', (lab) => lab.seq)).rejects.toMatchObject({ code: 'ENOENT' });
    await two.createLab({ name: 'shared-lab', policy: 'type1' });
    expect(await one.read('shared-lab', (lab) => [lab.policy, lab.seq])).toEqual(['type1', 0]);
  });

  it('quotas answer ENOSPC naming the limit', async () => {
    const store = await openPg(undefined, { quotas: { maxLabs: 2, maxEventsPerLab: 7 } });
    await store.createLab({ name: 'a', policy: 'shared', template: 'seed' });
    await store.createLab({ name: 'b', policy: 'shared' });
    await expect(store.createLab({ name: 'c', policy: 'shared' })).rejects.toMatchObject({
      code: 'ENOSPC',
      message: expect.stringContaining('LAB_MAX_LABS'),
    });
    await store.applyBatch('a', [
      { op: 'vm.create', name: 'VM1', devices: [] },
      { op: 'vm.create', name: 'VM2', devices: [] },
    ]);
    await expect(store.apply('a', { op: 'vm.create', name: 'VM3', devices: [] })).rejects.toMatchObject({
      code: 'ENOSPC',
      message: expect.stringContaining('7 events per lab'),
    });
    expect(await store.read('a', (lab) => lab.seq)).toBe(7);
  });
});

describe('PostgreSQL fan-out', () => {
  it('delivers every commit in seq order, and catches up from the table after its connection is cut', async () => {
    const url = await cluster.createDatabase();
    const [one, two] = [await openPg(url), await openPg(url)];
    await one.createLab({ name: 'fan', policy: 'iommufd', template: 'seed-story' });
    const errors: unknown[] = [];
    const fanout = new PgFanout(url, two, { sweepMs: 60_000, onError: (error) => errors.push(error) });
    await fanout.start();
    const seen: number[] = [];
    let wake = () => {};
    await two.subscribe('fan', (events) => {
      seen.push(...events.map((e) => e.seq));
      wake();
    });
    const until = (check: () => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 15_000);
        wake = () => {
          if (check()) {
            clearTimeout(timer);
            resolve();
          }
        };
        wake();
      });
    const map = (i: number) =>
      one.apply('fan', { op: 'ioas.map', ioas: 1, iova: 0x40000000 + i * 0x1000, length: 0x1000 });
    try {
      for (let i = 0; i < 20; i++) await map(i);
      await until(() => seen.at(-1) === 28, 'notified events up to 28');
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => 9 + i));
      // Cut the listening connection: commits made meanwhile arrive through the reconnect's catch-up.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ n: number }>(
          "select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where query ilike 'listen%' and datname = current_database()",
        );
        expect(rows[0]?.n).toBe(1);
      } finally {
        await admin.end();
      }
      for (let i = 20; i < 40; i++) await map(i);
      await until(() => seen.at(-1) === 48, 'events up to 48 after the cut');
      expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => 9 + i));
      expect(errors.length).toBeGreaterThan(0);
      await until(() => fanout.connected, 'the listener back');
    } finally {
      await fanout.stop();
    }
  });
});
