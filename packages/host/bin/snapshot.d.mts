// Types of snapshot.mjs (plain JavaScript so that it runs with Node alone).
export declare const SNAPSHOT_FORMAT: 'ioasid-lab/host-snapshot/v1';

export interface SnapshotUnit {
  name: string;
  vendor: 'intel-vtd' | 'amd-vi' | 'arm-smmuv3' | null;
  registers: Record<string, string | boolean | null>;
  devices: string[];
  driver?: string;
}
export interface SnapshotGroup {
  id: number;
  type: string | null;
  devices: string[];
  reservedRegions: { start: string; end: string; type: string }[] | null;
}
export interface SnapshotFunction {
  bdf: string;
  vendor: string | null;
  device: string | null;
  class: string | null;
  driver: string | null;
  group: number | null;
  iommu: string | null;
}
export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  capturedAt: string;
  kernel: string | null;
  cmdline: string | null;
  iommus: SnapshotUnit[];
  groups: SnapshotGroup[];
  pciFunctions: SnapshotFunction[];
  ignored: { unit: string; reason: string }[];
  notes: string[];
}
export declare function readSnapshot(root?: string): Snapshot;
