// Property: explain answered from the lab's incrementally extended history index equals explain computed
// from scratch on a copy of the same inputs, after every op of random histories under every policy.
import { type Op, POLICIES } from '@ioasid-lab/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openTempStore } from './testing.ts';
import { randomOp } from './testing-ops.ts';

describe('explain', () => {
  it('from the incremental index equals explain from scratch, after every op', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...POLICIES),
        fc.array(randomOp, { minLength: 4, maxLength: 14 }),
        (policy, ops: Op[]) => {
          const t = openTempStore();
          try {
            const lab = t.store.createLab({ name: 'live', policy, template: 'seed' });
            lab.applyBatch([
              { op: 'vm.create', name: 'VM1', devices: ['A', 'B'] },
              { op: 'vm.create', name: 'VM2', devices: ['A2'] },
            ]);
            ops.forEach((o, i) => {
              lab.apply(o);
              const names = lab.state().vms.map((v) => v.name);
              if (!names.includes('VM1') || !names.includes('VM2')) return;
              const incremental = lab.explain('VM1', 'VM2');
              const copy = t.store.importLab(`copy${i}`, undefined, lab.export());
              expect(copy.seq).toBe(lab.seq);
              expect(incremental).toEqual(copy.explain('VM1', 'VM2'));
              compared++;
            });
          } finally {
            t.store.close();
          }
        },
      ),
      { numRuns: 30 },
    );
    expect(compared).toBeGreaterThan(100);
  });
});
