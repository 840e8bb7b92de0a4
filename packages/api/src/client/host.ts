// The host-import calls' request and reply shapes (docs/host-import.md). Written out here rather than
// derived: the server declares these schemas with its routes (apps/server/src/routes/import-host.ts), and
// its reply schemas list only some of the fields the plan carries, so the OpenAPI document stays as it is.
import type { LabSummary, Op, StoredEvent, VmState } from '../types.ts';
import type { Kernel, Policy, Vendor } from '../vocab.ts';

/** One VM to boot on the imported host: a libvirt domain XML or a QEMU command line. */
export interface HostVmSource {
  libvirt?: string;
  qemu?: string;
  /** The lab's name for the VM, when its source has none or another. */
  name?: string;
}

export interface ImportHostRequest {
  name: string;
  policy?: Policy;
  /** Default: the nearest kernel profile not newer than the snapshot's. */
  kernel?: Kernel;
  /** The JSON the snapshot command prints (ioasid-lab/host-snapshot/v1). */
  snapshot: unknown;
  vms?: HostVmSource[];
  /** Answer the plan without creating the lab. */
  dryRun?: boolean;
}

/** One decoded register field: the bits, the raw value and what the kernel makes of it. */
export interface HostDecodedField {
  register: string;
  field: string;
  bits: string;
  value: string;
  meaning: string;
}

export interface HostUnitReport {
  name: string;
  vendor: Vendor;
  enforceCacheCoherency: boolean;
  cacheCoherency: boolean | null;
  pageSizes: number[];
  iovaBits: number;
  kernelIovaBits: number;
  reserved: { start: string; length: string; kind: string }[];
  registers: Record<string, unknown>;
  decoded: HostDecodedField[];
  groups: number[];
  notes: string[];
}

export interface HostGroupReport {
  id: number;
  type: string | null;
  unit: string | null;
  devices: string[];
  reservedRegions: { start: string; end: string; type: string; applied: boolean; why?: string }[];
}

/** How a VM source was read, and what the lab's policy means for its backend. */
export interface ImportedVmSource {
  format: 'libvirt' | 'qemu';
  backend: 'vfio' | 'iommufd';
  /** Bytes, 0x-hex. */
  memory: string;
  hostdevs: { bdf: string; device: string; element: string }[];
  notes: string[];
}

export interface HostImportPlan {
  policy: Policy;
  kernel: Kernel;
  kernelProfile: { profile: Kernel; from: string | null; rule: string };
  units: HostUnitReport[];
  groups: HostGroupReport[];
  devices: {
    name: string;
    bdf: string;
    unit: string;
    group: number;
    vendorId: string | null;
    deviceId: string | null;
    class: string | null;
    driver: string | null;
  }[];
  skipped: { bdf: string; reason: string }[];
  ignored: { unit: string; reason: string }[];
  notes: string[];
  vms: { name: string; devices: string[]; memory: string; source: ImportedVmSource }[];
  /** How many ops the import records. */
  ops: number;
}

/** The plan (dryRun), or the created lab's summary with it; either when dryRun is only known as a boolean. */
export type ImportHostResult<R extends ImportHostRequest = ImportHostRequest> = R extends { dryRun: true }
  ? HostImportPlan
  : R extends { dryRun: boolean }
    ? R extends { dryRun: false }
      ? LabSummary & HostImportPlan
      : HostImportPlan & Partial<LabSummary>
    : LabSummary & HostImportPlan;

export interface ImportVmRequest extends HostVmSource {
  /** Answer the op without applying it. */
  dryRun?: boolean;
}

export interface ImportVmPlan {
  op: Extract<Op, { op: 'vm.create' }>;
  source: ImportedVmSource;
}

export type ImportedVm = VmState & Pick<StoredEvent, 'seq' | 'effects'> & { source: ImportedVmSource };

/** The vm.create op (dryRun), or the VM it created with its event's seq and effects. */
export type ImportVmResult<R extends ImportVmRequest = ImportVmRequest> = R extends { dryRun: true }
  ? ImportVmPlan
  : R extends { dryRun: boolean }
    ? R extends { dryRun: false }
      ? ImportedVm
      : ImportVmPlan | ImportedVm
    : ImportedVm;
