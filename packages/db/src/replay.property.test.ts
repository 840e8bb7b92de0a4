// Property: for random op logs under every policy, state(at=k) equals the first k ops applied to a fresh
// core, for every k; and a reopened store rebuilds the same live state. Small snapshot intervals force
// the snapshot + replay path.
import { Lab, type Op, POLICIES } from '@ioasid-lab/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED_HARDWARE } from './templates.ts';
import { openTempStore } from './testing.ts';
import { randomOp as op, vmCreate } from './testing-ops.ts';

function referenceState(policy: Lab['policy'], ops: Op[]) {
  const core = Lab.create(policy);
  try {
    for (const o of ops) core.apply(o);
    return core.state();
  } finally {
    core.destroy();
  }
}

describe('replay', () => {
  let applied = 0;
  let refused = 0;
  it('state(at=k) equals the first k ops on a fresh lab, and reopening gives the live state', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICIES),
        // Two VMs first, so most later ops have something to act on.
        fc.tuple(
          vmCreate(fc.constant('VM1')),
          vmCreate(fc.constant('VM2')),
          fc.array(op, { minLength: 6, maxLength: 30 }),
        ),
        fc.integer({ min: 1, max: 5 }),
        (policy, [vm1, vm2, rest], snapshotEvery) => {
          const randomOps: Op[] = [vm1, vm2, ...rest];
          const t = openTempStore({ snapshotEvery });
          try {
            const lab = t.store.createLab({ name: 'p', policy, template: 'seed' });
            for (const o of randomOps) {
              if (lab.apply(o).result.ok) applied++;
              else {
                refused++;
              }
            }
            const all = [...SEED_HARDWARE, ...randomOps];
            expect(lab.seq).toBe(all.length);
            for (let k = 0; k <= all.length; k++) {
              expect(lab.state(k)).toEqual({ seq: k, ...referenceState(policy, all.slice(0, k)) });
            }
            const live = lab.state();
            expect(t.reopen().getLab('p').state()).toEqual(live);
          } finally {
            t.store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
    // The generator must exercise both paths, or the property says little.
    expect(applied).toBeGreaterThan(150);
    expect(refused).toBeGreaterThan(40);
  });
});
