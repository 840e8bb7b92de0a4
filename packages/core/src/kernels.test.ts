// Rules that depend on the kernel profile or on QEMU's ordering (docs/kernels.md), one behaviour per test,
// each named after the kernel function it follows.
import { afterEach, describe, expect, it } from 'vitest';
import { type Kernel, Lab, type Op, type Policy } from './index.ts';

const labs: Lab[] = [];
afterEach(() => {
  for (const lab of labs.splice(0)) lab.destroy();
});

const UNITS: Op[] = [
  { op: 'iommu.add', name: 'sc', vendor: 'intel-vtd', enforceCacheCoherency: true },
  { op: 'iommu.add', name: 'nosc', vendor: 'intel-vtd', enforceCacheCoherency: false },
  { op: 'iommu.add', name: 'nosc2', vendor: 'intel-vtd', enforceCacheCoherency: false },
];

function lab(policy: Policy, kernel: Kernel, devices: Op[]): Lab {
  const made = Lab.create(policy, undefined, kernel);
  labs.push(made);
  for (const result of made.applyBatch([...UNITS, ...devices])) expect(result.ok).toBe(true);
  return made;
}

function ok(target: Lab, op: Op) {
  const result = target.apply(op);
  if (!result.ok) throw new Error(`${op.op} refused: ${result.code} ${result.message}`);
  return result;
}

const vm = (target: Lab, name: string) => target.state().vms.find((v) => v.name === name);
const A: Op = { op: 'device.add', name: 'A', iommu: 'sc', noSnoop: true };
const B: Op = { op: 'device.add', name: 'B', iommu: 'nosc', noSnoop: true };

describe('KVM judge of a type1 group file (vfio_file_enforced_coherent)', () => {
  it('B never announced: 6.12 judges A by its unit (wbinvd off, hazard), 6.1 by the container (on)', () => {
    for (const [kernel, wbinvd, hazard] of [
      ['6.12', false, true],
      ['6.1', true, false],
    ] as const) {
      const target = lab('type1', kernel, [A, B]);
      ok(target, { op: 'vm.create', name: 'VM1' });
      ok(target, { op: 'vm.attach', vm: 'VM1', device: 'B', announceKvm: 'never' });
      // A's FILE_ADD makes KVM judge the files, while B's domain is in the container.
      ok(target, { op: 'vm.attach', vm: 'VM1', device: 'A' });
      expect(vm(target, 'VM1'), kernel).toMatchObject({ wbinvd, coherencyHazard: hazard });
    }
  });

  it('QEMU adds one kvm-vfio file per VFIO group, and it stays while a group mate does', () => {
    const target = lab('type1', '6.12', [
      { op: 'device.add', name: 'F0', iommu: 'sc', group: 9, noSnoop: true },
      { op: 'device.add', name: 'F1', iommu: 'sc', group: 9, noSnoop: true },
    ]);
    const boot = ok(target, { op: 'vm.create', name: 'VM1', devices: ['F0', 'F1'] });
    expect(boot.effects.filter((e) => e.type === 'vm.kvm_file_added')).toHaveLength(1);
    expect(vm(target, 'VM1')?.kvmFiles).toEqual(['F0']);
    const first = ok(target, { op: 'vm.detach', vm: 'VM1', device: 'F0' });
    expect(first.effects.some((e) => e.type === 'vm.kvm_file_removed')).toBe(false);
    expect(vm(target, 'VM1')?.kvmFiles).toEqual(['F1']);
    const last = ok(target, { op: 'vm.detach', vm: 'VM1', device: 'F1' });
    expect(last.effects.some((e) => e.type === 'vm.kvm_file_removed')).toBe(true);
  });
});

describe("QEMU's unplug order", () => {
  const order = (policy: Policy) => {
    const target = lab(policy, '6.12', [A, B]);
    ok(target, { op: 'vm.create', name: 'VM1', devices: ['A', 'B'] });
    const types = ok(target, { op: 'vm.detach', vm: 'VM1', device: 'B' }).effects.map((e) => e.type);
    return [types.indexOf('vm.kvm_file_removed'), types.indexOf('device.detached')];
  };

  it('legacy container: FILE_DEL, then the group leaves the container (vfio_put_group)', () => {
    const [fileRemoved, detached] = order('type1');
    expect(fileRemoved).toBeGreaterThanOrEqual(0);
    expect(fileRemoved).toBeLessThan(detached as number);
  });

  it('iommufd backend: detach from the IOAS, then FILE_DEL (iommufd_cdev_detach)', () => {
    const [fileRemoved, detached] = order('iommufd');
    expect(detached).toBeGreaterThanOrEqual(0);
    expect(detached).toBeLessThan(fileRemoved as number);
  });
});

describe('domain choice', () => {
  it('type1 merges a group only into a domain with the same enforce flag', () => {
    const target = lab('type1', '6.12', [
      A,
      { op: 'device.add', name: 'A2', iommu: 'sc' },
      B,
      { op: 'device.add', name: 'B2', iommu: 'nosc2' },
    ]);
    ok(target, { op: 'vm.create', name: 'VM1', devices: ['A', 'B', 'A2', 'B2'] });
    const tables = target.state().hwpts;
    expect(tables.map((h) => [h.enforceCacheCoherency, h.devices])).toEqual([
      [true, ['A', 'A2']],
      [false, ['B', 'B2']],
    ]);
  });

  it("iommufd's auto path never joins a group mate's user-allocated HWPT: EINVAL", () => {
    const mates: Op[] = [
      { op: 'device.add', name: 'F0', iommu: 'sc', group: 9 },
      { op: 'device.add', name: 'F1', iommu: 'sc', group: 9 },
    ];
    const target = lab('iommufd', '6.12', mates);
    ok(target, { op: 'vm.create', name: 'VM1', memory: 0x100000 });
    const ioas = vm(target, 'VM1')?.ioas as number;
    const user = ok(target, { op: 'hwpt.alloc', ioas, iommu: 'sc' }).effects[0]?.hwpt as number;
    ok(target, { op: 'vm.attach', vm: 'VM1', device: 'F0', hwpt: user });
    expect(target.apply({ op: 'vm.attach', vm: 'VM1', device: 'F1' })).toMatchObject({
      ok: false,
      code: 'EINVAL',
    });
    // type1 attaches whole groups: the mate is on the group's domain.
    const container = lab('type1', '6.12', mates);
    ok(container, { op: 'vm.create', name: 'VM1', devices: ['F0', 'F1'] });
    expect(container.state().hwpts).toHaveLength(1);
  });

  it('replace onto "new" makes a user-allocated HWPT, which later auto attaches do not pick', () => {
    const target = lab('iommufd', '6.12', [A, { op: 'device.add', name: 'A2', iommu: 'sc' }]);
    ok(target, { op: 'vm.create', name: 'VM1', devices: ['A'] });
    ok(target, { op: 'device.replace', vm: 'VM1', device: 'A', hwpt: 'new' });
    const user = target.state().hwpts[0];
    expect(user).toMatchObject({ auto: false, devices: ['A'] });
    ok(target, { op: 'vm.attach', vm: 'VM1', device: 'A2' });
    const a2 = target.state().devices.find((d) => d.name === 'A2');
    expect(a2?.hwpt).not.toBe(user?.id);
  });

  it('type1 has no replace: EOPNOTSUPP', () => {
    const target = lab('type1', '6.12', [A]);
    ok(target, { op: 'vm.create', name: 'VM1', devices: ['A'] });
    expect(target.apply({ op: 'device.replace', vm: 'VM1', device: 'A', hwpt: 'new' })).toMatchObject({
      ok: false,
      code: 'EOPNOTSUPP',
    });
  });
});

describe('iommufd_hw_pagetable_enforce_cc at attach (before 2ccabf81ddff)', () => {
  const attachToUserTable = (kernel: Kernel, mapFirst: boolean) => {
    const target = lab('iommufd', kernel, [A]);
    ok(target, { op: 'vm.create', name: 'VM1', memory: 0x1000 });
    ok(target, { op: 'vm.create', name: 'VM2', memory: 0x1000 });
    const ioas = vm(target, 'VM1')?.ioas as number;
    // An IOAS of its own with no areas: unmap VM1's RAM unless the test wants mappings.
    if (!mapFirst) ok(target, { op: 'ioas.unmap', ioas, iova: 0, length: '0xffffffffffffffff' });
    const table = ok(target, { op: 'hwpt.alloc', ioas, iommu: 'sc', enforceCacheCoherency: false }).effects[0]
      ?.hwpt as number;
    return { target, result: target.apply({ op: 'vm.attach', vm: 'VM1', device: 'A', hwpt: table }), table };
  };

  it('6.6: VT-d upgrades a table without mappings; 6.12 leaves it as allocated', () => {
    const old = attachToUserTable('6.6', false);
    expect(old.result.ok).toBe(true);
    expect(old.result.effects.map((e) => e.type)).toContain('hwpt.snoop_upgraded');
    expect(old.target.state().hwpts[0]?.enforceCacheCoherency).toBe(true);
    const today = attachToUserTable('6.12', false);
    expect(today.result.ok).toBe(true);
    expect(today.target.state().hwpts[0]?.enforceCacheCoherency).toBe(false);
  });

  it('6.6: VT-d refuses once the second-level table has mappings (EINVAL)', () => {
    expect(attachToUserTable('6.6', true).result).toMatchObject({ ok: false, code: 'EINVAL' });
    expect(attachToUserTable('6.12', true).result.ok).toBe(true);
  });
});

describe('coherency hazard', () => {
  it('needs a device that can do no-snoop DMA: a snooping device on a table without SNP is no hazard', () => {
    const target = lab('iommufd', '6.12', [
      { op: 'device.add', name: 'S', iommu: 'nosc', noSnoop: false },
      { op: 'device.add', name: 'A', iommu: 'sc', noSnoop: false },
    ]);
    ok(target, { op: 'vm.create', name: 'VM1', devices: ['S', 'A'] });
    ok(target, { op: 'vm.detach', vm: 'VM1', device: 'S' });
    expect(vm(target, 'VM1')).toMatchObject({ wbinvd: false, coherencyHazard: false });
  });
});

describe('map errno order (iopt_alloc_area_pages, then iopt_check_iova)', () => {
  it('a misaligned length is EINVAL before a wrapping IOVA is EOVERFLOW', () => {
    const target = lab('iommufd', '6.12', [A]);
    ok(target, { op: 'vm.create', name: 'VM1', memory: 0x1000, devices: ['A'] });
    const ioas = vm(target, 'VM1')?.ioas as number;
    expect(
      target.apply({ op: 'ioas.map', ioas, iova: '0xfffffffffffff000', length: '0x1800' }),
    ).toMatchObject({ ok: false, code: 'EINVAL' });
  });
});
