// The seed scenario (docs/domain.md) under every policy and kernel profile: the product's regression test.
import { afterEach, describe, expect, it } from 'vitest';
import { type Kernel, Lab, type Op, type Policy } from './index.ts';

const SEED_HARDWARE: Op[] = [
  { op: 'iommu.add', name: 'iommu0', vendor: 'intel-vtd', enforceCacheCoherency: true },
  { op: 'iommu.add', name: 'iommu1', vendor: 'intel-vtd', enforceCacheCoherency: false },
  { op: 'device.add', name: 'A', iommu: 'iommu0', noSnoop: true },
  { op: 'device.add', name: 'A2', iommu: 'iommu0', noSnoop: true },
  { op: 'device.add', name: 'B', iommu: 'iommu1', noSnoop: true },
];

const labs: Lab[] = [];
afterEach(() => {
  for (const lab of labs.splice(0)) lab.destroy();
});

function seedLab(policy: Policy, kernel: Kernel = '6.12'): Lab {
  const lab = Lab.create(policy, undefined, kernel);
  labs.push(lab);
  for (const result of lab.applyBatch(SEED_HARDWARE)) expect(result.ok).toBe(true);
  return lab;
}

function ok(lab: Lab, op: Op) {
  const result = lab.apply(op);
  if (!result.ok) throw new Error(`${op.op} refused: ${result.code} ${result.message}`);
  return result;
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

function vm(lab: Lab, name: string) {
  const found = lab.state().vms.find((v) => v.name === name);
  if (!found) throw new Error(`no vm ${name}`);
  return found;
}

function tablesOf(lab: Lab, name: string): number {
  const state = lab.state();
  const ioas = vm(lab, name).ioas;
  return state.hwpts.filter((h) => h.ioas === ioas).length;
}

/** Boots VM1 with vm1Devices, VM2 with [A2], then hot-unplugs B from VM1; returns VM1's table count while {A,B}. */
function story(lab: Lab, vm1Devices: string[]): number {
  ok(lab, { op: 'vm.create', name: 'VM1', devices: vm1Devices });
  const tables = tablesOf(lab, 'VM1');
  ok(lab, { op: 'vm.create', name: 'VM2', devices: ['A2'] });
  ok(lab, { op: 'vm.detach', vm: 'VM1', device: 'B' });
  return tables;
}

describe('seed scenario (docs/domain.md)', () => {
  for (const kernel of ['6.6', '6.12'] as const) {
    it(`type1 on ${kernel}: VM1 off, VM2 off, 2 tables while {A,B}`, () => {
      const lab = seedLab('type1', kernel);
      expect(story(lab, ['A', 'B'])).toBe(2);
      expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: false, coherencyHazard: false, noncoherentDma: 0 });
      expect(vm(lab, 'VM2')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    });
  }

  it("type1 on 6.1: VM1 stays ON after B leaves (QEMU removes B's file while B is in the container)", () => {
    const lab = seedLab('type1', '6.1');
    expect(story(lab, ['A', 'B'])).toBe(2);
    expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: true, coherencyHazard: false, noncoherentDma: 1 });
    expect(vm(lab, 'VM2')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    // Until the next file add or del re-judges: unplug and plug A again.
    ok(lab, { op: 'vm.detach', vm: 'VM1', device: 'A' });
    ok(lab, { op: 'vm.attach', vm: 'VM1', device: 'A' });
    expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: false, coherencyHazard: false, noncoherentDma: 0 });
  });

  it('type1: KVM keeps one flag while {A, B}, not one per file', () => {
    for (const kernel of ['6.1', '6.6', '6.12'] as const) {
      const lab = seedLab('type1', kernel);
      ok(lab, { op: 'vm.create', name: 'VM1', devices: ['A', 'B'] });
      expect(vm(lab, 'VM1'), kernel).toMatchObject({ noncoherentDma: 1, wbinvd: true });
    }
  });

  it('iommufd: VM1 off, VM2 off, 2 tables while {A,B}', () => {
    const lab = seedLab('iommufd');
    expect(story(lab, ['A', 'B'])).toBe(2);
    expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    expect(vm(lab, 'VM2')).toMatchObject({ wbinvd: false, coherencyHazard: false });
  });

  it('iommufd on 6.1 does not exist: EOPNOTSUPP naming the kernel', () => {
    expect(() => Lab.create('iommufd', undefined, '6.1')).toThrow(/6\.1/);
    try {
      Lab.create('iommufd', undefined, '6.1');
    } catch (error) {
      expect(error).toMatchObject({ code: 'EOPNOTSUPP' });
    }
  });

  it('iommufd, VM1 booted with {B, A} before 2ccabf81ddff (6.6): off, no hazard, 2 tables', () => {
    const lab = seedLab('iommufd', '6.6');
    expect(story(lab, ['B', 'A'])).toBe(2);
    expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    expect(vm(lab, 'VM2')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    const a = lab.state().devices.find((d) => d.name === 'A');
    expect(lab.state().hwpts.find((h) => h.id === a?.hwpt)?.enforceCacheCoherency).toBe(true);
  });

  it('iommufd, VM1 booted with {B, A}: off with a coherency hazard, 1 table', () => {
    const lab = seedLab('iommufd');
    expect(story(lab, ['B', 'A'])).toBe(1);
    expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: false, coherencyHazard: true });
    expect(vm(lab, 'VM2')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    const a = lab.state().devices.find((d) => d.name === 'A');
    const hwpt = lab.state().hwpts.find((h) => h.id === a?.hwpt);
    expect(hwpt?.enforceCacheCoherency).toBe(false);
  });

  it('iommufd, {B, A}: the hazard_on effect comes with the hot-unplug of B', () => {
    const lab = seedLab('iommufd');
    ok(lab, { op: 'vm.create', name: 'VM1', devices: ['B', 'A'] });
    const detach = ok(lab, { op: 'vm.detach', vm: 'VM1', device: 'B' });
    const types = detach.effects.map((e) => e.type);
    expect(types).toContain('vm.wbinvd_off');
    expect(detach.effects.find((e) => e.type === 'vm.hazard_on')).toMatchObject({ vm: 'VM1', device: 'A' });
  });

  it('shared: VM1 stays ON (diverges), VM2 off, 1 table', () => {
    const lab = seedLab('shared');
    expect(story(lab, ['A', 'B'])).toBe(1);
    expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: true, coherencyHazard: false });
    expect(vm(lab, 'VM2')).toMatchObject({ wbinvd: false, coherencyHazard: false });
  });

  it('shared: B downgrades the shared table and its SNP bits', () => {
    const lab = seedLab('shared');
    ok(lab, { op: 'vm.create', name: 'VM1', devices: ['A'] });
    const hwpt = only(lab.state().hwpts);
    expect(hwpt.stats.snoopLeaves).toBe(hwpt.stats.leaves);
    const attach = ok(lab, { op: 'vm.attach', vm: 'VM1', device: 'B' });
    expect(attach.effects.find((e) => e.type === 'hwpt.snoop_downgraded')).toMatchObject({ hwpt: hwpt.id });
    const after = only(lab.state().hwpts);
    expect(after.enforceCacheCoherency).toBe(false);
    expect(after.stats.snoopLeaves).toBe(0);
    expect(lab.pagetable(after.id).leaves.every((l) => !l.snoop)).toBe(true);
  });

  it('shared + replace A onto a fresh enforcing HWPT: VM1 off, VM2 off', () => {
    const lab = seedLab('shared');
    story(lab, ['A', 'B']);
    const oldHwpt = lab.state().devices.find((d) => d.name === 'A')?.hwpt;
    const replace = ok(lab, {
      op: 'device.replace',
      vm: 'VM1',
      device: 'A',
      hwpt: 'new',
      enforceCacheCoherency: true,
    });
    const types = replace.effects.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['hwpt.created', 'device.replaced', 'hwpt.destroyed', 'vm.wbinvd_off']),
    );
    expect(replace.effects.find((e) => e.type === 'hwpt.destroyed')?.hwpt).toBe(oldHwpt);
    expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: false, coherencyHazard: false, noncoherentDma: 0 });
    expect(vm(lab, 'VM2')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    const a = lab.state().devices.find((d) => d.name === 'A');
    const table = lab.state().hwpts.find((h) => h.id === a?.hwpt);
    expect(table?.enforceCacheCoherency).toBe(true);
    expect(table?.stats.snoopLeaves).toBe(table?.stats.leaves);
  });

  it('explicit: the story with user-allocated HWPTs converges like iommufd', () => {
    const lab = seedLab('explicit');
    expect(lab.apply({ op: 'vm.create', name: 'VM1', devices: ['A'] })).toMatchObject({
      ok: false,
      code: 'EINVAL',
    });
    ok(lab, { op: 'vm.create', name: 'VM1' });
    ok(lab, { op: 'vm.create', name: 'VM2' });
    const ioas1 = vm(lab, 'VM1').ioas;
    const ioas2 = vm(lab, 'VM2').ioas;
    const hA = ok(lab, { op: 'hwpt.alloc', ioas: ioas1, iommu: 'iommu0' }).effects[0]?.hwpt as number;
    const hB = ok(lab, { op: 'hwpt.alloc', ioas: ioas1, iommu: 'iommu1' }).effects[0]?.hwpt as number;
    const hA2 = ok(lab, { op: 'hwpt.alloc', ioas: ioas2, iommu: 'iommu0' }).effects[0]?.hwpt as number;
    expect(lab.apply({ op: 'vm.attach', vm: 'VM1', device: 'A' })).toMatchObject({
      ok: false,
      code: 'EINVAL',
    });
    expect(lab.apply({ op: 'vm.attach', vm: 'VM1', device: 'B', hwpt: hA })).toMatchObject({
      ok: false,
      code: 'EINVAL',
    });
    ok(lab, { op: 'vm.attach', vm: 'VM1', device: 'A', hwpt: hA });
    ok(lab, { op: 'vm.attach', vm: 'VM1', device: 'B', hwpt: hB });
    ok(lab, { op: 'vm.attach', vm: 'VM2', device: 'A2', hwpt: hA2 });
    expect(vm(lab, 'VM1').wbinvd).toBe(true);
    ok(lab, { op: 'vm.detach', vm: 'VM1', device: 'B' });
    expect(vm(lab, 'VM1')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    expect(vm(lab, 'VM2')).toMatchObject({ wbinvd: false, coherencyHazard: false });
    // User HWPTs outlive their devices.
    expect(lab.state().hwpts.map((h) => h.id)).toEqual([hA, hB, hA2]);
  });

  it('is deterministic: the same ops give the same effects and state, byte for byte', () => {
    const run = () => {
      const lab = seedLab('shared');
      const effects = JSON.stringify([
        lab.apply({ op: 'vm.create', name: 'VM1', devices: ['A', 'B'] }),
        lab.apply({ op: 'vm.create', name: 'VM2', devices: ['A2'] }),
        lab.apply({ op: 'vm.detach', vm: 'VM1', device: 'B' }),
      ]);
      return effects + JSON.stringify(lab.state());
    };
    expect(run()).toBe(run());
  });
});
