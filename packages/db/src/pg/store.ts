// The event store on PostgreSQL (LAB_DB=postgres://…), for any number of server replicas sharing one
// database. PostgreSQL holds the truth: labs, every event, snapshots. Each replica keeps, per lab it
// serves, a live core and a local copy of the lab's log (a scratch SQLite file), filled from PostgreSQL by
// seq, so every read (state at a seq, events, explain, compare, page tables) runs the same code as the
// embedded store. A write locks the lab's row (SELECT … FOR UPDATE) in its transaction, brings this
// replica's core up to the lab's last seq by replaying the events it has not seen, applies the op, appends
// the events with the next seqs, NOTIFYs, and commits before it answers.
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_KERNEL, type Kernel, Lab, LabError, type Op, type Policy } from '@ioasid-lab/core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { checkKernel, checkName, checkPolicy } from '../checks.ts';
import type { EventRow } from '../codec.ts';
import { openDatabase } from '../database.ts';
import { EventLog, type LabRow } from '../event-log.ts';
import { LiveLab, type LiveLabContext } from '../live-lab.ts';
import { checkEventCount, checkLabCount, checkOps, type Quotas } from '../quotas.ts';
import { SNAPSHOT_EVERY } from '../store.ts';
import type {
  BatchOptions,
  CreateLabInput,
  LabExport,
  LabSummary,
  StoredEvent,
  Template,
} from '../store-types.ts';
import { TEMPLATES } from '../store-types.ts';
import { templateOps } from '../templates.ts';
import * as schema from './schema.ts';

const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'drizzle-pg');

/** The channel every commit is announced on: payload `<lab id>:<last seq>:<lab name>`. */
export const EVENTS_CHANNEL = 'ioasid_lab_events';

const SEEDED = 'seeded';
/**
 * Ops per core batch and per INSERT when a create, fork or import replays a long history: small enough that
 * other labs' calls in this replica wait a few milliseconds between two of them.
 */
const CREATE_CHUNK = 250;
/** Events per SELECT when a replica catches a lab up from the table. */
const FETCH_CHUNK = 5000;
/** Serialises lab creation across replicas so the labs quota counts exactly. */
const CREATE_LOCK = 0x10a5_1ab5;

export interface OpenPgLabStoreOptions {
  /** postgres://… */
  url: string;
  /** Connections in this store's pool (default 8). */
  poolSize?: number;
  snapshotEvery?: number;
  counterfactualShadows?: boolean;
  quotas?: Quotas;
}

type Listener = (events: StoredEvent[]) => void;

interface Entry {
  live: LiveLab;
}

interface Subscription {
  /** Highest seq handed to the listeners. */
  delivered: number;
  listeners: Set<Listener>;
}

interface PgLabRow {
  id: number;
  name: string;
  policy: string;
  kernel: string;
  template: string;
  created_at: string;
  seq: number;
}

const LAB_COLUMNS =
  'id, name, policy, kernel, template, created_at, (select coalesce(max(seq), 0) from events e where e.lab_id = labs.id)::int as seq';

function toLabRow(row: PgLabRow): LabRow {
  return {
    id: row.id,
    name: row.name,
    policy: row.policy,
    kernel: row.kernel,
    template: row.template,
    createdAt: Number(row.created_at),
  };
}

function summaryOf(row: PgLabRow): LabSummary {
  return {
    name: row.name,
    policy: row.policy as Policy,
    kernel: row.kernel as Kernel,
    template: row.template as Template,
    events: row.seq,
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}

/** PostgreSQL's SQLSTATE of a failed query, if any. */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

const MIRROR_PREFIX = 'ioasid-lab-mirror-';

/** Scratch copies left by replicas that were killed (their process is gone). */
function removeStaleMirrors(): void {
  for (const file of readdirSync(tmpdir())) {
    if (!file.startsWith(MIRROR_PREFIX)) continue;
    const pid = Number(file.slice(MIRROR_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // alive
    } catch (error) {
      if ((error as { code?: string }).code !== 'ESRCH') continue;
    }
    rmSync(join(tmpdir(), file), { force: true });
  }
}

/** Applies the committed migrations of the pg dialect (idempotent; concurrent starters wait on a lock). */
export async function migratePg(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Two replicas starting together must not both create the tables.
    await client.query('select pg_advisory_lock($1)', [CREATE_LOCK + 1]);
    await migrate(drizzle(client, { schema }), { migrationsFolder });
  } finally {
    await client.end();
  }
}

export class PgLabStore {
  readonly pool: pg.Pool;
  readonly #log: EventLog;
  readonly #closeMirror: () => void;
  readonly #ctx: LiveLabContext;
  readonly #quotas: Quotas;
  readonly #labs = new Map<string, Entry>();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #subscriptions = new Map<string, Subscription>();
  #closed = false;

  private constructor(pool: pg.Pool, mirrorPath: string, options: OpenPgLabStoreOptions) {
    this.pool = pool;
    const mirror = openDatabase(mirrorPath, { check: false });
    // A scratch copy: PostgreSQL is the durable one, so no fsyncs here.
    mirror.sqlite.pragma('synchronous = OFF');
    this.#log = new EventLog(mirror.sqlite);
    this.#closeMirror = () => {
      mirror.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${mirrorPath}${suffix}`, { force: true });
    };
    this.#ctx = {
      log: this.#log,
      snapshotEvery: Math.max(1, Math.trunc(options.snapshotEvery ?? SNAPSHOT_EVERY)),
      counterfactualShadows: options.counterfactualShadows ?? true,
      createFromOps: () => {
        throw new Error('a PostgreSQL store creates labs through PgLabStore');
      },
    };
    this.#quotas = options.quotas ?? {};
  }

  /** Migrates the database and opens a store on it (one per replica, or per store worker). */
  static async open(options: OpenPgLabStoreOptions): Promise<PgLabStore> {
    await migratePg(options.url);
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 8 });
    // An idle connection that dies must not crash the process: the next query reconnects.
    pool.on('error', () => undefined);
    removeStaleMirrors();
    const mirrorPath = join(tmpdir(), `${MIRROR_PREFIX}${process.pid}-${randomUUID()}.db`);
    return new PgLabStore(pool, mirrorPath, options);
  }

  #assertOpen(): void {
    if (this.#closed) throw new LabError('EINVAL', 'the lab store is closed');
  }

  /** Runs `fn` after every earlier call on the same lab in this replica has finished. */
  #serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(name, tail);
    void tail.then(() => {
      if (this.#queues.get(name) === tail) this.#queues.delete(name);
    });
    return run;
  }

  async listLabs(): Promise<LabSummary[]> {
    this.#assertOpen();
    const { rows } = await this.pool.query<PgLabRow>(`select ${LAB_COLUMNS} from labs order by id`);
    return rows.map(summaryOf);
  }

  async hasLab(name: string): Promise<boolean> {
    this.#assertOpen();
    const { rowCount } = await this.pool.query('select 1 from labs where name = $1', [name]);
    return (rowCount ?? 0) > 0;
  }

  /** This replica's copy of a lab row, under PostgreSQL's id. */
  #insertLocalLab(row: LabRow): void {
    this.#log.sqlite
      .prepare('insert into labs (id, name, policy, kernel, template, created_at) values (?, ?, ?, ?, ?, ?)')
      .run(row.id, row.name, row.policy, row.kernel, row.template, row.createdAt);
  }

  /** Drops this replica's copy of a lab (the next call loads it again from PostgreSQL). */
  #forget(name: string): void {
    const entry = this.#labs.get(name);
    if (!entry) return;
    this.#labs.delete(name);
    entry.live.close();
    this.#log.deleteLab(entry.live.id);
  }

  /**
   * Brings this replica's copy of the lab in `row` to `row.seq`: loads it when missing (or when the name
   * now belongs to another lab), else replays the events it has not seen. Delivers them to subscribers.
   */
  async #sync(row: PgLabRow, db: pg.Pool | pg.PoolClient): Promise<LiveLab> {
    let entry = this.#labs.get(row.name);
    if (entry && (entry.live.id !== row.id || entry.live.seq > row.seq)) {
      this.#forget(row.name);
      entry = undefined;
    }
    if (!entry) {
      // Local rows of an older lab of that name, or of this id, go first.
      const stale = this.#log.labByName(row.name);
      if (stale) this.#log.deleteLab(stale.id);
      this.#log.deleteLab(row.id);
      this.#insertLocalLab(toLabRow(row));
      // The latest snapshot PostgreSQL has, then every event: reads of the past need the whole log.
      const snap = await db.query<{ seq: number; state: Buffer }>(
        'select seq, state from snapshots where lab_id = $1 and seq <= $2 order by seq desc limit 1',
        [row.id, row.seq],
      );
      for (let after = 0; after < row.seq; after += FETCH_CHUNK) {
        const rows = await this.#fetch(db, row.id, after, Math.min(row.seq, after + FETCH_CHUNK));
        this.#log.append(row.id, rows);
      }
      const snapshot = snap.rows[0];
      if (snapshot) this.#log.saveSnapshot(row.id, snapshot.seq, snapshot.state);
      entry = { live: LiveLab.load(this.#ctx, toLabRow(row)) };
      this.#labs.set(row.name, entry);
    }
    const live = entry.live;
    try {
      while (live.seq < row.seq) {
        const rows = await this.#fetch(db, row.id, live.seq, Math.min(row.seq, live.seq + FETCH_CHUNK));
        if (rows.length === 0) throw new Error(`lab ${row.name}: events after ${live.seq} are missing`);
        live.ingest(rows);
      }
    } catch (error) {
      this.#forget(row.name);
      throw error;
    }
    this.#deliver(row.name, live);
    return live;
  }

  async #fetch(db: pg.Pool | pg.PoolClient, labId: number, after: number, upTo: number): Promise<EventRow[]> {
    const { rows } = await db.query<EventRow & { at: string }>({
      name: 'ioasid-fetch',
      text: 'select seq, at, op, errno, code, message, effects, aborted from events where lab_id = $1 and seq > $2 and seq <= $3 order by seq',
      values: [labId, after, upTo],
    });
    return rows.map((r) => ({ ...r, at: Number(r.at) }));
  }

  async #row(db: pg.Pool | pg.PoolClient, name: string, lock = false): Promise<PgLabRow> {
    // The lock first, then the seq in a statement of its own: under READ COMMITTED a statement that waited
    // for the lock still reads the other rows (the events) as they were when it started.
    if (lock)
      await db.query({
        name: 'ioasid-lock',
        text: 'select 1 from labs where name = $1 for update',
        values: [name],
      });
    const { rows } = await db.query<PgLabRow>({
      name: 'ioasid-lab-row',
      text: `select ${LAB_COLUMNS} from labs where name = $1`,
      values: [name],
    });
    const row = rows[0];
    if (!row) {
      this.#forget(name);
      throw new LabError('ENOENT', `no lab named ${name}`);
    }
    return row;
  }

  /** A read of the lab as PostgreSQL has it now (this replica's copy caught up first). */
  read<T>(name: string, fn: (lab: LiveLab) => T): Promise<T> {
    return this.#serial(name, async () => {
      this.#assertOpen();
      const live = await this.#sync(await this.#row(this.pool, name), this.pool);
      return fn(live);
    });
  }

  /** Catches the lab up (and delivers to subscribers); answers its seq, or 0 when it is gone. */
  refresh(name: string): Promise<number> {
    return this.read(name, (lab) => lab.seq).catch((error) => {
      if (error instanceof LabError && error.code === 'ENOENT') return 0;
      throw error;
    });
  }

  async #insert(client: pg.PoolClient, labId: number, rows: readonly EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await client.query({
      name: 'ioasid-append',
      text:
        'insert into events (lab_id, seq, at, op, errno, code, message, effects, aborted) ' +
        'select $1, * from unnest($2::int[], $3::bigint[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::int[])',
      values: [
        labId,
        rows.map((r) => r.seq),
        rows.map((r) => r.at),
        rows.map((r) => r.op),
        rows.map((r) => r.errno),
        rows.map((r) => r.code),
        rows.map((r) => r.message),
        rows.map((r) => r.effects),
        rows.map((r) => r.aborted),
      ],
    });
  }

  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const value = await fn(client);
      await client.query('commit');
      return value;
    } catch (error) {
      try {
        await client.query('rollback');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * A write: under the lab's row lock, catch up, apply `fn` to the live core (which appends to the local
   * log), copy the new events to PostgreSQL, announce them, commit. Anything failing after the core moved
   * drops this replica's copy, so it reloads from what PostgreSQL committed.
   */
  write<T>(name: string, ops: readonly Op[], fn: (lab: LiveLab) => T): Promise<T> {
    return this.#serial(name, async () => {
      this.#assertOpen();
      let moved = false;
      try {
        const { value, live } = await this.#transaction(async (client) => {
          const row = await this.#row(client, name, true);
          const live = await this.#sync(row, client);
          checkOps(this.#quotas, live, ops);
          const before = live.seq;
          moved = true;
          const value = fn(live);
          const rows = this.#log.eventsBetween(live.id, before, live.seq);
          await this.#insert(client, live.id, rows);
          await client.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, `${live.id}:${live.seq}:${name}`]);
          return { value, live, before };
        });
        this.#deliver(name, live);
        void this.#saveSnapshots(live);
        return value;
      } catch (error) {
        if (moved) this.#forget(name);
        throw error;
      }
    });
  }

  /** Copies this replica's newest snapshot of the lab to PostgreSQL if it has none at that seq (best effort). */
  async #saveSnapshots(live: LiveLab): Promise<void> {
    const snapshot = this.#log.snapshotAtOrBefore(live.id, live.seq);
    if (!snapshot || live.seq - snapshot.seq >= this.#ctx.snapshotEvery) return;
    try {
      await this.pool.query(
        'insert into snapshots (lab_id, seq, state) values ($1, $2, $3) on conflict do nothing',
        [live.id, snapshot.seq, snapshot.state],
      );
    } catch {
      // Derived data: a missing snapshot costs only replay; a lab deleted meanwhile has none.
    }
  }

  apply(name: string, op: Op): Promise<StoredEvent> {
    return this.write(name, [op], (lab) => lab.apply(op));
  }

  applyBatch(name: string, ops: Op[], options: BatchOptions = {}): Promise<StoredEvent[]> {
    return this.write(name, ops, (lab) => lab.applyBatch(ops, options));
  }

  /**
   * A new lab from ops, in one PostgreSQL transaction; applied and inserted in chunks, so other labs'
   * calls in this replica run between them.
   */
  createFromOps(
    name: string,
    policy: Policy,
    kernel: Kernel,
    template: Template,
    ops: Op[],
  ): Promise<LabSummary> {
    return this.#serial(name, async () => {
      this.#assertOpen();
      checkName(name);
      checkPolicy(policy);
      checkKernel(kernel);
      Lab.create(policy, undefined, kernel).destroy();
      checkEventCount(this.#quotas, name, 0, ops.length);
      let live: LiveLab | undefined;
      try {
        const summary = await this.#transaction(async (client) => {
          const taken = await client.query('select 1 from labs where name = $1', [name]);
          if ((taken.rowCount ?? 0) > 0) throw new LabError('EEXIST', `lab ${name} exists`);
          if (this.#quotas.maxLabs !== undefined) {
            // Early and cheap; the exact count is taken before the commit, below.
            const { rows } = await client.query<{ n: number }>('select count(*)::int as n from labs');
            checkLabCount(this.#quotas, rows[0]?.n ?? 0);
          }
          const createdAt = Date.now();
          const { rows } = await client.query<{ id: number }>(
            'insert into labs (name, policy, kernel, template, created_at) values ($1, $2, $3, $4, $5) returning id',
            [name, policy, kernel, template, createdAt],
          );
          const id = rows[0]?.id as number;
          this.#forget(name);
          const stale = this.#log.labByName(name);
          if (stale) this.#log.deleteLab(stale.id);
          const local: LabRow = { id, name, policy, kernel, template, createdAt };
          this.#insertLocalLab(local);
          live = LiveLab.load(this.#ctx, local);
          for (let i = 0; i < ops.length; i += CREATE_CHUNK) {
            const before = live.seq;
            live.applyBatch(ops.slice(i, i + CREATE_CHUNK));
            await this.#insert(client, id, this.#log.eventsBetween(id, before, live.seq));
          }
          if (this.#quotas.maxLabs !== undefined) {
            // Counted last, under a lock held to the commit: creators on every replica pass here one at a
            // time, each seeing the labs committed before it, so a long fork does not hold up other creates.
            await client.query('select pg_advisory_xact_lock($1)', [CREATE_LOCK]);
            const { rows } = await client.query<{ n: number }>('select count(*)::int as n from labs');
            checkLabCount(this.#quotas, (rows[0]?.n ?? 1) - 1);
          }
          return live.summary();
        });
        this.#labs.set(name, { live: live as LiveLab });
        void this.#saveSnapshots(live as LiveLab);
        return summary;
      } catch (error) {
        if (live) {
          live.close();
          this.#log.deleteLab(live.id);
        }
        if (sqlState(error) === '23505') throw new LabError('EEXIST', `lab ${name} exists`);
        throw error;
      }
    });
  }

  createLab(input: CreateLabInput): Promise<LabSummary> {
    const template = input.template ?? 'empty';
    if (!TEMPLATES.includes(template)) {
      return Promise.reject(new LabError('EINVAL', `template must be one of ${TEMPLATES.join(', ')}`));
    }
    try {
      const kernel = checkKernel(input.kernel ?? DEFAULT_KERNEL);
      return this.createFromOps(
        input.name,
        checkPolicy(input.policy),
        kernel,
        template,
        templateOps(template),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  importLab(
    name: string,
    policy: Policy | undefined,
    exported: LabExport,
    kernel?: Kernel,
  ): Promise<LabSummary> {
    try {
      if (exported?.format !== 'ioasid-lab/v1' || !Array.isArray(exported.ops)) {
        throw new LabError('EINVAL', 'export must be { format: "ioasid-lab/v1", policy, ops: [...] }');
      }
      const chosen = checkPolicy(policy ?? exported.policy);
      const profile = checkKernel(kernel ?? exported.kernel ?? DEFAULT_KERNEL);
      return this.createFromOps(name, chosen, profile, 'empty', exported.ops);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async fork(
    source: string,
    name: string,
    policy?: Policy,
    at?: number,
    kernel?: Kernel,
  ): Promise<LabSummary> {
    const from = await this.read(source, (lab) => {
      const seq = at ?? lab.seq;
      if (!Number.isInteger(seq) || seq < 0 || seq > lab.seq) {
        throw new LabError('ERANGE', `seq ${at} is outside this lab's history 0..${lab.seq}`);
      }
      return { id: lab.id, seq, policy: lab.policy, kernel: lab.kernel };
    });
    // The inputs in slices, so other labs' calls in this replica run between them. Events up to `seq`
    // never change; a source deleted meanwhile is ENOENT.
    const ops: Op[] = [];
    for (let after = 0; after < from.seq; after += FETCH_CHUNK) {
      await new Promise((resolve) => setImmediate(resolve));
      const upTo = Math.min(from.seq, after + FETCH_CHUNK);
      const slice = await this.#serial(source, async () => {
        if (this.#labs.get(source)?.live.id !== from.id)
          throw new LabError('ENOENT', `no lab named ${source}`);
        return this.#log.inputsBetween(from.id, after, upTo);
      });
      for (const json of slice) ops.push(JSON.parse(json) as Op);
    }
    return this.createFromOps(name, policy ?? from.policy, kernel ?? from.kernel, 'empty', ops);
  }

  deleteLab(name: string): Promise<void> {
    return this.#serial(name, async () => {
      this.#assertOpen();
      const { rowCount } = await this.pool.query('delete from labs where name = $1', [name]);
      this.#forget(name);
      if (!rowCount) throw new LabError('ENOENT', `no lab named ${name}`);
    });
  }

  /** As LabStore.ensureSeedLab: the seed lab once, on a database that never had labs. */
  async ensureSeedLab(): Promise<LabSummary | null> {
    this.#assertOpen();
    const client = await this.pool.connect();
    let fresh = false;
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock($1)', [CREATE_LOCK]);
      const seeded = await client.query('select 1 from meta where key = $1', [SEEDED]);
      if ((seeded.rowCount ?? 0) === 0) {
        const { rows } = await client.query<{ n: number }>('select count(*)::int as n from labs');
        fresh = (rows[0]?.n ?? 0) === 0;
        await client.query('insert into meta (key, value) values ($1, $2)', [
          SEEDED,
          new Date().toISOString(),
        ]);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    if (fresh) {
      try {
        return await this.createLab({ name: 'seed', policy: 'shared', template: 'seed-story' });
      } catch (error) {
        if (!(error instanceof LabError && error.code === 'EEXIST')) throw error;
      }
    }
    const { rows } = await this.pool.query<PgLabRow>(`select ${LAB_COLUMNS} from labs where name = 'seed'`);
    return rows[0] ? summaryOf(rows[0]) : null;
  }

  /**
   * Delivers the lab's events past each subscriber's seq, in order, from this replica's copy (which
   * holds only committed events once a call finishes).
   */
  #deliver(name: string, live: LiveLab): void {
    const sub = this.#subscriptions.get(name);
    if (!sub || sub.delivered >= live.seq) return;
    while (sub.delivered < live.seq) {
      const events = live.events(sub.delivered, 10_000);
      if (events.length === 0) break;
      sub.delivered = events[events.length - 1]?.seq ?? sub.delivered;
      for (const listener of sub.listeners) {
        try {
          listener(events);
        } catch {
          // a broken listener must not stop the others
        }
      }
    }
  }

  /**
   * Events of `name` committed after now, by any replica, in seq order without gaps. Answers the seq the
   * subscription starts after. Others' commits arrive through refresh() (LISTEN/NOTIFY, see fanout.ts).
   */
  async subscribe(name: string, listener: Listener): Promise<{ seq: number; unsubscribe: () => void }> {
    const seq = await this.read(name, (lab) => lab.seq);
    let sub = this.#subscriptions.get(name);
    if (!sub) {
      sub = { delivered: seq, listeners: new Set() };
      this.#subscriptions.set(name, sub);
    }
    sub.listeners.add(listener);
    const current = sub;
    return {
      seq: current.delivered,
      unsubscribe: () => {
        current.listeners.delete(listener);
        if (current.listeners.size === 0 && this.#subscriptions.get(name) === current) {
          this.#subscriptions.delete(name);
        }
      },
    };
  }

  /** Labs with subscribers in this replica. */
  subscribed(): string[] {
    return [...this.#subscriptions.keys()];
  }

  /** Highest seq delivered to the lab's subscribers, or undefined when it has none. */
  deliveredSeq(name: string): number | undefined {
    return this.#subscriptions.get(name)?.delivered;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#queues.values()]);
    for (const entry of this.#labs.values()) entry.live.close();
    this.#labs.clear();
    this.#subscriptions.clear();
    this.#closeMirror();
    await this.pool.end();
  }
}
