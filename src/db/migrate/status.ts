// What a SQLite database still needs, read without the schema engine.
//
// The engine takes `PRAGMA locking_mode=EXCLUSIVE` before it even looks at _prisma_migrations,
// so on a file another gateway has open it waits out its busy timeout and fails with a raw
// connector error. Reading the history with a plain read-only connection (WAL lets it beside a
// writer) tells whether the engine is needed at all; when it is, a short probe of the same lock
// tells whether another process holds the file, so that this can be said in one line.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Database from 'better-sqlite3';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { MigrationError, messageOf } from './errors';

/** How long the read-only check and the lock probe wait on another connection's lock. */
const SQLITE_PROBE_TIMEOUT_MS = 2000;

export type SqliteMigrationStatus =
  /** Every migration folder is applied, unchanged (checksums match), and none failed: no engine needed. */
  | { state: 'up-to-date' }
  /** Folders the database has not applied (all of them for a new file). */
  | { state: 'pending'; pending: string[] }
  /** Something only the engine can judge: a failed or edited migration, or a history it could not read. */
  | { state: 'needs-engine'; reason: string };

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: string | null;
  rolled_back_at: string | null;
}

/** Prisma's checksum of a migration: the SHA-256 of its migration.sql, in hex. */
function checksumOf(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Compares the migration folders with `_prisma_migrations` of the SQLite file, read-only. Rows
 * of migrations the folders do not have (a newer release migrated the file) leave nothing to
 * apply, as for `prisma migrate deploy`.
 */
export function sqliteMigrationStatus(file: string, list: MigrationList): SqliteMigrationStatus {
  const all = list.migrationDirectories.map((dir) => dir.path);
  if (file === ':memory:' || !fs.existsSync(file)) return all.length === 0 ? { state: 'up-to-date' } : { state: 'pending', pending: all };
  let rows: MigrationRow[];
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: SQLITE_PROBE_TIMEOUT_MS });
    try {
      const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
      if (table === undefined) return all.length === 0 ? { state: 'up-to-date' } : { state: 'pending', pending: all };
      rows = db.prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations').all() as MigrationRow[];
    } finally {
      db.close();
    }
  } catch (err) {
    return { state: 'needs-engine', reason: `cannot read the migration history: ${messageOf(err)}` };
  }
  const failed = rows.filter((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed.length > 0) return { state: 'needs-engine', reason: `failed migration ${failed.map((r) => r.migration_name).join(', ')}` };
  const pending: string[] = [];
  for (const dir of list.migrationDirectories) {
    const applied = rows.filter((row) => row.migration_name === dir.path && row.finished_at !== null && row.rolled_back_at === null);
    if (applied.length === 0) {
      pending.push(dir.path);
      continue;
    }
    const content = dir.migrationFile.content;
    if (content.tag !== 'ok' || !applied.some((row) => row.checksum === checksumOf(content.value))) {
      return { state: 'needs-engine', reason: `migration ${dir.path} was changed after it was applied` };
    }
  }
  return pending.length === 0 ? { state: 'up-to-date' } : { state: 'pending', pending };
}

/**
 * Refuses, in one line, to start the engine on a SQLite file another process has open: the
 * engine would wait out its busy timeout and fail with a connector error. The probe takes the
 * engine's own lock (exclusive locking mode, an exclusive transaction) and lets it go at once.
 */
export function assertSqliteFileFree(file: string, why: string): void {
  if (file === ':memory:' || !fs.existsSync(file)) return;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: SQLITE_PROBE_TIMEOUT_MS });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('ROLLBACK');
  } catch (err) {
    if (isSqliteBusy(err)) throw sqliteHeldError(file, why, err);
    throw new MigrationError(`cannot open the SQLite database ${file}: ${messageOf(err)}`, undefined, { cause: err });
  } finally {
    db?.close();
  }
}

export function sqliteHeldError(file: string, why: string, cause: unknown): MigrationError {
  return new MigrationError(
    `another process holds the SQLite database ${file} (${why}): stop it, migrate, then start again`,
    'SQLITE_BUSY',
    { cause },
  );
}

/** SQLITE_BUSY from better-sqlite3, or as the engine reports it through its adapter. */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return true;
  // The adapter maps SQLITE_BUSY to a `SocketTimeout` error kind the engine cannot deserialize.
  return /SocketTimeout|database is locked|SQLITE_BUSY/.test(messageOf(err));
}
