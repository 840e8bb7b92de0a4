// One SQLite file served by several store workers (shards), each owning the labs whose name hashes to it,
// so one lab's long work runs beside other labs' calls instead of before them. SQLite has one writer, so a
// new lab (create, fork, import) is built first in a scratch in-memory log and only then copied into the
// file in one short transaction: other shards' writes wait for the copy, not for the replay.
import type { Kernel, Op, Policy } from '@ioasid-lab/core';
import { LabError } from '@ioasid-lab/core';
import { openDatabase } from './database.ts';
import { EventLog, type LabRow } from './event-log.ts';
import { LiveLab, type LiveLabContext } from './live-lab.ts';
import { checkLabCount, type Quotas } from './quotas.ts';
import type { LabSummary, Template } from './store-types.ts';

export interface Shard {
  index: number;
  count: number;
}

/** FNV-1a of the lab name: the shard that owns it. */
export function shardOf(name: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}

/** A lab's summary from its row, for labs another shard owns. */
export function summaryOfRow(log: EventLog, row: LabRow): LabSummary {
  return {
    name: row.name,
    policy: row.policy as Policy,
    kernel: row.kernel as Kernel,
    template: row.template as Template,
    events: log.lastSeq(row.id),
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

const CHUNK = 1000;

/**
 * Builds the lab in a scratch log, then copies its row, events, latest snapshot, shadow snapshots and
 * saved history index into `log` in one transaction (the labs quota counted inside it). Answers the lab's
 * row in `log`.
 */
export function buildThenCopy(
  log: EventLog,
  ctx: LiveLabContext,
  quotas: Quotas,
  input: { name: string; policy: Policy; kernel: Kernel; template: Template; ops: Op[] },
): LabRow {
  const scratch = openDatabase(':memory:', { check: false });
  const scratchLog = new EventLog(scratch.sqlite);
  const createdAt = Date.now();
  let lab: LiveLab | undefined;
  try {
    const id = scratchLog.insertLab(input.name, input.policy, input.kernel, input.template, createdAt);
    const { name, policy, kernel, template } = input;
    lab = LiveLab.load({ ...ctx, log: scratchLog }, { id, name, policy, kernel, template, createdAt });
    for (let i = 0; i < input.ops.length; i += CHUNK) lab.applyBatch(input.ops.slice(i, i + CHUNK));
    const seq = lab.seq;
    const rows = scratchLog.eventsBetween(id, 0, seq);
    const snapshot = scratchLog.snapshotAtOrBefore(id, seq);
    const shadows = scratch.sqlite
      .prepare('select policy, kernel, seq, refused, state from shadow_snapshots where lab_id = ?')
      .all(id) as { policy: string; kernel: string; seq: number; refused: number; state: Buffer }[];
    const history = scratchLog.historyRows(id);
    try {
      return log.transaction(() => {
        // The write comes first, so the transaction holds the write lock before it reads the count.
        const realId = log.insertLab(input.name, input.policy, input.kernel, input.template, createdAt);
        checkLabCount(quotas, log.labs().length - 1);
        log.append(realId, rows);
        if (snapshot) log.saveSnapshot(realId, snapshot.seq, snapshot.state);
        for (const s of shadows) log.saveShadow(realId, s.policy, s.kernel, s.seq, s.refused, s.state);
        log.saveHistory(realId, { rows: history, replace: false });
        const row = log.labByName(input.name);
        if (!row) throw new Error(`lab ${input.name} vanished inside its own transaction`);
        return row;
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new LabError('EEXIST', `lab ${input.name} exists`);
      }
      throw error;
    }
  } finally {
    lab?.close();
    scratch.close();
  }
}
