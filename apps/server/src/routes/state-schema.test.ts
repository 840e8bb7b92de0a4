// The state the compiled core writes (native/src/state.c) against the API's response schema
// (packages/api/src/schemas/state.ts) and its TypeScript type (packages/api/src/types.ts): every field the
// core writes is declared in the schema, with the schema's type, for every policy and kernel profile. The
// schema stays open for clients (extra fields allowed); here every object is closed, so a field the core
// adds without a schema entry fails, as a field missing from the OpenAPI document would otherwise go unseen.
import { KERNELS, type LabState as LabStateType, POLICIES } from '@ioasid-lab/api';
import { type LabStateBody, LabState as LabStateSchema } from '@ioasid-lab/api/schemas';
import { type AnyOp, Lab } from '@ioasid-lab/core';
import { SEED_HARDWARE } from '@ioasid-lab/db';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';

// Compile-time half: every field of the API's state type is in the schema, with a compatible type.
const typeFitsSchema = (state: LabStateType): LabStateBody => state;

/** A deep copy of `schema` with every object closed to the properties it declares. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = closed(value);
  if (copy.type === 'object' && copy.properties) copy.additionalProperties = false;
  return copy;
}

const validate = new Ajv({ strict: false, allErrors: true }).compile(closed(LabStateSchema) as object);

/**
 * The seed's hardware, two VMs with devices, a user HWPT, extra mappings and allowed IOVAs: every optional
 * part of the state. Written so every policy accepts it (explicit needs the HWPT named at attach).
 */
const OPS: AnyOp[] = [
  ...SEED_HARDWARE,
  { op: 'vm.create', name: 'VM1' },
  { op: 'hwpt.alloc', ioas: 1, iommu: 'iommu0' },
  { op: 'vm.attach', vm: 'VM1', device: 'A', hwpt: 2 },
  { op: 'ioas.map', ioas: 1, iova: '0x100000000', length: '0x200000' },
  { op: 'vm.create', name: 'VM2' },
  { op: 'ioas.allow', ioas: 3, ranges: [{ start: '0x0', last: '0xfedfffff' }] },
];

describe('the core state against the API schema', () => {
  for (const kernel of KERNELS) {
    for (const policy of POLICIES) {
      it(`${policy} on ${kernel}: every field the core writes is declared`, () => {
        let lab: Lab;
        try {
          lab = Lab.create(policy, undefined, kernel);
        } catch (error) {
          // A kernel without iommufd refuses the iommufd policies; that refusal is tested elsewhere.
          expect((error as { code?: string }).code).toBe('EOPNOTSUPP');
          return;
        }
        try {
          for (const op of OPS) expect(lab.apply(op)).toMatchObject({ ok: true });
          const state = typeFitsSchema({ ...lab.state(), seq: 1 });
          expect(state.vms[0]?.devices).toEqual(['A']);
          const ok = validate(state);
          expect(validate.errors ?? []).toEqual([]);
          expect(ok).toBe(true);
        } finally {
          lab.destroy();
        }
      });
    }
  }
});
