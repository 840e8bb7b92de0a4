// The event store's public contract: what the server (and tests) call on a LabStore and a StoredLab.
// The shapes it answers with are the API's (@ioasid-lab/api, docs/api.md); changes there are additive only.
import type {
  Comparison,
  Explanation,
  Kernel,
  LabExport,
  LabState,
  LabSummary,
  Op,
  Policy,
  StoredEvent,
  Template,
  U64Input,
  VmExplanation,
} from '@ioasid-lab/api';
import type { LeafPage } from '@ioasid-lab/core';
import type { Quotas } from './quotas.ts';

export type {
  ChainLink,
  Comparison,
  EventResult,
  Explanation,
  KernelOutcome,
  LabExport,
  LabState,
  LabSummary,
  LatentHazard,
  OpInput,
  PolicyComparison,
  Remedy,
  StoredEvent,
  Template,
  VmComparison,
  VmExplanation,
  VmOutcome,
  VmRemedy,
  VmVerdict,
} from '@ioasid-lab/api';
export { TEMPLATES } from '@ioasid-lab/api';

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
  readonly kernel: Kernel;
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
  /** LabError ENOENT when a VM does not exist now, EINVAL when a === b. Without `b`: one VM explained. */
  explain(a: string, b: string): Explanation;
  explain(a: string, b?: string): Explanation | VmExplanation;
  /**
   * Default policies: all four, under the lab's kernel. With `kernels`, one row per policy × kernel (a
   * kernel lacking a policy has no row for it).
   */
  compare(policies?: Policy[], kernels?: Kernel[]): Comparison;
  /**
   * A new lab from this lab's inputs up to `at` (default now), replayed under `policy` and `kernel` (default
   * this lab's).
   */
  fork(name: string, policy?: Policy, at?: number, kernel?: Kernel): StoredLab;
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
   * Snapshot bytes a lab may write per event before its interval stretches past `snapshotEvery`
   * (default SNAPSHOT_BYTES_PER_EVENT, snapshot-interval.ts); Infinity keeps every lab at `snapshotEvery`.
   */
  snapshotBytesPerEvent?: number;
  /**
   * Keep counterfactual shadows (the inputs replayed under each other policy) snapshotted at every
   * snapshot point, so explain/compare on long histories replay one interval, not the log. Default true;
   * costs about one core replay per input per other policy, paid at snapshot points. When false, saved
   * shadow snapshots are neither written nor read (counterfactuals replay from event 1).
   */
  counterfactualShadows?: boolean;
  /**
   * Keep each lab's history index (what explain reads) up to date as events commit, from their effects in
   * hand, and save it at snapshot points, so explain's first call after an open folds at most one interval.
   * Default true. When false, explain folds the log into the index on its first call (and the events since
   * on later calls), and nothing is saved.
   */
  historyIndex?: boolean;
  /** Labs in the store and events in a new lab (quotas.ts); per-op quotas are the caller's (checkOps). */
  quotas?: Quotas;
  /**
   * This store is one of `count` workers over the same file and owns the labs whose name hashes to `index`
   * (shard.ts): it loads only those, lists every lab from the file, and builds new labs aside.
   */
  shard?: { index: number; count: number };
}

export interface CreateLabInput {
  name: string;
  policy: Policy;
  /** Default 6.12. LabError EOPNOTSUPP for a policy the kernel lacks (iommufd on 6.1). */
  kernel?: Kernel;
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
  /**
   * Replays `exported.ops` into a new lab under `policy ?? exported.policy` and
   * `kernel ?? exported.kernel ?? 6.12`. LabError EEXIST / EINVAL / EOPNOTSUPP.
   */
  importLab(name: string, policy: Policy | undefined, exported: LabExport, kernel?: Kernel): StoredLab;
  /**
   * On a fresh database (never seeded and holding no labs), creates lab `seed` from `seed-story` under
   * `shared`. Idempotent; a deleted seed is not recreated. Returns the seed lab, or null when there is none.
   */
  ensureSeedLab(): StoredLab | null;
  close(): void;
}
