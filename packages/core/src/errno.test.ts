// docs/domain.md's "What the core refuses, and with which errno", line by line, plus KVM ordering, limits,
// malformed ops, snapshots and batches. Named after the kernel function that decides each answer.
import { afterEach, describe, expect, it } from 'vitest';
import { type AnyOp, Lab, type LabLimits, type OpResult, type Policy } from './index.ts';

const PAGE = 4096;
const U64_MAX = '0xffffffffffffffff';
const labs: Lab[] = [];
afterEach(() => {
  for (const lab of labs.splice(0)) lab.destroy();
});

function newLab(policy: Policy = 'iommufd', limits?: LabLimits): Lab {
  const lab = Lab.create(policy, limits);
  labs.push(lab);
  return lab;
}

function ok(lab: Lab, op: AnyOp): OpResult {
  const result = lab.apply(op);
  if (!result.ok) throw new Error(`${op.op} refused: ${result.code} ${result.message}`);
  return result;
}

function refused(lab: Lab, op: AnyOp, code: string): string {
  const before = lab.state();
  const result = lab.apply(op);
  expect(result.ok ? 'ok' : result.code).toBe(code);
  // Refused operations change nothing.
  expect(lab.state()).toEqual(before);
  return result.ok ? '' : result.message;
}

/** Hardware: VT-d unit with snoop control (vtd), one without (vtd_nosc), an AMD unit; an empty VM IOAS. */
function hardware(lab: Lab): number {
  for (const result of lab.applyBatch([
    { op: 'iommu.add', name: 'vtd', vendor: 'intel-vtd', enforceCacheCoherency: true },
    { op: 'iommu.add', name: 'vtd_nosc', vendor: 'intel-vtd', enforceCacheCoherency: false },
    { op: 'iommu.add', name: 'amd', vendor: 'amd-vi', enforceCacheCoherency: true },
    { op: 'iommu.add', name: 'vtd39', vendor: 'intel-vtd', enforceCacheCoherency: true, iovaBits: 39 },
    { op: 'device.add', name: 'nic', iommu: 'vtd', noSnoop: true },
    { op: 'device.add', name: 'gpu', iommu: 'vtd_nosc', noSnoop: true },
    { op: 'device.add', name: 'amdnic', iommu: 'amd' },
    { op: 'device.add', name: 'narrow', iommu: 'vtd39' },
    { op: 'vm.create', name: 'vm', memory: PAGE },
  ])) {
    expect(result.ok).toBe(true);
  }
  const ioas = lab.state().vms[0]?.ioas as number;
  ok(lab, { op: 'ioas.unmap', ioas, iova: 0, length: U64_MAX });
  return ioas;
}

describe('map (iopt_check_iova, iommufd_ioas_map)', () => {
  it('overlapping an existing area is EEXIST, naming both ranges', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'ioas.map', ioas, iova: 0, length: 0x4000 });
    const message = refused(lab, { op: 'ioas.map', ioas, iova: 0x1000, length: 0x2000 }, 'EEXIST');
    expect(message).toContain('iova 0x1000+0x2000 overlaps area 0x0+0x4000');
  });

  it('inside the MSI window once a device is attached is EINVAL', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    refused(lab, { op: 'ioas.map', ioas, iova: '0xfee00000', length: PAGE }, 'EINVAL');
    refused(lab, { op: 'ioas.map', ioas, iova: '0xfed00000', length: '0x200000' }, 'EINVAL');
  });

  it('past the aperture once a domain is attached is EINVAL', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    refused(lab, { op: 'ioas.map', ioas, iova: 1n << 48n, length: PAGE }, 'EINVAL');
    refused(lab, { op: 'ioas.map', ioas, iova: (1n << 48n) - 4096n, length: 2 * PAGE }, 'EINVAL');
    ok(lab, { op: 'ioas.map', ioas, iova: (1n << 48n) - 4096n, length: PAGE });
  });

  it('an IOVA or length not aligned to the smallest page of a domain is EINVAL', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    refused(lab, { op: 'ioas.map', ioas, iova: 0x10000800, length: PAGE }, 'EINVAL');
    refused(lab, { op: 'ioas.map', ioas, iova: 0x10000000, length: 0x800 }, 'EINVAL');
  });

  it('length 0 and neither read nor write are EINVAL; wrapping is EOVERFLOW', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    refused(lab, { op: 'ioas.map', ioas, iova: 0, length: 0 }, 'EINVAL');
    refused(lab, { op: 'ioas.map', ioas, iova: 0, length: PAGE, read: false, write: false }, 'EINVAL');
    refused(lab, { op: 'ioas.map', ioas, iova: '0xfffffffffffff000', length: 0x2000 }, 'EOVERFLOW');
    refused(lab, { op: 'ioas.map', ioas, iova: 0, length: U64_MAX }, 'EOVERFLOW');
  });

  it('an unknown IOAS is ENOENT', () => {
    const lab = newLab();
    hardware(lab);
    refused(lab, { op: 'ioas.map', ioas: 77, iova: 0, length: PAGE }, 'ENOENT');
  });

  it('before any domain: no reservations, no alignment; a later attach is EADDRINUSE', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'ioas.map', ioas, iova: '0xfee00000', length: PAGE });
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' }, 'EADDRINUSE');
    ok(lab, { op: 'ioas.unmap', ioas, iova: 0, length: U64_MAX });
    ok(lab, { op: 'ioas.map', ioas, iova: 0x10000800, length: PAGE });
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' }, 'EADDRINUSE');
    // An area past a 39-bit unit's aperture: EADDRINUSE for its new domain
    ok(lab, { op: 'ioas.unmap', ioas, iova: 0, length: U64_MAX });
    ok(lab, { op: 'ioas.map', ioas, iova: 1n << 40n, length: PAGE });
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'narrow' }, 'EADDRINUSE');
    refused(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd39' }, 'EADDRINUSE');
  });

  it('type1 reports reserved and aperture conflicts as EINVAL (vfio_iommu_resv_conflict)', () => {
    const lab = newLab('type1');
    const ioas = hardware(lab);
    ok(lab, { op: 'ioas.map', ioas, iova: '0xfee00000', length: PAGE });
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' }, 'EINVAL');
  });
});

describe('unmap (iopt_unmap_iova_range, iopt_unmap_all)', () => {
  it('nothing mapped in the range is ENOENT; a plain unmap of an empty IOAS is ENOENT', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    refused(lab, { op: 'ioas.unmap', ioas, iova: 0, length: PAGE }, 'ENOENT');
    ok(lab, { op: 'ioas.map', ioas, iova: 0x10000, length: PAGE });
    refused(lab, { op: 'ioas.unmap', ioas, iova: 0, length: PAGE }, 'ENOENT');
  });

  it('a range that cuts an area is ENOENT and removes nothing, even after whole areas', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'ioas.map', ioas, iova: 0, length: PAGE });
    ok(lab, { op: 'ioas.map', ioas, iova: 0x2000, length: 0x2000 });
    // The kernel would have removed [0, 0x1000) before finding the cut; the lab refuses whole.
    refused(lab, { op: 'ioas.unmap', ioas, iova: 0, length: 0x3000 }, 'ENOENT');
  });

  it('a range covering whole areas and holes succeeds; unmap-all succeeds on an empty IOAS', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'ioas.map', ioas, iova: PAGE, length: PAGE });
    ok(lab, { op: 'ioas.map', ioas, iova: 3 * PAGE, length: PAGE });
    const result = ok(lab, { op: 'ioas.unmap', ioas, iova: 0, length: 8 * PAGE });
    expect(result.effects.filter((e) => e.type === 'area.unmapped')).toHaveLength(2);
    ok(lab, { op: 'ioas.unmap', ioas, iova: 0, length: U64_MAX });
    refused(lab, { op: 'ioas.unmap', ioas, iova: 0, length: 0 }, 'EINVAL');
    refused(lab, { op: 'ioas.unmap', ioas, iova: 1, length: U64_MAX }, 'EOVERFLOW');
  });
});

describe('destroy (iommufd_destroy)', () => {
  it('a HWPT in use is EBUSY; freed or unknown ids are ENOENT; an IOAS id is not a HWPT', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    const hwpt = lab.state().hwpts[0]?.id as number;
    refused(lab, { op: 'hwpt.destroy', hwpt }, 'EBUSY');
    refused(lab, { op: 'hwpt.destroy', hwpt: ioas }, 'ENOENT');
    refused(lab, { op: 'vm.destroy', vm: 'vm' }, 'EBUSY');
    ok(lab, { op: 'vm.detach', vm: 'vm', device: 'nic' });
    refused(lab, { op: 'hwpt.destroy', hwpt }, 'ENOENT');
    // A user HWPT keeps the IOAS busy
    const user = ok(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd' }).effects[0]?.hwpt as number;
    refused(lab, { op: 'vm.destroy', vm: 'vm' }, 'EBUSY');
    ok(lab, { op: 'hwpt.destroy', hwpt: user });
    refused(lab, { op: 'hwpt.destroy', hwpt: user }, 'ENOENT');
    ok(lab, { op: 'vm.destroy', vm: 'vm' });
    refused(lab, { op: 'vm.destroy', vm: 'vm' }, 'ENOENT');
  });

  it('device.remove is EBUSY while attached, ENOENT when unknown', () => {
    const lab = newLab();
    hardware(lab);
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    refused(lab, { op: 'device.remove', name: 'nic' }, 'EBUSY');
    refused(lab, { op: 'device.remove', name: 'nope' }, 'ENOENT');
    ok(lab, { op: 'device.remove', name: 'gpu' });
  });

  it('replacing onto another HWPT frees the old auto HWPT if nothing else uses it', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    const auto = lab.state().hwpts[0]?.id as number;
    const user = ok(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd' }).effects[0]?.hwpt as number;
    const result = ok(lab, { op: 'device.replace', vm: 'vm', device: 'nic', hwpt: user });
    expect(result.effects).toEqual([
      { type: 'device.replaced', vm: 'vm', device: 'nic', hwpt: user, fromHwpt: auto },
      { type: 'hwpt.destroyed', hwpt: auto },
    ]);
  });
});

describe('attach (iommufd_hw_pagetable_attach, iommufd_device_auto_get_domain)', () => {
  it('a device bound by another VM is EINVAL (vfio_df_open: a cdev binds once); a second attach too', () => {
    const lab = newLab();
    hardware(lab);
    ok(lab, { op: 'vm.create', name: 'vm2' });
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    refused(lab, { op: 'vm.attach', vm: 'vm2', device: 'nic' }, 'EINVAL');
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' }, 'EINVAL');
    refused(lab, { op: 'vm.attach', vm: 'nope', device: 'nic' }, 'ENOENT');
    refused(lab, { op: 'vm.detach', vm: 'vm2', device: 'nic' }, 'ENOENT');
  });

  it('a device whose group sits on another HWPT is EINVAL; a group owned by another VM is EPERM', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'device.add', name: 'fn0', iommu: 'vtd', group: 40 });
    ok(lab, { op: 'device.add', name: 'fn1', iommu: 'vtd', group: 40 });
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'fn0' });
    const user = ok(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd' }).effects[0]?.hwpt as number;
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'fn1', hwpt: user }, 'EINVAL');
    ok(lab, { op: 'vm.create', name: 'vm2' });
    // iommu_device_claim_dma_owner: the group is owned by the other VM's iommufd.
    refused(lab, { op: 'vm.attach', vm: 'vm2', device: 'fn1' }, 'EPERM');
    // The group mate joins its group's HWPT; replace moves the whole group
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'fn1' });
    const moved = ok(lab, { op: 'device.replace', vm: 'vm', device: 'fn0', hwpt: user });
    expect(moved.effects.filter((e) => e.type === 'device.replaced').map((e) => e.device)).toEqual([
      'fn0',
      'fn1',
    ]);
    // A group never spans two units
    refused(lab, { op: 'device.add', name: 'fn2', iommu: 'amd', group: 40 }, 'EINVAL');
  });

  it('an enforcing domain and a device without snoop control is EINVAL (so iommufd makes a second one)', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    const enforcing = ok(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd' }).effects[0]?.hwpt as number;
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'gpu', hwpt: enforcing }, 'EINVAL');
    // Another vendor or a narrower aperture is incompatible too
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'amdnic', hwpt: enforcing }, 'EINVAL');
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'narrow', hwpt: enforcing }, 'EINVAL');
    // User HWPTs are never picked by the auto path
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    expect(lab.state().hwpts.map((h) => h.devices)).toEqual([[], ['nic']]);
  });

  it('hwpt.alloc asking enforcement on a unit without snoop control is EINVAL (iommufd_hwpt_paging_enforce_cc)', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    refused(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd_nosc', enforceCacheCoherency: true }, 'EINVAL');
    // iommufd_hwpt_alloc: a pt_id that names no object is EINVAL.
    refused(lab, { op: 'hwpt.alloc', ioas: 99, iommu: 'vtd' }, 'EINVAL');
    refused(lab, { op: 'hwpt.alloc', ioas, iommu: 'nope' }, 'ENOENT');
    const h = ok(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd', enforceCacheCoherency: false });
    expect(h.effects[0]).toMatchObject({ type: 'hwpt.created', enforceCacheCoherency: false });
  });

  it('explicit refuses an attach without hwpt, and a hwpt of another IOAS', () => {
    const lab = newLab('explicit');
    hardware(lab);
    ok(lab, { op: 'vm.create', name: 'vm2' });
    const other = lab.state().vms[1]?.ioas as number;
    const h = ok(lab, { op: 'hwpt.alloc', ioas: other, iommu: 'vtd' }).effects[0]?.hwpt as number;
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' }, 'EINVAL');
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'nic', hwpt: h }, 'EINVAL');
    refused(lab, { op: 'vm.attach', vm: 'vm', device: 'nic', hwpt: 999 }, 'ENOENT');
  });
});

describe('KVM (kvm_vfio_file_add, vfio_ap/kvmgt open)', () => {
  it('an ap device without an associated KVM is EINVAL, a kvmgt device ESRCH', () => {
    for (const policy of ['iommufd', 'type1'] as Policy[]) {
      const lab = newLab(policy);
      hardware(lab);
      ok(lab, { op: 'device.add', name: 'ap', iommu: 'vtd', requiresKvm: 'ap' });
      ok(lab, { op: 'device.add', name: 'gvt', iommu: 'vtd', requiresKvm: 'kvmgt', kind: 'mdev' });
      refused(lab, { op: 'vm.attach', vm: 'vm', device: 'ap', announceKvm: 'after' }, 'EINVAL');
      refused(lab, { op: 'vm.attach', vm: 'vm', device: 'gvt', announceKvm: 'never' }, 'ESRCH');
      ok(lab, { op: 'vm.attach', vm: 'vm', device: 'ap' });
      ok(lab, { op: 'vm.attach', vm: 'vm', device: 'gvt', announceKvm: 'before' });
    }
  });

  it('type1 evaluates KVM after the group joins the container; iommufd before the domain exists', () => {
    const effectsOf = (policy: Policy) => {
      const lab = newLab(policy);
      hardware(lab);
      return ok(lab, { op: 'vm.attach', vm: 'vm', device: 'gpu' }).effects.map((e) => e.type);
    };
    expect(effectsOf('type1')).toEqual([
      'hwpt.created',
      'device.attached',
      'vm.kvm_file_added',
      'vm.noncoherent_changed',
      'vm.wbinvd_on',
    ]);
    expect(effectsOf('iommufd')).toEqual([
      'vm.kvm_file_added',
      'vm.noncoherent_changed',
      'vm.wbinvd_on',
      'hwpt.created',
      'device.attached',
    ]);
  });

  it('announceKvm never: no kvm-vfio file, so KVM never learns of the non-coherent device (hazard)', () => {
    const lab = newLab();
    hardware(lab);
    const result = ok(lab, { op: 'vm.attach', vm: 'vm', device: 'gpu', announceKvm: 'never' });
    expect(result.effects.map((e) => e.type)).toContain('vm.hazard_on');
    expect(lab.state().vms[0]).toMatchObject({ wbinvd: false, coherencyHazard: true, kvmFiles: [] });
    const detach = ok(lab, { op: 'vm.detach', vm: 'vm', device: 'gpu' });
    expect(detach.effects.map((e) => e.type)).toEqual(['device.detached', 'hwpt.destroyed', 'vm.hazard_off']);
  });
});

describe('vm.create (all or nothing)', () => {
  it('RAM past the MSI window is split at 0xfee00000 and continues at 4 GiB', () => {
    const lab = newLab();
    ok(lab, { op: 'vm.create', name: 'big', memory: 8n << 30n });
    expect(lab.state().ioas[0]?.areas).toEqual([
      { iova: '0x0', length: '0xfee00000', read: true, write: true },
      { iova: '0x100000000', length: '0x101200000', read: true, write: true },
    ]);
  });

  it('a refused device refuses the whole VM and consumes no id', () => {
    const lab = newLab();
    hardware(lab);
    ok(lab, { op: 'device.add', name: 'gvt', iommu: 'vtd', requiresKvm: 'kvmgt' });
    ok(lab, { op: 'vm.create', name: 'other', devices: ['gpu'] });
    ok(lab, { op: 'vm.detach', vm: 'other', device: 'gpu' });
    const before = lab.serialize();
    refused(lab, { op: 'vm.create', name: 'vm9', devices: ['nic', 'gpu', 'amdnic', 'missing'] }, 'ENOENT');
    // A missing device name is refused before anything is created
    expect(lab.serialize().equals(before)).toBe(true);
    ok(lab, { op: 'vm.attach', vm: 'other', device: 'nic' });
    const attached = lab.serialize();
    // gpu attaches (a domain, a kvm-vfio file), then nic is bound by another VM (EINVAL): all of it is undone
    refused(lab, { op: 'vm.create', name: 'vm9', devices: ['gpu', 'nic'] }, 'EINVAL');
    expect(lab.serialize().equals(attached)).toBe(true);
    const ids = lab.state().hwpts.map((h) => h.id);
    const next = ok(lab, { op: 'vm.create', name: 'vm9', devices: ['gpu'] });
    expect(next.effects.find((e) => e.type === 'vm.created')?.ioas).toBe(Math.max(...ids, 2) + 1);
  });

  it('bad names, memory and duplicates are refused', () => {
    const lab = newLab();
    hardware(lab);
    refused(lab, { op: 'vm.create', name: 'vm' }, 'EEXIST');
    refused(lab, { op: 'vm.create', name: 'bad name' }, 'EINVAL');
    refused(lab, { op: 'vm.create', name: 'x'.repeat(65) }, 'EINVAL');
    refused(lab, { op: 'vm.create', name: 'odd', memory: 4097 }, 'EINVAL');
    refused(lab, { op: 'vm.create', name: 'zero', memory: 0 }, 'EINVAL');
    refused(
      lab,
      { op: 'iommu.add', name: 'vtd', vendor: 'intel-vtd', enforceCacheCoherency: true },
      'EEXIST',
    );
    refused(
      lab,
      { op: 'iommu.add', name: 'u', vendor: 'intel-vtd', enforceCacheCoherency: true, iovaBits: 40 as 39 },
      'EINVAL',
    );
    refused(
      lab,
      { op: 'iommu.add', name: 'u', vendor: 'intel-vtd', enforceCacheCoherency: true, pageSizes: [2097152] },
      'EINVAL',
    );
    refused(
      lab,
      { op: 'iommu.add', name: 'u', vendor: 'intel-vtd', enforceCacheCoherency: true, pageSizes: [8192] },
      'EINVAL',
    );
    refused(
      lab,
      {
        op: 'iommu.add',
        name: 'u',
        vendor: 'intel-vtd',
        enforceCacheCoherency: true,
        reserved: [{ start: U64_MAX, length: 2, kind: 'msi' }],
      },
      'EOVERFLOW',
    );
    refused(lab, { op: 'device.add', name: 'nic', iommu: 'vtd' }, 'EEXIST');
    refused(lab, { op: 'device.add', name: 'd', iommu: 'nope' }, 'ENOENT');
  });
});

describe('malformed ops are refused with EINVAL, never thrown', () => {
  const bad: unknown[] = [
    { op: 'nope' },
    { op: 'refuse' },
    null,
    { op: 'ioas.map', ioas: 1, iova: -1, length: 4096 },
    { op: 'ioas.map', ioas: 1, iova: '0x1g', length: 4096 },
    { op: 'ioas.map', ioas: 1.5, iova: 0, length: 4096 },
    { op: 'ioas.map', ioas: 1, iova: 0, length: 2 ** 60 },
    { op: 'vm.create', name: 42 },
    { op: 'vm.attach', vm: 'vm', device: 'nic', announceKvm: 'sometimes' },
    { op: 'device.add', name: 'd', iommu: 'vtd', kind: 'usb' },
    { op: 'iommu.add', name: 'u', vendor: 'via', enforceCacheCoherency: true },
    { op: 'device.replace', vm: 'vm', device: 'nic', hwpt: 'old' },
  ];
  it('each one, alone and in a batch', () => {
    const lab = newLab();
    hardware(lab);
    for (const op of bad)
      expect(lab.apply(op as AnyOp)).toMatchObject({ ok: false, code: 'EINVAL', effects: [] });
    const results = lab.applyBatch([...(bad as AnyOp[]), { op: 'vm.create', name: 'after' }]);
    expect(results.map((r) => r.ok)).toEqual([...bad.map(() => false), true]);
    expect(results[3]).toMatchObject({ errno: 22, code: 'EINVAL' });
  });
});

describe('limits', () => {
  it('objects per lab: ENOSPC', () => {
    const lab = newLab('iommufd', { maxObjects: 3 });
    expect(() => Lab.create('iommufd', { maxObjects: 0 })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    ok(lab, { op: 'iommu.add', name: 'u', vendor: 'intel-vtd', enforceCacheCoherency: true });
    ok(lab, { op: 'vm.create', name: 'vm' });
    refused(lab, { op: 'device.add', name: 'd', iommu: 'u' }, 'ENOSPC');
  });

  it('page-table memory per lab: ENOMEM, and nothing half-mapped stays', () => {
    const lab = newLab('iommufd', { maxTableBytes: 64 * 1024 });
    ok(lab, {
      op: 'iommu.add',
      name: 'u',
      vendor: 'intel-vtd',
      enforceCacheCoherency: true,
      pageSizes: [4096],
    });
    ok(lab, { op: 'device.add', name: 'd', iommu: 'u' });
    ok(lab, { op: 'vm.create', name: 'vm', memory: 1 << 20, devices: ['d'] });
    const ioas = lab.state().vms[0]?.ioas as number;
    refused(lab, { op: 'ioas.map', ioas, iova: 1 << 30, length: 64 << 20 }, 'ENOMEM');
    ok(lab, { op: 'device.add', name: 'd2', iommu: 'u' });
    refused(lab, { op: 'vm.create', name: 'big', memory: 1 << 30, devices: ['d2'] }, 'ENOMEM');
    // The limit counts every table of the lab
    const bytes = lab.state().hwpts.reduce((sum, h) => sum + h.stats.bytes, 0);
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('snapshots and batches', () => {
  function story(lab: Lab): void {
    hardware(lab);
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'gpu' });
    ok(lab, { op: 'ioas.map', ioas: lab.state().vms[0]?.ioas as number, iova: 1 << 30, length: 6 << 20 });
    ok(lab, {
      op: 'ioas.allow',
      ioas: lab.state().vms[0]?.ioas as number,
      ranges: [{ start: 0, last: 0xffff }],
    });
  }

  for (const policy of ['type1', 'iommufd', 'shared', 'explicit'] as Policy[]) {
    it(`restore(serialize()) gives the same state and the same future (${policy})`, () => {
      const lab = newLab(policy);
      if (policy === 'explicit') hardware(lab);
      else story(lab);
      const copy = Lab.restore(lab.serialize());
      labs.push(copy);
      expect(copy.policy).toBe(policy);
      expect(copy.state()).toEqual(lab.state());
      expect(copy.serialize().equals(lab.serialize())).toBe(true);
      const next: AnyOp[] = [
        { op: 'vm.create', name: 'next', devices: policy === 'explicit' ? [] : ['amdnic'] },
        { op: 'vm.detach', vm: 'vm', device: 'gpu' },
        { op: 'hwpt.alloc', ioas: 1, iommu: 'vtd' },
      ];
      expect(copy.applyBatch(next)).toEqual(lab.applyBatch(next));
      expect(copy.state()).toEqual(lab.state());
      for (const h of lab.state().hwpts) expect(copy.pagetable(h.id)).toEqual(lab.pagetable(h.id));
    });
  }

  it('restore refuses garbage', () => {
    expect(() => Lab.restore(Buffer.from('not a lab'))).toThrow(/snapshot/);
    const good = newLab().serialize();
    expect(() => Lab.restore(good.subarray(0, good.length - 1))).toThrow();
  });

  it('atomic batch: stops at the first refusal and rolls everything back', () => {
    const lab = newLab();
    hardware(lab);
    const before = lab.serialize();
    const results = lab.applyBatch(
      [
        { op: 'vm.attach', vm: 'vm', device: 'nic' },
        { op: 'vm.create', name: 'second', devices: ['gpu'] },
        { op: 'hwpt.destroy', hwpt: 99 },
        { op: 'vm.create', name: 'never' },
      ],
      { atomic: true },
    );
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(lab.serialize().equals(before)).toBe(true);
    // The next op gets the ids the batch would have used
    const after = ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    expect(after.effects).toEqual(results[0]?.effects);
  });

  it('non-atomic batch: every op runs in order, refusals in place', () => {
    const lab = newLab();
    hardware(lab);
    const results = lab.applyBatch([
      { op: 'hwpt.destroy', hwpt: 99 },
      { op: 'vm.attach', vm: 'vm', device: 'nic' },
      { op: 'vm.attach', vm: 'vm', device: 'nic' },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ENOENT', 'ok', 'EINVAL']);
    expect(lab.state().vms[0]?.devices).toEqual(['nic']);
  });

  it('a batch larger than the output buffer is fetched whole', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    const ops: AnyOp[] = Array.from({ length: 3000 }, (_, i) => ({
      op: 'ioas.map',
      ioas,
      iova: i * 2 * PAGE,
      length: PAGE,
    }));
    const results = lab.applyBatch(ops);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(lab.state().ioas[0]?.areas).toHaveLength(3000);
    const all = ok(lab, { op: 'ioas.unmap', ioas, iova: 0, length: U64_MAX });
    expect(all.effects).toHaveLength(3000);
  });
});

describe('page tables', () => {
  it('uses 1 GiB and 2 MiB leaves where aligned and supported, 4 KiB elsewhere', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, { op: 'vm.attach', vm: 'vm', device: 'nic' });
    ok(lab, { op: 'ioas.map', ioas, iova: (1 << 30) - PAGE, length: (1 << 30) + (2 << 20) + 2 * PAGE });
    const hwpt = lab.state().hwpts[0];
    expect(hwpt?.levels).toBe(4);
    expect(hwpt?.stats.leavesBySize).toEqual({ '4096': 2, '2097152': 1, '1073741824': 1 });
    expect(hwpt?.stats.snoopLeaves).toBe(4);
    // root + 2 level-3 + 2 level-2 tables + 2 leaf tables
    expect(hwpt?.stats.tablePagesByLevel).toEqual([2, 2, 1, 1]);
    expect(hwpt?.stats.bytes).toBe(6 * 4096);
    const page = lab.pagetable(hwpt?.id as number, { limit: 2 });
    expect(page.leaves.map((l) => [l.iova, l.size, l.level])).toEqual([
      ['0x3ffff000', 4096, 1],
      ['0x40000000', 1073741824, 3],
    ]);
    expect(page.next).toBe('0x80000000');
    const rest = lab.pagetable(hwpt?.id as number, { iova: page.next as string });
    expect(rest.leaves.map((l) => l.size)).toEqual([2097152, 4096]);
    expect(rest.next).toBeNull();
    expect(() => lab.pagetable(999)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    ok(lab, { op: 'ioas.unmap', ioas, iova: 0, length: U64_MAX });
    expect(lab.state().hwpts[0]?.stats).toMatchObject({
      tablePages: 1,
      leaves: 0,
      tablePagesByLevel: [0, 0, 0, 1],
    });
  });

  it('a 39-bit unit has 3 levels, a 57-bit unit 5', () => {
    const lab = newLab();
    const ioas = hardware(lab);
    ok(lab, {
      op: 'iommu.add',
      name: 'vtd57',
      vendor: 'intel-vtd',
      enforceCacheCoherency: true,
      iovaBits: 57,
    });
    const h39 = ok(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd39' }).effects[0]?.hwpt;
    const h57 = ok(lab, { op: 'hwpt.alloc', ioas, iommu: 'vtd57' }).effects[0]?.hwpt;
    const levels = lab.state().hwpts.map((h) => [h.id, h.levels]);
    expect(levels).toEqual([
      [h39, 3],
      [h57, 5],
    ]);
  });
});
