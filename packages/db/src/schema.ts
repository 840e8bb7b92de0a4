// The event store's tables: labs, their append-only event logs, and periodic snapshots of core state.
import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const labs = sqliteTable('labs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  policy: text('policy').notNull(),
  /** The kernel profile whose rules the lab follows (docs/kernels.md); labs made before profiles: 6.12. */
  kernel: text('kernel').notNull().default('6.12'),
  template: text('template').notNull().default('empty'),
  createdAt: integer('created_at').notNull(),
});

export const events = sqliteTable(
  'events',
  {
    labId: integer('lab_id')
      .notNull()
      .references(() => labs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    at: integer('at').notNull(),
    /** The op as given (JSON of an Op), the input of any replay. */
    op: text('op').notNull(),
    /** 0 when applied, else the errno the core refused it with. */
    errno: integer('errno').notNull().default(0),
    code: text('code'),
    message: text('message'),
    /** JSON array of the effects the core reported. */
    effects: text('effects').notNull().default('[]'),
    /**
     * 1 for the refused op of an atomic batch that was rolled back: recorded so the timeline shows the
     * attempt, but skipped by export, fork and counterfactual replays (its context never existed).
     */
    aborted: integer('aborted').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.labId, t.seq] }),
    // Refusals only, so explain's first call after an open counts a lab's refused inputs without a scan.
    index('events_refused').on(t.labId).where(sql`${t.errno} <> 0`),
  ],
);

export const snapshots = sqliteTable(
  'snapshots',
  {
    labId: integer('lab_id')
      .notNull()
      .references(() => labs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    state: blob('state', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.labId, t.seq] }), index('snapshots_lab').on(t.labId)],
);

/** Store-wide facts, e.g. whether the seed lab was ever created (a fresh install gets it once). */
export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/**
 * Snapshots of this lab's inputs replayed under another policy or kernel profile (counterfactuals), taken
 * at the same points as `snapshots`, so explain and compare replay at most one interval instead of the
 * whole log.
 */
export const shadowSnapshots = sqliteTable(
  'shadow_snapshots',
  {
    labId: integer('lab_id')
      .notNull()
      .references(() => labs.id, { onDelete: 'cascade' }),
    policy: text('policy').notNull(),
    kernel: text('kernel').notNull().default('6.12'),
    seq: integer('seq').notNull(),
    /** How many of the inputs up to seq this policy refused. */
    refused: integer('refused').notNull(),
    state: blob('state', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.labId, t.policy, t.kernel, t.seq] })],
);

/**
 * The lab's history index (history-index.ts) as of `seq`, saved at snapshot points so a reopened lab folds
 * only the events after it: one row per VM name (`vm`) and one for the lab-wide part (`vm` = ''). Derived
 * data, dropped with the snapshots when the core's rules change.
 */
export const historyIndex = sqliteTable(
  'history_index',
  {
    labId: integer('lab_id')
      .notNull()
      .references(() => labs.id, { onDelete: 'cascade' }),
    vm: text('vm').notNull(),
    seq: integer('seq').notNull(),
    /** JSON (history-index.ts), read back only by the same format version. */
    state: text('state').notNull(),
  },
  (t) => [primaryKey({ columns: [t.labId, t.vm] })],
);
