// Request bodies of the operation endpoints (hardware, VMs, IOAS, HWPTs) and of POST /batch.
// Each batch op is its endpoint's body plus `op` (and the ids the endpoint takes from its path).
import { type Static, type TObject, type TSchema, Type } from 'typebox';
import type { Op } from '../types.ts';
import { ANNOUNCE_KVM, DEVICE_KINDS, IOVA_BITS, REQUIRES_KVM, RESERVED_KINDS } from '../vocab.ts';
import { Id, Name, OneOf, U64, Vendor } from './common.ts';

const closed = { additionalProperties: false } as const;

export const IommuBody = Type.Object(
  {
    name: Name,
    vendor: Vendor,
    enforceCacheCoherency: Type.Boolean(),
    pageSizes: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 8 })),
    iovaBits: Type.Optional(OneOf(IOVA_BITS)),
    reserved: Type.Optional(
      Type.Array(
        Type.Object(
          {
            start: U64,
            length: U64,
            kind: OneOf(RESERVED_KINDS),
          },
          closed,
        ),
        { maxItems: 64 },
      ),
    ),
  },
  closed,
);

export const DeviceBody = Type.Object(
  {
    name: Name,
    iommu: Name,
    group: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
    kind: Type.Optional(OneOf(DEVICE_KINDS)),
    noSnoop: Type.Optional(Type.Boolean()),
    requiresKvm: Type.Optional(OneOf(REQUIRES_KVM)),
  },
  closed,
);

export const VmBody = Type.Object(
  {
    name: Name,
    memory: Type.Optional(U64),
    devices: Type.Optional(Type.Array(Name, { maxItems: 256 })),
  },
  closed,
);

const AnnounceKvm = OneOf(ANNOUNCE_KVM);
export const AttachBody = Type.Object(
  { device: Name, hwpt: Type.Optional(Id), announceKvm: Type.Optional(AnnounceKvm) },
  closed,
);

export const ReplaceBody = Type.Object(
  { hwpt: Type.Union([Id, Type.Literal('new')]), enforceCacheCoherency: Type.Optional(Type.Boolean()) },
  closed,
);

export const MapBody = Type.Object(
  { iova: U64, length: U64, read: Type.Optional(Type.Boolean()), write: Type.Optional(Type.Boolean()) },
  closed,
);

export const UnmapBody = Type.Object({ iova: U64, length: U64 }, closed);

export const HwptAllocBody = Type.Object(
  { ioas: Id, iommu: Name, enforceCacheCoherency: Type.Optional(Type.Boolean()) },
  closed,
);

/** `{ op: name, ...fields }` as a closed object. */
function opSchema(op: string, fields: TObject['properties']): TSchema {
  return Type.Object({ op: Type.Literal(op), ...fields }, closed);
}

const batchOps = [
  opSchema('iommu.add', IommuBody.properties),
  opSchema('device.add', DeviceBody.properties),
  opSchema('device.remove', { name: Name }),
  opSchema('vm.create', VmBody.properties),
  opSchema('vm.attach', { vm: Name, ...AttachBody.properties }),
  opSchema('vm.detach', { vm: Name, device: Name }),
  opSchema('vm.destroy', { vm: Name }),
  opSchema('device.replace', { vm: Name, device: Name, ...ReplaceBody.properties }),
  opSchema('ioas.map', { ioas: Id, ...MapBody.properties }),
  opSchema('ioas.unmap', { ioas: Id, ...UnmapBody.properties }),
  opSchema('hwpt.alloc', HwptAllocBody.properties),
  opSchema('hwpt.destroy', { hwpt: Id }),
];

/**
 * One op of any kind. A discriminator on `op` (instead of a bare anyOf) makes a validation error name
 * the field of the op that was meant, not of whichever branch happened to be tried first.
 */
export const AnyOp = Type.Unsafe<Op>({
  type: 'object',
  required: ['op'],
  discriminator: { propertyName: 'op' },
  oneOf: batchOps,
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
