// Prisma Migrate without Prisma's native schema engine.
//
// The Prisma 7 CLI downloads a native schema engine for `migrate *` / `db push`, which this
// project cannot rely on. Prisma's own schema engine also ships as WebAssembly
// (node_modules/prisma/build/schema_engine_bg.wasm, the exact engine of the installed CLI); it is
// driven here through the JS glue of `@prisma/schema-engine-wasm` and a driver adapter. The
// engine does all the real work (applying migrations, `_prisma_migrations` bookkeeping,
// diffing, generating migration SQL), so databases migrated here and with `prisma migrate
// deploy` elsewhere are interchangeable.
//
// See /work/shared/notes/prisma-migrations-offline.md (or docs) for the facts this relies on.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { Client, type ClientConfig, type PoolConfig } from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';

export type DbProvider = 'sqlite' | 'postgresql';

export type MigrationLog = (msg: string) => void;

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

/** Any failure of the migration machinery (engine errors, bad input, failed migrations). */
export class MigrationError extends Error {
  /** Prisma error code (e.g. P3009 "found failed migrations") when the engine reported one. */
  readonly code: string | undefined;

  constructor(message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
    this.code = code;
  }
}

const LOCKFILE = 'migration_lock.toml';
const MIGRATION_FILE = 'migration.sql';
const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

// ---------------------------------------------------------------------------------------------
// Loading the WebAssembly schema engine (once per process)
// ---------------------------------------------------------------------------------------------

type Glue = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

const GLUE_ID = '@prisma/schema-engine-wasm/schema_engine_bg';

interface PanicRegistry {
  set_message(message: string): void;
}

let lastPanic: string | undefined;
let poisoned: string | undefined;
let gluePromise: Promise<Glue> | undefined;

/** The wasm must be instantiated only once per process: loading it twice corrupts its memory. */
function loadEngine(): Promise<Glue> {
  gluePromise ??= instantiateEngine().catch((err: unknown) => {
    gluePromise = undefined;
    throw new MigrationError(`cannot load Prisma's schema engine (WebAssembly): ${messageOf(err)}`, undefined, {
      cause: err,
    });
  });
  return gluePromise;
}

async function instantiateEngine(): Promise<Glue> {
  const g = globalThis as Record<string, unknown>;
  // The glue reports Rust panics here before the wasm traps. A panic inside the engine's async
  // code surfaces as an uncaught `RuntimeError: unreachable` (the pending promise never settles
  // and the process dies), so the reason is printed right away.
  if (g.PRISMA_WASM_PANIC_REGISTRY === undefined) {
    const registry: PanicRegistry = {
      set_message(message: string) {
        lastPanic = message;
        process.stderr.write(`Prisma schema engine (wasm) panicked: ${message}\n`);
      },
    };
    Object.defineProperty(g, 'PRISMA_WASM_PANIC_REGISTRY', { value: registry, configurable: true, writable: true });
  }
  const glue = requireGlue();
  const wasmPath = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'schema_engine_bg.wasm');
  const bytes = await fs.promises.readFile(wasmPath);
  const { instance } = await webAssembly().instantiate(bytes, { './schema_engine_bg.js': engineImports(glue) });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue;
}

/**
 * Timers the engine set (through the glue's `setTimeout` import) that have not fired yet. The
 * engine never clears them: e.g. the 10 s timeout racing its `pg_advisory_lock(72707369)` stays
 * pending after the lock is granted and would keep a finished CLI alive for 10 s. They are
 * unref'd when the engine session ends (not before: an engine sleep must keep the process up).
 */
const pendingEngineTimers = new Set<ReturnType<typeof setTimeout>>();

function engineImports(glue: Glue): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const name of Object.keys(imports)) {
    if (!name.startsWith('__wbg_setTimeout_')) continue;
    imports[name] = (callback: () => void, ms: number) => {
      const timer = setTimeout(() => {
        pendingEngineTimers.delete(timer);
        callback();
      }, ms >>> 0);
      pendingEngineTimers.add(timer);
      return timer;
    };
  }
  return imports;
}

function releaseEngineTimers(): void {
  for (const timer of pendingEngineTimers) timer.unref();
  pendingEngineTimers.clear();
}

/** The bits of the WebAssembly global used here (@types/node 20 does not declare it). */
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: Record<string, object>): Promise<{ instance: { exports: Record<string, unknown> } }>;
  RuntimeError: abstract new (...args: never[]) => Error;
}

function webAssembly(): WebAssemblyApi {
  return (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
}

/** A CommonJS `module`-like object for the glue, which calls `module.require('crypto')`. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- runtime require for the wasm glue
const moduleShim = { require: (id: string): unknown => require(id) };

function requireGlue(): Glue {
  let glue: Glue;
  try {
    // The glue is an ES module; Node >= 20.19 can require() it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    glue = require(GLUE_ID) as Glue;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw err;
    // Environments without require(esm) (e.g. Jest's module system on Node 20): evaluate the glue
    // source as a function. It has no imports and only `export function` / `export class`.
    return evaluateGlueSource(require.resolve(GLUE_ID));
  }
  // As an ES module the glue looks `module` up as a global (when it needs random bytes).
  const g = globalThis as Record<string, unknown>;
  if (g.module === undefined) {
    Object.defineProperty(g, 'module', { value: moduleShim, configurable: true, writable: true });
  }
  return glue;
}

function evaluateGlueSource(file: string): Glue {
  const names: string[] = [];
  const source = fs
    .readFileSync(file, 'utf8')
    .replace(/^export (function|class) ([A-Za-z_$][\w$]*)/gm, (_m, kind: string, name: string) => {
      names.push(name);
      return `${kind} ${name}`;
    });
  if (/^\s*(export|import)\b/m.test(source)) {
    throw new Error(`unexpected module syntax in ${file}`);
  }
  const body = `${source}\nreturn { ${names.join(', ')} };`;
  const factory = new Function('module', body) as (module: unknown) => Glue;
  return factory(moduleShim);
}

// ---------------------------------------------------------------------------------------------
// Driver adapters
// ---------------------------------------------------------------------------------------------

/**
 * The driver adapter factory the engine talks to the database through. PostgreSQL uses
 * `@prisma/adapter-pg` built from discrete connection fields (never the connection string, whose
 * database name would override the shadow database's), with throw-away shadow databases
 * created and dropped here (see {@link PgMigrationAdapterFactory}).
 */
export function adapterFactoryFor(
  provider: DbProvider,
  url: string,
  options: { mustExist?: boolean } = {},
): SqlMigrationAwareDriverAdapterFactory {
  switch (provider) {
    case 'sqlite':
      return new PrismaBetterSqlite3({ url: sqliteFilePath(url), fileMustExist: options.mustExist ?? false });
    case 'postgresql':
      return new PgMigrationAdapterFactory(postgresTarget(url));
    default:
      throw new MigrationError(`unsupported database provider: ${String(provider)}`);
  }
}

/** The provider a connection URL is for (`file:` → SQLite, `postgres(ql)://` → PostgreSQL). */
export function providerForUrl(url: string): DbProvider {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  throw new MigrationError(`cannot tell the database provider of URL "${redactUrl(url)}"`);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, '//***@');
}

/** `file:./data/models.db` → absolute path (relative paths are resolved against the cwd). */
export function sqliteFilePath(url: string): string {
  if (!url.startsWith('file:')) {
    throw new MigrationError(`SQLite URL must start with "file:", got "${url}"`);
  }
  let p = url.slice('file:'.length);
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  if (p.startsWith('//')) p = p.slice(2); // file:///abs/path
  if (p === '') throw new MigrationError(`SQLite URL has no file path: "${url}"`);
  if (p === ':memory:') return p;
  return path.resolve(p);
}

/**
 * Wraps a factory so that every connection it opens is remembered (the engine's `free()` does
 * not close them, and on SQLite they hold an EXCLUSIVE lock) and so that parameterless
 * multi-statement SQL sent through executeRaw (the engine replays scripts that way on the
 * shadow database) falls back to executeScript.
 */
class TrackingAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider: SqlMigrationAwareDriverAdapterFactory['provider'];
  readonly adapterName: string;
  private readonly opened: SqlDriverAdapter[] = [];

  constructor(private readonly inner: SqlMigrationAwareDriverAdapterFactory) {
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.track(await this.inner.connect());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.track(await this.inner.connectToShadowDb());
  }

  async disposeAll(): Promise<void> {
    const adapters = this.opened.splice(0);
    for (const adapter of adapters.reverse()) {
      try {
        await adapter.dispose();
      } catch {
        // already closed by the engine
      }
    }
  }

  private track(adapter: SqlDriverAdapter): SqlDriverAdapter {
    this.opened.push(adapter);
    const wrapped: SqlDriverAdapter = {
      provider: adapter.provider,
      adapterName: adapter.adapterName,
      queryRaw: (query: SqlQuery) => adapter.queryRaw(query),
      executeRaw: async (query: SqlQuery) => {
        try {
          return await adapter.executeRaw(query);
        } catch (err) {
          if (query.args.length === 0 && isMultiStatementError(err)) {
            await adapter.executeScript(query.sql);
            return 0;
          }
          throw err;
        }
      },
      executeScript: (script: string) => adapter.executeScript(script),
      startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
      dispose: () => adapter.dispose(),
    };
    if (adapter.getConnectionInfo) {
      const getInfo = adapter.getConnectionInfo.bind(adapter);
      wrapped.getConnectionInfo = () => getInfo();
    }
    return wrapped;
  }
}

function isMultiStatementError(err: unknown): boolean {
  return /more than one statement/i.test(messageOf(err));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

const PG_DEFAULT_SCHEMA = 'public';

/** Server used for throw-away databases when nothing else is configured. */
export const DEFAULT_POSTGRES_SERVER_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * Key of the session-level advisory lock that serializes deploys (and resolves) across
 * processes. Deliberately not Prisma's own key (72707369): the engine takes that one itself
 * through its connection pool, and a second session asking for the same key from this process
 * would wait for ourselves forever.
 */
const PG_DEPLOY_LOCK_KEY = '7726110119';

const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60 * 1000;

/** pg_catalog's single-byte `"char"`, which @prisma/adapter-pg cannot map, and its array. */
const PG_CHAR_OID = 18;
const PG_CHAR_ARRAY_OID = 1002;
const PG_TEXT_OID = 25;
const PG_TEXT_ARRAY_OID = 1009;

/** A PostgreSQL URL as discrete connection fields (no connection string anywhere). */
interface PgTarget {
  /** host, port, user, password, database, ssl, application_name, options: nothing else. */
  config: ClientConfig;
  /** `?schema=` of the URL, default public. */
  schema: string;
  /** For messages: the URL without its password. */
  display: string;
}

function postgresTarget(url: string): PgTarget {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new MigrationError(`PostgreSQL URL must start with "postgresql://", got "${redactUrl(url)}"`);
  }
  let parsed: ReturnType<typeof parseConnectionString>;
  try {
    parsed = parseConnectionString(url);
  } catch (err) {
    throw new MigrationError(`invalid PostgreSQL URL "${redactUrl(url)}": ${messageOf(err)}`, undefined, { cause: err });
  }
  const schema = typeof parsed.schema === 'string' && parsed.schema !== '' ? parsed.schema : PG_DEFAULT_SCHEMA;
  const config: ClientConfig = {
    host: parsed.host || undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    user: parsed.user || undefined,
    password: parsed.password || undefined,
    database: parsed.database || undefined,
    ssl: parsed.ssl as ClientConfig['ssl'],
    application_name: parsed.application_name || 'model-gateway-migrate',
    connectionTimeoutMillis: 30_000,
  };
  if (parsed.options) config.options = parsed.options;
  return { config, schema, display: redactUrl(url) };
}

/** The config with `search_path` set to `schema`: migrations name their tables unqualified. */
function withSearchPath(config: ClientConfig, schema: string): ClientConfig {
  // Server options are split at whitespace; a backslash escapes the next character.
  const value = quoteIdent(schema).replace(/[\\\s]/g, (c) => `\\${c}`);
  const options = `${config.options ? `${config.options} ` : ''}-c search_path=${value}`;
  return { ...config, options };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

interface RowDescription {
  fields?: { dataTypeID: number }[];
}

/**
 * Relabels `"char"` columns (OID 18 / 1002), which the engine's introspection of pg_catalog
 * returns and @prisma/adapter-pg cannot map, as text / text[] before pg parses the rows.
 */
function relabelCharColumns(msg: RowDescription): void {
  for (const field of msg.fields ?? []) {
    if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    else if (field.dataTypeID === PG_CHAR_ARRAY_OID) field.dataTypeID = PG_TEXT_ARRAY_OID;
  }
}

/** A pg Client whose result columns of type `"char"` read as text (see relabelCharColumns). */
class CharAsTextClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    const connection = (this as unknown as { connection?: { prependListener?: unknown } }).connection;
    if (typeof connection?.prependListener !== 'function') {
      throw new MigrationError('unsupported version of "pg": its Client has no protocol connection to hook');
    }
    (connection as NodeJS.EventEmitter).prependListener('rowDescription', relabelCharColumns);
  }
}

function enginePoolConfig(config: ClientConfig, schema: string): PoolConfig {
  return { ...withSearchPath(config, schema), Client: CharAsTextClient, idleTimeoutMillis: 10_000 };
}

function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function pgConnect(config: ClientConfig): Promise<Client> {
  const client = new Client(config);
  // A connection that dies while idle emits 'error'; unhandled, it would kill the process. The
  // next query on it fails and reports the problem.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A connection to the server for CREATE/DROP DATABASE (the URL's database, else `postgres`). */
async function withServerConnection<T>(target: PgTarget, fn: (client: Client) => Promise<T>): Promise<T> {
  let client: Client;
  try {
    client = await pgConnect(target.config);
  } catch (err) {
    if (pgCode(err) !== '3D000' || target.config.database === 'postgres') throw connectError(target, err);
    try {
      client = await pgConnect({ ...target.config, database: 'postgres' });
    } catch (err2) {
      throw connectError(target, err2);
    }
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function connectError(target: PgTarget, err: unknown): MigrationError {
  return new MigrationError(`cannot connect to PostgreSQL at ${target.display}: ${messageOf(err)}`, pgCode(err), { cause: err });
}

/** Creates an empty `mg_shadow_<random>` database on the target's server; returns its name. */
async function createScratchDatabase(target: PgTarget): Promise<string> {
  const name = `mg_shadow_${randomBytes(8).toString('hex')}`;
  await withServerConnection(target, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`)).catch((err: unknown) => {
    if (err instanceof MigrationError) throw err;
    throw new MigrationError(`cannot create a throw-away database on ${target.display}: ${messageOf(err)}`, pgCode(err), {
      cause: err,
    });
  });
  return name;
}

async function dropScratchDatabase(target: PgTarget, name: string): Promise<void> {
  if (!name.startsWith('mg_shadow_')) throw new MigrationError(`refusing to drop database "${name}"`);
  await withServerConnection(target, async (client) => {
    try {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
    } catch (err) {
      if (pgCode(err) !== '55006') throw err; // object_in_use: a connection left over
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    }
  });
}

/** `url` with another database name (everything else, including `?schema=`, kept). */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * Runs `fn` with the URL of a new, empty database `mg_shadow_<random>` on the server of
 * `serverUrl`, dropped afterwards whatever happens. The database named in `serverUrl` is only
 * connected to (to create and drop the throw-away one), never changed.
 */
export async function withTemporaryPostgresDatabase<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const target = postgresTarget(serverUrl);
  const name = await createScratchDatabase(target);
  let result: T;
  try {
    result = await fn(withDatabase(serverUrl, name));
  } catch (err) {
    await dropScratchDatabase(target, name).catch(() => undefined);
    throw err;
  }
  try {
    await dropScratchDatabase(target, name);
  } catch (err) {
    throw new MigrationError(`cannot drop the throw-away database ${name}: ${messageOf(err)}`, pgCode(err), { cause: err });
  }
  return result;
}

/**
 * The server for throw-away databases (`check`, `create`, `diff` on PostgreSQL):
 * MIGRATE_CHECK_DATABASE_URL, else a postgresql:// DATABASE_URL, else
 * postgresql://postgres@127.0.0.1:5432/postgres.
 */
export function postgresServerUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MIGRATE_CHECK_DATABASE_URL) return env.MIGRATE_CHECK_DATABASE_URL;
  const url = env.DATABASE_URL;
  if (url && /^postgres(ql)?:\/\//.test(url)) return url;
  return DEFAULT_POSTGRES_SERVER_URL;
}

/**
 * Adapters for the engine: search_path set to the URL's schema, `"char"` read as text, scripts
 * sent whole (see pgEngineAdapter), and shadow databases that are fresh `mg_shadow_<random>`
 * databases on the same server, dropped when the engine (or withEngine) disposes them. Never
 * PrismaPg's own connectToShadowDb, which would run in the main database when built from a
 * connection string.
 */
class PgMigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;
  private readonly main: PrismaPg;

  constructor(private readonly target: PgTarget) {
    this.main = new PrismaPg(enginePoolConfig(target.config, target.schema), { schema: target.schema });
    this.adapterName = this.main.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    const adapter = await this.main.connect();
    return pgEngineAdapter(adapter, () => adapter.dispose());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const name = await createScratchDatabase(this.target);
    const config = { ...this.target.config, database: name };
    let adapter: SqlDriverAdapter;
    try {
      adapter = await new PrismaPg(enginePoolConfig(config, PG_DEFAULT_SCHEMA), { schema: PG_DEFAULT_SCHEMA }).connect();
    } catch (err) {
      await dropScratchDatabase(this.target, name).catch(() => undefined);
      throw err;
    }
    return pgEngineAdapter(adapter, async () => {
      try {
        await adapter.dispose(); // close the pool first: a database with sessions cannot be dropped
      } finally {
        await dropScratchDatabase(this.target, name);
      }
    });
  }
}

/**
 * The engine sends a migration's script through executeScript, which @prisma/adapter-pg splits
 * at every ";" (breaking function bodies and string literals) and runs statement by statement.
 * Like the native engine, send it whole as one simple-protocol query instead: parameterless,
 * so pg does not prepare it, and a multi-statement query runs as one implicit transaction.
 */
function pgEngineAdapter(adapter: SqlDriverAdapter, dispose: () => Promise<void>): SqlDriverAdapter {
  let disposed: Promise<void> | undefined;
  const wrapped: SqlDriverAdapter = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query: SqlQuery) => adapter.queryRaw(query),
    executeRaw: (query: SqlQuery) => adapter.executeRaw(query),
    executeScript: async (script: string) => {
      await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
    },
    startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
    dispose: () => (disposed ??= dispose()),
  };
  if (adapter.getConnectionInfo) {
    const getInfo = adapter.getConnectionInfo.bind(adapter);
    wrapped.getConnectionInfo = () => getInfo();
  }
  return wrapped;
}

/**
 * Runs `fn` holding the deploy advisory lock, on a dedicated connection kept for the whole run
 * (a pooled connection could change under the engine's feet), so that replicas starting at the
 * same moment migrate one after the other: the first applies, the others find nothing pending.
 * With `createDatabase`, a missing database is created first (like `prisma migrate deploy`);
 * the schema of the URL is created if missing, under the lock.
 */
async function withPostgresDeployLock<T>(
  target: PgTarget,
  opts: { createDatabase: boolean; timeoutMs: number; log: MigrationLog | undefined },
  fn: () => Promise<T>,
): Promise<T> {
  const { log } = opts;
  let client: Client;
  try {
    client = await pgConnect(target.config);
  } catch (err) {
    if (pgCode(err) !== '3D000' || !opts.createDatabase || !target.config.database) throw connectError(target, err);
    await createDatabaseIfMissing(target, target.config.database, log);
    try {
      client = await pgConnect(target.config);
    } catch (err2) {
      throw connectError(target, err2);
    }
  }
  try {
    const lockSql = `SELECT pg_advisory_lock(${PG_DEPLOY_LOCK_KEY})`;
    const got = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${PG_DEPLOY_LOCK_KEY}) AS locked`);
    if (got.rows[0]?.locked !== true) {
      log?.(`waiting for another process's migrations (advisory lock ${PG_DEPLOY_LOCK_KEY})`);
      await client.query(`SET lock_timeout = ${Math.max(0, Math.floor(opts.timeoutMs))}`);
      try {
        await client.query(lockSql);
      } catch (err) {
        if (pgCode(err) === '55P03') {
          throw new MigrationError(
            `timed out after ${opts.timeoutMs} ms waiting for another process's migrations ` +
              `(advisory lock ${PG_DEPLOY_LOCK_KEY} on ${target.display})`,
            '55P03',
            { cause: err },
          );
        }
        throw err;
      }
    }
    try {
      await ensureSchema(client, target.schema, log);
      return await fn();
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${PG_DEPLOY_LOCK_KEY})`).catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof MigrationError || !(err instanceof Error) || pgCode(err) === undefined) throw err;
    throw new MigrationError(`PostgreSQL error on ${target.display}: ${err.message}`, pgCode(err), { cause: err });
  } finally {
    await client.end().catch(() => undefined); // also releases the lock if the unlock failed
  }
}

async function createDatabaseIfMissing(target: PgTarget, database: string, log: MigrationLog | undefined): Promise<void> {
  await withServerConnection({ ...target, config: { ...target.config, database: 'postgres' } }, async (client) => {
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
      log?.(`created database ${database}`);
    } catch (err) {
      // Another replica created it in the meantime: duplicate_database, or the unique index of
      // pg_database when both got past the existence check at once.
      if (pgCode(err) !== '42P04' && pgCode(err) !== '23505') {
        throw new MigrationError(`cannot create database ${database}: ${messageOf(err)}`, pgCode(err), { cause: err });
      }
    }
  });
}

async function ensureSchema(client: Client, schema: string, log: MigrationLog | undefined): Promise<void> {
  const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (found.rowCount === 0) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    log?.(`created schema ${schema}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Running the engine
// ---------------------------------------------------------------------------------------------

let queue: Promise<unknown> = Promise.resolve();

/** Engine sessions run one at a time (one wasm instance, one panic registry). */
function serialized<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

interface EngineSession {
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** Schema files handed to the engine at construction; undefined when there is none. */
  datamodels?: [string, string][];
  log?: MigrationLog;
}

function withEngine<T>(session: EngineSession, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  return serialized(async () => {
    if (poisoned !== undefined) {
      throw new MigrationError(`the schema engine crashed earlier in this process (${poisoned}); restart the process`);
    }
    const glue = await loadEngine();
    const tracking = new TrackingAdapterFactory(session.factory);
    const log = session.log;
    const onLog = (message: unknown): void => {
      if (log) log(`schema-engine: ${(typeof message === 'string' ? message : JSON.stringify(message)).trim()}`);
    };
    let engine: SchemaEngine | undefined;
    try {
      // `datamodels: []` makes the engine panic: undefined means "no schema".
      engine = await glue.SchemaEngine.new({ datamodels: session.datamodels }, onLog, bindMigrationAwareSqlAdapterFactory(tracking));
      return await fn(engine);
    } catch (err) {
      throw engineError(err);
    } finally {
      try {
        engine?.free();
      } catch {
        // nothing more to release on the wasm side (e.g. after a panic)
      }
      // free() does not close the connections the factory opened; on SQLite they hold an
      // EXCLUSIVE lock until closed.
      await tracking.disposeAll();
      releaseEngineTimers();
    }
  });
}

function engineError(err: unknown): MigrationError {
  if (err instanceof MigrationError) return err;
  if (err instanceof webAssembly().RuntimeError || lastPanic !== undefined) {
    const panic = lastPanic ?? messageOf(err);
    lastPanic = undefined;
    poisoned = panic;
    return new MigrationError(`the schema engine panicked: ${panic}`, undefined, { cause: err });
  }
  const e = err as { message?: unknown; error_code?: unknown; code?: unknown; meta?: unknown };
  const code = typeof e?.error_code === 'string' ? e.error_code : typeof e?.code === 'string' ? e.code : undefined;
  const message = messageOf(err).trim();
  return new MigrationError(code && !message.includes(code) ? `${code}: ${message}` : message, code, { cause: err });
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const m = (err as { message?: unknown }).message;
    if (typeof m === 'string') return m;
    try {
      return JSON.stringify(err);
    } catch {
      return String(err);
    }
  }
  return String(err);
}

// ---------------------------------------------------------------------------------------------
// Migration folders (read exactly like the Prisma CLI does)
// ---------------------------------------------------------------------------------------------

function readMigrationsList(migrationsDir: string): MigrationList {
  const baseDir = path.resolve(migrationsDir);
  let lockContent: string | null = null;
  try {
    lockContent = fs.readFileSync(path.join(baseDir, LOCKFILE), 'utf8');
  } catch {
    lockContent = null;
  }
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(baseDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const migrationDirectories = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      let content: { tag: 'ok'; value: string } | { tag: 'error'; value: string };
      try {
        content = { tag: 'ok', value: fs.readFileSync(path.join(baseDir, entry.name, MIGRATION_FILE), 'utf8') };
      } catch (err) {
        content = { tag: 'error', value: messageOf(err) };
      }
      return { path: entry.name, migrationFile: { path: MIGRATION_FILE, content } };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir,
    lockfile: { path: LOCKFILE, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

function lockfileContent(provider: string): string {
  return (
    '# Please do not edit this file manually\n' +
    '# It should be added in your version-control system (e.g., Git)\n' +
    `provider = "${provider}"\n`
  );
}

function readSchema(schemaPath: string): { path: string; content: string } {
  const abs = path.resolve(schemaPath);
  try {
    return { path: abs, content: fs.readFileSync(abs, 'utf8') };
  } catch (err) {
    throw new MigrationError(`cannot read Prisma schema ${abs}: ${messageOf(err)}`, undefined, { cause: err });
  }
}

/** The provider of the schema's datasource block. */
export function schemaProvider(schemaContent: string): DbProvider {
  const block = /^\s*datasource\s+\w+\s*\{([^}]*)\}/m.exec(schemaContent);
  const provider = block && /^\s*provider\s*=\s*"([^"]+)"/m.exec(block[1] ?? '');
  const name = provider?.[1];
  if (name === 'sqlite' || name === 'postgresql') return name;
  if (name === 'postgres') return 'postgresql';
  throw new MigrationError(name ? `unsupported datasource provider "${name}"` : 'the Prisma schema has no datasource provider');
}

function checkSchemaProvider(schema: { path: string; content: string }, provider: DbProvider): void {
  const declared = schemaProvider(schema.content);
  if (declared !== provider) {
    throw new MigrationError(`${schema.path} is for "${declared}", not "${provider}"`);
  }
}

/** Same slug as `prisma migrate dev --name` (lowercase words joined by "_", at most 200 chars). */
export function migrationSlug(name: string): string {
  return name
    .replace(/&/g, ' and ')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([A-Z]{2,})(\d+)/g, '$1 $2')
    .replace(/([a-z\d]+)([A-Z]{2,})/g, '$1 $2')
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-rt-z\d]+)/g, '$1 $2')
    .toLowerCase()
    .replace(/([a-zA-Z\d]+)'([ts])(\s|$)/g, '$1$2$3')
    .replace(/[^a-z\d]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^_|_$/g, '')
    .substring(0, 200);
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

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
    const file = sqliteFilePath(opts.url);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    appliedMigrationNames = await applyMigrations(opts.provider, opts.url, migrationsList, log);
  }
  if (log) {
    if (appliedMigrationNames.length === 0) log('no pending migrations to apply');
    for (const name of appliedMigrationNames) log(`applied migration ${name}`);
  }
  return { applied: appliedMigrationNames };
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
      if (e.code === 'P3009' || poisoned !== undefined) throw e; // P3009 already names the failed migrations
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

/** Deploying migrations written for another provider would fail half-way (P3019 natively). */
function assertLockfileProvider(list: MigrationList, provider: DbProvider): void {
  const content = list.lockfile.content;
  if (content === null) return;
  const declared = /^\s*provider\s*=\s*"([^"]+)"/m.exec(content)?.[1];
  if (declared === undefined) return;
  const normalized = declared === 'postgres' ? 'postgresql' : declared;
  if (normalized !== provider) {
    throw new MigrationError(`the migrations in ${list.baseDir} are for "${declared}" (${LOCKFILE}), not "${provider}"`, 'P3019');
  }
}

function assertDatabaseExists(provider: DbProvider, url: string): void {
  if (provider !== 'sqlite') return;
  const file = sqliteFilePath(url);
  if (file !== ':memory:' && !fs.existsSync(file)) {
    throw new MigrationError(`SQLite database not found: ${file}`);
  }
}

function assertReadable(list: MigrationList): void {
  for (const dir of list.migrationDirectories) {
    if (dir.migrationFile.content.tag === 'error') {
      throw new MigrationError(`cannot read ${path.join(list.baseDir, dir.path, MIGRATION_FILE)}: ${dir.migrationFile.content.value}`);
    }
  }
}
