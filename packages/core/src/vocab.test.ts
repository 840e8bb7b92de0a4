// The C header's enums (through the generated layout) against the vocabularies of @ioasid-lab/api, which
// re-exports them from its own generated file (gen-abi.test.ts holds both to the header): this checks that
// each API name is wired to its enum. The core's C code also writes these names into its state JSON from
// tables of its own (iommu.c, state.c, kernel.c); the round trip below fails if one of those is out of step
// with the header.
import * as api from '@ioasid-lab/api/vocab';
import { describe, expect, it } from 'vitest';
import { ENUMS } from './abi-layout.ts';
import { Lab } from './lab.ts';

describe('vocabularies', () => {
  it.each([
    ['effect', api.EFFECT_TYPES],
    ['policy', api.POLICIES],
    ['kernel', api.KERNELS],
    ['vendor', api.VENDORS],
    ['resv_kind', api.RESERVED_KINDS],
    ['device_kind', api.DEVICE_KINDS],
    ['requires_kvm', api.REQUIRES_KVM],
    ['announce', api.ANNOUNCE_KVM],
  ] as const)('enum ioasid_%s names the same values, in order, as @ioasid-lab/api', (name, vocabulary) => {
    expect([...ENUMS[name]]).toEqual([...vocabulary]);
  });
});

describe('names in the state the compiled core writes', () => {
  it('are the header names of each policy and kernel profile', () => {
    for (const policy of api.POLICIES) {
      const lab = Lab.create(policy);
      expect(lab.state().policy).toBe(policy);
      lab.destroy();
    }
    for (const kernel of api.KERNELS) {
      const lab = Lab.create('type1', undefined, kernel);
      expect(lab.state().kernel).toBe(kernel);
      lab.destroy();
    }
  });

  it('are the header names of each vendor, reserved-region kind, device kind and KVM need', () => {
    const lab = Lab.create('iommufd');
    const reserved = api.RESERVED_KINDS.map((kind, k) => ({ start: (k + 1) * 2 ** 32, length: 4096, kind }));
    api.VENDORS.forEach((vendor, i) => {
      const op = { op: 'iommu.add', name: `u${i}`, vendor, enforceCacheCoherency: true, reserved } as const;
      expect(lab.apply(op)).toMatchObject({ ok: true });
    });
    for (const kind of api.DEVICE_KINDS) {
      for (const requiresKvm of api.REQUIRES_KVM) {
        const op = {
          op: 'device.add',
          name: `${kind}-${requiresKvm}`,
          iommu: 'u0',
          kind,
          requiresKvm,
        } as const;
        expect(lab.apply(op)).toMatchObject({ ok: true });
      }
    }
    const state = lab.state();
    lab.destroy();
    expect(state.iommus.map((u) => u.vendor)).toEqual([...api.VENDORS]);
    for (const u of state.iommus) expect(u.reserved.map((r) => r.kind)).toEqual([...api.RESERVED_KINDS]);
    expect(state.devices.map((d) => `${d.kind}-${d.requiresKvm}`)).toEqual(
      api.DEVICE_KINDS.flatMap((kind) => api.REQUIRES_KVM.map((needs) => `${kind}-${needs}`)),
    );
  });
});
