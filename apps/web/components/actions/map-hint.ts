// The Map form's page-size hint: which leaves the range would get in the IOAS's page tables, from the
// unit's page sizes (largest aligned page first), or why the core would refuse it. Pure.
import { pageSize } from '../../lib/format';
import { leafPlan } from '../../lib/leaf-plan';
import type { LabState } from '../../lib/types';
import { u64Value } from '../../lib/validate';

export function mapHint(state: LabState, ioas: number, iovaText: string, lengthText: string): string {
  const iova = u64Value(iovaText);
  const length = u64Value(lengthText);
  if (iova === null || length === null || length === 0n) return 'Page sizes: enter an IOVA and a length.';
  const table = state.hwpts.find((h) => h.ioas === ioas);
  const unit = state.iommus.find((u) => u.name === table?.iommu);
  if (!table || !unit) return 'No page table mirrors this IOAS yet: leaves are made when a device attaches.';
  const sizes = unit.pageSizes.map(Number);
  const plan = leafPlan(iova, length, sizes);
  const list = sizes
    .sort((a, b) => a - b)
    .map((s) => pageSize(s))
    .join('/');
  if (!plan) {
    return `Not aligned to ${pageSize(Math.min(...sizes))} pages of ${unit.name}: the core refuses it (EINVAL).`;
  }
  const leaves = plan.map(([size, n]) => `${pageSize(size)}×${n}`).join(' ');
  return `Leaves in HWPT ${table.id} (${unit.name}, ${list} pages): ${leaves}.`;
}
