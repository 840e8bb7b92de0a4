// Shapes of the lab API (shared/API.md) as the UI reads them; mirrors packages/core/src/types.ts plus seq.
// Kept here, type-only, so the browser bundle never pulls the native core.

export type Policy = 'type1' | 'iommufd' | 'shared' | 'explicit';
export const POLICIES: readonly Policy[] = ['type1', 'iommufd', 'shared', 'explicit'];
export type Template = 'empty' | 'seed' | 'seed-story';
export type Vendor = 'intel-vtd' | 'amd-vi' | 'arm-smmuv3';
export type Hex = string;

export interface LabSummary {
  name: string;
  policy: Policy;
  events: number;
  createdAt: string;
}

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

export type EventResult = { ok: true } | { ok: false; errno: number; code: string; message?: string };

export interface LabEvent {
  seq: number;
  at: string;
  op: string;
  input: Record<string, unknown>;
  result: EventResult;
  effects: Effect[];
}

export interface IommuState {
  name: string;
  vendor: Vendor;
  enforceCacheCoherency: boolean;
  pageSizes: number[];
  iovaBits: number;
  reserved: { start: Hex; length: Hex; kind: string }[];
}
export interface DeviceState {
  name: string;
  iommu: string;
  group: number;
  kind?: string;
  noSnoop: boolean;
  requiresKvm: string;
  vm: string | null;
  hwpt: number | null;
}
export interface VmState {
  name: string;
  ioas: number;
  memory?: Hex;
  devices: string[];
  noncoherentDma: number;
  wbinvd: boolean;
  coherencyHazard: boolean;
}
export interface AreaState {
  iova: Hex;
  length: Hex;
  read: boolean;
  write: boolean;
}
export interface IoasState {
  id: number;
  vm: string | null;
  areas: AreaState[];
}
export interface HwptStats {
  tablePages: number;
  bytes: number;
  leaves: number;
  snoopLeaves: number;
  leavesBySize?: Record<string, number>;
  tablePagesByLevel?: number[];
}
export interface HwptState {
  id: number;
  ioas: number;
  iommu: string;
  enforceCacheCoherency: boolean;
  auto?: boolean;
  levels?: number;
  devices: string[];
  stats: HwptStats;
}
export interface LabState {
  seq: number;
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
  next: Hex | null;
}

export interface VmVerdict {
  vm: string;
  wbinvd: boolean;
  coherencyHazard: boolean;
  why?: number[];
}
export interface Outcome {
  wbinvd?: boolean;
  coherencyHazard?: boolean;
  hwpts?: number;
  bytes?: number;
}
export interface Remedy {
  ops: Record<string, unknown>[];
  result: { a: Outcome; b: Outcome };
  description?: string;
}
export interface Explanation {
  seq?: number;
  policy?: Policy;
  a: VmVerdict;
  b: VmVerdict;
  diverges: boolean;
  firstDivergence: {
    seq: number;
    op: string;
    effect?: Effect | string;
    input?: Record<string, unknown>;
  } | null;
  chain: { seq: number; op: string; effects: Effect[]; input?: Record<string, unknown> }[];
  summary: string;
  remedies: Remedy[];
  counterfactual: Record<string, { a: Outcome | null; b: Outcome | null; refused?: number }>;
}

export type StreamMessage =
  | { type: 'hello'; seq: number; state: LabState }
  | { type: 'events'; events: LabEvent[] }
  | { type: 'resync'; seq: number; state: LabState }
  | { type: 'error'; error: { code: string; errno?: number; message: string } };

export interface VmComparison {
  vm: string;
  wbinvd: boolean;
  coherencyHazard: boolean;
  hwpts: number;
  tableBytes: number;
}
export interface PolicyComparison {
  policy: Policy;
  refused: number;
  vms: VmComparison[];
  hwpts: number;
  tableBytes: number;
}
export interface Comparison {
  seq: number;
  policies: PolicyComparison[];
}
