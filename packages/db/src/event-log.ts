// Prepared SQL over the labs, events, snapshots and meta tables: the only code that talks to SQLite
// for the store. Statements are prepared once per database; every write path is one transaction.
import type Database from 'better-sqlite3';
import type { EventRow } from './codec.ts';
import type { HistoryRow, HistorySave } from './history-index.ts';

/** A counterfactual shadow's snapshot (live-lab.ts), saved at a snapshot point with the lab's own. */
export interface ShadowSave {
  policy: string;
  kernel: string;
  seq: number;
  refused: number;
  state: Buffer;
}

const COLUMNS = 'seq, at, op, errno, code, message, effects, aborted';

export interface LabRow {
  id: number;
  name: string;
  policy: string;
  kernel: string;
  template: string;
  createdAt: number;
}

const INSERT_EVENTS =
  'insert into events (lab_id, seq, at, op, errno, code, message, effects, aborted) values';
const EVENT_VALUES = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Rows per multi-row insert: one statement call per 32 rows costs a quarter less a row than one per row. */
const INSERT_CHUNK = 32;

/** Inserts a commit's rows: whole chunks through one multi-row statement, the rest one row at a time. */
function eventInserter(sqlite: Database.Database) {
  const insertOne = sqlite.prepare(`${INSERT_EVENTS} ${EVENT_VALUES}`);
  const insertChunk = sqlite.prepare(
    `${INSERT_EVENTS} ${Array.from({ length: INSERT_CHUNK }, () => EVENT_VALUES).join(', ')}`,
  );
  const args: unknown[] = new Array(INSERT_CHUNK * 9);
  return (labId: number, rows: readonly EventRow[]) => {
    let i = 0;
    for (; i + INSERT_CHUNK <= rows.length; i += INSERT_CHUNK) {
      for (let k = 0; k < INSERT_CHUNK; k++) {
        const r = rows[i + k] as EventRow;
        const at = k * 9;
        args[at] = labId;
        args[at + 1] = r.seq;
        args[at + 2] = r.at;
        args[at + 3] = r.op;
        args[at + 4] = r.errno;
        args[at + 5] = r.code;
        args[at + 6] = r.message;
        args[at + 7] = r.effects;
        args[at + 8] = r.aborted;
      }
      insertChunk.run(args);
    }
    for (; i < rows.length; i++) {
      const r = rows[i] as EventRow;
      insertOne.run(labId, r.seq, r.at, r.op, r.errno, r.code, r.message, r.effects, r.aborted);
    }
  };
}

/**
 * The transactions that write derived data: a history index save alone, and a snapshot point (the lab's
 * snapshot with the history save and the shadow snapshots due, one transaction and so one fsync).
 */
function derivedDataWriters(
  sqlite: Database.Database,
  insertSnapshot: Database.Statement,
  insertShadow: Database.Statement,
) {
  const dropHistory = sqlite.prepare('delete from history_index where lab_id = ?');
  const insertHistory = sqlite.prepare(
    'insert or replace into history_index (lab_id, vm, seq, state) values (?, ?, ?, ?)',
  );
  const writeHistory = (labId: number, save: HistorySave) => {
    if (save.replace) dropHistory.run(labId);
    for (const r of save.rows) insertHistory.run(labId, r.vm, r.seq, r.state);
  };
  const writePoint = (
    labId: number,
    seq: number,
    state: Buffer,
    history: HistorySave | undefined,
    shadows: readonly ShadowSave[],
  ) => {
    insertSnapshot.run(labId, seq, state);
    if (history) writeHistory(labId, history);
    for (const s of shadows) insertShadow.run(labId, s.policy, s.kernel, s.seq, s.refused, s.state);
  };
  return { saveHistory: sqlite.transaction(writeHistory), saveSnapshotPoint: sqlite.transaction(writePoint) };
}

export class EventLog {
  readonly sqlite: Database.Database;
  #appendRows: (labId: number, rows: EventRow[]) => void;
  #eventsAfter: Database.Statement;
  #eventsBetween: Database.Statement;
  #okOpsBetween: Database.Statement;
  #inputsUpTo: Database.Statement;
  #lastSeq: Database.Statement;
  #snapshotAtOrBefore: Database.Statement;
  #insertSnapshot: Database.Statement;
  #labs: Database.Statement;
  #labByName: Database.Statement;
  #insertLab: Database.Statement;
  #deleteLab: Database.Statement;
  #getMeta: Database.Statement;
  #setMeta: Database.Statement;
  #refusedCount: Database.Statement;
  #shadowAtOrBefore: Database.Statement;
  #insertShadow: Database.Statement;
  #shadowSeqAtOrBefore: Database.Statement;
  #updateResult: Database.Statement;
  #matchingByCount = new Map<number, Database.Statement>();
  #historyRows: Database.Statement;
  #saveHistory: (labId: number, save: HistorySave) => void;
  #saveSnapshotPoint: (
    labId: number,
    seq: number,
    state: Buffer,
    history: HistorySave | undefined,
    shadows: readonly ShadowSave[],
  ) => void;

  constructor(sqlite: Database.Database) {
    this.sqlite = sqlite;
    this.#appendRows = sqlite.transaction(eventInserter(sqlite));
    const columns = COLUMNS;
    this.#eventsAfter = sqlite.prepare(
      `select ${columns} from events where lab_id = ? and seq > ? order by seq limit ?`,
    );
    this.#eventsBetween = sqlite.prepare(
      `select ${columns} from events where lab_id = ? and seq > ? and seq <= ? order by seq`,
    );
    this.#okOpsBetween = sqlite
      .prepare('select op from events where lab_id = ? and seq > ? and seq <= ? and errno = 0 order by seq')
      .pluck();
    this.#inputsUpTo = sqlite
      .prepare('select op from events where lab_id = ? and seq > ? and seq <= ? and aborted = 0 order by seq')
      .pluck();
    this.#lastSeq = sqlite.prepare('select coalesce(max(seq), 0) from events where lab_id = ?').pluck();
    this.#snapshotAtOrBefore = sqlite.prepare(
      'select seq, state from snapshots where lab_id = ? and seq <= ? order by seq desc limit 1',
    );
    this.#insertSnapshot = sqlite.prepare(
      'insert or replace into snapshots (lab_id, seq, state) values (?, ?, ?)',
    );
    this.#labs = sqlite.prepare(
      'select id, name, policy, kernel, template, created_at as createdAt from labs order by id',
    );
    this.#labByName = sqlite.prepare(
      'select id, name, policy, kernel, template, created_at as createdAt from labs where name = ?',
    );
    this.#insertLab = sqlite.prepare(
      'insert into labs (name, policy, kernel, template, created_at) values (?, ?, ?, ?, ?) returning id',
    );
    this.#deleteLab = sqlite.prepare('delete from labs where id = ?');
    this.#getMeta = sqlite.prepare('select value from meta where key = ?').pluck();
    this.#setMeta = sqlite.prepare('insert or replace into meta (key, value) values (?, ?)');
    this.#shadowAtOrBefore = sqlite.prepare(
      'select seq, refused, state from shadow_snapshots where lab_id = ? and policy = ? and kernel = ? and seq <= ? order by seq desc limit 1',
    );
    this.#shadowSeqAtOrBefore = sqlite
      .prepare(
        'select coalesce(max(seq), 0) from shadow_snapshots where lab_id = ? and policy = ? and kernel = ? and seq <= ?',
      )
      .pluck();
    this.#insertShadow = sqlite.prepare(
      'insert or replace into shadow_snapshots (lab_id, policy, kernel, seq, refused, state) values (?, ?, ?, ?, ?, ?)',
    );
    this.#updateResult = sqlite.prepare(
      'update events set errno = ?, code = ?, message = ?, effects = ? where lab_id = ? and seq = ?',
    );
    this.#historyRows = sqlite.prepare('select vm, seq, state from history_index where lab_id = ?');
    const writers = derivedDataWriters(sqlite, this.#insertSnapshot, this.#insertShadow);
    this.#saveHistory = writers.saveHistory;
    this.#saveSnapshotPoint = writers.saveSnapshotPoint;
    this.#refusedCount = sqlite
      .prepare('select count(*) from events where lab_id = ? and errno <> 0 and aborted = 0')
      .pluck();
  }

  /** Appends rows in one transaction: all of them are durable when this returns, or none. */
  append(labId: number, rows: EventRow[]): void {
    this.#appendRows(labId, rows);
  }

  events(labId: number, after: number, limit: number): EventRow[] {
    return this.#eventsAfter.all(labId, after, limit) as EventRow[];
  }

  eventsBetween(labId: number, after: number, upTo: number): EventRow[] {
    return this.#eventsBetween.all(labId, after, upTo) as EventRow[];
  }

  /**
   * Streams [seq, effects JSON] of the applied events in (after, upTo] whose effects JSON contains any of
   * `fragments` (exact substrings), in seq order. A cheap text pre-filter: callers re-check the effects.
   */
  *effectsMentioning(
    labId: number,
    after: number,
    upTo: number,
    fragments: readonly string[],
  ): Generator<[number, string]> {
    if (fragments.length === 0) return;
    let statement = this.#matchingByCount.get(fragments.length);
    if (!statement) {
      const any = fragments.map(() => 'instr(effects, ?) > 0').join(' or ');
      statement = this.sqlite
        .prepare(
          `select seq, effects from events where lab_id = ? and errno = 0 and seq > ? and seq <= ? and (${any}) order by seq`,
        )
        .raw(true);
      this.#matchingByCount.set(fragments.length, statement);
    }
    // Streamed, so a long history never sits in memory at once.
    yield* statement.iterate(labId, after, upTo, ...fragments) as IterableIterator<[number, string]>;
  }

  /** The op JSON of the given events. */
  opsAt(labId: number, seqs: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    for (let i = 0; i < seqs.length; i += 500) {
      const chunk = seqs.slice(i, i + 500);
      const rows = this.sqlite
        .prepare(`select seq, op from events where lab_id = ? and seq in (${chunk.map(() => '?').join(',')})`)
        .all(labId, ...chunk) as { seq: number; op: string }[];
      for (const row of rows) out.set(row.seq, row.op);
    }
    return out;
  }

  /** Refused inputs (rolled-back atomic attempts excluded). */
  refusedCount(labId: number): number {
    return this.#refusedCount.get(labId) as number;
  }

  /** JSON of the ops that the core applied in (after, upTo]: replaying them rebuilds the state. */
  okOpsBetween(labId: number, after: number, upTo: number): string[] {
    return this.#okOpsBetween.all(labId, after, upTo) as string[];
  }

  /** JSON of the lab's inputs in (after, upTo], refused ones included, rolled-back atomic attempts excluded. */
  inputsBetween(labId: number, after: number, upTo: number): string[] {
    return this.#inputsUpTo.all(labId, after, upTo) as string[];
  }

  lastSeq(labId: number): number {
    return this.#lastSeq.get(labId) as number;
  }

  snapshotAtOrBefore(labId: number, seq: number): { seq: number; state: Buffer } | undefined {
    return this.#snapshotAtOrBefore.get(labId, seq) as { seq: number; state: Buffer } | undefined;
  }

  /**
   * Saves a snapshot, and with it in the same transaction (one fsync) the history index save and the shadow
   * snapshots given.
   */
  saveSnapshot(
    labId: number,
    seq: number,
    state: Buffer,
    history?: HistorySave,
    shadows: readonly ShadowSave[] = [],
  ): void {
    if (history === undefined && shadows.length === 0) this.#insertSnapshot.run(labId, seq, state);
    else this.#saveSnapshotPoint(labId, seq, state, history, shadows);
  }

  shadowAtOrBefore(
    labId: number,
    policy: string,
    kernel: string,
    seq: number,
  ): { seq: number; refused: number; state: Buffer } | undefined {
    return this.#shadowAtOrBefore.get(labId, policy, kernel, seq) as
      | { seq: number; refused: number; state: Buffer }
      | undefined;
  }

  /** Seq of the latest shadow snapshot of `policy` under `kernel` at or before `seq`, 0 when there is none. */
  shadowSeqAtOrBefore(labId: number, policy: string, kernel: string, seq: number): number {
    return this.#shadowSeqAtOrBefore.get(labId, policy, kernel, seq) as number;
  }

  saveShadow(
    labId: number,
    policy: string,
    kernel: string,
    seq: number,
    refused: number,
    state: Buffer,
  ): void {
    this.#insertShadow.run(labId, policy, kernel, seq, refused, state);
  }

  /** The lab's saved history index rows (history-index.ts). */
  historyRows(labId: number): HistoryRow[] {
    return this.#historyRows.all(labId) as HistoryRow[];
  }

  /** Writes history index rows in one transaction (over the lab's others, or replacing them). */
  saveHistory(labId: number, save: HistorySave): void {
    this.#saveHistory(labId, save);
  }

  /** Drops every snapshot, shadow snapshot and history index (derived data a new core cannot trust). */
  dropSnapshots(): void {
    this.sqlite.exec('delete from snapshots; delete from shadow_snapshots; delete from history_index;');
  }

  /** Rewrites the recorded result of one event (when the core's rules changed; see store.ts). */
  updateResult(labId: number, row: Pick<EventRow, 'seq' | 'errno' | 'code' | 'message' | 'effects'>): void {
    this.#updateResult.run(row.errno, row.code, row.message, row.effects, labId, row.seq);
  }

  labs(): LabRow[] {
    return this.#labs.all() as LabRow[];
  }

  labByName(name: string): LabRow | undefined {
    return this.#labByName.get(name) as LabRow | undefined;
  }

  insertLab(name: string, policy: string, kernel: string, template: string, createdAt: number): number {
    return (this.#insertLab.get(name, policy, kernel, template, createdAt) as { id: number }).id;
  }

  deleteLab(labId: number): void {
    this.#deleteLab.run(labId);
  }

  getMeta(key: string): string | undefined {
    return this.#getMeta.get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.#setMeta.run(key, value);
  }

  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn)();
  }

  /** A transaction that takes the write lock before it reads (BEGIN IMMEDIATE). */
  immediate<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }
}
