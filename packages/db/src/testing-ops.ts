// Test support: fast-check generators of ops over the seed hardware (A, A2 on iommu0; B on iommu1).
import type { Op } from '@ioasid-lab/core';
import fc from 'fast-check';

const vm = fc.constantFrom('VM1', 'VM2', 'VM3');
const device = fc.constantFrom('A', 'A2', 'B');
const ioas = fc.integer({ min: 1, max: 4 });
const hwpt = fc.integer({ min: 1, max: 6 });
const iova = fc.integer({ min: 0, max: 7 }).map((k) => k * 0x200000 + 0x40000000);
const length = fc.constantFrom(0x1000, 0x200000, 0x400000);

/** vm.create of `name` booted with any subset of the seed devices. */
export const vmCreate = (name: fc.Arbitrary<string>) =>
  fc.record({ op: fc.constant('vm.create' as const), name, devices: fc.subarray(['A', 'A2', 'B']) });

/** Any op over the seed hardware, valid or not (refusals are part of what is tested). */
export const randomOp: fc.Arbitrary<Op> = fc.oneof(
  vmCreate(vm),
  fc.record({ op: fc.constant('vm.attach' as const), vm, device }),
  fc.record({ op: fc.constant('vm.detach' as const), vm, device }),
  fc.record({ op: fc.constant('vm.destroy' as const), vm }),
  fc.record({
    op: fc.constant('device.replace' as const),
    vm,
    device,
    hwpt: fc.oneof(fc.constant('new' as const), hwpt),
    enforceCacheCoherency: fc.boolean(),
  }),
  fc.record({ op: fc.constant('ioas.map' as const), ioas, iova, length }),
  fc.record({ op: fc.constant('ioas.unmap' as const), ioas, iova, length }),
  fc.record({
    op: fc.constant('hwpt.alloc' as const),
    ioas,
    iommu: fc.constantFrom('iommu0', 'iommu1'),
    enforceCacheCoherency: fc.boolean(),
  }),
  fc.record({ op: fc.constant('hwpt.destroy' as const), hwpt }),
);
