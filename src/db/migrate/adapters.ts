// The driver adapters the schema engine reaches the database through, and the URLs they take.

import * as path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory, SqlQuery } from '@prisma/driver-adapter-utils';
import { Client, type ClientConfig, type PoolConfig } from 'pg';
import { quoteIdent } from '../sql';
import { MigrationError, messageOf, redactUrl, type DbProvider } from './errors';
import { createScratchDatabase, dropScratchDatabase, PG_DEFAULT_SCHEMA, postgresTarget, type PgTarget } from './postgres';

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
export class TrackingAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
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
// PostgreSQL adapters for the engine
// ---------------------------------------------------------------------------------------------

/** pg_catalog's single-byte `"char"`, which @prisma/adapter-pg cannot map, and its array. */
const PG_CHAR_OID = 18;
const PG_CHAR_ARRAY_OID = 1002;
const PG_TEXT_OID = 25;
const PG_TEXT_ARRAY_OID = 1009;

/** The config with `search_path` set to `schema`: migrations name their tables unqualified. */
function withSearchPath(config: ClientConfig, schema: string): ClientConfig {
  // Server options are split at whitespace; a backslash escapes the next character.
  const value = quoteIdent(schema).replace(/[\\\s]/g, (c) => `\\${c}`);
  const options = `${config.options ? `${config.options} ` : ''}-c search_path=${value}`;
  return { ...config, options };
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
