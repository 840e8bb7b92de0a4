// The event store's tables in PostgreSQL: the same tables, columns and keys as the SQLite schema
// (../schema.ts), in the pg dialect. Times are milliseconds since the epoch (bigint), snapshots bytea.
import { bigint, customType, index, integer, pgTable, primaryKey, serial, text } from 'drizzle-orm/pg-core';

/** A snapshot's bytes (node-postgres reads bytea as a Buffer). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const labs = pgTable('labs', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  policy: text('policy').notNull(),
  kernel: text('kernel').notNull().default('6.12'),
  template: text('template').notNull().default('empty'),
  createdAt: bigint('created_at', { mode: 'number' }).notNull(),
});

export const events = pgTable(
  'events',
  {
    labId: integer('lab_id')
      .notNull()
      .references(() => labs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    at: bigint('at', { mode: 'number' }).notNull(),
    op: text('op').notNull(),
    errno: integer('errno').notNull().default(0),
    code: text('code'),
    message: text('message'),
    effects: text('effects').notNull().default('[]'),
    aborted: integer('aborted').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.labId, t.seq] })],
);

export const snapshots = pgTable(
  'snapshots',
  {
    labId: integer('lab_id')
      .notNull()
      .references(() => labs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    state: bytea('state').notNull(),
  },
  (t) => [primaryKey({ columns: [t.labId, t.seq] }), index('snapshots_lab').on(t.labId)],
);

export const meta = pgTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

export const shadowSnapshots = pgTable(
  'shadow_snapshots',
  {
    labId: integer('lab_id')
      .notNull()
      .references(() => labs.id, { onDelete: 'cascade' }),
    policy: text('policy').notNull(),
    kernel: text('kernel').notNull().default('6.12'),
    seq: integer('seq').notNull(),
    refused: integer('refused').notNull(),
    state: bytea('state').notNull(),
  },
  (t) => [primaryKey({ columns: [t.labId, t.policy, t.kernel, t.seq] })],
);
