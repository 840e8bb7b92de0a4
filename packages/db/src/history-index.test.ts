// The history index kept as events commit: saved at snapshot points and read back at open, so explain's
// first call after a restart folds only the events after the last save; built once from the log for a
// lab saved without one (a file from before the index) and saved then; copied with a lab a shard builds
// aside; named against the hardware and IOASes of the moment, as explain folded from event 1 would be.
import type { Op } from '@ioasid-lab/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventLog } from './event-log.ts';
import type { LiveLab } from './live-lab.ts';
import { shardOf } from './shard.ts';
import { openLabStore } from './store.ts';
import type { StoredLab } from './store-types.ts';
import { openTempStore, tempDbPath } from './testing.ts';
import { referenceExplain } from './testing-history.ts';

const EVERY = 50;

afterEach(() => {
  vi.restoreAllMocks();
});

/** VM2's device detached and attached again and again (a fresh auto table each time), as in the bench. */
function churn(count: number): Op[] {
  const ops: Op[] = [];
  while (ops.length < count) {
    ops.push({ op: 'vm.detach', vm: 'VM2', device: 'A2' }, { op: 'vm.attach', vm: 'VM2', device: 'A2' });
  }
  return ops;
}

function historyRows(path: string, lab: string): { vm: string; seq: number }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(
        'select h.vm, h.seq from history_index h join labs l on l.id = h.lab_id where l.name = ? order by h.vm',
      )
      .all(lab) as { vm: string; seq: number }[];
  } finally {
    db.close();
  }
}

function same(lab: StoredLab, a: string, b?: string): void {
  expect(JSON.stringify(lab.explain(a, b))).toBe(JSON.stringify(referenceExplain(lab as LiveLab, a, b)));
}

describe('history index', () => {
  it('is saved at snapshot points; a reopened lab folds only the events after the last save', () => {
    const t = openTempStore({ snapshotEvery: EVERY });
    const lab = t.store.createLab({ name: 'l', policy: 'shared', template: 'seed-story' });
    lab.applyBatch(churn(1000));
    lab.applyBatch(churn(20));
    const before = JSON.stringify(lab.explain('VM1', 'VM2'));
    // Saved at the end of the batch that crossed the last snapshot point, the later events not yet.
    const saved = historyRows(t.path, 'l').find((row) => row.vm === '')?.seq ?? 0;
    expect(saved).toBeGreaterThan(lab.seq - EVERY);
    expect(saved).toBeLessThan(lab.seq);
    const folds = vi.spyOn(EventLog.prototype, 'effectsMentioning');
    const reopened = t.reopen().getLab('l');
    expect(folds.mock.calls.map((call) => call[1])).toEqual([saved]);
    folds.mockClear();
    expect(JSON.stringify(reopened.explain('VM1', 'VM2'))).toBe(before);
    expect(folds).not.toHaveBeenCalled();
    same(reopened, 'VM1', 'VM2');
    same(reopened, 'VM2');
    t.store.close();
  });

  it('is folded once from the log for a lab saved without one, then saved', () => {
    const t = openTempStore({ snapshotEvery: EVERY });
    const lab = t.store.createLab({ name: 'l', policy: 'iommufd', template: 'seed-story' });
    lab.applyBatch(churn(300));
    const before = JSON.stringify(lab.explain('VM2', 'VM1'));
    t.store.close();
    const db = new Database(t.path);
    db.prepare('delete from history_index').run();
    db.close();
    const reopened = t.reopen().getLab('l');
    expect(historyRows(t.path, 'l')).toEqual([]);
    expect(JSON.stringify(reopened.explain('VM2', 'VM1'))).toBe(before);
    expect(historyRows(t.path, 'l')).toContainEqual({ vm: '', seq: reopened.seq });
    t.store.close();
  });

  it('saved in another format is folded again, and its rows replaced', () => {
    const t = openTempStore({ snapshotEvery: EVERY });
    const lab = t.store.createLab({ name: 'l', policy: 'shared', template: 'seed-story' });
    lab.applyBatch(churn(300));
    const before = JSON.stringify(lab.explain('VM1', 'VM2'));
    t.store.close();
    const db = new Database(t.path);
    db.prepare("update history_index set state = json_set(state, '$.format', 0) where vm = ''").run();
    db.prepare("insert into history_index (lab_id, vm, seq, state) values (1, 'VM9', 1, 'not json')").run();
    db.close();
    const reopened = t.reopen().getLab('l');
    expect(JSON.stringify(reopened.explain('VM1', 'VM2'))).toBe(before);
    expect(historyRows(t.path, 'l').map((row) => row.vm)).toEqual(['', 'VM1', 'VM2']);
    expect(JSON.stringify(t.reopen().getLab('l').explain('VM1', 'VM2'))).toBe(before);
    t.store.close();
  });

  it('names signatures after the hardware and IOAS of the moment, not of when they were folded', () => {
    const t = openTempStore({ snapshotEvery: 4 });
    const lab = t.store.createLab({ name: 'l', policy: 'shared', template: 'seed' });
    lab.applyBatch([
      // VM2's first life: A2 and B on one IOAS, B's table downgraded; then VM2 is destroyed.
      { op: 'vm.create', name: 'VM2', devices: ['A2', 'B'] },
      { op: 'vm.detach', vm: 'VM2', device: 'B' },
      { op: 'vm.detach', vm: 'VM2', device: 'A2' },
      { op: 'vm.destroy', vm: 'VM2' },
      { op: 'vm.create', name: 'VM1', devices: ['A', 'B'] },
      { op: 'vm.create', name: 'VM2', devices: ['A2'] },
    ]);
    same(lab, 'VM1', 'VM2');
    same(lab, 'VM2', 'VM1');
    // A2 comes back without no-snoop, on another IOMMU: the same events now sign differently.
    lab.applyBatch([
      { op: 'vm.detach', vm: 'VM2', device: 'A2' },
      { op: 'device.remove', name: 'A2' },
      { op: 'iommu.add', name: 'iommu2', vendor: 'amd-vi', enforceCacheCoherency: false },
      { op: 'device.add', name: 'A2', iommu: 'iommu2', noSnoop: false },
      { op: 'vm.attach', vm: 'VM2', device: 'A2' },
    ]);
    same(lab, 'VM1', 'VM2');
    same(lab, 'VM2');
    const reopened = t.reopen().getLab('l');
    same(reopened, 'VM1', 'VM2');
    same(reopened, 'VM2', 'VM1');
    t.store.close();
  });

  it('is copied with a lab a shard builds aside', () => {
    const path = tempDbPath();
    const stores = [0, 1].map((index) =>
      openLabStore({ path, snapshotEvery: EVERY, shard: { index, count: 2 } }),
    );
    try {
      let name = 'f';
      for (let i = 0; shardOf(name, 2) !== 1; i++) name = `f${i}`;
      const sourceShard = stores[shardOf('src', 2)];
      const source = sourceShard?.createLab({ name: 'src', policy: 'shared', template: 'seed-story' });
      source?.applyBatch(churn(200));
      source?.fork(name, 'type1');
      expect(historyRows(path, name).length).toBeGreaterThan(0);
      const forked = stores[1]?.getLab(name) as StoredLab;
      same(forked, 'VM1', 'VM2');
    } finally {
      for (const store of stores) store.close();
    }
  });
});
