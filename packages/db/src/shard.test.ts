// Several stores (shards) over one SQLite file, as the server's store workers with LAB_STORE_SHARDS: each
// owns the labs whose name hashes to it, lists every lab, builds new labs aside and copies them in, and
// loads a lab another shard created (a fork) on first use.
import { afterEach, describe, expect, it } from 'vitest';
import { shardOf } from './shard.ts';
import { openLabStore } from './store.ts';
import type { LabStore } from './store-types.ts';
import { SEED_HARDWARE, SEED_STORY } from './templates.ts';
import { tempDbPath } from './testing.ts';

const COUNT = 3;
const opened: LabStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

function shards(path: string, quotas = {}): LabStore[] {
  const stores = Array.from({ length: COUNT }, (_, index) =>
    openLabStore({ path, shard: { index, count: COUNT }, snapshotEvery: 50, quotas }),
  );
  opened.push(...stores);
  return stores;
}

/** A name owned by shard `index`, not in `taken`. */
function nameOn(index: number, prefix: string, taken: Set<string> = new Set()): string {
  for (let i = 0; ; i++) {
    const name = `${prefix}${i}`;
    if (shardOf(name, COUNT) === index && !taken.has(name)) return name;
  }
}

describe('sharded SQLite store', () => {
  it('owners keep their labs, every shard lists them all, forks land on their own shard', () => {
    const stores = shards(tempDbPath());
    const owner = (name: string) => stores[shardOf(name, COUNT)] as LabStore;
    const a = nameOn(0, 'a');
    const b = nameOn(1, 'b');
    owner(a).createLab({ name: a, policy: 'shared', template: 'seed-story' });
    owner(b).createLab({ name: b, policy: 'iommufd' });
    for (const store of stores) {
      expect(store.listLabs().map((l) => [l.name, l.events])).toEqual([
        [a, SEED_HARDWARE.length + SEED_STORY.length],
        [b, 0],
      ]);
    }
    for (let i = 0; i < 120; i++) {
      owner(a)
        .getLab(a)
        .apply({ op: 'ioas.map', ioas: 1, iova: 0x40000000 + i * 0x1000, length: 0x1000 });
    }
    // The fork is made by the source's shard; the new lab's own shard loads it from the file.
    const f = nameOn(2, 'f');
    const made = owner(a).getLab(a).fork(f, 'iommufd');
    expect(made.summary()).toMatchObject({ name: f, policy: 'iommufd', events: 128 });
    const forked = owner(f).getLab(f);
    expect(forked.seq).toBe(128);
    expect(forked.state().vms.map((v) => v.name)).toEqual(
      owner(a)
        .getLab(a)
        .state()
        .vms.map((v) => v.name),
    );
    expect(forked.state(64).seq).toBe(64);
    expect(forked.apply({ op: 'vm.create', name: 'VM3', devices: [] })).toMatchObject({
      seq: 129,
      result: { ok: true },
    });
    // Names are unique across shards; the events quota and the labs quota hold across them.
    expect(() => owner(b).createLab({ name: a, policy: 'shared' })).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    );
    expect(() => owner(b).getLab(b).fork(a)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    owner(f).deleteLab(f);
    expect(stores[0]?.listLabs().map((l) => l.name)).toEqual([a, b]);
    expect(() => owner(f).getLab(f)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('counts the labs quota over every shard, and reopens with every lab on its owner', () => {
    const path = tempDbPath();
    const stores = shards(path, { maxLabs: 2 });
    const taken = new Set<string>();
    const x = nameOn(0, 'x', taken);
    const y = nameOn(1, 'y', taken);
    stores[0]?.createLab({ name: x, policy: 'shared' });
    stores[1]?.createLab({ name: y, policy: 'shared', template: 'seed' });
    expect(() => stores[2]?.createLab({ name: nameOn(2, 'z'), policy: 'shared' })).toThrow(
      expect.objectContaining({ code: 'ENOSPC' }),
    );
    for (const store of opened.splice(0)) store.close();
    const again = shards(path);
    expect(
      again[1]
        ?.getLab(y)
        .state()
        .devices.map((d) => d.name),
    ).toEqual(['A', 'A2', 'B']);
    expect(again[2]?.listLabs().map((l) => l.name)).toEqual([x, y]);
  });
});
