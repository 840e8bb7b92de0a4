// A live lab: one core instance kept in step with its durable event log, plus the read-side replays
// (past states, counterfactual shadows) that explain, compare and fork are built on.
import {
  type CoreState,
  type Effect,
  type EncodedOps,
  KERNELS,
  type Kernel,
  Lab,
  LabError,
  type LeafPage,
  type Op,
  type OpName,
  type OpResult,
  POLICIES,
  type Policy,
  type U64Input,
} from '@ioasid-lab/core';
import { type EventRow, eventOf, opNameOf, toEvent, toRow, withoutClient } from './codec.ts';
import { compareReplays } from './compare.ts';
import type { EventLog, LabRow, ShadowSave } from './event-log.ts';
import { explainVm, explainVms, type VmExplainInput } from './explain.ts';
import { HISTORY_FRAGMENTS, type HistoryView, LabHistory } from './history-index.ts';
import { replayKernel } from './kernels.ts';
import { parseOps, replayApplied, replayInto, restoreOrNull, withCore } from './replay.ts';
import { snapshotInterval } from './snapshot-interval.ts';
import type {
  BatchOptions,
  Comparison,
  EventListener,
  Explanation,
  LabExport,
  LabState,
  LabSummary,
  StoredEvent,
  StoredLab,
  Template,
  VmExplanation,
} from './store-types.ts';

export interface LiveLabContext {
  log: EventLog;
  snapshotEvery: number;
  /** Snapshot bytes allowed per event before the interval stretches (default SNAPSHOT_BYTES_PER_EVENT). */
  snapshotBytesPerEvent?: number;
  counterfactualShadows: boolean;
  /**
   * Keep the history index up to date as events commit and save it at snapshot points (default true).
   * When false, explain folds the log into it on its first call and after (the store's option).
   */
  historyIndex?: boolean;
  /** Creates a new lab in the store from ops (fork, import). */
  createFromOps(name: string, policy: Policy, kernel: Kernel, template: Template, ops: Op[]): StoredLab;
}

/** A replay of this lab's inputs under another policy or kernel, advanced lazily as the lab grows. */
interface Shadow {
  core: Lab;
  seq: number;
  refused: number;
}

const MAX_EVENTS_PAGE = 10_000;
/** Explanations kept per lab (the latest few (a, b, seq) asked). */
const EXPLAIN_CACHE = 8;

/**
 * Shadows are first saved once this many snapshot intervals of inputs are pending (10,000 inputs at the
 * default interval), so labs shorter than that never pay for them.
 */
const SHADOW_LAG_INTERVALS = 20;

/**
 * After their first save, shadows are saved again every this many intervals (2,000 inputs): the same
 * replays on the write path in smaller steps, and a counterfactual after an open replays at most that many
 * inputs per policy (a few ms each) instead of up to 10,000.
 */
const SHADOW_STEP_INTERVALS = 4;

/** A new core, or null when the kernel profile lacks the policy (iommufd on 6.1). */
function createOrNull(policy: Policy, kernel: Kernel): Lab | null {
  try {
    return Lab.create(policy, undefined, kernel);
  } catch (error) {
    if (error instanceof LabError && error.code === 'EOPNOTSUPP') return null;
    throw error;
  }
}

function refusal(error: unknown): OpResult {
  // Ops the core rejects before applying (malformed input) are refusals like any other: recorded, no change.
  if (error instanceof LabError) {
    return { ok: false, errno: error.errno, code: error.code, message: error.message, effects: [] };
  }
  throw error;
}

export class LiveLab implements StoredLab {
  readonly name: string;
  readonly policy: Policy;
  readonly kernel: Kernel;
  readonly template: Template;
  readonly createdAt: string;
  readonly id: number;
  #ctx: LiveLabContext;
  #core: Lab;
  #seq: number;
  #listeners = new Set<EventListener>();
  /** Keyed by `${policy}@${kernel}`; null when that kernel lacks the policy. */
  #shadows = new Map<string, Shadow | null>();
  #savedShadowSeq = new Map<string, number>();
  #explained = new Map<string, Explanation | VmExplanation>();
  /** Every VM's history folded up to its seq; undefined until read or built (history-index.ts). */
  #history: LabHistory | undefined;
  #closed = false;
  /** How many of this lab's inputs were refused, as of `seq`: counted over the log once, then kept up. */
  #refused: { seq: number; count: number } | undefined;
  /** Events between snapshots: the store's `snapshotEvery`, stretched by the last snapshot's size. */
  #snapshotInterval: number;

  private constructor(ctx: LiveLabContext, row: LabRow, core: Lab, seq: number) {
    this.#ctx = ctx;
    this.id = row.id;
    this.name = row.name;
    this.policy = row.policy as Policy;
    this.kernel = row.kernel as Kernel;
    this.template = row.template as Template;
    this.createdAt = new Date(row.createdAt).toISOString();
    this.#core = core;
    this.#seq = seq;
    this.#snapshotInterval = ctx.snapshotEvery;
  }

  /** Rebuilds the live core from the latest snapshot plus the applied events after it. */
  static load(ctx: LiveLabContext, row: LabRow): LiveLab {
    const seq = ctx.log.lastSeq(row.id);
    const core = LiveLab.#rebuild(ctx.log, row.id, row.policy as Policy, row.kernel as Kernel, seq);
    const lab = new LiveLab(ctx, row, core, seq);
    lab.#openHistory();
    return lab;
  }

  /**
   * The history index as last saved, extended by the events after it (at most a snapshot interval); none
   * when the lab has events but no saved index (a file from before the index, a replica's mirror): explain
   * then folds the whole log on its first call, and saves the result.
   */
  #openHistory(): void {
    if (this.#ctx.historyIndex === false) return;
    try {
      const history =
        this.#seq === 0 ? new LabHistory() : LabHistory.fromRows(this.#ctx.log.historyRows(this.id));
      if (!history || history.seq > this.#seq) return;
      if (history.seq < this.#seq) this.#catchUp(history);
      this.#history = history;
    } catch {
      // Derived data: an index that cannot be read is folded again from the log when explain needs it.
    }
  }

  /** Folds the applied events after the index's seq, read from the log. */
  #catchUp(history: LabHistory): void {
    const rows = this.#ctx.log.effectsMentioning(this.id, history.seq, this.#seq, HISTORY_FRAGMENTS);
    for (const [seq, effects] of rows) history.fold(seq, JSON.parse(effects) as Effect[]);
    history.seq = this.#seq;
  }

  /** Extends the history index by just-committed events from their decoded effects: no log read, no parse. */
  #foldCommitted(first: number, results: readonly OpResult[]): void {
    const history = this.#history;
    if (!history || history.seq !== first - 1 || this.#ctx.historyIndex === false) return;
    try {
      results.forEach((result, i) => {
        if (result.ok) history.fold(first + i, result.effects);
      });
      history.seq = first + results.length - 1;
    } catch {
      // The events are committed; an index that failed to take them is folded again when explain needs it.
      this.#history = undefined;
    }
  }

  /** The history index when it is kept and up to date with the log (what a save may write). */
  #historyToSave(): LabHistory | undefined {
    const history = this.#history;
    if (!history || history.seq !== this.#seq || this.#ctx.historyIndex === false) return undefined;
    return history;
  }

  /** Saves the history index (the VM histories changed since its last save) when it is up to date. */
  #saveHistory(): void {
    const history = this.#historyToSave();
    if (!history) return;
    try {
      this.#ctx.log.saveHistory(this.id, history.toSave());
      history.saved();
    } catch {
      // Derived data, like snapshots: a missing save costs a longer fold at the next open.
    }
  }

  static #rebuild(log: EventLog, labId: number, policy: Policy, kernel: Kernel, at: number): Lab {
    const snapshot = log.snapshotAtOrBefore(labId, at);
    let core = snapshot ? restoreOrNull(snapshot.state) : null;
    if (core && (core.policy !== policy || core.kernel !== kernel)) {
      core.destroy();
      core = null;
    }
    // A snapshot the core cannot read (another core version wrote it) only costs a longer replay.
    const from = core ? (snapshot?.seq ?? 0) : 0;
    core ??= Lab.create(policy, undefined, kernel);
    try {
      replayApplied(core, parseOps(log.okOpsBetween(labId, from, at)), from);
    } catch (error) {
      core.destroy();
      throw error;
    }
    return core;
  }

  get seq(): number {
    return this.#seq;
  }

  summary(): LabSummary {
    return {
      name: this.name,
      policy: this.policy,
      kernel: this.kernel,
      template: this.template,
      events: this.#seq,
      createdAt: this.createdAt,
    };
  }

  apply(op: Op): StoredEvent {
    this.#assertOpen();
    let result: OpResult;
    try {
      result = this.#core.apply(op);
    } catch (error) {
      result = refusal(error);
    }
    const [event] = this.#commit([op], [result], false);
    return event as StoredEvent;
  }

  applyBatch(ops: Op[], options: BatchOptions = {}): StoredEvent[] {
    this.#assertOpen();
    if (ops.length === 0) return [];
    let results: OpResult[];
    let encoded: EncodedOps;
    try {
      // Encoded once: the shadows that take these ops as they commit run the same records.
      encoded = Lab.encodeOps(ops);
      results = this.#core.applyEncoded(encoded, { atomic: options.atomic ?? false });
    } catch (error) {
      // The core validates a whole batch before it applies any of it, so a thrown batch changed nothing:
      // apply op by op to record each one's fate (atomic: only the first refusal, as below).
      if (!(error instanceof LabError)) throw error;
      if (options.atomic) return this.#commitAtomicRefusal(ops, 0, refusal(error));
      return this.#commit(
        ops,
        ops.map((op) => this.#applyOne(op)),
        false,
      );
    }
    const last = results[results.length - 1];
    if (options.atomic && last && !last.ok) return this.#commitAtomicRefusal(ops, results.length - 1, last);
    if (results.length === ops.length) return this.#commit(ops, results, false, encoded);
    return this.#commit(ops.slice(0, results.length), results, false);
  }

  #applyOne(op: Op): OpResult {
    try {
      return this.#core.apply(op);
    } catch (error) {
      return refusal(error);
    }
  }

  /** An atomic batch was rolled back: the log keeps only the refused attempt, flagged aborted. */
  #commitAtomicRefusal(ops: Op[], index: number, result: OpResult): StoredEvent[] {
    return this.#commit([ops[index] as Op], [result], true);
  }

  /** `encoded`: the ops as the core ran them (Lab.encodeOps), when there is one record per op. */
  #commit(ops: Op[], results: OpResult[], aborted: boolean, encoded?: EncodedOps): StoredEvent[] {
    const at = Date.now();
    const first = this.#seq + 1;
    const rows: EventRow[] = ops.map((op, i) => toRow(first + i, at, op, results[i] as OpResult, aborted));
    try {
      this.#ctx.log.append(this.id, rows);
    } catch (error) {
      // The core already moved; the log did not. Put the core back where the log is, then report.
      this.#core.destroy();
      this.#core = LiveLab.#rebuild(this.#ctx.log, this.id, this.policy, this.kernel, this.#seq);
      throw error;
    }
    const previous = this.#seq;
    this.#seq = first + rows.length - 1;
    this.#foldCommitted(first, results);
    // An aborted attempt is not an input (the log flags it; replays skip it).
    if (!aborted) this.#advanceShadows(ops, previous, encoded);
    if (this.#refused?.seq === previous) {
      const refused = rows.filter((r) => r.errno !== 0 && r.aborted === 0).length;
      this.#refused = { seq: this.#seq, count: this.#refused.count + refused };
    }
    this.#maybeSnapshot(previous);
    const iso = new Date(at).toISOString();
    const events = rows.map((row, i) => eventOf(row, ops[i] as Op, results[i] as OpResult, iso));
    for (const listener of this.#listeners) {
      try {
        listener(events);
      } catch {
        // A broken subscriber must not fail an op that is already durable.
      }
    }
    return events;
  }

  /**
   * Events another writer committed to a shared log (a replica of the PostgreSQL store): appended to this
   * lab's log and their applied ops replayed into the live core, as if they had been applied here.
   * `rows` continue this lab's seq without a gap. After a throw the lab must be closed and loaded again.
   */
  ingest(rows: readonly EventRow[]): StoredEvent[] {
    this.#assertOpen();
    if (rows.length === 0) return [];
    rows.forEach((row, i) => {
      if (row.seq !== this.#seq + 1 + i) {
        throw new Error(`lab ${this.name}: event ${row.seq} does not follow seq ${this.#seq + i}`);
      }
    });
    const previous = this.#seq;
    this.#ctx.log.append(this.id, [...rows]);
    // A refusal here means the core is not deterministic: the caller discards this lab and reloads it.
    replayApplied(this.#core, parseOps(rows.filter((row) => row.errno === 0).map((row) => row.op)), previous);
    this.#seq = rows.at(-1)?.seq ?? previous;
    this.#maybeSnapshot(previous);
    const events = rows.map(toEvent);
    for (const listener of this.#listeners) {
      try {
        listener(events);
      } catch {
        // as in #commit
      }
    }
    return events;
  }

  /**
   * At snapshot points, also brings the counterfactual shadows (this lab's inputs under each other policy)
   * up to date and snapshots them, once SHADOW_LAG_INTERVALS intervals of inputs are pending for the first
   * save and SHADOW_STEP_INTERVALS after it: explain and compare then replay a bounded tail, and short labs
   * never pay.
   */
  #maybeSnapshot(previous: number): void {
    const every = this.#snapshotInterval;
    if (Math.floor(previous / every) === Math.floor(this.#seq / every)) return;
    let written = 0;
    try {
      // The history index changed since the last save and the shadows due go in the snapshot's commit
      // (one fsync for all).
      const history = this.#historyToSave();
      const state = this.#core.serialize();
      const shadows = this.#ctx.counterfactualShadows ? this.#dueShadows() : [];
      this.#ctx.log.saveSnapshot(this.id, this.#seq, state, history?.toSave(), shadows);
      history?.saved();
      written = state.length;
      for (const shadow of shadows) {
        this.#savedShadowSeq.set(`${shadow.policy}@${shadow.kernel}`, shadow.seq);
        written += shadow.state.length;
      }
    } catch {
      // Snapshots are derived data: the events are committed, and a missing snapshot only costs replay.
    }
    // Everything this point wrote counts against the byte budget: shadows are snapshots too.
    if (written > 0) {
      const { snapshotEvery, snapshotBytesPerEvent } = this.#ctx;
      this.#snapshotInterval = snapshotInterval(snapshotEvery, written, snapshotBytesPerEvent);
    }
  }

  /** The shadows whose inputs pending since their last save reached their lag, serialized to be saved. */
  #dueShadows(): ShadowSave[] {
    const due: ShadowSave[] = [];
    try {
      for (const [policy, kernel] of this.#explainedReplays()) {
        const key = `${policy}@${kernel}`;
        let saved = this.#savedShadowSeq.get(key);
        if (saved === undefined) {
          saved = this.#ctx.log.shadowSeqAtOrBefore(this.id, policy, kernel, this.#seq);
          this.#savedShadowSeq.set(key, saved);
        }
        const lag = saved === 0 ? SHADOW_LAG_INTERVALS : SHADOW_STEP_INTERVALS;
        if (this.#seq - saved < this.#ctx.snapshotEvery * lag) continue;
        const shadow = this.#shadow(policy, kernel);
        if (!shadow) continue;
        due.push({
          policy,
          kernel,
          seq: shadow.seq,
          refused: shadow.refused,
          state: shadow.core.serialize(),
        });
      }
    } catch {
      // A shadow that cannot be brought up to date is left for the next point; the lab's snapshot still goes.
    }
    return due;
  }

  /**
   * Shadows already in memory and current take the committed inputs as they commit, a few ops at a time,
   * instead of replaying the log's last few thousand at the next snapshot point (each read back and parsed
   * once per shadow, in one stall of the write path). One that is behind, or fails here, is caught up from
   * the log when next needed (#shadow), as before.
   */
  #advanceShadows(ops: Op[], previous: number, encoded?: EncodedOps): void {
    for (const [key, shadow] of this.#shadows) {
      if (!shadow || shadow.seq !== previous) continue;
      try {
        shadow.refused +=
          encoded && ops.length > 1 ? shadow.core.countRefused(encoded) : replayInto(shadow.core, ops);
        shadow.seq = this.#seq;
      } catch {
        shadow.core.destroy();
        this.#shadows.delete(key);
      }
    }
  }

  /**
   * The replays explain reads: every other policy under this kernel, this policy under every other kernel
   * whose rules for it differ from this one's (the others are this lab's own replay).
   */
  #explainedReplays(): [Policy, Kernel][] {
    const kernels = new Set(KERNELS.map((k) => replayKernel(this.policy, k, this.kernel)));
    kernels.delete(this.kernel);
    return [
      ...POLICIES.filter((p) => p !== this.policy).map((p): [Policy, Kernel] => [p, this.kernel]),
      ...[...kernels].map((k): [Policy, Kernel] => [this.policy, k]),
    ];
  }

  /**
   * The shadow of `policy` under `kernel`, advanced to the live seq (from its latest snapshot when first
   * needed); null when that kernel lacks the policy.
   */
  #shadow(policy: Policy, kernel: Kernel): Shadow | null {
    const key = `${policy}@${kernel}`;
    let shadow = this.#shadows.get(key);
    if (shadow === null) return null;
    if (!shadow) {
      const saved = this.#ctx.counterfactualShadows
        ? this.#ctx.log.shadowAtOrBefore(this.id, policy, kernel, this.#seq)
        : undefined;
      let restored = saved ? restoreOrNull(saved.state) : null;
      if (restored && (restored.policy !== policy || restored.kernel !== kernel)) {
        restored.destroy();
        restored = null;
      }
      if (saved && restored) {
        shadow = { core: restored, seq: saved.seq, refused: saved.refused };
      } else {
        const core = createOrNull(policy, kernel);
        shadow = core ? { core, seq: 0, refused: 0 } : null;
      }
      this.#shadows.set(key, shadow);
      if (!shadow) return null;
    }
    if (shadow.seq < this.#seq) {
      const ops = parseOps(this.#ctx.log.inputsBetween(this.id, shadow.seq, this.#seq));
      shadow.refused += replayInto(shadow.core, ops);
      shadow.seq = this.#seq;
    }
    return shadow;
  }

  state(at?: number): LabState {
    this.#assertOpen();
    const seq = this.#checkAt(at);
    if (seq === this.#seq) return { seq, ...this.#core.state() };
    return withCore(this.#coreAt(seq), (core) => ({ seq, ...core.state() }));
  }

  #refusedNow(): number {
    if (this.#refused?.seq !== this.#seq) {
      this.#refused = { seq: this.#seq, count: this.#ctx.log.refusedCount(this.id) };
    }
    return this.#refused.count;
  }

  /** A scratch core at `seq` (caller destroys it). */
  #coreAt(seq: number): Lab {
    if (seq === this.#seq) return Lab.restore(this.#core.serialize());
    return LiveLab.#rebuild(this.#ctx.log, this.id, this.policy, this.kernel, seq);
  }

  #checkAt(at: number | undefined): number {
    if (at === undefined) return this.#seq;
    if (!Number.isInteger(at) || at < 0 || at > this.#seq) {
      throw new LabError('ERANGE', `seq ${at} is outside this lab's history 0..${this.#seq}`);
    }
    return at;
  }

  events(after = 0, limit = 100): StoredEvent[] {
    const bounded = Math.max(0, Math.min(Math.trunc(limit), MAX_EVENTS_PAGE));
    return this.#ctx.log.events(this.id, Math.max(0, Math.trunc(after)), bounded).map(toEvent);
  }

  /** The lab's inputs up to `at`: refused ones included, rolled-back atomic attempts not. */
  inputs(at: number = this.#seq): Op[] {
    // Who asked for each op is history, not input: exports and forks carry the ops alone.
    return parseOps(this.#ctx.log.inputsBetween(this.id, 0, at)).map(withoutClient);
  }

  /**
   * The final state of this lab's inputs replayed under `policy` and `kernel` (default: the lab's), and how
   * many of them were refused; null when that kernel lacks the policy.
   */
  replayUnder(policy: Policy, wanted: Kernel = this.kernel): { state: CoreState; refused: number } | null {
    this.#assertOpen();
    // A profile that reads the same rules for this policy as another replays identically (kernels.ts).
    const kernel = replayKernel(policy, wanted, this.kernel);
    if (policy === this.policy && kernel === this.kernel) {
      return { state: this.#core.state(), refused: this.#refusedNow() };
    }
    const shadow = this.#shadow(policy, kernel);
    return shadow ? { state: shadow.core.state(), refused: shadow.refused } : null;
  }

  /**
   * The history index for explain, read for `a` and `b` against `state`: up to date already when the lab
   * keeps it as events commit, else extended from the log first (built from event 1 when there is none).
   */
  #historyFor(a: string, b: string, state: CoreState): HistoryView {
    const history = this.#history ?? new LabHistory();
    const from = history.seq;
    if (from < this.#seq) {
      try {
        this.#catchUp(history);
      } catch (error) {
        this.#history = undefined;
        throw error;
      }
    }
    this.#history = history;
    // A long fold (a file saved before the index existed) is saved, so the next open does not repeat it.
    if (this.#seq - from >= this.#ctx.snapshotEvery) this.#saveHistory();
    return history.view(state, a === b ? [a] : [a, b]);
  }

  explain(a: string, b: string): Explanation;
  explain(a: string, b?: string): Explanation | VmExplanation;
  explain(a: string, b?: string): Explanation | VmExplanation {
    this.#assertOpen();
    // Every viewer of a lab asks again each time its seq moves; one answer per (a, b, seq) serves them all.
    const key = JSON.stringify([a, b, this.#seq]);
    const cached = this.#explained.get(key);
    if (cached) return structuredClone(cached);
    const answer = this.#explainNow(a, b);
    this.#explained.set(key, answer);
    if (this.#explained.size > EXPLAIN_CACHE) {
      const oldest = this.#explained.keys().next().value;
      if (oldest !== undefined) this.#explained.delete(oldest);
    }
    return structuredClone(answer);
  }

  #explainNow(a: string, b: string | undefined): Explanation | VmExplanation {
    const state = this.#core.state();
    const replays = new Map<string, { state: CoreState; refused: number } | null>([
      [`${this.policy}@${this.kernel}`, { state, refused: this.#refusedNow() }],
    ]);
    const input: VmExplainInput = {
      a,
      policy: this.policy,
      kernel: this.kernel,
      seq: this.#seq,
      state,
      history: (a: string, b: string) => this.#historyFor(a, b, state),
      opNames: (seqs: number[]) => {
        const names = new Map<number, OpName>();
        for (const [seq, json] of this.#ctx.log.opsAt(this.id, seqs)) names.set(seq, opNameOf(json));
        return names;
      },
      scratch: () => Lab.restore(this.#core.serialize()),
      // One explain reads a replay once, however many profiles it stands for (kernels.ts).
      replayUnder: (policy: Policy, kernel: Kernel = this.kernel) => {
        const key = `${policy}@${replayKernel(policy, kernel, this.kernel)}`;
        if (!replays.has(key)) replays.set(key, this.replayUnder(policy, kernel));
        return replays.get(key) ?? null;
      },
    };
    return b === undefined ? explainVm(input) : explainVms({ ...input, b });
  }

  compare(policies: Policy[] = [...POLICIES], kernels: Kernel[] = [this.kernel]): Comparison {
    this.#assertOpen();
    const rows = [];
    for (const policy of policies) {
      for (const kernel of kernels) {
        const replay = this.replayUnder(policy, kernel);
        if (replay) rows.push({ policy, kernel, ...replay });
      }
    }
    return compareReplays(this.#seq, rows);
  }

  fork(name: string, policy: Policy = this.policy, at?: number, kernel: Kernel = this.kernel): StoredLab {
    this.#assertOpen();
    const seq = this.#checkAt(at);
    return this.#ctx.createFromOps(name, policy, kernel, 'empty', this.inputs(seq));
  }

  export(): LabExport {
    this.#assertOpen();
    const { name, policy, kernel } = this;
    return { format: 'ioasid-lab/v1', name, policy, kernel, ops: this.inputs() };
  }

  pagetable(
    hwpt: number,
    range?: { iova?: U64Input; length?: U64Input; limit?: number },
    at?: number,
  ): LeafPage {
    this.#assertOpen();
    const seq = this.#checkAt(at);
    if (seq === this.#seq) return this.#core.pagetable(hwpt, range);
    return withCore(this.#coreAt(seq), (core) => core.pagetable(hwpt, range));
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Frees the native cores; the lab object must not be used afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#core.destroy();
    for (const shadow of this.#shadows.values()) shadow?.core.destroy();
    this.#shadows.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new LabError('ENOENT', `lab ${this.name} was deleted or its store closed`);
  }
}
