// The lab templates of docs/api.md as ordinary ops: `seed` is the seed scenario's hardware, `seed-story` adds
// the story (VM1 booted with [A, B], VM2 with [A2], B hot-unplugged from VM1). They are recorded as events.
import type { Op } from '@ioasid-lab/core';
import type { Template } from './store-types.ts';

export const SEED_HARDWARE: readonly Op[] = [
  { op: 'iommu.add', name: 'iommu0', vendor: 'intel-vtd', enforceCacheCoherency: true },
  { op: 'iommu.add', name: 'iommu1', vendor: 'intel-vtd', enforceCacheCoherency: false },
  { op: 'device.add', name: 'A', iommu: 'iommu0', noSnoop: true },
  { op: 'device.add', name: 'A2', iommu: 'iommu0', noSnoop: true },
  { op: 'device.add', name: 'B', iommu: 'iommu1', noSnoop: true },
];

export const SEED_STORY: readonly Op[] = [
  { op: 'vm.create', name: 'VM1', devices: ['A', 'B'] },
  { op: 'vm.create', name: 'VM2', devices: ['A2'] },
  { op: 'vm.detach', vm: 'VM1', device: 'B' },
];

export function templateOps(template: Template): Op[] {
  switch (template) {
    case 'empty':
      return [];
    case 'seed':
      return [...SEED_HARDWARE];
    case 'seed-story':
      return [...SEED_HARDWARE, ...SEED_STORY];
  }
}
