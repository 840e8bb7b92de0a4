// The C header's enums (through the generated layout) against the vocabularies the API states once for
// the browser: a value added to one and not the other fails here.
import * as api from '@ioasid-lab/api/vocab';
import { describe, expect, it } from 'vitest';
import { ENUMS } from './abi-layout.ts';

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
