// Remedies: candidate op sequences tried on scratch copies of the live lab; only those that, replayed,
// leave both VMs agreeing with neither in a coherency hazard are kept, shortest first. Latent hazards:
// each unplug tried on a scratch copy, kept when it would leave the VM in a coherency hazard.
import { type CoreState, Lab, type Op } from '@ioasid-lab/core';
import { vmOutcome, withCore } from './replay.ts';
import type { LatentHazard, Remedy, VmOutcome, VmRemedy } from './store-types.ts';

interface Candidate {
  description: string;
  ops: Op[];
}

function canEnforce(state: CoreState, device: string): boolean {
  const iommu = state.devices.find((d) => d.name === device)?.iommu;
  return state.iommus.find((i) => i.name === iommu)?.enforceCacheCoherency ?? false;
}

/** Candidates for one VM, from the kinds of fix the kernel offers today, cheapest first. */
export function candidatesFor(state: CoreState, vm: string): Candidate[] {
  const found = state.vms.find((v) => v.name === vm);
  if (!found) return [];
  const devices = found.devices;
  const capable = devices.filter((d) => canEnforce(state, d));
  const incapable = devices.filter((d) => !canEnforce(state, d));
  const out: Candidate[] = [];
  // type1 has no replace (no VFIO_DEVICE_ATTACH_IOMMUFD_PT on a container): only unplug and re-plug.
  const canReplace = state.policy !== 'type1';
  const replaceNew = (d: string): Op => ({
    op: 'device.replace',
    vm,
    device: d,
    hwpt: 'new',
    enforceCacheCoherency: true,
  });
  for (const d of canReplace ? capable : []) {
    out.push({ description: `replace ${d} onto a fresh enforcing HWPT`, ops: [replaceNew(d)] });
  }
  if (canReplace && capable.length > 1) {
    out.push({
      description: `replace ${capable.join(', ')} onto fresh enforcing HWPTs`,
      ops: capable.map(replaceNew),
    });
  }
  for (const d of canReplace ? capable : []) {
    const current = state.devices.find((x) => x.name === d)?.hwpt;
    for (const h of state.hwpts) {
      if (h.ioas !== found.ioas || !h.enforceCacheCoherency || h.id === current) continue;
      out.push({
        description: `replace ${d} onto enforcing HWPT ${h.id}`,
        ops: [{ op: 'device.replace', vm, device: d, hwpt: h.id }],
      });
    }
  }
  if (state.policy !== 'explicit') {
    // Re-attaching lets the policy choose a domain afresh; enforcement-capable devices go first so an
    // order-sensitive policy (iommufd) gives them an enforcing domain. Under type1 an unplug and re-plug is
    // also a kvm-vfio FILE_DEL and FILE_ADD, which makes KVM judge the VM's files again (on 6.1 the
    // container's domains as they are by then).
    for (const d of devices) {
      out.push({
        description: `unplug ${d} and plug it in again`,
        ops: [
          { op: 'vm.detach', vm, device: d },
          { op: 'vm.attach', vm, device: d },
        ],
      });
    }
    if (devices.length > 1) {
      const ordered = [...capable, ...incapable];
      out.push({
        description: `unplug every device of ${vm} and plug in ${ordered.join(', ')} in that order`,
        ops: [
          ...devices.map((d): Op => ({ op: 'vm.detach', vm, device: d })),
          ...ordered.map((d): Op => ({ op: 'vm.attach', vm, device: d })),
        ],
      });
    }
  }
  for (const d of incapable) {
    out.push({
      description: `unplug ${d} (its IOMMU cannot enforce snoop control)`,
      ops: [{ op: 'vm.detach', vm, device: d }],
    });
  }
  return out;
}

function converged(a: VmOutcome, b: VmOutcome): boolean {
  return a.wbinvd === b.wbinvd && !a.coherencyHazard && !b.coherencyHazard;
}

/** Tries each candidate on its own scratch copy; keeps the ones that fully apply and converge. */
export function findRemedies(candidates: Candidate[], scratch: () => Lab, a: string, b: string): Remedy[] {
  const kept: Remedy[] = [];
  const tried = new Set<string>();
  for (const candidate of candidates) {
    const key = JSON.stringify(candidate.ops);
    if (tried.has(key)) continue;
    tried.add(key);
    const remedy = withCore(scratch(), (core): Remedy | null => {
      const results = core.applyBatch(candidate.ops, { atomic: true });
      if (results.length !== candidate.ops.length || results.some((r) => !r.ok)) return null;
      const state = core.state();
      const ra = vmOutcome(state, a);
      const rb = vmOutcome(state, b);
      if (!ra || !rb || !converged(ra, rb)) return null;
      return { description: candidate.description, ops: candidate.ops, result: { a: ra, b: rb } };
    });
    if (remedy) kept.push(remedy);
  }
  // Stable: among equally short remedies the cheaper kind (listed first) stays first.
  return kept.sort((x, y) => x.ops.length - y.ops.length);
}

/**
 * Hazards one unplug would create: each device of `vm` is unplugged on its own scratch copy, and kept as a
 * trigger when the VM is then in a coherency hazard; the exposed devices are those left that can do
 * no-snoop DMA on a table without SNP. Empty while the VM is already in a hazard (that is not latent).
 */
export function latentHazards(state: CoreState, vm: string, scratch: () => Lab): LatentHazard[] {
  const found = state.vms.find((v) => v.name === vm);
  // An unplug never gives a remaining device's table SNP or takes it away, so with no device that can do
  // no-snoop DMA on a table without SNP now, no unplug can expose one.
  if (!found || found.coherencyHazard || !latentPossible(state, vm)) return [];
  const out: LatentHazard[] = [];
  for (const trigger of found.devices) {
    withCore(scratch(), (core) => {
      const [result] = core.applyBatch([{ op: 'vm.detach', vm, device: trigger }]);
      if (!result?.ok) return;
      const after = core.state();
      if (!after.vms.find((v) => v.name === vm)?.coherencyHazard) return;
      const snp = new Map(after.hwpts.map((h) => [h.id, h.enforceCacheCoherency]));
      for (const d of after.devices) {
        if (d.vm !== vm || !d.noSnoop || d.hwpt === null || snp.get(d.hwpt) !== false) continue;
        out.push({ device: d.name, hwpt: d.hwpt, trigger: { op: 'vm.detach', vm, device: trigger } });
      }
    });
  }
  return out;
}

/** Whether any device of `vm` can do no-snoop DMA on a table without SNP (the precondition of a latent hazard). */
function latentPossible(state: CoreState, vm: string): boolean {
  const snp = new Map(state.hwpts.map((h) => [h.id, h.enforceCacheCoherency]));
  return state.devices.some((d) => d.vm === vm && d.noSnoop && d.hwpt !== null && snp.get(d.hwpt) === false);
}

/** How bad a VM's state is: a hazard, then a latent hazard, then wbinvd (speed only). */
function vmBadness(o: VmOutcome, latent: number): number {
  return (o.coherencyHazard ? 4 : 0) + (latent > 0 ? 2 : 0) + (o.wbinvd ? 1 : 0);
}

/**
 * Remedies for one VM: candidates tried on scratch copies, kept when they fully apply and leave the VM with
 * no hazard, no latent hazard (checked by replay too) and better off than now; shortest first.
 */
export function findVmRemedies(
  candidates: Candidate[],
  scratch: () => Lab,
  vm: string,
  now: VmOutcome,
  latentNow: number,
): VmRemedy[] {
  const before = vmBadness(now, latentNow);
  if (before === 0) return [];
  const kept: VmRemedy[] = [];
  const tried = new Set<string>();
  for (const candidate of candidates) {
    const key = JSON.stringify(candidate.ops);
    if (tried.has(key)) continue;
    tried.add(key);
    const remedy = withCore(scratch(), (core): VmRemedy | null => {
      const results = core.applyBatch(candidate.ops, { atomic: true });
      if (results.length !== candidate.ops.length || results.some((r) => !r.ok)) return null;
      const state = core.state();
      const after = vmOutcome(state, vm);
      if (!after || after.coherencyHazard) return null;
      let image: Buffer | undefined;
      const latent = latentHazards(state, vm, () => {
        image ??= core.serialize();
        return Lab.restore(image);
      });
      if (latent.length > 0 || vmBadness(after, 0) >= before) return null;
      return { description: candidate.description, ops: candidate.ops, result: { a: after } };
    });
    if (remedy) kept.push(remedy);
  }
  return kept.sort((x, y) => x.ops.length - y.ops.length);
}
