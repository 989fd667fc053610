// The migration commands: deploy, resolve, diff, drift check and create, as the Prisma CLI
// has them. The engine does all the real work (applying migrations, `_prisma_migrations`
// bookkeeping, diffing, generating migration SQL), so databases migrated here and with
// `prisma migrate deploy` elsewhere are interchangeable.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { adapterFactoryFor, sqliteFilePath } from './adapters';
import { engineError, enginePoisoned, NO_FILTERS, withEngine } from './engine';
import { MigrationError, type DbProvider, type MigrationLog } from './errors';
import {
  assertDatabaseExists,
  assertLockfileProvider,
  assertReadable,
  checkSchemaProvider,
  LOCKFILE,
  lockfileContent,
  migrationSlug,
  MIGRATION_FILE,
  readMigrationsList,
  readSchema,
  schemaProvider,
} from './folders';
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  postgresServerUrl,
  postgresTarget,
  withPostgresDeployLock,
  withTemporaryPostgresDatabase,
} from './postgres';
import { assertSqliteFileFree, isSqliteBusy, sqliteHeldError, sqliteMigrationStatus } from './status';

export interface DeployOptions {
  provider: DbProvider;
  url: string;
  migrationsDir: string;
  log?: MigrationLog;
  /**
   * PostgreSQL: how long to wait for another process's deploy (the advisory lock) before giving
   * up, in milliseconds; 0 waits forever. Default 10 minutes.
   */
  lockTimeoutMs?: number;
}

export interface DriftOptions {
  provider: DbProvider;
  url: string;
  schemaPath: string;
  log?: MigrationLog;
}

export interface CreateMigrationOptions {
  schemaPath: string;
  migrationsDir: string;
  name: string;
  provider: DbProvider;
  log?: MigrationLog;
  /**
   * PostgreSQL: a server where throw-away databases may be created and dropped (the database in
   * the URL is only used to connect). Default: see {@link postgresServerUrl}.
   */
  url?: string;
}

export interface DiffOptions {
  /** PostgreSQL: server for the throw-away database, as in {@link CreateMigrationOptions.url}. */
  url?: string;
  log?: MigrationLog;
}

/**
 * `prisma migrate deploy`: applies the pending migrations of `migrationsDir` in directory-name
 * order and records them in `_prisma_migrations`. A failed migration is recorded as failed
 * (finished_at NULL, logs set) and later deploys refuse until it is resolved.
 */
export async function deployMigrations(opts: DeployOptions): Promise<{ applied: string[] }> {
  const migrationsDir = path.resolve(opts.migrationsDir);
  if (!fs.existsSync(migrationsDir)) {
    throw new MigrationError(`migrations directory not found: ${migrationsDir}`);
  }
  const migrationsList = readMigrationsList(migrationsDir);
  assertReadable(migrationsList);
  assertLockfileProvider(migrationsList, opts.provider);
  const log = opts.log;
  log?.(`${migrationsList.migrationDirectories.length} migration(s) found in ${migrationsDir}`);
  let appliedMigrationNames: string[];
  if (opts.provider === 'postgresql') {
    // Replicas starting together against one database: one at a time (see withPostgresDeployLock).
    const target = postgresTarget(opts.url);
    const lock = { createDatabase: true, timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, log };
    appliedMigrationNames = await withPostgresDeployLock(target, lock, () => applyMigrations(opts.provider, opts.url, migrationsList, log));
  } else {
    appliedMigrationNames = await deploySqlite(opts.url, migrationsList, log);
  }
  if (log) {
    if (appliedMigrationNames.length === 0) log('no pending migrations to apply');
    for (const name of appliedMigrationNames) log(`applied migration ${name}`);
  }
  return { applied: appliedMigrationNames };
}

/**
 * SQLite: the engine only when the read-only check finds something to do, and not at all on a
 * file another process holds (see ./status): a second gateway on an up-to-date file just starts.
 */
async function deploySqlite(url: string, migrationsList: MigrationList, log: MigrationLog | undefined): Promise<string[]> {
  const file = sqliteFilePath(url);
  const status = sqliteMigrationStatus(file, migrationsList);
  if (status.state === 'up-to-date') return [];
  const why =
    status.state === 'pending' ? `migration${status.pending.length === 1 ? '' : 's'} ${status.pending.join(', ')} pending` : status.reason;
  log?.(`the engine is needed: ${why}`);
  assertSqliteFileFree(file, why);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    return await applyMigrations('sqlite', url, migrationsList, log);
  } catch (err) {
    // Another process opened the file between the probe and the engine's lock.
    if (isSqliteBusy(err)) throw sqliteHeldError(file, why, err);
    throw err;
  }
}

async function applyMigrations(
  provider: DbProvider,
  url: string,
  migrationsList: MigrationList,
  log: MigrationLog | undefined,
): Promise<string[]> {
  const factory = adapterFactoryFor(provider, url);
  const { appliedMigrationNames } = await withEngine({ factory, ...(log ? { log } : {}) }, async (engine) => {
    try {
      return await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    } catch (err) {
      const e = engineError(err);
      if (e.code === 'P3009' || enginePoisoned()) throw e; // P3009 already names the failed migrations
      // A migration that fails is recorded with finished_at NULL; name it in the error.
      const failed = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS }).then(
        (d) => d.failedMigrationNames,
        () => [],
      );
      if (failed.length === 0) throw e;
      throw new MigrationError(
        `migration ${failed.join(', ')} failed: ${e.message} (recorded as failed in _prisma_migrations: ` +
          'fix the database, then mark it rolled back or applied before deploying again)',
        e.code,
        { cause: err },
      );
    }
  }).catch((err: unknown) => {
    const e = engineError(err);
    throw new MigrationError(`migrate deploy failed: ${e.message}`, e.code, { cause: e.cause ?? err });
  });
  return appliedMigrationNames;
}

/**
 * `prisma migrate resolve --applied|--rolled-back <name>`: marks a failed migration as rolled
 * back (after undoing its partial effects by hand) or as applied (after finishing it by hand),
 * so that deploys proceed again.
 */
export async function resolveMigration(opts: DeployOptions & { name: string; as: 'applied' | 'rolled-back' }): Promise<void> {
  const migrationsList = readMigrationsList(path.resolve(opts.migrationsDir));
  assertReadable(migrationsList);
  assertDatabaseExists(opts.provider, opts.url);
  const factory = adapterFactoryFor(opts.provider, opts.url, { mustExist: true });
  const log = opts.log;
  const mark = () =>
    withEngine({ factory, ...(log ? { log } : {}) }, async (engine) => {
      if (opts.as === 'applied') {
        await engine.markMigrationApplied({ migrationName: opts.name, migrationsList });
      } else {
        await engine.markMigrationRolledBack({ migrationName: opts.name });
      }
    });
  if (opts.provider === 'postgresql') {
    const lock = { createDatabase: false, timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, log };
    await withPostgresDeployLock(postgresTarget(opts.url), lock, mark);
  } else {
    await mark();
  }
  log?.(`marked migration ${opts.name} as ${opts.as}`);
}

/**
 * `prisma migrate diff --from-empty --to-schema <schemaPath> --script`. The engine needs a
 * connection: an in-memory database for SQLite, a throw-away database on `options.url`'s server
 * for PostgreSQL.
 */
export async function diffFromEmpty(schemaPath: string, options: DiffOptions = {}): Promise<string> {
  const schema = readSchema(schemaPath);
  const provider = schemaProvider(schema.content);
  const log = options.log;
  const result = await withScratchUrl(provider, options.url, (url) =>
    withEngine(
      { factory: adapterFactoryFor(provider, url), datamodels: [[schema.path, schema.content]], ...(log ? { log } : {}) },
      (engine) =>
        engine.diff({
          from: { tag: 'empty' },
          to: { tag: 'schemaDatamodel', files: [schema] },
          script: true,
          exitCode: null,
          filters: NO_FILTERS,
        }),
    ),
  );
  return result.stdout ?? '';
}

/**
 * Compares the live database with the schema. `sql` is what would bring the database to the
 * schema (the engine's "empty migration" comment when in sync).
 */
export async function checkDrift(opts: DriftOptions): Promise<{ inSync: boolean; sql: string }> {
  const schema = readSchema(opts.schemaPath);
  checkSchemaProvider(schema, opts.provider);
  assertDatabaseExists(opts.provider, opts.url);
  const factory = adapterFactoryFor(opts.provider, opts.url, { mustExist: true });
  const log = opts.log;
  const result = await withEngine({ factory, datamodels: [[schema.path, schema.content]], ...(log ? { log } : {}) }, (engine) =>
    engine.diff({
      from: { tag: 'schemaDatasource', files: [schema], configDir: path.dirname(schema.path) },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    }),
  );
  return { inSync: result.exitCode === 0, sql: result.stdout ?? '' };
}

/**
 * `prisma migrate dev --create-only --name <name>`: writes
 * `<migrationsDir>/<YYYYMMDDHHMMSS>_<name>/migration.sql` (UTC timestamp) with the SQL that takes
 * a database migrated with the existing migrations to the schema, plus migration_lock.toml if
 * missing. Returns the new folder name, or null when the schema needs no change.
 *
 * The engine's own `createMigration` cannot reach a shadow database through a driver adapter,
 * so this is `prisma migrate diff --from-migrations <dir> --to-schema <schema> --script`: the
 * engine replays the migrations on a throw-away shadow database (in memory for SQLite; for
 * PostgreSQL `mg_shadow_<random>` databases on `opts.url`'s server, dropped afterwards) and
 * renders the same script. (Unlike `migrate dev`, no "Warnings:" comment is prepended for
 * destructive changes.) The first migration of an empty folder is exactly `prisma migrate diff
 * --from-empty --to-schema <schema> --script`.
 */
export async function createMigration(opts: CreateMigrationOptions): Promise<string | null> {
  const schema = readSchema(opts.schemaPath);
  checkSchemaProvider(schema, opts.provider);
  const slug = migrationSlug(opts.name);
  if (slug === '') throw new MigrationError(`invalid migration name "${opts.name}"`);
  const migrationsDir = path.resolve(opts.migrationsDir);
  const migrationsList = readMigrationsList(migrationsDir);
  assertReadable(migrationsList);
  // The engine takes the connector from the lockfile; a new folder has none yet.
  const lockMissing = migrationsList.lockfile.content === null;
  const diffSource: MigrationList = lockMissing
    ? { ...migrationsList, lockfile: { path: LOCKFILE, content: lockfileContent(opts.provider) } }
    : migrationsList;
  const log = opts.log;
  const result = await withScratchUrl(opts.provider, opts.url, (url) =>
    withEngine(
      { factory: adapterFactoryFor(opts.provider, url), datamodels: [[schema.path, schema.content]], ...(log ? { log } : {}) },
      (engine) =>
        engine.diff({
          // The first migration is the baseline `migrate diff --from-empty` prints (on PostgreSQL
          // it creates the schema, which a diff from an empty migration history omits).
          from: migrationsList.migrationDirectories.length === 0 ? { tag: 'empty' } : { tag: 'migrations', ...diffSource },
          to: { tag: 'schemaDatamodel', files: [schema] },
          script: true,
          exitCode: true,
          filters: NO_FILTERS,
        }),
    ),
  );
  if (result.exitCode === 0) {
    log?.('no schema changes: no migration created');
    return null;
  }
  const script = result.stdout ?? '';
  const name = `${utcTimestamp(new Date())}_${slug}`;
  const dir = path.join(migrationsDir, name);
  if (fs.existsSync(dir)) throw new MigrationError(`the migration directory already exists at ${dir}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, MIGRATION_FILE), script, 'utf8');
  if (lockMissing) fs.writeFileSync(path.join(migrationsDir, LOCKFILE), lockfileContent(opts.provider), 'utf8');
  log?.(`created migration ${name}`);
  return name;
}

function utcTimestamp(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    String(d.getUTCFullYear()) +
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds())
  );
}

/** Runs `fn` with the URL of a throw-away database: in memory (SQLite) or mg_shadow_<random>. */
function withScratchUrl<T>(provider: DbProvider, serverUrl: string | undefined, fn: (url: string) => Promise<T>): Promise<T> {
  if (provider === 'sqlite') return fn('file::memory:');
  return withTemporaryPostgresDatabase(serverUrl ?? postgresServerUrl(), fn);
}
