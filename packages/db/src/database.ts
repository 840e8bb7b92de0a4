// Opens the lab database (WAL, foreign keys on), checks it (quick_check) and applies the committed
// migrations. Every failure to open says which file and why, in one line; a lock file keeps a second
// server off a database that one already serves.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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

export interface OpenDatabaseOptions {
  /** Run PRAGMA quick_check before anything else (default true): a damaged file is refused. */
  check?: boolean;
}

/** The database could not be opened; the message names the file and the reason, on one line. */
export class DatabaseOpenError extends Error {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`cannot open database ${path}: ${reason.replace(/\s+/g, ' ').trim()}`);
    this.name = 'DatabaseOpenError';
    this.path = path;
  }
}

/** Another process holds the database's lock. */
export class DatabaseLockedError extends Error {
  readonly path: string;
  readonly holder: number | undefined;
  constructor(path: string, holder: number | undefined) {
    super(
      `database ${path} is in use by ${holder === undefined ? 'another process' : `process ${holder}`}; ` +
        'stop that server first or set LAB_DB to another file',
    );
    this.name = 'DatabaseLockedError';
    this.path = path;
    this.holder = holder;
  }
}

function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown };
  const cause = e?.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : typeof cause?.code === 'string' ? cause.code : '';
  const message =
    typeof cause?.message === 'string' && typeof e?.code !== 'string'
      ? cause.message
      : typeof e?.message === 'string'
        ? e.message
        : String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Creates the database's folder one level at a time: no recursive mkdir, which on some file systems
 * (/proc) never ends, and a clear reason when a parent is a file or cannot be created.
 */
function ensureFolder(path: string): void {
  const missing: string[] = [];
  let current = dirname(resolve(path));
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw new DatabaseOpenError(path, reasonOf(error));
      missing.push(current);
      const parent = dirname(current);
      if (parent === current) throw new DatabaseOpenError(path, 'no existing parent folder');
      current = parent;
      continue;
    }
    if (!isDirectory) throw new DatabaseOpenError(path, `${current} is not a folder`);
    break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') continue;
      throw new DatabaseOpenError(path, `cannot create folder ${folder}: ${reasonOf(error)}`);
    }
  }
}

/** Connections opened in this thread, for applyPragmaForTests. */
const openConnections = new Set<Database.Database>();

export function openDatabase(
  path: string = process.env.LAB_DB ?? DEFAULT_DB_PATH,
  options: OpenDatabaseOptions = {},
): LabDatabase {
  if (path !== ':memory:') {
    ensureFolder(path);
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // Not there yet: SQLite creates it.
    }
    if (isDirectory) throw new DatabaseOpenError(path, 'it is a folder, not a file');
  }
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
  } catch (error) {
    throw new DatabaseOpenError(path, reasonOf(error));
  }
  try {
    // Fail fast on a lock instead of waiting in the pragmas below.
    sqlite.pragma('busy_timeout = 5000');
    if (options.check !== false) {
      const verdict = sqlite.pragma('quick_check', { simple: true });
      if (verdict !== 'ok') throw new Error(`the file is damaged (quick_check: ${String(verdict)})`);
    }
    sqlite.pragma('journal_mode = WAL');
    // FULL: an acknowledged event survives power loss, not just a process crash.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    const orm = drizzle(sqlite, { schema });
    migrate(orm, { migrationsFolder });
    openConnections.add(sqlite);
    return {
      sqlite,
      orm,
      close: () => {
        openConnections.delete(sqlite);
        sqlite.close();
      },
    };
  } catch (error) {
    try {
      sqlite.close();
    } catch {
      // already unusable
    }
    throw error instanceof DatabaseOpenError ? error : new DatabaseOpenError(path, reasonOf(error));
  }
}

/**
 * Runs a pragma on every database this thread has open. Fault tests use it to make the store's own
 * connection fail as a full disk (`max_page_count`) or a read-only file (`query_only`) would.
 */
export function applyPragmaForTests(pragma: string): unknown[] {
  return [...openConnections].map((sqlite) => sqlite.pragma(pragma, { simple: true }));
}

/** A store error caused by the storage (full disk, read-only or damaged file, I/O error), by its code. */
export function storageFaultCode(error: unknown): string | undefined {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth += 1
  ) {
    if (
      typeof e.code === 'string' &&
      /^SQLITE_(FULL|READONLY|IOERR|CORRUPT|NOTADB|CANTOPEN|PERM|PROTOCOL)/.test(e.code)
    ) {
      return e.code;
    }
    e = e.cause as typeof e;
  }
  return undefined;
}

export interface DatabaseLock {
  release(): void;
}

/**
 * Takes the database's exclusive lock: a SQLite file `<path>.lock` whose write lock this process holds
 * for as long as it runs (the OS drops it if the process dies, kill -9 included) and that records the
 * holder's pid, readable by whoever is refused.
 */
export function lockDatabase(path: string): DatabaseLock {
  if (path === ':memory:') return { release: () => undefined };
  ensureFolder(path);
  const lockPath = `${path}.lock`;
  let lock: Database.Database;
  try {
    lock = new Database(lockPath);
    lock.pragma('busy_timeout = 0');
    lock.pragma('journal_mode = DELETE');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY')
      throw new DatabaseLockedError(path, holderOf(lockPath));
    throw new DatabaseOpenError(path, `cannot use lock file ${lockPath}: ${reasonOf(error)}`);
  }
  const refuse = (): never => {
    const holder = holderOf(lockPath);
    lock.close();
    throw new DatabaseLockedError(path, holder);
  };
  for (let attempt = 0; ; attempt += 1) {
    try {
      // Record our pid (a committed write others can read), then hold the write lock from now on.
      lock.exec('BEGIN IMMEDIATE');
      lock.exec('DELETE FROM holder');
      lock
        .prepare('INSERT INTO holder (pid, since) VALUES (?, ?)')
        .run(process.pid, new Date().toISOString());
      lock.exec('COMMIT');
      lock.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) return refuse();
      lock.close();
      throw new DatabaseOpenError(path, `cannot use lock file ${lockPath}: ${reasonOf(error)}`);
    }
    const holder = lock.prepare('SELECT pid FROM holder').get() as { pid: number } | undefined;
    if (holder?.pid === process.pid) break;
    // Another starter wrote its pid between our two steps but we hold the lock: write ours again.
    lock.exec('ROLLBACK');
    if (attempt >= 5) return refuse();
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      try {
        lock.exec('ROLLBACK');
      } finally {
        lock.close();
      }
    },
  };
}

function holderOf(lockPath: string): number | undefined {
  try {
    const reader = new Database(lockPath, { readonly: true });
    try {
      reader.pragma('busy_timeout = 1000');
      const row = reader.prepare('SELECT pid FROM holder').get() as { pid: number } | undefined;
      return row?.pid;
    } finally {
      reader.close();
    }
  } catch {
    // Unreadable right now: the caller reports "another process".
    return undefined;
  }
}
