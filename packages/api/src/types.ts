// The core's public contract: the ops a lab accepts, the effects they report and the state it exposes.
// Server, history engine and UI all speak these shapes; they mirror ../../../../shared/API.md.

export type Policy = 'type1' | 'iommufd' | 'shared' | 'explicit';
export const POLICIES: readonly Policy[] = ['type1', 'iommufd', 'shared', 'explicit'];

/** A 64-bit quantity (IOVA, length, bytes): a JSON number, a decimal or 0x-hex string, or a bigint. */
export type U64Input = number | string | bigint;
/** How the core returns 64-bit quantities: lowercase hex with 0x. */
export type Hex = string;

export type Vendor = 'intel-vtd' | 'amd-vi' | 'arm-smmuv3';
export type ReservedKind = 'msi' | 'reserved' | 'direct';
export type DeviceKind = 'pci' | 'mdev';
export type RequiresKvm = 'none' | 'ap' | 'kvmgt';
export type AnnounceKvm = 'before' | 'after' | 'never';

export interface ReservedRegionInput {
  start: U64Input;
  length: U64Input;
  kind: ReservedKind;
}

/** Every operation a lab accepts. `op` names it; the rest is the REST body of its endpoint. */
export type Op =
  | {
      op: 'iommu.add';
      name: string;
      vendor: Vendor;
      enforceCacheCoherency: boolean;
      pageSizes?: number[];
      iovaBits?: 39 | 48 | 57;
      reserved?: ReservedRegionInput[];
    }
  | {
      op: 'device.add';
      name: string;
      iommu: string;
      group?: number;
      kind?: DeviceKind;
      noSnoop?: boolean;
      requiresKvm?: RequiresKvm;
    }
  | { op: 'device.remove'; name: string }
  | { op: 'vm.create'; name: string; memory?: U64Input; devices?: string[] }
  | { op: 'vm.destroy'; vm: string }
  | { op: 'vm.attach'; vm: string; device: string; hwpt?: number; announceKvm?: AnnounceKvm }
  | { op: 'vm.detach'; vm: string; device: string }
  | {
      op: 'device.replace';
      vm: string;
      device: string;
      hwpt: number | 'new';
      enforceCacheCoherency?: boolean;
    }
  | { op: 'ioas.map'; ioas: number; iova: U64Input; length: U64Input; read?: boolean; write?: boolean }
  | { op: 'ioas.unmap'; ioas: number; iova: U64Input; length: U64Input }
  | { op: 'hwpt.alloc'; ioas: number; iommu: string; enforceCacheCoherency?: boolean }
  | { op: 'hwpt.destroy'; hwpt: number };

export type OpName = Op['op'];

/**
 * Ops beyond the REST contract, for the kernel selftest ports and power users: IOMMU_IOAS_COPY with a fixed
 * IOVA, and IOMMU_IOAS_ALLOW_IOVAS (ranges inclusive; an empty list allows everything).
 */
export type ExtendedOp =
  | {
      op: 'ioas.copy';
      ioas: number;
      iova: U64Input;
      srcIoas: number;
      srcIova: U64Input;
      length: U64Input;
      read?: boolean;
      write?: boolean;
    }
  | { op: 'ioas.allow'; ioas: number; ranges: { start: U64Input; last: U64Input }[] };

/** Everything Lab.apply accepts. */
export type AnyOp = Op | ExtendedOp;

/**
 * What an operation changed. `type` is one of: hwpt.created, hwpt.destroyed, hwpt.snoop_downgraded,
 * device.added, device.removed, device.attached, device.detached, device.replaced,
 * iommu.added, vm.created, vm.destroyed, ioas.created, ioas.destroyed, area.mapped, area.unmapped,
 * vm.kvm_file_added, vm.kvm_file_removed, vm.noncoherent_changed, vm.wbinvd_on, vm.wbinvd_off,
 * vm.hazard_on, vm.hazard_off. Other fields name the objects involved.
 */
export interface Effect {
  type: string;
  vm?: string;
  device?: string;
  iommu?: string;
  hwpt?: number;
  fromHwpt?: number;
  ioas?: number;
  iova?: Hex;
  length?: Hex;
  enforceCacheCoherency?: boolean;
  noncoherentDma?: number;
}

export type ErrnoCode =
  | 'EPERM'
  | 'ENOENT'
  | 'ESRCH'
  | 'ENOMEM'
  | 'EBUSY'
  | 'EEXIST'
  | 'EINVAL'
  | 'ENOSPC'
  | 'ERANGE'
  | 'E2BIG'
  | 'EOPNOTSUPP'
  | 'EADDRINUSE'
  | 'EOVERFLOW';

export type OpResult =
  | { ok: true; effects: Effect[] }
  | { ok: false; errno: number; code: ErrnoCode; message: string; effects: [] };

export interface IommuState {
  name: string;
  vendor: Vendor;
  enforceCacheCoherency: boolean;
  pageSizes: number[];
  iovaBits: number;
  reserved: { start: Hex; length: Hex; kind: ReservedKind }[];
}
export interface DeviceState {
  name: string;
  iommu: string;
  group: number;
  kind: DeviceKind;
  noSnoop: boolean;
  requiresKvm: RequiresKvm;
  vm: string | null;
  hwpt: number | null;
}
export interface VmState {
  name: string;
  ioas: number;
  memory: Hex;
  devices: string[];
  noncoherentDma: number;
  wbinvd: boolean;
  coherencyHazard: boolean;
  /** Devices whose file is on the VM's kvm-vfio device, in KVM_DEV_VFIO_FILE_ADD order. */
  kvmFiles?: string[];
}
export interface AreaState {
  iova: Hex;
  length: Hex;
  read: boolean;
  write: boolean;
}
export interface IovaRange {
  start: Hex;
  /** inclusive */
  last: Hex;
}
export interface IoasState {
  id: number;
  vm: string | null;
  areas: AreaState[];
  /** IOMMU_IOAS_IOVA_RANGES: where a map may go (allowed ranges less reserved regions and apertures). */
  iovaRanges?: IovaRange[];
  /** Smallest page of the IOAS's domains (1 with none). */
  iovaAlignment?: number;
  /** Set by ioas.allow; empty means everything is allowed. */
  allowedIovas?: IovaRange[];
}
export interface HwptStats {
  tablePages: number;
  bytes: number;
  leaves: number;
  snoopLeaves: number;
  /** Leaves by size in bytes ("4096", "2097152", "1073741824") and table pages per level (1 = leaf level). */
  leavesBySize: Record<string, number>;
  tablePagesByLevel: number[];
}
export interface HwptState {
  id: number;
  ioas: number;
  iommu: string;
  enforceCacheCoherency: boolean;
  /** true when the lab's policy made it (an auto domain), false when hwpt.alloc did. */
  auto: boolean;
  levels: number;
  devices: string[];
  stats: HwptStats;
}
/** The whole lab as API.md's state, less `seq` (the event log owns seq). Lists are in id/creation order. */
export interface CoreState {
  policy: Policy;
  iommus: IommuState[];
  devices: DeviceState[];
  vms: VmState[];
  ioas: IoasState[];
  hwpts: HwptState[];
}

export interface Leaf {
  iova: Hex;
  size: number;
  level: number;
  read: boolean;
  write: boolean;
  snoop: boolean;
}
export interface LeafPage {
  leaves: Leaf[];
  /** IOVA to pass as `iova` to continue, or null when the range is done. */
  next: Hex | null;
}

export interface LabLimits {
  maxObjects?: number;
  maxTableBytes?: number;
}
