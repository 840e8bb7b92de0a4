// Many labs at once: concurrent requests to several labs and to one lab. Each lab's ops are applied one
// at a time, in arrival order, with gapless seqs, and no op of one lab lands in another.
import { toHex } from '@ioasid-lab/core';
import { shardOf } from '@ioasid-lab/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeShards } from '../store/shards.ts';
import { startServer, type TestServer } from '../test/harness.ts';

let server: TestServer;
const LABS = ['c0', 'c1', 'c2', 'c3', 'c4'];
const ioasOf = new Map<string, number>();

beforeAll(async () => {
  server = await startServer();
  for (const name of LABS) {
    await server.client.createLab({ name, policy: 'iommufd', template: 'seed' });
    ioasOf.set(
      name,
      (await server.client.createVm(name, { name: 'VM1', memory: '0x100000', devices: ['A'] })).ioas,
    );
  }
});
afterAll(async () => {
  await server?.close();
});

const iovaOf = (i: number) => toHex(0x100000000 + i * 0x1000);

describe('many labs at once', () => {
  it('keeps each lab in order while their requests interleave', async () => {
    const before = new Map<string, number>();
    for (const name of LABS) before.set(name, (await server.client.getLab(name)).events);
    // Each lab gets a sequential stream of 40 maps; the five streams run concurrently.
    await Promise.all(
      LABS.map(async (name) => {
        for (let i = 0; i < 40; i += 1) {
          await server.client.map(name, ioasOf.get(name) ?? 0, { iova: iovaOf(i), length: '0x1000' });
        }
      }),
    );
    for (const name of LABS) {
      const start = before.get(name) ?? 0;
      const events = await server.client.events(name, { after: start, limit: 1000 });
      expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 40 }, (_, i) => start + i + 1));
      expect(events.map((event) => (event.input as { iova: string }).iova)).toEqual(
        Array.from({ length: 40 }, (_, i) => iovaOf(i)),
      );
      expect(events.every((event) => event.result.ok)).toBe(true);
    }
  });

  it('gives concurrent requests to one lab distinct gapless seqs and one winner per conflict', async () => {
    const lab = 'c0';
    const start = (await server.client.getLab(lab)).events;
    const ioas = ioasOf.get(lab) ?? 0;
    // 60 requests at once, every address requested twice: exactly one of each pair may succeed.
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        server.client.map(lab, ioas, { iova: iovaOf(1000 + (i % 30)), length: '0x1000' }),
      ),
    );
    const seqs = results.map((result) =>
      result.status === 'fulfilled' ? result.value.seq : (result.reason as { seq: number }).seq,
    );
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => start + i + 1));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(30);
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused.every((result) => (result.reason as { code: string }).code === 'EEXIST')).toBe(true);
    // Every lab's state holds only its own areas.
    const other = await server.client.state('c1');
    expect(other.ioas[0]?.areas.some((area) => area.iova === iovaOf(1000))).toBe(false);
  });

  it('commits batches and single ops in the order they were queued, batches sent without waiting', async () => {
    const lab = server.app.labs.getLab('c2');
    const ioas = ioasOf.get('c2') ?? 0;
    const start = (await server.client.getLab('c2')).events;
    const map = (i: number) => ({ op: 'ioas.map' as const, ioas, iova: iovaOf(5000 + i), length: '0x1000' });
    // Queued in one turn: batches of 3 and single ops interleaved, 24 ops in all.
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 24; i += 4) {
      pending.push(server.app.ops.applyBatch(lab, [map(i), map(i + 1), map(i + 2)], false, 'test'));
      pending.push(server.app.ops.apply(lab, map(i + 3), 'test'));
    }
    await Promise.all(pending);
    const events = await server.client.events('c2', { after: start, limit: 100 });
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 24 }, (_, i) => start + i + 1));
    expect(events.map((event) => (event.input as { iova: string }).iova)).toEqual(
      Array.from({ length: 24 }, (_, i) => iovaOf(5000 + i)),
    );
  });

  it("does not let one lab's flood of batches queue ahead of another lab on the same store worker", async () => {
    // Two labs whose names hash to the same shard, so one worker serves both.
    const count = storeShards();
    const names = Array.from({ length: 64 }, (_, i) => `fair${i}`);
    const flooded = names[0] as string;
    const other = names.find(
      (name, i) => i > 0 && shardOf(name, count) === shardOf(flooded, count),
    ) as string;
    const ioas: number[] = [];
    for (const name of [flooded, other]) {
      await server.client.createLab({ name, policy: 'iommufd', template: 'seed' });
      ioas.push(
        (await server.client.createVm(name, { name: 'VM1', memory: '0x100000', devices: ['A'] })).ioas,
      );
    }
    const order: string[] = [];
    const batches = Array.from({ length: 12 }, (_, b) =>
      server.app.ops
        .applyBatch(
          server.app.labs.getLab(flooded),
          Array.from({ length: 200 }, (_, i) => ({
            op: 'ioas.map' as const,
            ioas: ioas[0] as number,
            iova: iovaOf(10_000 + b * 200 + i),
            length: '0x1000',
          })),
          false,
          'test',
        )
        .then(() => order.push('batch')),
    );
    const single = server.app.ops
      .apply(
        server.app.labs.getLab(other),
        { op: 'ioas.map', ioas: ioas[1] as number, iova: iovaOf(1), length: '0x1000' },
        'test',
      )
      .then(() => order.push('other'));
    await Promise.all([...batches, single]);
    // Sent in one turn: the other lab's op waits behind at most the flooded lab's first few batches.
    expect(order.indexOf('other')).toBeLessThanOrEqual(3);
  });
});
