// Property: explain read from the history index kept as events commit (saved at snapshot points, read
// back after a restart and extended after it, built anew in forks) answers byte for byte what explain
// answered when it folded the log from event 1 for the VMs asked (testing-history.ts), for every ordered
// pair of VMs and every VM alone; and a reopened store answers exactly what it answered before closing.
// Random histories include hardware changes (a device removed and added again otherwise, a new IOMMU) and
// VMs destroyed and created again, which change what the signatures are named after.
import { KERNELS, type Kernel, type Op, POLICIES, type Policy } from '@ioasid-lab/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LiveLab } from './live-lab.ts';
import type { StoredLab } from './store-types.ts';
import { openTempStore } from './testing.ts';
import { referenceExplain } from './testing-history.ts';
import { randomOp } from './testing-ops.ts';

const hardwareOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('device.add' as const),
    name: fc.constantFrom('A2', 'B', 'C'),
    iommu: fc.constantFrom('iommu0', 'iommu1', 'iommu2'),
    noSnoop: fc.boolean(),
  }),
  fc.record({ op: fc.constant('device.remove' as const), name: fc.constantFrom('A2', 'B', 'C') }),
  fc.record({
    op: fc.constant('iommu.add' as const),
    name: fc.constant('iommu2'),
    vendor: fc.constantFrom('intel-vtd' as const, 'amd-vi' as const),
    enforceCacheCoherency: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('vm.attach' as const),
    vm: fc.constantFrom('VM1', 'VM2', 'VM3'),
    device: fc.constant('C'),
  }),
);

type Step = { op: Op } | { restart: true } | { fork: Policy };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: randomOp.map((op) => ({ op })) },
  { weight: 2, arbitrary: hardwareOp.map((op) => ({ op })) },
  { weight: 1, arbitrary: fc.constant({ restart: true as const }) },
  { weight: 1, arbitrary: fc.constantFrom(...POLICIES).map((fork) => ({ fork })) },
);

/** Every explanation the lab gives now (each ordered pair of its VMs, each VM alone), as JSON. */
function explainAll(lab: StoredLab, reference = false): string[] {
  const vms = lab.state().vms.map((v) => v.name);
  const explain = (a: string, b?: string) =>
    JSON.stringify(reference ? referenceExplain(lab as LiveLab, a, b) : lab.explain(a, b));
  const out: string[] = [];
  for (const a of vms) {
    out.push(explain(a));
    for (const b of vms) if (a !== b) out.push(explain(a, b));
  }
  return out;
}

function kernelFor(policy: Policy, kernel: Kernel): Kernel {
  return policy === 'iommufd' && kernel === '6.1' ? '6.12' : kernel;
}

describe('history index', () => {
  it('kept at append, saved, reopened and forked, explains as the log folded from event 1 does', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICIES),
        fc.constantFrom(...KERNELS),
        fc.integer({ min: 2, max: 6 }),
        fc.array(step, { minLength: 4, maxLength: 16 }),
        (policy, wanted, snapshotEvery, steps: Step[]) => {
          const t = openTempStore({ snapshotEvery });
          try {
            const kernel = kernelFor(policy, wanted);
            let lab = t.store.createLab({ name: 'live', policy, kernel, template: 'seed' });
            lab.applyBatch([
              { op: 'vm.create', name: 'VM1', devices: ['A', 'B'] },
              { op: 'vm.create', name: 'VM2', devices: ['A2'] },
            ]);
            steps.forEach((s, i) => {
              if ('op' in s) lab.apply(s.op);
              if ('fork' in s) lab = lab.fork(`fork${i}`, s.fork, undefined, kernelFor(s.fork, kernel));
              if ('restart' in s) {
                const before = explainAll(lab);
                lab = t.reopen().getLab(lab.name);
                expect(explainAll(lab)).toEqual(before);
              }
              expect(explainAll(lab)).toEqual(explainAll(lab, true));
              compared++;
            });
          } finally {
            t.store.close();
          }
        },
      ),
      { numRuns: 25 },
    );
    expect(compared).toBeGreaterThan(150);
  });
});
