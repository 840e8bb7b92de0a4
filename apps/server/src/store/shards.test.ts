// A real server whose store is spread over several workers (LAB_STORE_SHARDS), on a SQLite file and on
// PostgreSQL: labs on different shards, a fork made by its source's shard and served by its own, streams
// and listing across shards, and a store worker killed and replaced with every shard.
import { toHex } from '@ioasid-lab/core';
import { shardOf } from '@ioasid-lab/db';
import { type PgCluster, startCluster } from '@ioasid-lab/db/pg-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Json, startServer, type TestServer } from '../test/harness.ts';
import { StreamReader, streamUrl } from '../test/stream-reader.ts';

const SHARDS = 3;
let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);
afterAll(() => cluster?.stop());

function nameOn(index: number, prefix: string): string {
  for (let i = 0; ; i++) if (shardOf(`${prefix}${i}`, SHARDS) === index) return `${prefix}${i}`;
}

async function sharded(dbPath?: string): Promise<TestServer> {
  const saved = process.env.LAB_STORE_SHARDS;
  process.env.LAB_STORE_SHARDS = String(SHARDS);
  try {
    return await startServer(dbPath ? { dbPath } : {});
  } finally {
    if (saved === undefined) delete process.env.LAB_STORE_SHARDS;
    else process.env.LAB_STORE_SHARDS = saved;
  }
}

describe.each(['sqlite', 'postgres'])('store shards on %s', (engine) => {
  it('serves labs of every shard, forks across shards, and restarts every shard with the worker', async () => {
    const server = await sharded(engine === 'postgres' ? await cluster.createDatabase() : undefined);
    try {
      const { base } = server;
      const source = nameOn(0, 'src');
      const target = nameOn(1, 'dst');
      expect(
        (await call(base, 'POST', '/labs', { name: source, policy: 'iommufd', template: 'seed' })).status,
      ).toBe(201);
      const vm = await call(base, 'POST', `/labs/${source}/vms`, {
        name: 'VM1',
        memory: '0x100000',
        devices: ['A'],
      });
      expect(vm.status).toBe(201);
      const ops = Array.from({ length: 300 }, (_, i) => ({
        op: 'ioas.map',
        ioas: vm.body.ioas,
        iova: toHex(0x100000000 + i * 0x1000),
        length: '0x1000',
      }));
      expect((await call(base, 'POST', `/labs/${source}/batch`, { ops })).status).toBe(200);
      const fork = await call(base, 'POST', `/labs/${source}/fork`, { name: target, policy: 'shared' });
      expect(fork.status).toBe(201);
      expect(fork.body.events).toBe(306);
      const names = (await call(base, 'GET', '/labs')).body.labs.map((l: Json) => l.name);
      expect(names).toEqual(expect.arrayContaining(['seed', source, target]));

      // The fork's own shard serves it, stream included.
      const reader = new StreamReader(streamUrl(base, target));
      await reader.until(() => reader.messages.some((m) => m.type === 'hello'));
      for (let i = 0; i < 5; i++) {
        const reply = await call(base, 'POST', `/labs/${target}/ioas/${vm.body.ioas}/map`, {
          iova: toHex(0x200000000 + i * 0x1000),
          length: 4096,
        });
        expect(reply.status).toBe(200);
      }
      await reader.until(() => reader.eventSeqs().at(-1) === 311, 10_000, 'events up to 311');
      expect(reader.eventSeqs()).toEqual([307, 308, 309, 310, 311]);
      reader.socket.close();
      const explain = await call(base, 'GET', '/labs/seed/explain?a=VM1&b=VM2');
      expect(explain.status).toBe(200);

      // Killing the store worker takes every shard; all come back with every lab.
      await server.app.labs.worker.terminate();
      const deadline = Date.now() + 30_000;
      let state: Awaited<ReturnType<typeof call>> | undefined;
      while (Date.now() < deadline) {
        state = await call(base, 'GET', `/labs/${target}/state`);
        if (state.status === 200) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(state?.status).toBe(200);
      expect(state?.body.seq).toBe(311);
      expect((await call(base, 'GET', `/labs/${source}/state`)).body.seq).toBe(306);
    } finally {
      await server.close();
    }
  }, 120_000);
});
