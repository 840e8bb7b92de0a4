// The event store's public contract: what the server (and tests) call on a LabStore and a StoredLab.
// Shapes mirror ../../../../shared/API.md; changes here are additive only.
import type { CoreState, Effect, ErrnoCode, LeafPage, Op, OpName, Policy, U64Input } from '@ioasid-lab/core';

export type Template = 'empty' | 'seed' | 'seed-story';
export const TEMPLATES: readonly Template[] = ['empty', 'seed', 'seed-story'];

/** Omit that keeps the union of ops a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An op's fields without its `op` name: the `input` of an event. */
export type OpInput = DistributiveOmit<Op, 'op'>;

export type EventResult = { ok: true } | { ok: false; errno: number; code: ErrnoCode; message: string };

/** One entry of a lab's history (API.md's event). Refused ops are events too; they changed nothing. */
export interface StoredEvent {
  /** 1-based, gapless per lab. */
  seq: number;
  /** ISO 8601 time the op was applied. */
  at: string;
  op: OpName;
  input: OpInput;
  result: EventResult;
  effects: Effect[];
}

/** API.md's state: the core state at `seq`. */
export type LabState = CoreState & { seq: number };

export interface LabSummary {
  name: string;
  policy: Policy;
  template: Template;
  /** Number of events (= the latest seq). */
  events: number;
  /** ISO 8601. */
  createdAt: string;
}

/** API.md's export format: the lab's inputs in order, refused ones included. */
export interface LabExport {
  format: 'ioasid-lab/v1';
  name: string;
  policy: Policy;
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
}

export interface VmComparison extends VmOutcome {
  vm: string;
  /** HWPTs on the VM's IOAS and their page-table bytes. */
  hwpts: number;
  tableBytes: number;
}

export interface PolicyComparison {
  policy: Policy;
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

export interface BatchOptions {
  /**
   * atomic: all or none. When an op is refused, nothing of the batch is applied and the store records
   * exactly one event: the refused op, with its errno (flagged `aborted` in the log so replays under other
   * policies skip it: its context never existed). applyBatch then returns [thatEvent].
   * Non-atomic: every op is applied in order (refused ones recorded as refused), one transaction.
   */
  atomic?: boolean;
}

export type EventListener = (events: StoredEvent[]) => void;

/** A live lab: a core instance plus its durable log. Ops are applied one at a time, in order. */
export interface StoredLab {
  readonly name: string;
  readonly policy: Policy;
  readonly template: Template;
  /** ISO 8601. */
  readonly createdAt: string;
  /** Latest seq (0 for a lab without events). */
  readonly seq: number;
  summary(): LabSummary;
  /** Applies to the core and commits the event before returning. */
  apply(op: Op): StoredEvent;
  /** One transaction for the whole batch; see BatchOptions. */
  applyBatch(ops: Op[], options?: BatchOptions): StoredEvent[];
  /** The lab at `at` (default: now). LabError ERANGE when at < 0 or at > seq. */
  state(at?: number): LabState;
  /** Events with seq > after, at most `limit` (default 100, capped at 10,000). */
  events(after?: number, limit?: number): StoredEvent[];
  /** LabError ENOENT when a VM does not exist now, EINVAL when a === b. */
  explain(a: string, b: string): Explanation;
  /** Default policies: all four. */
  compare(policies?: Policy[]): Comparison;
  /** A new lab from this lab's inputs up to `at` (default now), replayed under `policy` (default this one). */
  fork(name: string, policy?: Policy, at?: number): StoredLab;
  export(): LabExport;
  /** Leaves of a HWPT (at `at`, default now). LabError ENOENT for an unknown HWPT. */
  pagetable(
    hwpt: number,
    range?: { iova?: U64Input; length?: U64Input; limit?: number },
    at?: number,
  ): LeafPage;
  /** Called synchronously after each committed apply/applyBatch with its events, in seq order. */
  subscribe(listener: EventListener): () => void;
}

export interface OpenLabStoreOptions {
  /** SQLite file; default LAB_DB or data/ioasid-lab.db. ':memory:' works for tests. */
  path?: string;
  /** Snapshot every N events (default: SNAPSHOT_EVERY, chosen by measurement). */
  snapshotEvery?: number;
  /**
   * Keep counterfactual shadows (the inputs replayed under each other policy) snapshotted at every
   * snapshot point, so explain/compare on long histories replay one interval, not the log. Default true;
   * costs about one core replay per input per other policy, paid at snapshot points. When false, saved
   * shadow snapshots are neither written nor read (counterfactuals replay from event 1).
   */
  counterfactualShadows?: boolean;
}

export interface CreateLabInput {
  name: string;
  policy: Policy;
  template?: Template;
}

export interface LabStore {
  listLabs(): LabSummary[];
  hasLab(name: string): boolean;
  /** LabError EEXIST if the name is taken, EINVAL for a bad name/policy/template. */
  createLab(input: CreateLabInput): StoredLab;
  /** LabError ENOENT. */
  getLab(name: string): StoredLab;
  /** LabError ENOENT. */
  deleteLab(name: string): void;
  /** Replays `exported.ops` into a new lab under `policy ?? exported.policy`. LabError EEXIST / EINVAL. */
  importLab(name: string, policy: Policy | undefined, exported: LabExport): StoredLab;
  /**
   * On a fresh database (never seeded and holding no labs), creates lab `seed` from `seed-story` under
   * `shared`. Idempotent; a deleted seed is not recreated. Returns the seed lab, or null when there is none.
   */
  ensureSeedLab(): StoredLab | null;
  close(): void;
}
