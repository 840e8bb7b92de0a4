// A small lab state for unit tests: the seed story under `shared` (VM1 [A, B] then B unplugged, VM2 [A2]),
// written out as the state endpoint answers it.
import type { LabState } from '../lib/types';

const stats = (snp: boolean) => ({
  tablePages: 2,
  bytes: 8192,
  leaves: 1,
  snoopLeaves: snp ? 1 : 0,
  leavesBySize: { 1073741824: 1 },
  tablePagesByLevel: [1, 1, 0, 0],
});

export function seedState(): LabState {
  return {
    seq: 8,
    policy: 'shared',
    kernel: '6.12',
    iommus: [
      {
        name: 'iommu0',
        vendor: 'intel-vtd',
        enforceCacheCoherency: true,
        pageSizes: [4096, 2097152, 1073741824],
        iovaBits: 48,
        reserved: [],
      },
      {
        name: 'iommu1',
        vendor: 'intel-vtd',
        enforceCacheCoherency: false,
        pageSizes: [4096, 2097152, 1073741824],
        iovaBits: 48,
        reserved: [],
      },
    ],
    devices: [
      { name: 'A', iommu: 'iommu0', group: 1, noSnoop: true, requiresKvm: 'none', vm: 'VM1', hwpt: 2 },
      { name: 'A2', iommu: 'iommu0', group: 2, noSnoop: true, requiresKvm: 'none', vm: 'VM2', hwpt: 4 },
      { name: 'B', iommu: 'iommu1', group: 3, noSnoop: true, requiresKvm: 'none', vm: null, hwpt: null },
    ],
    vms: [
      { name: 'VM1', ioas: 1, devices: ['A'], noncoherentDma: 1, wbinvd: true, coherencyHazard: false },
      { name: 'VM2', ioas: 3, devices: ['A2'], noncoherentDma: 0, wbinvd: false, coherencyHazard: false },
    ],
    ioas: [
      { id: 1, vm: 'VM1', areas: [{ iova: '0x0', length: '0x40000000', read: true, write: true }] },
      { id: 3, vm: 'VM2', areas: [{ iova: '0x0', length: '0x40000000', read: true, write: true }] },
    ],
    hwpts: [
      { id: 2, ioas: 1, iommu: 'iommu0', enforceCacheCoherency: false, devices: ['A'], stats: stats(false) },
      { id: 4, ioas: 3, iommu: 'iommu0', enforceCacheCoherency: true, devices: ['A2'], stats: stats(true) },
    ],
  } as unknown as LabState;
}
