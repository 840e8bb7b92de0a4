// openLabStore: the labs of one SQLite file, each a live core rebuilt at open from its latest snapshot
// plus later events. Creating, forking and importing a lab are one transaction each.
import {
  abiVersion,
  DEFAULT_KERNEL,
  type Kernel,
  Lab,
  LabError,
  type Op,
  type Policy,
} from '@ioasid-lab/core';
import { checkKernel, checkName, checkPolicy } from './checks.ts';
import { toRow } from './codec.ts';
import { openDatabase } from './database.ts';
import { EventLog, type LabRow } from './event-log.ts';
import { LiveLab, type LiveLabContext } from './live-lab.ts';
import { checkEventCount, checkLabCount } from './quotas.ts';
import { buildThenCopy, shardOf, summaryOfRow } from './shard.ts';
import {
  type CreateLabInput,
  type LabExport,
  type LabStore,
  type LabSummary,
  type OpenLabStoreOptions,
  type StoredLab,
  TEMPLATES,
  type Template,
} from './store-types.ts';
import { templateOps } from './templates.ts';

/**
 * Snapshot every N events. Measured by bench/run.ts (see the package note): restoring a snapshot costs
 * about as much as replaying a few hundred ops, and a snapshot write amortised over 500 appends costs
 * under 1% of them, while state(at) replays at most 499 ops. A lab whose state is large snapshots less
 * often (snapshot-interval.ts).
 */
export const SNAPSHOT_EVERY = 500;

/** Ops per core batch when a fork or import replays a long history into a new lab. */
const CREATE_CHUNK = 1000;

const SEEDED = 'seeded';
/** The core ABI (and rules) whose results the stored events and snapshots hold. */
const CORE_ABI = 'core.abi';

/** How long a store waits for another process or shard that is deriving the results (see bringToCore). */
const REDERIVE_WAIT_MS = 10 * 60_000;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Derives the stored results again when the file was written by another core ABI (see rederive). Shards
 * and servers may open one file together: the write lock is taken before the ABI is read again, so one of
 * them does the work and the others, waiting for the lock (past busy_timeout if it takes long), find it
 * done.
 */
function bringToCore(log: EventLog): void {
  const abi = String(abiVersion());
  const deadline = Date.now() + REDERIVE_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (log.getMeta(CORE_ABI) !== abi) {
    try {
      log.immediate(() => {
        if (log.getMeta(CORE_ABI) === abi) return;
        rederive(log, log.labs());
        log.setMeta(CORE_ABI, abi);
      });
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 50);
    }
  }
}

/** Events re-derived per read when a store written by another core is opened. */
const REDERIVE_CHUNK = 5000;

/**
 * The log keeps each op as given and the result the core answered. A core with other rules (another ABI,
 * e.g. before kernel profiles) answers differently: its snapshots are dropped and each lab's results are
 * derived again by replaying its inputs under the lab's policy and kernel, in one transaction, so events,
 * live state and explain agree with the running core. Inputs and seqs never change; rolled-back atomic
 * attempts stay as recorded (their batch's other ops were never logged).
 */
function rederive(log: EventLog, labs: LabRow[]): number {
  let changed = 0;
  log.dropSnapshots();
  for (const row of labs) {
    const core = Lab.create(row.policy as Policy, undefined, checkKernel(row.kernel));
    try {
      const last = log.lastSeq(row.id);
      for (let after = 0; after < last; after += REDERIVE_CHUNK) {
        const rows = log.eventsBetween(row.id, after, after + REDERIVE_CHUNK).filter((r) => r.aborted === 0);
        const ops = rows.map((r) => JSON.parse(r.op) as Op);
        const results = core.applyBatch(ops);
        rows.forEach((r, i) => {
          const result = results[i];
          if (!result) throw new Error(`replaying lab ${row.name} lost the result of event ${r.seq}`);
          const now = toRow(r.seq, r.at, ops[i] as Op, result);
          if (now.errno !== r.errno || now.effects !== r.effects || now.message !== r.message) {
            log.updateResult(row.id, now);
            changed++;
          }
        });
      }
    } finally {
      core.destroy();
    }
  }
  return changed;
}

/** What the store's operations share: the file, its log, the live labs this store serves, and whether it is closed. */
interface StoreScope {
  db: ReturnType<typeof openDatabase>;
  log: EventLog;
  live: Map<string, LiveLab>;
  quotas: NonNullable<OpenLabStoreOptions['quotas']>;
  shard: OpenLabStoreOptions['shard'];
  ctx: LiveLabContext;
  closed: boolean;
}

function openScope(options: OpenLabStoreOptions): StoreScope {
  const db = openDatabase(options.path);
  const log = new EventLog(db.sqlite);
  const scope: StoreScope = {
    db,
    log,
    live: new Map<string, LiveLab>(),
    quotas: options.quotas ?? {},
    shard: options.shard,
    closed: false,
    ctx: {
      log,
      snapshotEvery: Math.max(1, Math.trunc(options.snapshotEvery ?? SNAPSHOT_EVERY)),
      snapshotBytesPerEvent: options.snapshotBytesPerEvent,
      counterfactualShadows: options.counterfactualShadows ?? true,
      historyIndex: options.historyIndex ?? true,
      createFromOps: (name, policy, kernel, template, ops) =>
        createFromOps(scope, name, policy, kernel, template, ops),
    },
  };
  return scope;
}

/** Whether this store serves the lab: always, unless it is one shard of several. */
function owns(scope: StoreScope, name: string): boolean {
  return !scope.shard || shardOf(name, scope.shard.count) === scope.shard.index;
}

function assertOpen(scope: StoreScope): void {
  if (scope.closed) throw new LabError('EINVAL', 'the lab store is closed');
}

/** The live lab; on a shard, an owned lab another shard created (a fork) is loaded on first use. */
function lookup(scope: StoreScope, name: string): LiveLab | undefined {
  const found = scope.live.get(name);
  if (found || !scope.shard || !owns(scope, name)) return found;
  const row = scope.log.labByName(name);
  if (!row) return undefined;
  const loaded = LiveLab.load(scope.ctx, row);
  scope.live.set(name, loaded);
  return loaded;
}

interface NewLab {
  name: string;
  policy: Policy;
  kernel: Kernel;
  template: Template;
  ops: Op[];
}

/** Creates a lab from its first ops (a template, a fork's or an import's history): checked, then made whole or not at all. */
function createFromOps(
  scope: StoreScope,
  name: string,
  policy: Policy,
  kernel: Kernel,
  template: Template,
  ops: Op[],
): StoredLab {
  assertOpen(scope);
  checkName(name);
  checkPolicy(policy);
  checkKernel(kernel);
  // A policy the kernel lacks (iommufd on 6.1) is refused before the name is taken.
  Lab.create(policy, undefined, kernel).destroy();
  if (scope.live.has(name) || scope.log.labByName(name)) throw new LabError('EEXIST', `lab ${name} exists`);
  checkEventCount(scope.quotas, name, 0, ops.length);
  const lab = { name, policy, kernel, template, ops };
  if (scope.shard) return createOnShard(scope, lab);
  checkLabCount(scope.quotas, scope.live.size);
  return createInTransaction(scope, lab);
}

/** Built aside, then copied in one short transaction (shard.ts); kept only by the shard that owns it. */
function createOnShard(scope: StoreScope, lab: NewLab): StoredLab {
  const created = LiveLab.load(scope.ctx, buildThenCopy(scope.log, scope.ctx, scope.quotas, lab));
  if (owns(scope, lab.name)) scope.live.set(lab.name, created);
  else created.close();
  return created;
}

/** One transaction: a lab never exists without the events its template or source promised. */
function createInTransaction(scope: StoreScope, { name, policy, kernel, template, ops }: NewLab): StoredLab {
  const { log } = scope;
  const made: { lab?: LiveLab } = {};
  try {
    log.transaction(() => {
      log.insertLab(name, policy, kernel, template, Date.now());
      const row = log.labByName(name);
      if (!row) throw new Error(`lab ${name} vanished inside its own transaction`);
      made.lab = LiveLab.load(scope.ctx, row);
      // Chunks bound the core's batch buffer; the surrounding transaction still makes it all-or-nothing.
      for (let i = 0; i < ops.length; i += CREATE_CHUNK) made.lab.applyBatch(ops.slice(i, i + CREATE_CHUNK));
    });
  } catch (error) {
    made.lab?.close();
    throw error;
  }
  const lab = made.lab as LiveLab;
  scope.live.set(name, lab);
  return lab;
}

function listLabs(scope: StoreScope): LabSummary[] {
  assertOpen(scope);
  const { log, live } = scope;
  if (scope.shard) return log.labs().map((row) => live.get(row.name)?.summary() ?? summaryOfRow(log, row));
  return [...live.values()].map((lab) => lab.summary());
}

function getLab(scope: StoreScope, name: string): LiveLab {
  assertOpen(scope);
  const lab = lookup(scope, name);
  if (!lab) throw new LabError('ENOENT', `no lab named ${name}`);
  return lab;
}

function deleteLab(scope: StoreScope, name: string): void {
  const lab = getLab(scope, name);
  scope.log.deleteLab(lab.id);
  scope.live.delete(name);
  lab.close();
}

function importLab(
  scope: StoreScope,
  name: string,
  policy: Policy | undefined,
  exported: LabExport,
  kernel?: Kernel,
): StoredLab {
  if (exported?.format !== 'ioasid-lab/v1' || !Array.isArray(exported.ops)) {
    throw new LabError('EINVAL', 'export must be { format: "ioasid-lab/v1", policy, ops: [...] }');
  }
  const chosen = checkPolicy(policy ?? exported.policy);
  const profile = checkKernel(kernel ?? exported.kernel ?? DEFAULT_KERNEL);
  return createFromOps(scope, name, chosen, profile, 'empty', exported.ops);
}

function ensureSeedLab(scope: StoreScope, store: LabStore): StoredLab | null {
  assertOpen(scope);
  const { log } = scope;
  if (log.getMeta(SEEDED)) return lookup(scope, 'seed') ?? null;
  // A fresh install gets the seed once; a user who deletes it does not get it back at restart, and a
  // database that already holds labs (made before this flag existed) is not fresh.
  const fresh = scope.shard ? log.labs().length === 0 : scope.live.size === 0;
  const seed =
    lookup(scope, 'seed') ??
    (fresh ? store.createLab({ name: 'seed', policy: 'shared', template: 'seed-story' }) : null);
  log.setMeta(SEEDED, new Date().toISOString());
  return seed;
}

function closeStore(scope: StoreScope): void {
  if (scope.closed) return;
  scope.closed = true;
  for (const lab of scope.live.values()) lab.close();
  scope.live.clear();
  scope.db.close();
}

export function openLabStore(options: OpenLabStoreOptions = {}): LabStore {
  const scope = openScope(options);
  bringToCore(scope.log);
  for (const row of scope.log.labs())
    if (owns(scope, row.name)) scope.live.set(row.name, LiveLab.load(scope.ctx, row));

  const store: LabStore = {
    listLabs: () => listLabs(scope),
    hasLab(name: string): boolean {
      return scope.live.has(name) || (scope.shard !== undefined && scope.log.labByName(name) !== undefined);
    },
    createLab(input: CreateLabInput): StoredLab {
      const template = input.template ?? 'empty';
      if (!TEMPLATES.includes(template)) {
        throw new LabError('EINVAL', `template must be one of ${TEMPLATES.join(', ')}`);
      }
      const kernel = checkKernel(input.kernel ?? DEFAULT_KERNEL);
      return createFromOps(
        scope,
        input.name,
        checkPolicy(input.policy),
        kernel,
        template,
        templateOps(template),
      );
    },
    getLab: (name) => getLab(scope, name),
    deleteLab: (name) => deleteLab(scope, name),
    importLab: (name, policy, exported, kernel) => importLab(scope, name, policy, exported, kernel),
    ensureSeedLab: () => ensureSeedLab(scope, store),
    close: () => closeStore(scope),
  };
  return store;
}
