// eventOf builds an event from the op and result in hand; it must be exactly what parsing the stored row
// back gives (toEvent), for every op the lab takes: refused or not, with a client label, with fields left
// undefined, with bigints and lists (which take the parsing path).
import { Lab, type Op } from '@ioasid-lab/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventOf, toEvent, toRow } from './codec.ts';
import { SEED_HARDWARE } from './templates.ts';
import { randomOp } from './testing-ops.ts';

/** The same op in the other shapes a caller may give it: a client label, an undefined field, bigints. */
function variant(op: Op, kind: number): Op {
  const record = op as unknown as Record<string, unknown>;
  if (kind === 1) return { ...op, by: 'ci "nightly" \u00e9' } as unknown as Op;
  if (kind === 2) return { ...op, read: undefined } as unknown as Op;
  if (kind === 3 && typeof record.iova === 'number') {
    return { ...op, iova: BigInt(record.iova), length: BigInt(record.length as number) } as unknown as Op;
  }
  return op;
}

describe('eventOf', () => {
  it('equals toEvent of the row, key order included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(randomOp, fc.integer({ min: 0, max: 3 })), { maxLength: 40 }),
        (steps) => {
          const lab = Lab.create('iommufd');
          try {
            lab.applyBatch([...SEED_HARDWARE]);
            const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
            steps.forEach(([op, kind], i) => {
              const given = variant(op, kind);
              const result = lab.apply(given);
              const row = toRow(100 + i, at, given, result, false);
              const built = eventOf(row, given, result, new Date(at).toISOString());
              const parsed = toEvent(row);
              expect(built).toStrictEqual(parsed);
              expect(JSON.stringify(built)).toBe(JSON.stringify(parsed));
              if (result.ok && built.effects.length > 0) expect(built.effects[0]).not.toBe(result.effects[0]);
            });
          } finally {
            lab.destroy();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
