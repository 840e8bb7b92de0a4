// Opens the lab database (WAL, foreign keys on) and applies the committed migrations.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.ts';

export const DEFAULT_DB_PATH = 'data/ioasid-lab.db';
const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '..', 'drizzle');

export interface LabDatabase {
  sqlite: Database.Database;
  orm: BetterSQLite3Database<typeof schema>;
  close(): void;
}

export function openDatabase(path: string = process.env.LAB_DB ?? DEFAULT_DB_PATH): LabDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  // FULL: an acknowledged event survives power loss, not just a process crash.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const orm = drizzle(sqlite, { schema });
  migrate(orm, { migrationsFolder });
  return { sqlite, orm, close: () => sqlite.close() };
}
