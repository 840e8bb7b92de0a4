// Every endpoint of docs/api.md on its success path, through the client and on the raw wire.

import { LabState, StoredEvent } from '@ioasid-lab/api/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, matchesSchema, startServer, type TestServer } from '../test/harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('labs', () => {
  it('creates, lists, reads and deletes a lab', async () => {
    const created = await call(server.base, 'POST', '/labs', { name: 'crud', policy: 'iommufd' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'crud', policy: 'iommufd', events: 0 });
    expect(Date.parse(created.body.createdAt)).not.toBeNaN();

    const list = await call(server.base, 'GET', '/labs');
    expect(list.status).toBe(200);
    expect(list.body.labs.map((lab: { name: string }) => lab.name)).toEqual(
      expect.arrayContaining(['seed', 'crud']),
    );
    expect((await call(server.base, 'GET', '/labs/crud')).body.name).toBe('crud');

    const deleted = await call(server.base, 'DELETE', '/labs/crud');
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect((await call(server.base, 'GET', '/labs/crud')).status).toBe(404);
  });

  it('builds the seed hardware from the `seed` template', async () => {
    await server.client.createLab({ name: 'hw', policy: 'type1', template: 'seed' });
    const state = await server.client.state('hw');
    expect(state.iommus.map((unit) => [unit.name, unit.enforceCacheCoherency])).toEqual([
      ['iommu0', true],
      ['iommu1', false],
    ]);
    expect(state.devices.map((device) => [device.name, device.iommu, device.noSnoop])).toEqual([
      ['A', 'iommu0', true],
      ['A2', 'iommu0', true],
      ['B', 'iommu1', true],
    ]);
    expect(state.vms).toEqual([]);
  });

  it('forks at a seq under another policy, exports and imports', async () => {
    const { client } = server;
    await client.createLab({ name: 'src', policy: 'shared', template: 'seed-story' });
    const events = await client.events('src', { limit: 1000 });
    const forked = await call(server.base, 'POST', '/labs/src/fork', { name: 'src-type1', policy: 'type1' });
    expect(forked.status).toBe(201);
    expect(forked.body).toMatchObject({ name: 'src-type1', policy: 'type1' });
    const early = await client.forkLab('src', { name: 'src-early', at: 1 });
    expect(early.events).toBe(1);

    const exported = await call(server.base, 'GET', '/labs/src/export');
    expect(exported.status).toBe(200);
    expect(exported.body).toMatchObject({ format: 'ioasid-lab/v1', name: 'src', policy: 'shared' });
    expect(exported.body.ops).toHaveLength(events.length);

    const imported = await call(server.base, 'POST', '/labs/import', {
      name: 'copy',
      policy: 'iommufd',
      export: exported.body,
    });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ name: 'copy', policy: 'iommufd', events: events.length });
    const vm1 = (await client.state('copy')).vms.find((vm) => vm.name === 'VM1');
    expect(vm1?.wbinvd).toBe(false);
  });
});

describe('hardware, VMs, address spaces and page tables', () => {
  const lab = 'ops';
  let ioas = 0;
  let hwpt = 0;

  beforeAll(async () => {
    await server.client.createLab({ name: lab, policy: 'iommufd' });
  });

  it('adds IOMMU units and devices and lists them', async () => {
    const unit = await call(server.base, 'POST', `/labs/${lab}/iommus`, {
      name: 'vtd0',
      vendor: 'intel-vtd',
      enforceCacheCoherency: true,
    });
    expect(unit.status).toBe(201);
    expect(unit.body).toMatchObject({ name: 'vtd0', vendor: 'intel-vtd', iovaBits: 48, seq: 1 });
    expect(unit.body.pageSizes).toEqual([4096, 2097152, 1073741824]);
    expect(unit.body.reserved[0]).toMatchObject({ start: '0xfee00000', kind: 'msi' });
    await server.client.addIommu(lab, {
      name: 'smmu0',
      vendor: 'arm-smmuv3',
      enforceCacheCoherency: false,
      iovaBits: 39,
      pageSizes: [4096],
      reserved: [{ start: '0x8000000', length: 0x100000, kind: 'reserved' }],
    });
    expect((await server.client.listIommus(lab)).map((u) => u.name)).toEqual(['vtd0', 'smmu0']);

    const device = await call(server.base, 'POST', `/labs/${lab}/devices`, {
      name: 'nic0',
      iommu: 'vtd0',
      noSnoop: true,
    });
    expect(device.status).toBe(201);
    expect(device.body).toMatchObject({ name: 'nic0', iommu: 'vtd0', noSnoop: true, vm: null, hwpt: null });
    await server.client.addDevice(lab, { name: 'gpu0', iommu: 'vtd0', kind: 'pci', requiresKvm: 'none' });
    await server.client.addDevice(lab, { name: 'spare', iommu: 'smmu0' });
    expect((await call(server.base, 'GET', `/labs/${lab}/devices`)).body.devices).toHaveLength(3);

    const removed = await call(server.base, 'DELETE', `/labs/${lab}/devices/spare`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ op: 'device.remove', result: { ok: true } });
    expect(matchesSchema(StoredEvent, removed.body)).toBe(true);
  });

  it('creates a VM booted with a device, maps and unmaps, with hex numbers out', async () => {
    const vm = await call(server.base, 'POST', `/labs/${lab}/vms`, {
      name: 'vm0',
      memory: '0x40000000',
      devices: ['nic0'],
    });
    expect(vm.status).toBe(201);
    expect(vm.body).toMatchObject({ name: 'vm0', devices: ['nic0'], wbinvd: false });
    expect(typeof vm.body.ioas).toBe('number');
    ioas = vm.body.ioas;
    expect((await server.client.listVms(lab)).map((v) => v.name)).toEqual(['vm0']);

    const mapped = await call(server.base, 'POST', `/labs/${lab}/ioas/${ioas}/map`, {
      iova: '0x100000000',
      length: 2097152,
      write: false,
    });
    expect(mapped.status).toBe(200);
    expect(mapped.body).toMatchObject({ op: 'ioas.map', result: { ok: true } });
    expect(matchesSchema(StoredEvent, mapped.body)).toBe(true);
    await server.client.map(lab, ioas, { iova: '4294967296000', length: '0x1000' });

    const listed = await server.client.listIoas(lab);
    const areas = listed.find((space) => space.id === ioas)?.areas ?? [];
    expect(areas).toContainEqual({ iova: '0x100000000', length: '0x200000', read: true, write: false });
    expect(areas).toContainEqual({ iova: '0x3e800000000', length: '0x1000', read: true, write: true });

    const unmapped = await call(server.base, 'POST', `/labs/${lab}/ioas/${ioas}/unmap`, {
      iova: '0x3e800000000',
      length: '0x1000',
    });
    expect(unmapped.status).toBe(200);
    expect(unmapped.body.op).toBe('ioas.unmap');
  });

  it('allocates, reads, pages through and destroys HWPTs', async () => {
    const allocated = await call(server.base, 'POST', `/labs/${lab}/hwpts`, {
      ioas,
      iommu: 'vtd0',
      enforceCacheCoherency: true,
    });
    expect(allocated.status).toBe(201);
    expect(allocated.body).toMatchObject({ ioas, iommu: 'vtd0', enforceCacheCoherency: true, devices: [] });
    hwpt = allocated.body.id;
    const hwpts = await server.client.listHwpts(lab);
    expect(hwpts.length).toBeGreaterThanOrEqual(2);
    expect((await server.client.getHwpt(lab, hwpt)).id).toBe(hwpt);

    const auto = hwpts.find((table) => table.devices.includes('nic0'));
    expect(auto?.stats.leaves).toBeGreaterThan(0);
    const page = await call(
      server.base,
      'GET',
      `/labs/${lab}/hwpts/${auto?.id}/pagetable?iova=0&length=0x40000000&limit=2`,
    );
    expect(page.status).toBe(200);
    expect(page.body.leaves.length).toBeLessThanOrEqual(2);
    expect(page.body.leaves[0]).toMatchObject({ iova: '0x0', read: true, write: true });
    expect(typeof page.body.leaves[0].size).toBe('number');
    if (page.body.next !== null) {
      const more = await server.client.pagetable(lab, auto?.id ?? 0, {
        iova: page.body.next,
        length: '0x40000000',
      });
      expect(more.leaves.length).toBeGreaterThan(0);
    }

    const destroyed = await call(server.base, 'DELETE', `/labs/${lab}/hwpts/${hwpt}`);
    expect(destroyed.status).toBe(200);
    expect(destroyed.body.op).toBe('hwpt.destroy');
    expect((await call(server.base, 'GET', `/labs/${lab}/hwpts/${hwpt}`)).status).toBe(404);
  });

  it('hot-plugs, replaces, hot-unplugs and destroys', async () => {
    const plugged = await call(server.base, 'POST', `/labs/${lab}/vms/vm0/devices`, { device: 'gpu0' });
    expect(plugged.status).toBe(200);
    expect(plugged.body).toMatchObject({ name: 'gpu0', vm: 'vm0' });
    expect(typeof plugged.body.hwpt).toBe('number');
    expect(plugged.body.effects.map((effect: { type: string }) => effect.type)).toContain('device.attached');

    const replaced = await call(server.base, 'POST', `/labs/${lab}/vms/vm0/devices/gpu0/replace`, {
      hwpt: 'new',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.hwpt).not.toBe(plugged.body.hwpt);

    for (const device of ['gpu0', 'nic0']) {
      const unplugged = await call(server.base, 'DELETE', `/labs/${lab}/vms/vm0/devices/${device}`);
      expect(unplugged.status).toBe(200);
      expect(unplugged.body).toMatchObject({ name: device, vm: null, hwpt: null });
    }
    // Replace onto "new" allocated a user HWPT (IOMMU_HWPT_ALLOC, then replace): unlike an auto domain it
    // outlives its last device and holds the IOAS until destroyed.
    const busy = await call(server.base, 'DELETE', `/labs/${lab}/vms/vm0`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('EBUSY');
    const freed = await call(server.base, 'DELETE', `/labs/${lab}/hwpts/${replaced.body.hwpt}`);
    expect(freed.status).toBe(200);
    const destroyed = await call(server.base, 'DELETE', `/labs/${lab}/vms/vm0`);
    expect(destroyed.status).toBe(200);
    expect(destroyed.body.op).toBe('vm.destroy');
    expect(await server.client.listVms(lab)).toEqual([]);
  });
});

describe('state, history and analysis', () => {
  it('returns the state now and at a past seq, matching the documented schema', async () => {
    const now = await call(server.base, 'GET', '/labs/seed/state');
    expect(now.status).toBe(200);
    expect(matchesSchema(LabState, now.body)).toBe(true);
    expect(now.body.policy).toBe('shared');
    const past = await call(server.base, 'GET', '/labs/seed/state?at=0');
    expect(past.body).toMatchObject({ seq: 0, iommus: [], devices: [], vms: [] });
    const hardwareOnly = await server.client.state('seed', 5);
    expect(hardwareOnly.seq).toBe(5);
    expect(hardwareOnly.vms).toEqual([]);
  });

  it('pages through events', async () => {
    const first = await call(server.base, 'GET', '/labs/seed/events?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.events.map((event: { seq: number }) => event.seq)).toEqual([1, 2]);
    for (const event of first.body.events) expect(matchesSchema(StoredEvent, event)).toBe(true);
    const next = await server.client.events('seed', { after: 2, limit: 1 });
    expect(next.map((event) => event.seq)).toEqual([3]);
  });

  it('explains and compares', async () => {
    const explained = await call(server.base, 'GET', '/labs/seed/explain?a=VM1&b=VM2');
    expect(explained.status).toBe(200);
    expect(explained.body).toMatchObject({
      a: { vm: 'VM1', wbinvd: true },
      b: { vm: 'VM2', wbinvd: false },
      diverges: true,
    });
    expect(Array.isArray(explained.body.remedies)).toBe(true);
    expect(explained.body.counterfactual).toHaveProperty('type1');

    const compared = await call(server.base, 'GET', '/labs/seed/compare?policies=type1,iommufd,shared');
    expect(compared.status).toBe(200);
    expect(compared.body.policies.map((entry: { policy: string }) => entry.policy)).toEqual([
      'type1',
      'iommufd',
      'shared',
    ]);
    const all = await server.client.compare('seed');
    expect(all.policies).toHaveLength(4);
  });
});
