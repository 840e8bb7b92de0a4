// The three real 6.12 captures (fixtures/, extracted from shared/host-snapshots) through the snapshot
// reader, the capability decoders and the conversion, and the ops applied to the real native core.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNELS, Lab } from '@ioasid-lab/core';
import { describe, expect, it } from 'vitest';
import {
  DIRECT_REASON,
  HostImportError,
  KERNEL_PROFILES,
  kernelProfileFor,
  NO_IOMMU_REASON,
  planHostImport,
} from './index.ts';
import { readSnapshot } from './sysfs.ts';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const script = join(import.meta.dirname, '..', 'bin', 'snapshot.mjs');
const MSI = { start: '0xfee00000', length: '0x100000', kind: 'msi' };
const HT_HOLE = { start: '0xfd00000000', length: '0x300000000', kind: 'reserved' };

function applyAll(plan: ReturnType<typeof planHostImport>) {
  const lab = Lab.create('iommufd');
  try {
    for (const op of plan.ops) {
      const result = lab.apply(op);
      expect(result, `${op.op} ${op.name}`).toMatchObject({ ok: true });
    }
    return lab.state();
  } finally {
    lab.destroy();
  }
}

describe('snapshot reader on the captured trees', () => {
  it('reads vtd-sc-on: one unit, six groups, eight functions, the mock unit left out', () => {
    const snapshot = readSnapshot(join(fixtures, 'vtd-sc-on'));
    expect(snapshot.format).toBe('ioasid-lab/host-snapshot/v1');
    expect(snapshot.kernel).toBe('6.12.117');
    expect(snapshot.cmdline).toContain('intel_iommu=on');
    expect(snapshot.iommus).toEqual([
      {
        name: 'dmar0',
        vendor: 'intel-vtd',
        registers: { cap: 'd2008c22260286', ecap: 'f00fca', version: '1:0', address: 'fed90000' },
        devices: [
          '0000:00:00.0',
          '0000:00:01.0',
          '0000:00:02.0',
          '0000:00:03.0',
          '0000:00:04.0',
          '0000:00:1f.0',
          '0000:00:1f.2',
          '0000:00:1f.3',
        ],
      },
    ]);
    expect(snapshot.ignored).toEqual([
      { unit: 'iommufd_selftest_iommu.0', reason: expect.stringContaining('selftest') },
    ]);
    expect(snapshot.groups.map((g) => g.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(snapshot.groups[5]).toEqual({
      id: 5,
      type: 'DMA',
      devices: ['0000:00:1f.0', '0000:00:1f.2', '0000:00:1f.3'],
      reservedRegions: [
        { start: '0x0000000000000000', end: '0x0000000000ffffff', type: 'direct-relaxable' },
        { start: '0x00000000fee00000', end: '0x00000000feefffff', type: 'msi' },
      ],
    });
    expect(snapshot.pciFunctions).toHaveLength(8);
    expect(snapshot.pciFunctions.find((f) => f.bdf === '0000:00:04.0')).toEqual({
      bdf: '0000:00:04.0',
      vendor: '0x1af4',
      device: '0x1041',
      class: '0x020000',
      driver: 'virtio-pci',
      group: 4,
      iommu: 'dmar0',
    });
    expect(snapshot.pciFunctions.find((f) => f.bdf === '0000:00:00.0')?.driver).toBeNull();
  });

  it('reads amd-vi: the IOMMU function 00:02.0 has no group and no unit', () => {
    const snapshot = readSnapshot(join(fixtures, 'amd-vi'));
    expect(snapshot.iommus.map((u) => [u.name, u.vendor, u.registers])).toEqual([
      ['ivhd0', 'amd-vi', { cap: '1f03000f', features: '29d3:0' }],
    ]);
    expect(snapshot.pciFunctions.find((f) => f.bdf === '0000:00:02.0')).toMatchObject({
      class: '0x080600',
      group: null,
      iommu: null,
      driver: null,
    });
  });

  it('reads a live-style tree through real symlinks and directories as it reads a captured one', () => {
    const live = mkdtempSync(join(tmpdir(), 'host-live-'));
    try {
      cpSync(join(fixtures, 'vtd-sc-off'), live, { recursive: true });
      // Turn the captured forms back into what a live sysfs has: links and device directories.
      const fn = join(live, 'sys/bus/pci/devices/0000:00:02.0');
      rmSync(join(fn, 'iommu_group.link'));
      rmSync(join(fn, 'driver.link'));
      symlinkSync('../../../../kernel/iommu_groups/2', join(fn, 'iommu_group'));
      symlinkSync('../../../../bus/pci/drivers/e1000e', join(fn, 'driver'));
      const group = join(live, 'sys/kernel/iommu_groups/2');
      rmSync(join(group, 'devices.list'));
      mkdirSync(join(group, 'devices'));
      symlinkSync('../../../../bus/pci/devices/0000:00:02.0', join(group, 'devices', '0000:00:02.0'));
      rmSync(join(live, 'uname-r'));
      mkdirSync(join(live, 'proc/sys/kernel'), { recursive: true });
      writeFileSync(join(live, 'proc/sys/kernel/osrelease'), '6.12.117\n');
      const fromLive = readSnapshot(live);
      const fromCapture = readSnapshot(join(fixtures, 'vtd-sc-off'));
      const strip = (s: typeof fromLive) => ({ ...s, capturedAt: '' });
      expect(strip(fromLive)).toEqual({ ...strip(fromCapture), cmdline: fromCapture.cmdline });
    } finally {
      rmSync(live, { recursive: true, force: true });
    }
  });

  it('runs alone with node, prints JSON, writes nothing, and refuses a root without sys/', () => {
    // Copied alone into an empty directory, as on a host without a checkout.
    const empty = mkdtempSync(join(tmpdir(), 'host-empty-'));
    try {
      const alone = join(empty, 'snapshot.mjs');
      cpSync(script, alone);
      const run = spawnSync(process.execPath, [alone, '--root', join(fixtures, 'amd-vi')], {
        encoding: 'utf8',
        cwd: empty,
      });
      expect(run.status, run.stderr).toBe(0);
      const printed = JSON.parse(run.stdout);
      expect(printed.iommus[0].name).toBe('ivhd0');
      expect(printed).toEqual({ ...readSnapshot(join(fixtures, 'amd-vi')), capturedAt: printed.capturedAt });
      expect(readdirSync(empty)).toEqual(['snapshot.mjs']);
      const bad = spawnSync(process.execPath, [script, '--root', empty], { encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('no sys/ directory');
      const unknown = spawnSync(process.execPath, [script, '--bogus'], { encoding: 'utf8' });
      expect(unknown.status).toBe(2);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('host import plan of each fixture', () => {
  it('vtd-sc-on: dmar0 enforces (ECAP.SC = 1), 39-bit, 4K/2M/1G, MSI window; 8 devices in 6 groups', () => {
    const plan = planHostImport(readSnapshot(join(fixtures, 'vtd-sc-on')));
    expect(plan.kernelProfile).toEqual({ profile: '6.12', from: '6.12.117', rule: expect.any(String) });
    expect(plan.units).toHaveLength(1);
    const unit = plan.units[0];
    expect(unit).toMatchObject({
      name: 'dmar0',
      vendor: 'intel-vtd',
      enforceCacheCoherency: true,
      pageSizes: [4096, 2097152, 1073741824],
      iovaBits: 39,
      kernelIovaBits: 39,
      reserved: [MSI],
      groups: [0, 1, 2, 3, 4, 5],
    });
    const field = (name: string) => unit?.decoded.find((f) => f.field === name);
    expect(field('SC')).toMatchObject({ register: 'ecap', bits: '7', value: '1' });
    expect(field('SAGAW')).toMatchObject({ register: 'cap', bits: '12:8', value: '0x2' });
    expect(field('MGAW')).toMatchObject({ register: 'cap', bits: '21:16', value: '0x26' });
    expect(field('SLLPS')).toMatchObject({ register: 'cap', bits: '37:34', value: '0x3' });
    expect(plan.devices.map((d) => [d.name, d.group])).toEqual([
      ['0000-00-00.0', 0],
      ['0000-00-01.0', 1],
      ['0000-00-02.0', 2],
      ['0000-00-03.0', 3],
      ['0000-00-04.0', 4],
      ['0000-00-1f.0', 5],
      ['0000-00-1f.2', 5],
      ['0000-00-1f.3', 5],
    ]);
    expect(plan.skipped).toEqual([]);
    expect(plan.ignored.map((i) => i.unit)).toEqual(['iommufd_selftest_iommu.0']);
    // The ISA bridge's floppy region is reported but not reserved (VFIO and iommufd skip direct-relaxable).
    expect(plan.groups.find((g) => g.id === 5)?.reservedRegions).toEqual([
      expect.objectContaining({ type: 'direct-relaxable', applied: false }),
      expect.objectContaining({ type: 'msi', applied: true }),
    ]);

    const state = applyAll(plan);
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
    // Group mates behave as group mates: the three ICH9 functions share group 5 in the core.
    const groups = new Map<number, string[]>();
    for (const device of state.devices)
      groups.set(device.group, [...(groups.get(device.group) ?? []), device.name]);
    expect(Object.fromEntries(groups)).toEqual({
      0: ['0000-00-00.0'],
      1: ['0000-00-01.0'],
      2: ['0000-00-02.0'],
      3: ['0000-00-03.0'],
      4: ['0000-00-04.0'],
      5: ['0000-00-1f.0', '0000-00-1f.2', '0000-00-1f.3'],
    });
    expect(state.devices.every((d) => d.iommu === 'dmar0' && d.noSnoop && d.kind === 'pci')).toBe(true);
  });

  it('vtd-sc-off: ECAP.SC = 0 makes dmar0 non-enforcing; 7 devices in 5 groups', () => {
    const plan = planHostImport(readSnapshot(join(fixtures, 'vtd-sc-off')));
    expect(plan.units[0]).toMatchObject({
      name: 'dmar0',
      enforceCacheCoherency: false,
      iovaBits: 39,
      reserved: [MSI],
    });
    expect(plan.units[0]?.decoded.find((f) => f.field === 'SC')).toMatchObject({ bits: '7', value: '0' });
    expect(plan.devices).toHaveLength(7);
    expect(new Set(plan.devices.map((d) => d.group))).toEqual(new Set([0, 1, 2, 3, 4]));
    const state = applyAll(plan);
    expect(state.iommus[0]?.enforceCacheCoherency).toBe(false);
    expect(state.devices.filter((d) => d.group === 4).map((d) => d.name)).toEqual([
      '0000-00-1f.0',
      '0000-00-1f.2',
      '0000-00-1f.3',
    ]);
  });

  it('amd-vi: ivhd0 enforces (amd_iommu_capable), MSI window and HT hole; 00:02.0 skipped; 7 devices in 5 groups', () => {
    const plan = planHostImport(readSnapshot(join(fixtures, 'amd-vi')));
    expect(plan.units).toHaveLength(1);
    expect(plan.units[0]).toMatchObject({
      name: 'ivhd0',
      vendor: 'amd-vi',
      enforceCacheCoherency: true,
      iovaBits: 57,
      kernelIovaBits: 64,
      reserved: [MSI, HT_HOLE],
    });
    expect(plan.skipped).toEqual([{ bdf: '0000:00:02.0', reason: NO_IOMMU_REASON }]);
    expect(plan.devices.map((d) => d.name)).toEqual([
      '0000-00-00.0',
      '0000-00-01.0',
      '0000-00-03.0',
      '0000-00-04.0',
      '0000-00-1f.0',
      '0000-00-1f.2',
      '0000-00-1f.3',
    ]);
    const state = applyAll(plan);
    expect(state.iommus[0]?.reserved).toEqual([
      { start: '0xfee00000', length: '0x100000', kind: 'msi' },
      { start: '0xfd00000000', length: '0x300000000', kind: 'reserved' },
    ]);
    expect(state.devices.map((d) => d.name)).not.toContain('0000-00-02.0');
  });

  it('a VM booted with two imported e1000e functions works end to end in the core', () => {
    const plan = planHostImport(readSnapshot(join(fixtures, 'vtd-sc-off')));
    const lab = Lab.create('iommufd');
    try {
      for (const op of plan.ops) expect(lab.apply(op).ok).toBe(true);
      const vm = lab.apply({
        op: 'vm.create',
        name: 'guest',
        memory: '0x100000000',
        devices: ['0000-00-03.0', '0000-00-02.0'],
      });
      expect(vm.ok).toBe(true);
      const state = lab.state();
      // 4 GiB of guest RAM goes around the MSI window; both functions sit behind a unit without SC.
      expect(state.vms[0]).toMatchObject({
        name: 'guest',
        devices: ['0000-00-03.0', '0000-00-02.0'],
        wbinvd: true,
      });
    } finally {
      lab.destroy();
    }
  });
});

describe('host import plan refuses what it cannot read, naming the field', () => {
  const base = () => readSnapshot(join(fixtures, 'vtd-sc-on')) as unknown as Record<string, unknown>;
  const refusal = (snapshot: unknown) => {
    try {
      planHostImport(snapshot);
    } catch (error) {
      if (error instanceof HostImportError)
        return { code: error.code, field: error.field, message: error.message };
      throw error;
    }
    throw new Error('accepted');
  };

  it('not an object, missing units, empty units, only the mock', () => {
    expect(refusal('nope')).toMatchObject({ code: 'EINVAL', field: 'snapshot' });
    const { iommus: _, ...withoutUnits } = base();
    expect(refusal(withoutUnits)).toMatchObject({
      code: 'EINVAL',
      field: 'snapshot.iommus',
      message: 'snapshot.iommus is missing',
    });
    expect(refusal({ ...base(), iommus: [] })).toMatchObject({ code: 'ENOENT', field: 'snapshot.iommus' });
    expect(refusal({ ...base(), iommus: [], cmdline: 'quiet intel_iommu=off' })).toMatchObject({
      message: expect.stringContaining('its kernel command line has intel_iommu=off'),
    });
    expect(
      refusal({ ...base(), iommus: [{ name: 'virtio0', vendor: null, registers: {}, devices: [] }] }),
    ).toMatchObject({ code: 'ENOENT', field: 'snapshot.iommus' });
  });

  it('bad registers, region types, BDFs and group numbers', () => {
    const s = base();
    const units = s.iommus as Record<string, unknown>[];
    expect(
      refusal({ ...s, iommus: [{ ...units[0], registers: { cap: 'zz', ecap: 'f00fca' } }] }),
    ).toMatchObject({ code: 'EINVAL', field: 'snapshot.iommus[0].registers.cap' });
    expect(refusal({ ...s, iommus: [{ ...units[0], vendor: 'ibm-s390' }] })).toMatchObject({
      field: 'snapshot.iommus[0].vendor',
    });
    const groups = s.groups as Record<string, unknown>[];
    expect(
      refusal({
        ...s,
        groups: [{ ...groups[0], reservedRegions: [{ start: '0x0', end: '0xfff', type: 'weird' }] }],
      }),
    ).toMatchObject({ field: 'snapshot.groups[0].reservedRegions[0].type' });
    expect(refusal({ ...s, groups: [{ ...groups[0], id: -1 }] })).toMatchObject({
      field: 'snapshot.groups[0].id',
    });
    const fns = s.pciFunctions as Record<string, unknown>[];
    expect(refusal({ ...s, pciFunctions: [{ ...fns[0], bdf: '00:02.0' }] })).toMatchObject({
      field: 'snapshot.pciFunctions[0].bdf',
    });
    expect(refusal({ ...s, format: 'something/v9' })).toMatchObject({ field: 'snapshot.format' });
  });
});

describe('kernel profile from uname -r', () => {
  it('follows the releases each profile stands for (docs/kernels.md), not the nearest name', () => {
    const profile = (release: string | null) => kernelProfileFor(release).profile;
    expect(profile('6.12.117')).toBe('6.12');
    expect(profile('6.17.0-rc2')).toBe('6.12');
    // 6.7 first carried 2ccabf81ddff: 6.8 behaves as 6.12, not as the 6.6 profile whose name is nearer.
    expect(profile('6.8.0-49-generic')).toBe('6.12');
    expect(profile('6.7.0')).toBe('6.12');
    expect(profile('6.6.58-lts')).toBe('6.6');
    expect(profile('6.2.0')).toBe('6.6');
    expect(profile('6.1.0-28-amd64')).toBe('6.1');
    expect(kernelProfileFor('5.15.0-122-generic')).toMatchObject({
      profile: '6.1',
      rule: expect.stringContaining('older than every profile'),
    });
    expect(kernelProfileFor(null)).toMatchObject({
      profile: '6.12',
      rule: expect.stringContaining('unknown'),
    });
    expect(kernelProfileFor('6.12.117', '6.1')).toEqual({
      profile: '6.1',
      from: '6.12.117',
      rule: 'requested',
    });
    expect(KERNEL_PROFILES).toEqual(KERNELS);
  });
});

describe('groups the kernel will not hand to VFIO', () => {
  it('a group with a direct (RMRR) region is skipped whole, and its region is not reserved on the unit', () => {
    const snapshot = readSnapshot(join(fixtures, 'vtd-sc-on'));
    // As on a host whose firmware asks for a 1:1 mapping of a NIC's buffer (a non-relaxable RMRR).
    const group3 = snapshot.groups.find((g) => g.id === 3);
    group3?.reservedRegions?.unshift({
      start: '0x000000007b800000',
      end: '0x000000007b8fffff',
      type: 'direct',
    });
    const plan = planHostImport(snapshot);
    expect(plan.skipped).toEqual([{ bdf: '0000:00:03.0', reason: DIRECT_REASON }]);
    expect(plan.units[0]?.reserved).toEqual([MSI]);
    expect(plan.units[0]?.notes.join(' ')).not.toContain('different reserved regions');
    expect(plan.groups.find((g) => g.id === 3)?.reservedRegions).toEqual([
      expect.objectContaining({ type: 'direct', applied: false, why: DIRECT_REASON }),
      expect.objectContaining({ type: 'msi', applied: false }),
    ]);
    const state = applyAll(plan);
    expect(state.devices.map((d) => d.name)).not.toContain('0000-00-03.0');
    expect(state.devices).toHaveLength(7);
  });

  it('groups of one unit that disagree on regions: the unit reserves the union, and says so', () => {
    const snapshot = readSnapshot(join(fixtures, 'amd-vi'));
    const group2 = snapshot.groups.find((g) => g.id === 2);
    group2?.reservedRegions?.push({
      start: '0x00000000a0000000',
      end: '0x00000000a00fffff',
      type: 'reserved',
    });
    const plan = planHostImport(snapshot);
    expect(plan.units[0]?.reserved).toEqual([
      { start: '0xa0000000', length: '0x100000', kind: 'reserved' },
      MSI,
      HT_HOLE,
    ]);
    expect(plan.units[0]?.notes).toContainEqual(expect.stringContaining('union'));
  });
});
