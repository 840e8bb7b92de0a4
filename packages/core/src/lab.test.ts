import { describe, expect, it } from 'vitest';
import { abiVersion, Lab, LabError } from './index.ts';

describe('native core through koffi', () => {
  it('reports the ABI version of the compiled library', () => {
    expect(abiVersion()).toBe(2);
  });
  it('creates and destroys a lab', () => {
    const lab = Lab.create('shared');
    expect(lab.policy).toBe('shared');
    lab.destroy();
  });
  it('refuses an unknown policy with EINVAL', () => {
    expect(() => Lab.create('bogus' as never)).toThrow(LabError);
  });
});

describe('an op the binding cannot encode', () => {
  const lab = Lab.create('iommufd');
  const refused = (op: unknown) => lab.apply(op as never);

  it('is refused with EINVAL naming the op and the field, and nothing reaches the core', () => {
    const before = lab.state();
    expect(refused({ op: 'vm.attach', vm: 'vm', device: 5 })).toMatchObject({
      ok: false,
      code: 'EINVAL',
      message: 'vm.attach: device must be a string',
    });
    expect(refused({ op: 'iommu.add', name: 'u', vendor: 'nope' })).toMatchObject({
      message: 'iommu.add: vendor must be one of intel-vtd, amd-vi, arm-smmuv3',
    });
    expect(
      refused({ op: 'vm.create', name: 'vm', devices: Array.from({ length: 33 }, (_, i) => `d${i}`) }),
    ).toMatchObject({ message: 'vm.create: devices: at most 32 items' });
    expect(refused({ op: 'ioas.map', ioas: 1, iova: -1, length: 4096 })).toMatchObject({
      ok: false,
      code: 'EINVAL',
    });
    expect(refused({ op: 'nope' })).toMatchObject({ message: 'unknown op "nope"' });
    expect(lab.state()).toEqual(before);
  });

  it('leaves the next op encoded whole: no field of the refused one stays in the struct', () => {
    expect(refused({ op: 'device.add', name: 'd', iommu: 'u', group: 'x' }).ok).toBe(false);
    expect(
      lab.apply({ op: 'iommu.add', name: 'u', vendor: 'intel-vtd', enforceCacheCoherency: true }).ok,
    ).toBe(true);
    expect(lab.apply({ op: 'device.add', name: 'd', iommu: 'u' }).ok).toBe(true);
    expect(lab.state().devices[0]).toMatchObject({ name: 'd', group: expect.any(Number) });
  });
});
