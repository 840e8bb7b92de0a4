// The core's public contract. The shapes and vocabularies it shares with the store, the server and the UI
// are defined once in @ioasid-lab/api (docs/api.md); what only the core's own callers use is defined here.
import type { Op, OpShapes } from '@ioasid-lab/api/types';

export * from '@ioasid-lab/api/types';
export type {
  AnnounceKvm,
  DeviceKind,
  EffectType,
  IovaBits,
  Kernel,
  Policy,
  RequiresKvm,
  ReservedKind,
  Template,
  Vendor,
} from '@ioasid-lab/api/vocab';
// EFFECT_TYPES is left out: abi.ts exports its own list, indexed by the C enum (vocab.test.ts checks they agree).
export {
  ANNOUNCE_KVM,
  DEFAULT_KERNEL,
  DEVICE_KINDS,
  IOVA_BITS,
  KERNELS,
  NAME_PATTERN,
  POLICIES,
  REQUIRES_KVM,
  RESERVED_KINDS,
  TEMPLATES,
  VENDORS,
} from '@ioasid-lab/api/vocab';

/**
 * Ops beyond the REST contract, for the kernel selftest ports and power users: IOMMU_IOAS_COPY with a fixed
 * IOVA, and IOMMU_IOAS_ALLOW_IOVAS (ranges inclusive; an empty list allows everything).
 */
export type ExtendedOp = OpShapes['ioas.copy' | 'ioas.allow'];

/** Everything Lab.apply accepts. */
export type AnyOp = Op | ExtendedOp;

export interface LabLimits {
  maxObjects?: number;
  maxTableBytes?: number;
}
