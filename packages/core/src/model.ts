// A small TypeScript reference model of the core's rules, for property tests: the IOAS area algebra
// (map/unmap with their errno order) and the invariants every lab state must satisfy. Domain choice and
// KVM's judge are modelled in domain-model.ts.
import type { Lab } from './lab.ts';
import type { CoreState, ErrnoCode, Leaf } from './types.ts';
import { U64_MAX } from './u64.ts';

export interface ModelArea {
  iova: bigint;
  last: bigint;
  read: boolean;
  write: boolean;
}

export type Prediction = 'ok' | ErrnoCode;

/** What the IOAS reserves: device regions of attached devices and what lies past each domain's aperture. */
export function reservedRanges(state: CoreState, ioas: number): [bigint, bigint][] {
  const ranges: [bigint, bigint][] = [];
  for (const hwpt of state.hwpts) {
    if (hwpt.ioas !== ioas) continue;
    const iommu = state.iommus.find((u) => u.name === hwpt.iommu);
    if (!iommu) throw new Error(`hwpt ${hwpt.id} names unknown iommu ${hwpt.iommu}`);
    if (iommu.iovaBits < 64) ranges.push([1n << BigInt(iommu.iovaBits), U64_MAX]);
    for (const name of hwpt.devices) {
      const device = state.devices.find((d) => d.name === name);
      const unit = state.iommus.find((u) => u.name === device?.iommu);
      for (const r of unit?.reserved ?? [])
        ranges.push([BigInt(r.start), BigInt(r.start) + BigInt(r.length) - 1n]);
    }
  }
  return ranges;
}

export function alignmentOf(state: CoreState, ioas: number): bigint {
  return state.hwpts.some((h) => h.ioas === ioas) ? 4096n : 1n;
}

export function areasOf(state: CoreState, ioas: number): ModelArea[] {
  const found = state.ioas.find((i) => i.id === ioas);
  return (found?.areas ?? []).map((a) => ({
    iova: BigInt(a.iova),
    last: BigInt(a.iova) + BigInt(a.length) - 1n,
    read: a.read,
    write: a.write,
  }));
}

/** iommufd_ioas_map + iopt_check_iova, in the kernel's order. */
export function predictMap(
  state: CoreState,
  ioas: number,
  iova: bigint,
  length: bigint,
  read: boolean,
  write: boolean,
): Prediction {
  // A value past 64 bits never reaches the core: the binding refuses to encode it (EINVAL).
  if (iova > U64_MAX || length > U64_MAX) return 'EINVAL';
  if (!state.ioas.some((i) => i.id === ioas)) return 'ENOENT';
  // type1's vfio_dma_do_map says EINVAL where iommufd says EOVERFLOW.
  const overflow = state.policy === 'type1' ? 'EINVAL' : 'EOVERFLOW';
  if (iova === U64_MAX || length === U64_MAX) return overflow;
  if (!read && !write) return 'EINVAL';
  if (length === 0n) return 'EINVAL';
  const align = alignmentOf(state, ioas);
  // iopt_alloc_area_pages() checks the length's alignment before iopt_check_iova() runs.
  if (length % align !== 0n) return 'EINVAL';
  if (iova % align !== 0n) return 'EINVAL';
  const last = iova + length - 1n;
  if (last > U64_MAX) return overflow;
  if (reservedRanges(state, ioas).some(([s, l]) => s <= last && iova <= l)) return 'EINVAL';
  if (areasOf(state, ioas).some((a) => a.iova <= last && iova <= a.last)) return 'EEXIST';
  return 'ok';
}

/**
 * iommufd_ioas_unmap: unmap-all, then whole areas only (a cut area refuses the whole range in the lab).
 * type1's vfio_dma_do_unmap: a cut mapping and a wrapping range are EINVAL, nothing mapped is success.
 */
export function predictUnmap(state: CoreState, ioas: number, iova: bigint, length: bigint): Prediction {
  const type1 = state.policy === 'type1';
  // A value past 64 bits never reaches the core: the binding refuses to encode it (EINVAL).
  if (iova > U64_MAX || length > U64_MAX) return 'EINVAL';
  if (!state.ioas.some((i) => i.id === ioas)) return 'ENOENT';
  if (iova === 0n && length === U64_MAX) return 'ok';
  if (iova === U64_MAX || length === U64_MAX) return type1 ? 'EINVAL' : 'EOVERFLOW';
  if (length === 0n) return 'EINVAL';
  const last = iova + length - 1n;
  if (last > U64_MAX) return type1 ? 'EINVAL' : 'EOVERFLOW';
  const hit = areasOf(state, ioas).filter((a) => a.iova <= last && iova <= a.last);
  if (hit.some((a) => a.iova < iova || a.last > last)) return type1 ? 'EINVAL' : 'ENOENT';
  if (hit.length === 0) return type1 ? 'ok' : 'ENOENT';
  return 'ok';
}

/** The areas after a map or unmap the model predicted to succeed. */
export function applyAreas(
  areas: ModelArea[],
  op:
    | { kind: 'map'; iova: bigint; length: bigint; read: boolean; write: boolean }
    | { kind: 'unmap'; iova: bigint; length: bigint },
): ModelArea[] {
  if (op.kind === 'map') {
    const next = [
      ...areas,
      { iova: op.iova, last: op.iova + op.length - 1n, read: op.read, write: op.write },
    ];
    return next.sort((a, b) => (a.iova < b.iova ? -1 : 1));
  }
  if (op.iova === 0n && op.length === U64_MAX) return [];
  const last = op.iova + op.length - 1n;
  return areas.filter((a) => !(a.iova >= op.iova && a.last <= last));
}

function allLeaves(lab: Lab, hwpt: number): Leaf[] {
  const leaves: Leaf[] = [];
  let iova: string | null = '0x0';
  while (iova !== null) {
    const page = lab.pagetable(hwpt, { iova, limit: 4096 });
    leaves.push(...page.leaves);
    iova = page.next;
  }
  return leaves;
}

/** Throws with a reason when the lab's state breaks a rule the core must keep. */
export function checkInvariants(lab: Lab, state: CoreState = lab.state()): void {
  const fail = (why: string): never => {
    throw new Error(`invariant: ${why}`);
  };
  for (const ioas of state.ioas) {
    const areas = areasOf(state, ioas.id);
    areas.forEach((a, i) => {
      if (a.last < a.iova) fail(`ioas ${ioas.id}: empty area`);
      const prev = areas[i - 1];
      if (prev && prev.last >= a.iova) fail(`ioas ${ioas.id}: areas overlap or are unsorted`);
    });
  }
  for (const hwpt of state.hwpts) {
    const leaves = allLeaves(lab, hwpt.id);
    const areas = areasOf(state, hwpt.ioas);
    // Leaves cover exactly the areas, in order, with the area's rights; SNP iff the HWPT enforces.
    let index = 0;
    for (const area of areas) {
      let cursor = area.iova;
      while (cursor <= area.last) {
        const leaf = leaves[index++];
        if (!leaf)
          throw new Error(`invariant: hwpt ${hwpt.id}: area 0x${area.iova.toString(16)} is not fully mapped`);
        if (BigInt(leaf.iova) !== cursor)
          fail(`hwpt ${hwpt.id}: leaf ${leaf.iova} where 0x${cursor.toString(16)} was due`);
        if (leaf.read !== area.read || leaf.write !== area.write)
          fail(`hwpt ${hwpt.id}: leaf ${leaf.iova} has wrong R/W`);
        if (leaf.snoop !== hwpt.enforceCacheCoherency)
          fail(`hwpt ${hwpt.id}: leaf ${leaf.iova} SNP disagrees`);
        if (BigInt(leaf.iova) % BigInt(leaf.size) !== 0n)
          fail(`hwpt ${hwpt.id}: leaf ${leaf.iova} is misaligned`);
        cursor += BigInt(leaf.size);
      }
      if (cursor !== area.last + 1n)
        fail(`hwpt ${hwpt.id}: a leaf crosses the end of area 0x${area.iova.toString(16)}`);
    }
    if (index !== leaves.length) fail(`hwpt ${hwpt.id}: ${leaves.length - index} leaves outside every area`);
    if (hwpt.stats.leaves !== leaves.length)
      fail(`hwpt ${hwpt.id}: stats.leaves ${hwpt.stats.leaves} != ${leaves.length}`);
    if (hwpt.stats.snoopLeaves !== (hwpt.enforceCacheCoherency ? leaves.length : 0))
      fail(`hwpt ${hwpt.id}: snoopLeaves`);
    if (hwpt.stats.bytes !== hwpt.stats.tablePages * 4096) fail(`hwpt ${hwpt.id}: bytes`);
    const byLevel = hwpt.stats.tablePagesByLevel.reduce((s, n) => s + n, 0);
    if (byLevel !== hwpt.stats.tablePages) fail(`hwpt ${hwpt.id}: tablePagesByLevel`);
    for (const name of hwpt.devices) {
      if (state.devices.find((d) => d.name === name)?.hwpt !== hwpt.id)
        fail(`device ${name} disagrees with hwpt ${hwpt.id}`);
    }
    if (hwpt.auto && hwpt.devices.length === 0) fail(`auto hwpt ${hwpt.id} outlived its devices`);
  }
  for (const vm of state.vms) {
    if (vm.wbinvd !== vm.noncoherentDma > 0)
      fail(`vm ${vm.name}: wbinvd ${vm.wbinvd} with count ${vm.noncoherentDma}`);
    const files = vm.kvmFiles ?? [];
    const attached = state.devices.filter((d) => d.vm === vm.name);
    if (
      attached
        .map((d) => d.name)
        .sort()
        .join() !== [...vm.devices].sort().join()
    )
      fail(`vm ${vm.name}: device list`);
    const tableOf = (name: string) =>
      state.hwpts.find((h) => h.id === state.devices.find((d) => d.name === name)?.hwpt);
    const hazard =
      !vm.wbinvd &&
      attached.some((d) => d.noSnoop && d.hwpt !== null && !tableOf(d.name)?.enforceCacheCoherency);
    if (vm.coherencyHazard !== hazard) fail(`vm ${vm.name}: coherencyHazard ${vm.coherencyHazard}`);
    // KVM keeps one flag per kvm-vfio device (kvm_vfio_update_coherency); which files it judges
    // non-coherent, per policy and kernel, is the domain model's business (domain-model.ts).
    if (vm.noncoherentDma !== 0 && vm.noncoherentDma !== 1) fail(`vm ${vm.name}: noncoherentDma is a flag`);
    if (vm.noncoherentDma === 1 && files.length === 0) fail(`vm ${vm.name}: non-coherent with no file`);
  }
}
