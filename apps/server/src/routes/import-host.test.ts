// Model my host through REST: the three real 6.12 sysfs captures (packages/host/fixtures) imported into labs,
// then VMs from a libvirt domain and a QEMU command line booted on them, explained, and bad input refused
// in the API's error shape without creating anything. A real server on an ephemeral port, the real core.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapshot } from '@ioasid-lab/host/sysfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Json, startServer, type TestServer } from '../test/harness.ts';

const fixtures = join(import.meta.dirname, '..', '..', '..', '..', 'packages', 'host', 'fixtures');
const snapshotOf = (name: string) => readSnapshot(join(fixtures, name));

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

const post = (path: string, body: unknown) => call(server.base, 'POST', path, body);
const get = (path: string) => call(server.base, 'GET', path);

/** Two hostdevs, 00:03.0 first: the order QEMU plugs them in. */
const DOMAIN = `<domain type='kvm'>
  <name>guest1</name>
  <memory unit='GiB'>4</memory>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x00' slot='0x03' function='0x0'/></source>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x00' slot='0x02' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>`;

function groupsOf(state: Json): Record<number, string[]> {
  const groups: Record<number, string[]> = {};
  for (const device of state.devices) {
    groups[device.group] = [...(groups[device.group] ?? []), device.name];
  }
  return groups;
}

describe('POST /labs/import-host with the real captures', () => {
  it('vtd-sc-on: dmar0 with snoop control, 6 groups, 8 devices, the mock unit ignored', async () => {
    const { status, body } = await post('/labs/import-host', {
      name: 'host-sc-on',
      snapshot: snapshotOf('vtd-sc-on'),
    });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({
      name: 'host-sc-on',
      policy: 'type1',
      kernel: '6.12',
      kernelProfile: { profile: '6.12', from: '6.12.117' },
      skipped: [],
      ignored: [{ unit: 'iommufd_selftest_iommu.0' }],
      ops: 9,
    });
    const unit = body.units[0];
    expect(unit).toMatchObject({
      name: 'dmar0',
      vendor: 'intel-vtd',
      enforceCacheCoherency: true,
      iovaBits: 39,
    });
    expect(unit.decoded).toContainEqual(
      expect.objectContaining({ register: 'ecap', field: 'SC', bits: '7', value: '1' }),
    );
    expect(unit.decoded).toContainEqual(
      expect.objectContaining({ register: 'cap', field: 'SLLPS', bits: '37:34' }),
    );

    const state = (await get('/labs/host-sc-on/state')).body;
    expect(state.iommus).toEqual([
      {
        name: 'dmar0',
        vendor: 'intel-vtd',
        enforceCacheCoherency: true,
        pageSizes: [4096, 2097152, 1073741824],
        iovaBits: 39,
        reserved: [{ start: '0xfee00000', length: '0x100000', kind: 'msi' }],
      },
    ]);
    expect(groupsOf(state)).toEqual({
      0: ['0000-00-00.0'],
      1: ['0000-00-01.0'],
      2: ['0000-00-02.0'],
      3: ['0000-00-03.0'],
      4: ['0000-00-04.0'],
      5: ['0000-00-1f.0', '0000-00-1f.2', '0000-00-1f.3'],
    });
    // The import is ordinary history: one event per op, all accepted.
    const events = (await get('/labs/host-sc-on/events?limit=100')).body.events;
    expect(events.map((e: Json) => e.op)).toEqual([
      ...Array(1).fill('iommu.add'),
      ...Array(8).fill('device.add'),
    ]);
    expect(events.every((e: Json) => e.result.ok)).toBe(true);
    const again = await post('/labs/import-host', { name: 'host-sc-on', snapshot: snapshotOf('vtd-sc-on') });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EEXIST');
  });

  it('vtd-sc-off: dmar0 without snoop control, 5 groups, 7 devices', async () => {
    const { status, body } = await post('/labs/import-host', {
      name: 'host-sc-off',
      policy: 'iommufd',
      snapshot: snapshotOf('vtd-sc-off'),
    });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.units[0]).toMatchObject({ name: 'dmar0', enforceCacheCoherency: false });
    const state = (await get('/labs/host-sc-off/state')).body;
    expect(state.iommus[0].enforceCacheCoherency).toBe(false);
    expect(Object.keys(groupsOf(state))).toEqual(['0', '1', '2', '3', '4']);
    expect(state.devices).toHaveLength(7);
  });

  it('amd-vi: ivhd0 enforces, MSI window and HyperTransport hole reserved, the IOMMU function skipped', async () => {
    const { status, body } = await post('/labs/import-host', {
      name: 'host-amd',
      snapshot: snapshotOf('amd-vi'),
    });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.skipped).toEqual([
      { bdf: '0000:00:02.0', reason: 'no IOMMU: bypasses translation, cannot be assigned' },
    ]);
    expect(body.units[0]).toMatchObject({ name: 'ivhd0', vendor: 'amd-vi', enforceCacheCoherency: true });
    const state = (await get('/labs/host-amd/state')).body;
    expect(state.iommus[0].reserved).toEqual([
      { start: '0xfee00000', length: '0x100000', kind: 'msi' },
      { start: '0xfd00000000', length: '0x300000000', kind: 'reserved' },
    ]);
    expect(state.devices.map((d: Json) => d.name)).toEqual([
      '0000-00-00.0',
      '0000-00-01.0',
      '0000-00-03.0',
      '0000-00-04.0',
      '0000-00-1f.0',
      '0000-00-1f.2',
      '0000-00-1f.3',
    ]);
    expect(groupsOf(state)[4]).toEqual(['0000-00-1f.0', '0000-00-1f.2', '0000-00-1f.3']);
  });

  it("the kernel profile is the one whose releases include the snapshot's kernel, or the one requested", async () => {
    const old = { ...snapshotOf('vtd-sc-on'), kernel: '6.8.0-49-generic' };
    const plan = await post('/labs/import-host', { name: 'plan-only', snapshot: old, dryRun: true });
    expect(plan.status).toBe(200);
    // 6.8 carries 2ccabf81ddff (first in v6.7): the 6.12 rules, though "6.6" is the nearer name.
    expect(plan.body.kernelProfile).toMatchObject({ profile: '6.12', from: '6.8.0-49-generic' });
    const older = await post('/labs/import-host', {
      name: 'x',
      snapshot: { ...old, kernel: '6.5.0' },
      dryRun: true,
    });
    expect(older.body.kernelProfile).toMatchObject({ profile: '6.6' });
    expect((await get('/labs/plan-only')).status).toBe(404);
    const requested = await post('/labs/import-host', {
      name: 'x',
      kernel: '6.1',
      snapshot: old,
      dryRun: true,
    });
    expect(requested.body.kernelProfile).toMatchObject({ profile: '6.1', rule: 'requested' });

    // The lab follows the profile: a 6.1 host gets a 6.1 lab, whose kernel has no iommufd.
    const debian12 = { ...snapshotOf('vtd-sc-on'), kernel: '6.1.0-28-amd64' };
    const created = await post('/labs/import-host', { name: 'host-61', snapshot: debian12 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kernel: '6.1', kernelProfile: { profile: '6.1' } });
    expect((await get('/labs/host-61')).body.kernel).toBe('6.1');
    expect((await get('/labs/host-61/state')).body.kernel).toBe('6.1');
    const refused = await post('/labs/import-host', {
      name: 'host-61-fd',
      policy: 'iommufd',
      snapshot: debian12,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'EOPNOTSUPP', message: expect.stringContaining('6.1') });
    expect((await get('/labs/host-61-fd')).status).toBe(404);
  });
});

describe('VMs from libvirt XML and QEMU command lines', () => {
  it('a libvirt domain with two hostdevs boots in that order; explain works on it', async () => {
    await post('/labs/import-host', {
      name: 'vms-off',
      policy: 'iommufd',
      snapshot: snapshotOf('vtd-sc-off'),
    });
    const { status, body } = await post('/labs/vms-off/vms/import', { libvirt: DOMAIN });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({
      name: 'guest1',
      devices: ['0000-00-03.0', '0000-00-02.0'],
      wbinvd: true,
      source: { format: 'libvirt', backend: 'vfio', memory: '0x100000000' },
    });
    const vmCreate = (await get(`/labs/vms-off/events?after=${body.seq - 1}&limit=1`)).body.events[0];
    expect(vmCreate).toMatchObject({
      op: 'vm.create',
      input: { name: 'guest1', devices: ['0000-00-03.0', '0000-00-02.0'] },
    });

    const qemu = await post('/labs/vms-off/vms/import', {
      qemu: 'qemu-system-x86_64 -name guest=guest2 -m 2G -device vfio-pci,host=0000:00:1f.2 -device vfio-pci,host=00:00.0',
    });
    expect(qemu.status, JSON.stringify(qemu.body)).toBe(201);
    expect(qemu.body).toMatchObject({ name: 'guest2', devices: ['0000-00-1f.2', '0000-00-00.0'] });

    const explained = await get('/labs/vms-off/explain?a=guest1&b=guest2');
    expect(explained.status, JSON.stringify(explained.body)).toBe(200);
    expect(explained.body.a).toMatchObject({ vm: 'guest1', wbinvd: true });
    expect(explained.body.b).toMatchObject({ vm: 'guest2', wbinvd: true });
    expect(typeof explained.body.summary).toBe('string');
    expect(explained.body.diverges).toBe(false);
  });

  it('on the snoop-control host the same domain runs without wbinvd; an iommufd QEMU line boots too', async () => {
    await post('/labs/import-host', { name: 'vms-on', policy: 'iommufd', snapshot: snapshotOf('vtd-sc-on') });
    const libvirt = await post('/labs/vms-on/vms/import', { libvirt: DOMAIN });
    expect(libvirt.status, JSON.stringify(libvirt.body)).toBe(201);
    expect(libvirt.body).toMatchObject({ name: 'guest1', wbinvd: false, coherencyHazard: false });
    const line =
      'qemu-system-x86_64 -m 4096 -object iommufd,id=fd0 ' +
      '-device \'{"driver":"vfio-pci","host":"0000:00:04.0","iommufd":"fd0"}\' -device vfio-pci,host=0000:00:01.0,iommufd=fd0';
    const qemu = await post('/labs/vms-on/vms/import', { qemu: line, name: 'guest2' });
    expect(qemu.status, JSON.stringify(qemu.body)).toBe(201);
    expect(qemu.body).toMatchObject({
      name: 'guest2',
      devices: ['0000-00-04.0', '0000-00-01.0'],
      memory: '0x100000000',
      wbinvd: false,
      source: { format: 'qemu', backend: 'iommufd', notes: [] },
    });
    // A device another VM owns: the core refuses it as for any vm.create, recorded as history. Under
    // iommufd a VFIO cdev binds once, so the kernel says EINVAL (vfio_df_open; docs/domain.md).
    const again = await post('/labs/vms-on/vms/import', { libvirt: DOMAIN.replace('guest1', 'guest3') });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'EINVAL', seq: expect.any(Number) });
  });

  it('dryRun answers the op without applying it', async () => {
    await post('/labs/import-host', { name: 'dry', snapshot: snapshotOf('amd-vi') });
    const before = (await get('/labs/dry')).body.events;
    const { status, body } = await post('/labs/dry/vms/import', {
      libvirt: DOMAIN.replace("slot='0x02'", "slot='0x04'"),
      dryRun: true,
    });
    expect(status).toBe(200);
    expect(body.op).toEqual({
      op: 'vm.create',
      name: 'guest1',
      memory: '0x100000000',
      devices: ['0000-00-03.0', '0000-00-04.0'],
    });
    expect((await get('/labs/dry')).body.events).toBe(before);
  });
});

describe('a host and its VMs in one request', () => {
  it('vms are booted after the hardware, in order, in the same history; dryRun previews them', async () => {
    const request = {
      name: 'host-and-vms',
      policy: 'iommufd',
      snapshot: snapshotOf('vtd-sc-off'),
      vms: [
        { libvirt: DOMAIN },
        { qemu: 'qemu-system-x86_64 -name guest=guest2 -m 1G -device vfio-pci,host=0000:00:1f.2' },
      ],
    };
    const preview = await post('/labs/import-host', { ...request, dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.body.vms).toEqual([
      expect.objectContaining({
        name: 'guest1',
        devices: ['0000-00-03.0', '0000-00-02.0'],
        memory: '0x100000000',
      }),
      expect.objectContaining({ name: 'guest2', devices: ['0000-00-1f.2'], memory: '0x40000000' }),
    ]);
    expect(preview.body.ops).toBe(1 + 7 + 2);
    expect((await get('/labs/host-and-vms')).status).toBe(404);

    const created = await post('/labs/import-host', request);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const state = (await get('/labs/host-and-vms/state')).body;
    expect(state.vms.map((vm: Json) => [vm.name, vm.devices, vm.wbinvd])).toEqual([
      ['guest1', ['0000-00-03.0', '0000-00-02.0'], true],
      ['guest2', ['0000-00-1f.2'], true],
    ]);
    const explained = await get('/labs/host-and-vms/explain?a=guest1&b=guest2');
    expect(explained.status).toBe(200);
  });

  it('a VM the core refuses (a device in two VMs) undoes the whole import', async () => {
    const { status, body } = await post('/labs/import-host', {
      name: 'clash',
      snapshot: snapshotOf('vtd-sc-on'),
      vms: [
        { libvirt: DOMAIN },
        { qemu: 'qemu-system-x86_64 -name again -device vfio-pci,host=0000:00:02.0' },
      ],
    });
    expect(status).toBe(409);
    expect(body.error).toMatchObject({ code: 'EBUSY', message: expect.stringContaining('vms[1]') });
    expect((await get('/labs/clash')).status).toBe(404);
  });

  it('a VM that does not parse is named by its index', async () => {
    const { status, body } = await post('/labs/import-host', {
      name: 'clash',
      snapshot: snapshotOf('vtd-sc-on'),
      vms: [{ libvirt: DOMAIN }, { libvirt: '<domain><name>x</name>' }],
    });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/^vms\[1\]: XML does not parse/);
    expect((await get('/labs/clash')).status).toBe(404);
  });
});

describe('GET /host/snapshot.mjs', () => {
  it('serves the snapshot script itself, which runs on a captured tree as the checkout copy does', async () => {
    const response = await fetch(`${server.base}/api/v1/host/snapshot.mjs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const text = await response.text();
    expect(text).toBe(readFileSync(join(fixtures, '..', 'bin', 'snapshot.mjs'), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'snapshot-download-'));
    try {
      writeFileSync(join(dir, 'snapshot.mjs'), text);
      const run = spawnSync(
        process.execPath,
        [join(dir, 'snapshot.mjs'), '--root', join(fixtures, 'vtd-sc-on')],
        {
          encoding: 'utf8',
        },
      );
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).iommus[0].registers.ecap).toBe('f00fca');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bad input gets a 4xx in the API error shape, naming what is wrong, and creates nothing', () => {
  it('a body that is not JSON', async () => {
    const { status, body } = await call(
      server.base,
      'POST',
      '/labs/import-host',
      '{"name": "bad", snapshot',
      {
        'content-type': 'application/json',
      },
    );
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'EINVAL' });
    expect((await get('/labs/bad')).status).toBe(404);
  });

  it('a snapshot missing units, or with none the lab can model', async () => {
    const { iommus: _, ...withoutUnits } = snapshotOf('vtd-sc-on');
    const missing = await post('/labs/import-host', { name: 'bad', snapshot: withoutUnits });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: 'EINVAL',
      errno: 22,
      message: 'snapshot.iommus is missing',
    });
    const empty = await post('/labs/import-host', {
      name: 'bad',
      snapshot: { ...snapshotOf('vtd-sc-on'), iommus: [] },
    });
    expect(empty.status).toBe(404);
    expect(empty.body.error).toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining('snapshot.iommus'),
    });
    const badCap = snapshotOf('vtd-sc-on');
    (badCap.iommus[0] as { registers: Record<string, unknown> }).registers.ecap = 'not-hex';
    const decoded = await post('/labs/import-host', { name: 'bad', snapshot: badCap });
    expect(decoded.status).toBe(400);
    expect(decoded.body.error.message).toContain('snapshot.iommus[0].registers.ecap');
    const noSnapshot = await post('/labs/import-host', { name: 'bad' });
    expect(noSnapshot.status).toBe(400);
    expect(noSnapshot.body.error.message).toContain('snapshot');
    expect((await get('/labs/bad')).status).toBe(404);
  });

  it('XML that does not parse, a hostdev not in the lab, neither or both sources', async () => {
    await post('/labs/import-host', { name: 'strict', snapshot: snapshotOf('vtd-sc-on') });
    const before = (await get('/labs/strict')).body.events;
    const broken = await post('/labs/strict/vms/import', { libvirt: DOMAIN.replace('</devices>', '') });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({
      code: 'EINVAL',
      message: expect.stringMatching(/XML does not parse: .*line \d+/),
    });
    const stranger = await post('/labs/strict/vms/import', {
      libvirt: DOMAIN.replace("bus='0x00' slot='0x02'", "bus='0x3b' slot='0x00'"),
    });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error).toMatchObject({
      code: 'ENOENT',
      errno: 2,
      message: expect.stringContaining('0000:3b:00.0'),
    });
    const qemuStranger = await post('/labs/strict/vms/import', {
      qemu: 'qemu-system-x86_64 -name q -device vfio-pci,host=0000:00:02.0 -device vfio-pci,host=0000:00:09.0',
    });
    expect(qemuStranger.status).toBe(404);
    expect(qemuStranger.body.error.message).toContain('0000:00:09.0');
    const neither = await post('/labs/strict/vms/import', {});
    expect(neither.status).toBe(400);
    const both = await post('/labs/strict/vms/import', {
      libvirt: DOMAIN,
      qemu: 'qemu-system-x86_64 -name z',
    });
    expect(both.status).toBe(400);
    const state = (await get('/labs/strict/state')).body;
    expect(state.vms).toEqual([]);
    expect((await get('/labs/strict')).body.events).toBe(before);
    expect((await post('/labs/nolab/vms/import', { libvirt: DOMAIN })).status).toBe(404);
  });
});
