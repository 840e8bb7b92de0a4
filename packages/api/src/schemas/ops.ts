// Request bodies of the operation endpoints (hardware, VMs, IOAS, HWPTs) and of POST /batch, built from each
// op's fields as the C header states them (op-fields.generated.ts). Each batch op is its endpoint's body plus
// `op` and the ids the endpoint takes from its path.
import { type Static, type TProperties, type TSchema, Type } from 'typebox';
import type { Op } from '../types.ts';
import { OP_FIELDS } from './op-fields.generated.ts';

const closed = { additionalProperties: false } as const;

/**
 * The ops of the REST contract, each with an endpoint and a place in POST /batch. The others of the header
 * (ioas.copy, ioas.allow) are for Lab.apply's callers only.
 */
export const REST_OPS = [
  'iommu.add',
  'device.add',
  'device.remove',
  'vm.create',
  'vm.attach',
  'vm.detach',
  'vm.destroy',
  'device.replace',
  'ioas.map',
  'ioas.unmap',
  'hwpt.alloc',
  'hwpt.destroy',
] as const;

/** props without the keys an endpoint takes from its path. */
function without<P extends TProperties, K extends keyof P & string>(props: P, ...keys: K[]): Omit<P, K> {
  const rest: TProperties = { ...props };
  for (const key of keys) delete rest[key];
  return rest as Omit<P, K>;
}

export const IommuBody = Type.Object(OP_FIELDS['iommu.add'], closed);
export const DeviceBody = Type.Object(OP_FIELDS['device.add'], closed);
export const VmBody = Type.Object(OP_FIELDS['vm.create'], closed);
export const AttachBody = Type.Object(without(OP_FIELDS['vm.attach'], 'vm'), closed);
export const ReplaceBody = Type.Object(without(OP_FIELDS['device.replace'], 'vm', 'device'), closed);
export const MapBody = Type.Object(without(OP_FIELDS['ioas.map'], 'ioas'), closed);
export const UnmapBody = Type.Object(without(OP_FIELDS['ioas.unmap'], 'ioas'), closed);
export const HwptAllocBody = Type.Object(OP_FIELDS['hwpt.alloc'], closed);

/** `{ op: name, ...fields }` as a closed object. */
function opSchema(op: (typeof REST_OPS)[number]): TSchema {
  return Type.Object({ op: Type.Literal(op), ...OP_FIELDS[op] }, closed);
}

/**
 * One op of any kind. A discriminator on `op` (instead of a bare anyOf) makes a validation error name
 * the field of the op that was meant, not of whichever branch happened to be tried first.
 */
export const AnyOp = Type.Unsafe<Op>({
  type: 'object',
  required: ['op'],
  discriminator: { propertyName: 'op' },
  oneOf: REST_OPS.map(opSchema),
});

/** Longer batches are refused with E2BIG by the route (an argument list too long, as the kernel says). */
export const MAX_BATCH_OPS = 10_000;
export const BatchBody = Type.Object(
  {
    ops: Type.Array(AnyOp, { minItems: 1, description: `At most ${MAX_BATCH_OPS} ops (E2BIG beyond)` }),
    atomic: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type BatchBody = Static<typeof BatchBody>;
