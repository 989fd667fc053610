import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { PrismaClient as PostgresPrismaClient } from '../generated/postgresql/client';
import { Prisma, PrismaClient } from '../generated/sqlite/client';
import type { DatabaseConfig, DbProvider } from '../lib/config';
import { DatabaseBusyError, isSqliteBusy } from '../lib/db-errors';

/*
 * The database, knowing no feature: the Prisma client, a runner for prepared statements on the
 * same connections (the hot paths a repository chooses to send past Prisma), and a ping.
 */

export { Prisma };
/**
 * Repositories are written against one client type. The PostgreSQL client is generated from a
 * schema describing the same models (checked in CI), so its delegates take and return the same
 * shapes; only native column types differ underneath.
 */
export type Db = PrismaClient;

/**
 * How long a write waits, in total, for another process's SQLite write lock before failing with
 * 503 (it was SQLite's own busy timeout). The wait is asynchronous: see `whenUnlocked`.
 */
const SQLITE_LOCK_WAIT_MS = 5000;

/** Pause between two attempts on a locked SQLite file: doubling from the first, capped. */
const LOCK_RETRY_FIRST_MS = 2;
const LOCK_RETRY_MAX_MS = 50;

/**
 * Distinct SQL texts kept prepared per connection. Prisma's statements repeat; a few vary with the
 * request (which fields an update sets), so the set is bounded rather than keyed by whatever arrives.
 */
const STATEMENT_CACHE_SIZE = 500;

/** Called once per statement the driver ran (metrics), with its duration in milliseconds. */
export type QueryObserver = (durationMs: number, query: string) => void;

/** Prepared statements on the database's own connections, outside Prisma's query engine. */
export interface PreparedStatements {
  /**
   * Runs `sql` (placeholders in the provider's syntax, `?` or `$n`) as a prepared statement and
   * returns its rows as the driver gives them. On SQLite, a locked database fails at once with a
   * DatabaseBusyError; `Database.whenUnlocked` is the retry.
   */
  query(sql: string, values: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * Runs the statements in one transaction, in order, and returns each one's rows: all of them
   * take effect or none. On SQLite the whole transaction runs synchronously (Prisma shares the
   * one connection, so nothing else may run between BEGIN and COMMIT); a locked database fails
   * at once with a DatabaseBusyError, having done nothing.
   */
  transaction(statements: readonly { sql: string; values: readonly unknown[] }[]): Promise<Record<string, unknown>[][]>;
}

export interface Database {
  provider: DbProvider;
  db: Db;
  /** PostgreSQL's `?schema=` of the URL (tables are qualified with it, as Prisma does); unset on SQLite. */
  schema?: string;
  prepared: PreparedStatements;
  /**
   * Runs `operation`, and again while SQLite answers that another process holds its write lock,
   * for up to 5 s in all, then lets the busy error through (503). better-sqlite3 waits for a lock
   * by sleeping on the main thread, which froze every request of the process for the whole wait;
   * the connection's busy timeout is therefore 0 and the waiting happens here, between attempts,
   * with the event loop free. A statement refused with SQLITE_BUSY did nothing, so retrying it
   * is safe. On PostgreSQL, waits happen in the server: `operation` runs once.
   */
  whenUnlocked<T>(operation: () => Promise<T>): Promise<T>;
  /** Cheap round trip, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What Prisma's better-sqlite3 adapter (7.10) calls on a statement: `prepare(sql).bind(args)`,
 * then `run()`, or `columns()` and `raw().all()`. A prepared statement can be bound for good only
 * once, so this binds each execution's arguments when it runs, and the statement is reused.
 */
class ReusableStatement {
  private args: unknown[] = [];

  constructor(private readonly statement: BetterSqlite3.Statement) {}

  get reader(): boolean {
    return this.statement.reader;
  }

  bind(args: unknown[]): this {
    this.args = args;
    return this;
  }

  run(): BetterSqlite3.RunResult {
    return this.statement.run(this.args);
  }

  columns(): BetterSqlite3.ColumnDefinition[] {
    return this.statement.columns();
  }

  raw(): { all(): unknown[] } {
    return { all: () => this.statement.raw(true).all(this.args) };
  }
}

/** Compiles SQL on one better-sqlite3 connection (uncached: callers keep their own). */
type SqlitePreparer = (sql: string) => BetterSqlite3.Statement;

/** A bounded map, least recently used evicted first. */
function lru<V>(limit: number): { get(key: string, make: () => V): V } {
  const entries = new Map<string, V>();
  return {
    get(key, make) {
      let value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
      } else {
        value = make();
        if (entries.size >= limit) entries.delete(entries.keys().next().value!);
      }
      entries.set(key, value);
      return value;
    },
  };
}

/**
 * The adapter compiles every statement anew; under load, compiling SQL was the largest single
 * cost in the gateway's CPU profile (docs/benchmarks.md). This keeps compiled statements, least
 * recently used evicted first. The adapter's connection is an internal field: if a later adapter
 * version lacks it, statements are simply not cached.
 */
function withStatementCache(factory: PrismaBetterSqlite3, onConnect: (prepare: SqlitePreparer) => void): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      const client = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
      if (typeof client?.prepare !== 'function') return adapter;
      const prepare = client.prepare.bind(client);
      const cache = lru<BetterSqlite3.Statement>(STATEMENT_CACHE_SIZE);
      (client as { prepare: unknown }).prepare = (sql: string) => new ReusableStatement(cache.get(sql, () => prepare(sql)));
      onConnect(prepare);
      return adapter;
    },
  };
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/**
 * Prisma's query events, the one timing hook that works the same with both adapters. Without an
 * observer nothing is asked for, so tools (seed, rotate-keys) pay nothing.
 */
function queryEvents(onQuery: QueryObserver | undefined): { log?: [{ emit: 'event'; level: 'query' }] } {
  return onQuery ? { log: [{ emit: 'event', level: 'query' }] } : {};
}

function observeQueries(db: unknown, onQuery: QueryObserver | undefined): void {
  if (!onQuery) return;
  (db as { $on(event: 'query', listener: (event: Prisma.QueryEvent) => void): void }).$on('query', (event) =>
    onQuery(event.duration, event.query),
  );
}

const elapsedMs = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

async function retryWhileBusy<T>(operation: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SQLITE_LOCK_WAIT_MS;
  for (let pause = LOCK_RETRY_FIRST_MS; ; pause = Math.min(pause * 2, LOCK_RETRY_MAX_MS)) {
    try {
      return await operation();
    } catch (err) {
      const left = deadline - Date.now();
      if (!isSqliteBusy(err) || left <= 0) throw err;
      // Jitter, so that writers waiting on the same lock do not all knock at once.
      await sleep(Math.min(left, pause / 2 + Math.random() * pause));
    }
  }
}

/**
 * On Prisma's own better-sqlite3 connection (`connection()` is whichever Prisma has connected),
 * so these statements see what Prisma's do, and no second connection competes for SQLite's lock.
 */
function sqlitePrepared(connection: () => SqlitePreparer | undefined, observe?: QueryObserver): PreparedStatements {
  let current: SqlitePreparer | undefined;
  let cache = lru<BetterSqlite3.Statement>(STATEMENT_CACHE_SIZE);
  const prepare = (sql: string): BetterSqlite3.Statement => {
    const compile = connection();
    if (!compile) throw new Error('the database is not connected');
    if (compile !== current) {
      current = compile;
      cache = lru<BetterSqlite3.Statement>(STATEMENT_CACHE_SIZE);
    }
    // Prisma's connection returns integers as BigInt; the columns read this way all fit a double.
    return cache.get(sql, () => compile(sql).safeIntegers(false));
  };
  const run = (sql: string, values: readonly unknown[]): Record<string, unknown>[] => {
    const statement = prepare(sql);
    // all(), not get(), even for one row: an UPDATE ... RETURNING stopped after its first row
    // (get) commits without running SQLite's WAL auto-checkpoint, and the WAL then grows
    // without bound (it reached 40 MB in 10,000 updates, and every read slowed down with it).
    if (statement.reader) return statement.all(...values) as Record<string, unknown>[];
    statement.run(...values);
    return [];
  };
  const timed = <T>(sql: string, work: () => T): T => {
    const started = process.hrtime.bigint();
    try {
      return work();
    } catch (err) {
      if (isSqliteBusy(err)) throw new DatabaseBusyError('database is locked', { cause: err });
      throw err;
    } finally {
      observe?.(elapsedMs(started), sql);
    }
  };
  return {
    query: async (sql, values) => timed(sql, () => run(sql, values)),
    transaction: async (statements) =>
      timed(statements.map((statement) => statement.sql).join('; '), () => {
        // IMMEDIATE: the write lock up front, so a busy database refuses the BEGIN, before any change.
        try {
          run('BEGIN IMMEDIATE', []);
        } catch (err) {
          // A transaction Prisma opened on this connection is still running (its steps await):
          // not ours to join. Like a lock held elsewhere, it is waited out (whenUnlocked).
          if (err instanceof Error && /within a transaction/.test(err.message)) {
            throw new DatabaseBusyError('a transaction is open on the connection', { cause: err });
          }
          throw err;
        }
        try {
          const results = statements.map((statement) => run(statement.sql, statement.values));
          run('COMMIT', []);
          return results;
        } catch (err) {
          try {
            run('ROLLBACK', []);
          } catch {
            // SQLite may have rolled back by itself already (it does on some errors); the first error tells.
          }
          throw err;
        }
      }),
  };
}

/** Named statements: each connection parses and plans a statement once, then only binds and executes it. */
function postgresPrepared(pool: pg.Pool, observe?: QueryObserver): PreparedStatements {
  let counter = 0;
  const names = lru<string>(STATEMENT_CACHE_SIZE);
  const named = (sql: string, values: readonly unknown[]) => ({
    name: names.get(sql, () => `mg_${++counter}`),
    text: sql,
    values: values as unknown[],
  });
  /** As pool.query() does, but `work` may run several statements on the one connection. */
  async function withClient<T>(sql: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // A socket that dies while a client is checked out emits 'error' on that client, and the pool
    // listens only while it is idle: unheard, the event would crash the process. The query
    // itself rejects as well; the listener just records that the connection is dead.
    let failure: Error | undefined;
    const onConnectionError = (err: Error) => {
      failure ??= err;
    };
    client.on('error', onConnectionError);
    // Timed without the wait for a free connection.
    const started = process.hrtime.bigint();
    try {
      return await work(client);
    } catch (err) {
      failure = err as Error;
      throw err;
    } finally {
      observe?.(elapsedMs(started), sql);
      client.removeListener('error', onConnectionError);
      // A connection that failed mid-statement is discarded, not handed to the next request.
      client.release(failure);
    }
  }
  return {
    query: (sql, values) => withClient(sql, async (client) => (await client.query(named(sql, values))).rows as Record<string, unknown>[]),
    transaction: (statements) =>
      withClient(statements.map((statement) => statement.sql).join('; '), async (client) => {
        await client.query('BEGIN');
        const results: Record<string, unknown>[][] = [];
        for (const statement of statements)
          results.push((await client.query(named(statement.sql, statement.values))).rows as Record<string, unknown>[]);
        // A failed statement leaves the connection to be discarded (above): PostgreSQL rolls back
        // the open transaction when the connection closes.
        await client.query('COMMIT');
        return results;
      }),
  };
}

async function openSqlite(config: DatabaseConfig, onQuery?: QueryObserver): Promise<Database> {
  const file = config.sqlitePath!;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let connected: SqlitePreparer | undefined;
  // timeout 0: SQLITE_BUSY at once instead of a busy wait on the main thread (whenUnlocked waits).
  const adapter = withStatementCache(new PrismaBetterSqlite3({ url: `file:${file}`, timeout: 0 }), (prepare) => (connected = prepare));
  const db = new PrismaClient({ adapter, ...queryEvents(onQuery) }) as Db;
  observeQueries(db, onQuery);
  // WAL lets readers run beside the writer and makes a commit an append, not a rewrite;
  // synchronous=NORMAL is durable across application crashes in WAL mode (only a power loss
  // can drop the last commits), and is what makes a write cost microseconds, not a millisecond.
  await retryWhileBusy(() => db.$queryRawUnsafe('PRAGMA journal_mode = WAL'));
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  return {
    provider: 'sqlite',
    db,
    prepared: sqlitePrepared(() => connected, onQuery),
    whenUnlocked: retryWhileBusy,
    ping: async () => {
      await db.$queryRawUnsafe('SELECT 1');
    },
    close: () => db.$disconnect(),
  };
}

function openPostgres(config: DatabaseConfig, onPoolError: (err: Error) => void, onQuery?: QueryObserver): Database {
  const parsed = parseConnectionString(config.url);
  const schema = new URL(config.url).searchParams.get('schema') ?? undefined;
  const pool = new pg.Pool({
    host: parsed.host ?? undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    user: parsed.user ?? undefined,
    password: parsed.password ?? undefined,
    database: parsed.database ?? undefined,
    ssl: parsed.ssl as pg.PoolConfig['ssl'],
    application_name: 'model-gateway',
    max: config.pool.max,
    // A dead database must not hold requests for long: connecting and every statement are
    // bounded, so callers get a 503 quickly and the pool reconnects once the database is back.
    connectionTimeoutMillis: config.pool.connectTimeoutMs,
    idleTimeoutMillis: config.pool.idleTimeoutMs,
    statement_timeout: config.pool.statementTimeoutMs || undefined,
    query_timeout: config.pool.statementTimeoutMs ? config.pool.statementTimeoutMs + 1000 : undefined,
    keepAlive: true,
  });
  // An idle connection that dies (database restart, cut network) emits 'error' on the pool;
  // unhandled, that would crash the process.
  pool.on('error', onPoolError);
  const adapter = new PrismaPg(pool, { ...(schema ? { schema } : {}), onPoolError });
  const db = new PostgresPrismaClient({ adapter, ...queryEvents(onQuery) }) as unknown as Db;
  observeQueries(db, onQuery);
  return {
    provider: 'postgresql',
    db,
    ...(schema ? { schema } : {}),
    prepared: postgresPrepared(pool, onQuery),
    whenUnlocked: (operation) => operation(),
    ping: async () => {
      await db.$queryRawUnsafe('SELECT 1');
    },
    close: async () => {
      await db.$disconnect();
      await pool.end();
    },
  };
}

export async function openDatabase(
  config: DatabaseConfig,
  onPoolError: (err: Error) => void = () => {},
  onQuery?: QueryObserver,
): Promise<Database> {
  return config.provider === 'sqlite' ? openSqlite(config, onQuery) : openPostgres(config, onPoolError, onQuery);
}
