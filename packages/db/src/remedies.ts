// Remedies: candidate op sequences tried on scratch copies of the live lab; only those that, replayed,
// leave both VMs agreeing with neither in a coherency hazard are kept, shortest first.
import type { CoreState, Lab, Op } from '@ioasid-lab/core';
import { vmOutcome, withCore } from './replay.ts';
import type { Remedy, VmOutcome } from './store-types.ts';

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
  const replaceNew = (d: string): Op => ({
    op: 'device.replace',
    vm,
    device: d,
    hwpt: 'new',
    enforceCacheCoherency: true,
  });
  for (const d of capable) {
    out.push({ description: `replace ${d} onto a fresh enforcing HWPT`, ops: [replaceNew(d)] });
  }
  if (capable.length > 1) {
    out.push({
      description: `replace ${capable.join(', ')} onto fresh enforcing HWPTs`,
      ops: capable.map(replaceNew),
    });
  }
  for (const d of capable) {
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
    // order-sensitive policy (iommufd) gives them an enforcing domain.
    for (const d of devices) {
      out.push({
        description: `detach ${d} and attach it again`,
        ops: [
          { op: 'vm.detach', vm, device: d },
          { op: 'vm.attach', vm, device: d },
        ],
      });
    }
    if (devices.length > 1) {
      const ordered = [...capable, ...incapable];
      out.push({
        description: `detach every device of ${vm} and re-attach ${ordered.join(', ')} in that order`,
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
