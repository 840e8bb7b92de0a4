// The lab's data contract: the ops a lab accepts, the effects they report, the state it exposes, and the
// history, explanation and comparison shapes built on them. The core, the event store, the server and the
// UI all speak these shapes (docs/api.md). The vocabularies they use are in vocab.ts.
import type { Static } from 'typebox';
import type { OpShapes } from './schemas/op-fields.generated.ts';
import type { REST_OPS } from './schemas/ops.ts';
import type { VmState as VmStateSchema } from './schemas/state.ts';
import type { DeviceKind, Kernel, Policy, RequiresKvm, ReservedKind, Template, Vendor } from './vocab.ts';

/** A 64-bit quantity (IOVA, length, bytes): a JSON number, a decimal or 0x-hex string, or a bigint. */
export type U64Input = number | string | bigint;
/** How the core returns 64-bit quantities: lowercase hex with 0x. */
export type Hex = string;

/**
 * Every op the core's header states, by name, as Lab.apply accepts it: generated from the op structs'
 * json: comments in packages/core/native/include/ioasid_lab.h.
 */
export type { OpShapes };

/** Every operation of the REST contract. `op` names it; the rest is the REST body of its endpoint. */
export type Op = OpShapes[(typeof REST_OPS)[number]];

export type ReservedRegionInput = NonNullable<OpShapes['iommu.add']['reserved']>[number];

export type OpName = Op['op'];

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
/** A VM as the state shows it: derived from its schema, whose stored facts are generated from the core. */
export type VmState = Static<typeof VmStateSchema>;
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
/** The whole lab as the API's state, less `seq` (the event log owns seq). Lists are in id/creation order. */
export interface CoreState {
  policy: Policy;
  /** The kernel profile whose rules the lab follows (docs/kernels.md). */
  kernel: Kernel;
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

// History, explanation and comparison: what the event store answers about a lab.

/** Omit that keeps the union of ops a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An op's fields without its `op` name: the `input` of an event. */
export type OpInput = DistributiveOmit<Op, 'op'>;

export type EventResult = { ok: true } | { ok: false; errno: number; code: ErrnoCode; message: string };

/** One entry of a lab's history (the API's event). Refused ops are events too; they changed nothing. */
export interface StoredEvent {
  /** 1-based, gapless per lab. */
  seq: number;
  /** ISO 8601 time the op was applied. */
  at: string;
  op: OpName;
  input: OpInput;
  result: EventResult;
  effects: Effect[];
  /** Who made the change (the request's X-Lab-Client header; absent for template events). */
  client?: string;
}

/** The API's state: the core state at `seq`. */
export type LabState = CoreState & { seq: number };

export interface LabSummary {
  name: string;
  policy: Policy;
  /** The kernel profile whose rules the lab follows (docs/kernels.md). */
  kernel: Kernel;
  template: Template;
  /** Number of events (= the latest seq). */
  events: number;
  /** ISO 8601. */
  createdAt: string;
}

/** The API's export format: the lab's inputs in order, refused ones included. */
export interface LabExport {
  format: 'ioasid-lab/v1';
  name: string;
  policy: Policy;
  /** Absent in exports made before kernel profiles: those replay under the default kernel (6.12). */
  kernel?: Kernel;
  ops: Op[];
}

/** Both of a VM's coherency facts, as a replay found them. */
export interface VmOutcome {
  wbinvd: boolean;
  coherencyHazard: boolean;
}

export interface VmVerdict extends VmOutcome {
  vm: string;
  /** Seqs of the events whose effects set this VM's current wbinvd / hazard (and what they hinge on). */
  why: number[];
}

export interface ChainLink {
  seq: number;
  op: OpName;
  effects: Effect[];
}

export interface Remedy {
  /** One line saying what the ops do, e.g. "replace A onto a fresh enforcing HWPT". */
  description: string;
  /** Ops to apply (in order) on top of the current history. */
  ops: Op[];
  /** Both VMs after the ops, found by replay on a scratch lab. */
  result: { a: VmOutcome; b: VmOutcome };
}

export interface Explanation {
  /** The seq the explanation is about (the lab's latest). */
  seq: number;
  policy: Policy;
  kernel: Kernel;
  a: VmVerdict;
  b: VmVerdict;
  /** True when the VMs differ in wbinvd or in coherencyHazard. */
  diverges: boolean;
  /** Earliest event in the differing VM's causal chain with no counterpart in the other VM's history. */
  firstDivergence: { seq: number; op: OpName; effect: Effect } | null;
  chain: ChainLink[];
  summary: string;
  /** Candidate op sequences that, replayed, make the two VMs agree with wbinvd off and no hazard. */
  remedies: Remedy[];
  /** The same inputs replayed under every other policy. */
  counterfactual: Partial<Record<Policy, { a: VmOutcome | null; b: VmOutcome | null; refused: number }>>;
  /** The same inputs replayed with the lab's policy under every kernel profile that has it. */
  kernels: Partial<Record<Kernel, KernelOutcome>>;
}

/** One kernel profile's replay of a lab's inputs (the lab's policy), as explain reports it. */
export interface KernelOutcome {
  a: VmOutcome | null;
  /** Absent in a single-VM explanation. */
  b?: VmOutcome | null;
  /** How many of the inputs this kernel refused. */
  refused: number;
  /**
   * Present when the outcome differs from the lab's own kernel: the rule that differs, citing the kernel
   * function or commit (docs/kernels.md).
   */
  rule?: string;
}

/** A hazard one more op would create: `device` can do no-snoop DMA on `hwpt`, a table without SNP. */
export interface LatentHazard {
  device: string;
  hwpt: number;
  /** The op (found by replay) that would leave the VM coherent in KVM's eyes while `device` bypasses caches. */
  trigger: { op: 'vm.detach'; vm: string; device: string };
}

export interface VmRemedy {
  description: string;
  ops: Op[];
  /** The VM after the ops, found by replay on a scratch lab: wbinvd off, no hazard, no latent hazard. */
  result: { a: VmOutcome };
}

/** explain with one VM: why it emulates wbinvd or not, why it is or is not in a hazard, what could tip it. */
export interface VmExplanation {
  seq: number;
  policy: Policy;
  kernel: Kernel;
  a: VmVerdict;
  /** The event that set the VM's current wbinvd or hazard state (null: nothing ever changed it). */
  cause: { seq: number; op: OpName; effect: Effect } | null;
  /** The VM's causal chain: the events its state rests on. */
  chain: ChainLink[];
  latent: LatentHazard[];
  summary: string;
  remedies: VmRemedy[];
  counterfactual: Partial<Record<Policy, { a: VmOutcome | null; refused: number }>>;
  kernels: Partial<Record<Kernel, KernelOutcome>>;
}

export interface VmComparison extends VmOutcome {
  vm: string;
  /** HWPTs on the VM's IOAS and their page-table bytes. */
  hwpts: number;
  tableBytes: number;
}

export interface PolicyComparison {
  policy: Policy;
  /** The kernel profile this row was replayed under. */
  kernel: Kernel;
  /** How many of the inputs this policy refused. */
  refused: number;
  vms: VmComparison[];
  /** Lab-wide totals. */
  hwpts: number;
  tableBytes: number;
}

export interface Comparison {
  seq: number;
  policies: PolicyComparison[];
}
