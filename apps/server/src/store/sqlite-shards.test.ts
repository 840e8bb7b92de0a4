// Several store workers on one SQLite file (the default: four). They share the file without failing each
// other's writes (WAL, busy_timeout: a writer waits for another shard's transaction); on close every worker
// closes its connection and the WAL is checkpointed into the file and removed; a worker still busy when
// the close bound passes is terminated and reported, and everything committed before is there at the
// next open.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Op } from '@ioasid-lab/core';
import { shardOf } from '@ioasid-lab/db';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/harness.ts';
import { RemoteStore, type StoreCloseReport } from './remote.ts';

function nameOn(shard: number, shards: number, prefix: string): string {
  for (let i = 0; ; i++) if (shardOf(`${prefix}${i}`, shards) === shard) return `${prefix}${i}`;
}

/** `count` maps; refused (no such IOAS) in an empty lab, but each is applied and recorded all the same. */
function maps(count: number): Op[] {
  return Array.from({ length: count }, (_, i) => ({
    op: 'ioas.map',
    ioas: 1,
    iova: 0x100000000 + i * 0x1000,
    length: 0x1000,
  }));
}

/** Each lab's event count as a store opened afresh on the same file reads it. */
async function eventsAfterReopen(dbPath: string): Promise<Map<string, number>> {
  const again = await RemoteStore.open(dbPath);
  try {
    return new Map((await again.listLabs()).map((lab) => [lab.name, lab.events]));
  } finally {
    await again.close();
  }
}

describe('several store workers on one SQLite file', () => {
  it("write side by side while one shard copies a fork into the file, none refused for the other's lock", async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'lab.db');
    const store = await RemoteStore.open(dbPath, { shards: 4 });
    try {
      const names = [0, 1, 2, 3].map((shard) => nameOn(shard, 4, 'w'));
      for (const name of names) await store.createLab({ name, policy: 'iommufd', template: 'seed' });
      const source = names[0] as string;
      await store.getLab(source).applyBatch(maps(20_000));
      // The fork is built by the source's shard and copied into the file in one transaction, while every
      // shard (the source's own included) keeps writing its lab.
      const fork = store.getLab(source).fork(nameOn(1, 4, 'copy'), 'shared');
      const writers = names.map(async (name) => {
        for (let round = 0; round < 20; round++) await store.getLab(name).applyBatch(maps(10));
      });
      const settled = await Promise.allSettled([fork, ...writers]);
      expect(settled.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
      const labs = await store.listLabs();
      expect(labs.find((lab) => lab.name === source)?.events).toBe(5 + 20_000 + 200);
      for (const name of names.slice(1)) expect(labs.find((lab) => lab.name === name)?.events).toBe(205);
      expect(labs.find((lab) => lab.name === nameOn(1, 4, 'copy'))?.events).toBe(20_005);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('runs four workers by default, closes every connection and leaves no WAL behind', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'lab.db');
    try {
      const store = await RemoteStore.open(dbPath);
      expect(store.shards).toBe(4);
      const names = [0, 1, 2, 3].map((shard) => nameOn(shard, 4, 'lab'));
      for (const name of names) {
        await store.createLab({ name, policy: 'iommufd', template: 'seed' });
        await store.getLab(name).applyBatch(maps(20));
      }
      expect(existsSync(`${dbPath}-wal`)).toBe(true);
      const report = await store.close();
      expect(report).toEqual({ terminated: [], errors: [] });
      expect(existsSync(`${dbPath}-wal`)).toBe(false);

      const events = await eventsAfterReopen(dbPath);
      for (const name of names) expect(events.get(name)).toBe(25);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('terminates a worker still busy at the bound, reports it, and keeps what was committed', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'lab.db');
    try {
      const store = await RemoteStore.open(dbPath, { shards: 2, closeTimeoutMs: 250 });
      const reports: StoreCloseReport[] = [];
      store.onClosed = (report) => reports.push(report);
      const kept = nameOn(0, 2, 'kept');
      const big = nameOn(1, 2, 'big');
      await store.createLab({ name: kept, policy: 'iommufd', template: 'seed' });
      await store.getLab(kept).applyBatch(maps(50));
      // Shard 1 is busy with an import of seconds when the close arrives behind it.
      const ops = maps(150_000);
      const busy = store
        .importLab(big, 'iommufd', { format: 'ioasid-lab/v1', name: big, policy: 'iommufd', ops })
        .then(
          () => 'imported',
          (error: Error) => error.message,
        );
      const report = await store.close();
      expect(report.terminated).toContain('store shard 1');
      expect(report.errors).toEqual([]);
      expect(reports).toEqual([report]);
      expect(await busy).toMatch(/closed/);
      // The router's last connection checkpointed the WAL after the terminated shard's was gone.
      expect(existsSync(`${dbPath}-wal`)).toBe(false);

      const events = await eventsAfterReopen(dbPath);
      expect(events.get(kept)).toBe(55);
      // All of the import or nothing of it.
      expect([undefined, ops.length]).toContain(events.get(big));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers the lab calls sent before a close before it closes, though the close takes another port', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'lab.db');
    try {
      const store = await RemoteStore.open(dbPath, { shards: 2, closeTimeoutMs: 30_000 });
      const busy = nameOn(1, 2, 'busy');
      const small = nameOn(1, 2, 'small');
      await store.createLab({ name: small, policy: 'iommufd', template: 'seed' });
      // The shard is busy with an import when the next call reaches its lane and the close its parent port.
      const importing = store.importLab(busy, 'iommufd', {
        format: 'ioasid-lab/v1',
        name: busy,
        policy: 'iommufd',
        ops: maps(20_000),
      });
      const applied = store.getLab(small).apply({ op: 'vm.detach', vm: 'VM1', device: 'A' });
      const report = await store.close();
      expect(report).toEqual({ terminated: [], errors: [] });
      expect((await importing).events).toBe(20_000);
      expect((await applied).op).toBe('vm.detach'); // answered, refused or not: not cut off as closed

      const events = await eventsAfterReopen(dbPath);
      expect(events.get(small)).toBeGreaterThan(0);
      expect(events.get(busy)).toBe(20_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
