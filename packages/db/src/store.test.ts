// The store's lab lifecycle and log semantics through a real SQLite file and the real core:
// durable events (refusals included), atomic batches, paging, reopen, export/import, fork, streams.
import type { Op } from '@ioasid-lab/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotInterval } from './snapshot-interval.ts';
import type { LabStore, StoredEvent } from './store-types.ts';
import { SEED_HARDWARE, SEED_STORY } from './templates.ts';
import { openTempStore } from './testing.ts';

const opened: LabStore[] = [];
function track(store: LabStore): LabStore {
  opened.push(store);
  return store;
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

function fresh(snapshotEvery?: number) {
  const t = openTempStore({ snapshotEvery });
  track(t.store);
  return t;
}

describe('labs', () => {
  it('creates labs from templates as ordinary events and lists them', () => {
    const { store } = fresh();
    const empty = store.createLab({ name: 'e', policy: 'type1' });
    const seed = store.createLab({ name: 's', policy: 'iommufd', template: 'seed' });
    const story = store.createLab({ name: 'story', policy: 'shared', template: 'seed-story' });
    expect(empty.seq).toBe(0);
    expect(seed.seq).toBe(SEED_HARDWARE.length);
    expect(story.seq).toBe(SEED_HARDWARE.length + SEED_STORY.length);
    expect(story.events(0, 100).map((e) => e.op)).toEqual([...SEED_HARDWARE, ...SEED_STORY].map((o) => o.op));
    expect(story.events(0, 100).every((e) => e.result.ok)).toBe(true);
    expect(store.listLabs().map((l) => [l.name, l.policy, l.events])).toEqual([
      ['e', 'type1', 0],
      ['s', 'iommufd', 5],
      ['story', 'shared', 8],
    ]);
    expect(seed.state().devices.map((d) => d.name)).toEqual(['A', 'A2', 'B']);
  });

  it('refuses duplicate names, unknown labs, bad names, policies and templates with errno codes', () => {
    const { store } = fresh();
    store.createLab({ name: 'x', policy: 'shared' });
    expect(() => store.createLab({ name: 'x', policy: 'shared' })).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    );
    expect(() => store.getLab('nope')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => store.deleteLab('nope')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => store.createLab({ name: '-bad', policy: 'shared' })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => store.createLab({ name: 'p', policy: 'vfio' as never })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => store.createLab({ name: 't', policy: 'shared', template: 'big' as never })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(store.hasLab('p')).toBe(false);
  });

  it('deletes a lab with its history', () => {
    const t = fresh();
    t.store.createLab({ name: 'gone', policy: 'shared', template: 'seed-story' });
    t.store.deleteLab('gone');
    expect(t.store.hasLab('gone')).toBe(false);
    const again = track(t.reopen());
    expect(again.listLabs()).toEqual([]);
    expect(again.createLab({ name: 'gone', policy: 'type1' }).seq).toBe(0);
  });
});

describe('events', () => {
  it('records applied and refused ops; a refusal changes nothing', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'l', policy: 'shared', template: 'seed' });
    const before = lab.state();
    const refused = lab.apply({ op: 'device.add', name: 'C', iommu: 'missing' });
    expect(refused.seq).toBe(6);
    expect(refused.op).toBe('device.add');
    expect(refused.input).toEqual({ name: 'C', iommu: 'missing' });
    expect(refused.result).toMatchObject({ ok: false, code: 'ENOENT', errno: 2 });
    expect(refused.effects).toEqual([]);
    expect(lab.state()).toEqual({ ...before, seq: 6 });
    const ok = lab.apply({ op: 'vm.create', name: 'VM1', devices: ['A'] });
    expect(ok.result).toEqual({ ok: true });
    expect(ok.effects.some((e) => e.type === 'device.attached' && e.device === 'A')).toBe(true);
    expect(lab.events(5, 10).map((e) => e.seq)).toEqual([6, 7]);
    expect(Date.parse(ok.at)).toBeGreaterThan(0);
  });

  it('pages events with after and limit', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'l', policy: 'shared', template: 'seed-story' });
    expect(lab.events(2, 3).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(lab.events(8, 3)).toEqual([]);
    expect(lab.events(0, 0)).toEqual([]);
  });

  it('an atomic batch with a refusal applies nothing and records only the refused op', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'l', policy: 'shared', template: 'seed' });
    const before = lab.state();
    const ops: Op[] = [
      { op: 'vm.create', name: 'VM1', devices: ['A'] },
      { op: 'vm.attach', vm: 'VM1', device: 'nope' },
      { op: 'vm.create', name: 'VM2' },
    ];
    const events = lab.applyBatch(ops, { atomic: true });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ seq: 6, op: 'vm.attach', result: { ok: false, code: 'ENOENT' } });
    expect(lab.seq).toBe(6);
    expect(lab.state()).toEqual({ ...before, seq: 6 });
    // The rolled-back attempt is history, not input: export and forks do not replay it.
    expect(lab.export().ops).toHaveLength(5);
  });

  it('a non-atomic batch records every op in order, refusals included', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'l', policy: 'type1', template: 'seed' });
    const events = lab.applyBatch([
      { op: 'vm.create', name: 'VM1', devices: ['A'] },
      { op: 'vm.attach', vm: 'VM1', device: 'nope' },
      { op: 'vm.attach', vm: 'VM1', device: 'B' },
    ]);
    expect(events.map((e) => [e.seq, e.result.ok])).toEqual([
      [6, true],
      [7, false],
      [8, true],
    ]);
    expect(lab.state().vms[0]?.devices).toEqual(['A', 'B']);
    expect(lab.export().ops).toHaveLength(8);
  });

  it('streams committed events to subscribers in seq order until they unsubscribe', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'l', policy: 'shared', template: 'seed' });
    const seen: StoredEvent[][] = [];
    const unsubscribe = lab.subscribe((events) => seen.push(events));
    lab.apply({ op: 'vm.create', name: 'VM1' });
    lab.applyBatch([
      { op: 'vm.attach', vm: 'VM1', device: 'A' },
      { op: 'vm.attach', vm: 'VM1', device: 'B' },
    ]);
    unsubscribe();
    lab.apply({ op: 'vm.detach', vm: 'VM1', device: 'B' });
    expect(seen.map((batch) => batch.map((e) => e.seq))).toEqual([[6], [7, 8]]);
  });

  it('a throwing subscriber does not fail an op that is already durable', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'l', policy: 'shared', template: 'seed' });
    lab.subscribe(() => {
      throw new Error('subscriber bug');
    });
    expect(lab.apply({ op: 'vm.create', name: 'VM1' }).seq).toBe(6);
    expect(lab.events(5, 1)[0]?.op).toBe('vm.create');
  });

  it('a deleted lab refuses further use with ENOENT', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'l', policy: 'shared', template: 'seed' });
    store.deleteLab('l');
    expect(() => lab.apply({ op: 'vm.create', name: 'VM1' })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    expect(() => lab.state()).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('history', () => {
  it('state(at) shows the past and refuses seqs outside the history', () => {
    const { store } = fresh(2);
    const lab = store.createLab({ name: 'l', policy: 'shared', template: 'seed-story' });
    expect(lab.state(0)).toMatchObject({ seq: 0, iommus: [], devices: [], vms: [] });
    expect(lab.state(6).vms.map((v) => [v.name, v.devices, v.wbinvd])).toEqual([['VM1', ['A', 'B'], true]]);
    expect(lab.state(8)).toEqual(lab.state());
    expect(() => lab.state(9)).toThrow(expect.objectContaining({ code: 'ERANGE' }));
    expect(() => lab.state(-1)).toThrow(expect.objectContaining({ code: 'ERANGE' }));
  });

  it('reopening rebuilds every lab from snapshots and later events', () => {
    const t = fresh(3);
    const a = t.store.createLab({ name: 'a', policy: 'shared', template: 'seed-story' });
    const b = t.store.createLab({ name: 'b', policy: 'iommufd', template: 'seed-story' });
    a.apply({ op: 'device.replace', vm: 'VM1', device: 'A', hwpt: 'new', enforceCacheCoherency: true });
    const states = [a.state(), b.state()];
    const reopened = track(t.reopen());
    expect([reopened.getLab('a').state(), reopened.getLab('b').state()]).toEqual(states);
    expect(reopened.getLab('a').seq).toBe(9);
    expect(reopened.getLab('a').apply({ op: 'vm.destroy', vm: 'VM2' }).seq).toBe(10);
  });

  it('stretches the snapshot interval with the state it saves, and time travel still answers', () => {
    const t = fresh(10);
    const lab = t.store.createLab({ name: 'big', policy: 'iommufd', template: 'seed' });
    lab.apply({ op: 'vm.create', name: 'vm', memory: 4096, devices: ['A'] });
    const ioas = lab.state().vms.find((vm) => vm.name === 'vm')?.ioas as number;
    // 3,000 areas: each snapshot of this lab is some 50 kB, so it is saved every 200 or so events, not 10.
    const maps = (from: number, count: number): Op[] =>
      Array.from({ length: count }, (_, i) => ({
        op: 'ioas.map',
        ioas,
        iova: 0x100000000 + (from + i) * 0x2000,
        length: 0x1000,
      }));
    lab.applyBatch(maps(0, 3000));
    const readFile = <T>(sql: string): T[] => {
      const raw = new Database(t.path, { readonly: true });
      try {
        return raw.prepare(sql).pluck().all() as T[];
      } finally {
        raw.close();
      }
    };
    const snapshotSeqs = () => readFile<number>('select seq from snapshots order by seq');
    const before = snapshotSeqs().length;
    for (let i = 0; i < 400; i++) lab.apply(maps(3000 + i, 1)[0] as Op);
    const after = snapshotSeqs();
    const [bytes] = readFile<number>('select length(state) from snapshots order by seq desc limit 1');
    const interval = snapshotInterval(10, bytes as number);
    expect(interval).toBeGreaterThanOrEqual(150);
    // 400 single ops: at most 400 / interval + 1 snapshots, where a fixed interval would have made 40.
    expect(after.length - before).toBeGreaterThan(0);
    expect(after.length - before).toBeLessThanOrEqual(Math.ceil(400 / interval) + 1);
    const singles = after.slice(before);
    for (let i = 1; i < singles.length; i++) {
      expect((singles[i] as number) - (singles[i - 1] as number)).toBeGreaterThanOrEqual(150);
    }
    const seq = lab.seq - 7;
    const past = lab.state(seq);
    const reopened = track(t.reopen());
    expect(reopened.getLab('big').state(seq)).toEqual(past);
    expect(
      reopened
        .getLab('big')
        .state()
        .ioas.find((space) => space.id === ioas)?.areas,
    ).toHaveLength(3400 + 1); // and the VM's RAM
  });

  it('a snapshot the core cannot read costs a longer replay, not the lab', () => {
    const t = fresh(2);
    const lab = t.store.createLab({ name: 'a', policy: 'shared', template: 'seed-story' });
    const live = lab.state();
    const past = lab.state(5);
    t.store.close();
    const raw = new Database(t.path);
    const damaged = raw.prepare("update snapshots set state = x'00010203'").run().changes;
    raw.close();
    expect(damaged).toBeGreaterThan(0);
    const reopened = track(t.reopen());
    expect(reopened.getLab('a').state()).toEqual(live);
    expect(reopened.getLab('a').state(5)).toEqual(past);
  });

  it('export then import replays the same inputs into the same state', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'orig', policy: 'iommufd', template: 'seed-story' });
    lab.apply({ op: 'vm.attach', vm: 'VM2', device: 'nope' });
    const exported = lab.export();
    expect(exported).toMatchObject({ format: 'ioasid-lab/v1', name: 'orig', policy: 'iommufd' });
    expect(exported.ops).toHaveLength(9);
    const copy = store.importLab('copy', undefined, JSON.parse(JSON.stringify(exported)));
    expect(copy.state()).toEqual(lab.state());
    expect(copy.events(8, 1)[0]?.result).toMatchObject({ ok: false, code: 'ENOENT' });
    const underShared = store.importLab('shared-copy', 'shared', exported);
    expect(underShared.policy).toBe('shared');
    expect(underShared.state().vms.find((v) => v.name === 'VM1')?.wbinvd).toBe(true);
    expect(() => store.importLab('bad', undefined, { format: 'nope' } as never)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  it('fork takes the inputs up to `at` under another policy', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'orig', policy: 'shared', template: 'seed-story' });
    const same = lab.fork('same', undefined, 6);
    expect(same.seq).toBe(6);
    expect(same.state()).toEqual(lab.state(6));
    const type1 = lab.fork('type1', 'type1');
    expect(type1.policy).toBe('type1');
    expect(type1.state().vms.map((v) => v.wbinvd)).toEqual([false, false]);
    expect(() => lab.fork('same', 'shared')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });

  it('the seed lab is made once, on a fresh database', () => {
    const t = fresh();
    const seed = t.store.ensureSeedLab();
    expect(seed?.name).toBe('seed');
    expect(seed?.policy).toBe('shared');
    expect(seed?.state().vms.map((v) => [v.name, v.wbinvd])).toEqual([
      ['VM1', true],
      ['VM2', false],
    ]);
    expect(t.store.ensureSeedLab()).toBe(seed);
    t.store.deleteLab('seed');
    const again = track(t.reopen());
    expect(again.ensureSeedLab()).toBeNull();
    expect(again.listLabs()).toEqual([]);
  });

  it('a database that already holds labs is not fresh: no seed lab is added', () => {
    const t = fresh();
    t.store.createLab({ name: 'mine', policy: 'type1' });
    expect(t.store.ensureSeedLab()).toBeNull();
    expect(t.store.listLabs().map((l) => l.name)).toEqual(['mine']);
  });

  it('pagetable reads leaves now and in the past', () => {
    const { store } = fresh();
    const lab = store.createLab({ name: 'l', policy: 'shared', template: 'seed-story' });
    const hwpt = lab.state().hwpts[0];
    expect(hwpt).toBeDefined();
    const now = lab.pagetable(hwpt?.id as number, { limit: 4 });
    expect(now.leaves.length).toBeGreaterThan(0);
    expect(now.leaves.every((leaf) => leaf.snoop === false)).toBe(true);
    expect(lab.pagetable(hwpt?.id as number, { limit: 4 }, 7)).toEqual(now);
  });
});
