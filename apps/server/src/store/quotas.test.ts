// Quotas through a real server, on both engines (a SQLite file and a real PostgreSQL cluster): labs per
// server, events per lab and page-table bytes per lab answer 409 ENOSPC naming the limit, before anything
// is applied or recorded.
import { Lab, type Op, toHex } from '@ioasid-lab/core';
import { templateOps } from '@ioasid-lab/db';
import { type PgCluster, startCluster } from '@ioasid-lab/db/pg-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../test/harness.ts';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);
afterAll(() => cluster?.stop());

const VM: Op = { op: 'vm.create', name: 'VM1', memory: '0x100000', devices: ['A'] };

/** Page-table bytes of the seed hardware plus VM1 (one HWPT), from the core itself. */
function bytesAfterVm(): number {
  const core = Lab.create('iommufd');
  try {
    core.applyBatch([...templateOps('seed'), VM]);
    return core.state().hwpts.reduce((sum, h) => sum + h.stats.bytes, 0);
  } finally {
    core.destroy();
  }
}

async function withQuotas(
  env: Record<string, string>,
  start: () => Promise<TestServer>,
): Promise<TestServer> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    // The store worker reads the settings when it starts.
    return await start();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe.each(['sqlite', 'postgres'])('quotas on %s', (engine) => {
  it('labs per server, events per lab, page-table bytes per lab: 409 ENOSPC naming the limit', async () => {
    const limit = bytesAfterVm() + 1;
    const dbPath = engine === 'postgres' ? await cluster.createDatabase() : undefined;
    const server = await withQuotas(
      { LAB_MAX_LABS: '3', LAB_MAX_EVENTS: '12', LAB_MAX_TABLE_BYTES: String(limit) },
      () => startServer(dbPath ? { dbPath } : {}),
    );
    try {
      const { base } = server;
      // seed (8 events) counts: two more labs fit.
      expect(
        (await call(base, 'POST', '/labs', { name: 'q', policy: 'iommufd', template: 'seed' })).status,
      ).toBe(201);
      expect((await call(base, 'POST', '/labs', { name: 'r', policy: 'shared' })).status).toBe(201);
      const fourth = await call(base, 'POST', '/labs', { name: 's', policy: 'shared' });
      expect(fourth.status).toBe(409);
      expect(fourth.body.error).toMatchObject({ code: 'ENOSPC', errno: 28 });
      expect(fourth.body.error.message).toContain('LAB_MAX_LABS=3');
      const fork = await call(base, 'POST', '/labs/q/fork', { name: 's' });
      expect(fork.status).toBe(409);
      expect(fork.body.error.code).toBe('ENOSPC');

      // Page tables: the VM's HWPT is under the limit, so one map goes through; after it the lab holds
      // more than the limit, so the next map is refused up front, and an unmap (which cannot grow) is not.
      const vm = await call(base, 'POST', '/labs/q/vms', { name: 'VM1', memory: '0x100000', devices: ['A'] });
      expect(vm.status).toBe(201);
      const map = (iova: number) =>
        call(base, 'POST', `/labs/q/ioas/${vm.body.ioas}/map`, { iova: toHex(iova), length: 4096 });
      expect((await map(0x40000000)).status).toBe(200);
      const refused = await map(0x80000000);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('ENOSPC');
      expect(refused.body.error.message).toContain(`LAB_MAX_TABLE_BYTES=${limit}`);
      expect(refused.body.error.seq).toBeUndefined();
      const seq = (await call(base, 'GET', '/labs/q/state')).body.seq as number;
      expect(seq).toBe(7);

      // Events: 12 per lab. A batch that would pass it is refused whole; ops up to the limit go through.
      const unmaps = Array.from({ length: 6 }, () => ({
        op: 'ioas.unmap',
        ioas: vm.body.ioas,
        iova: '0x40000000',
        length: '0x1000',
      }));
      const tooMany = await call(base, 'POST', '/labs/q/batch', { ops: unmaps });
      expect(tooMany.status).toBe(409);
      expect(tooMany.body.error.code).toBe('ENOSPC');
      expect(tooMany.body.error.message).toContain('12 events per lab (LAB_MAX_EVENTS)');
      const fits = await call(base, 'POST', '/labs/q/batch', { ops: unmaps.slice(0, 5) });
      expect(fits.status).toBe(200);
      expect((await call(base, 'GET', '/labs/q/state')).body.seq).toBe(12);
      const one = await call(base, 'POST', `/labs/q/ioas/${vm.body.ioas}/unmap`, {
        iova: '0x40000000',
        length: 4096,
      });
      expect(one.status).toBe(409);
      expect(one.body.error.code).toBe('ENOSPC');

      // Deleting a lab frees a place.
      expect((await call(base, 'DELETE', '/labs/r')).status).toBe(204);
      expect((await call(base, 'POST', '/labs', { name: 's', policy: 'shared' })).status).toBe(201);
    } finally {
      await server.close();
    }
  }, 120_000);
});
