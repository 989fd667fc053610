import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { PrismaClient as PostgresPrismaClient } from '../generated/postgresql/client';
import { Prisma, PrismaClient } from '../generated/sqlite/client';
import { postgresStatements, sqliteStatements, type ModelStatements } from '../models/model.statements';
import type { DatabaseConfig } from './config';

export { Prisma };
/**
 * The service is written against one client type. The PostgreSQL client is generated from a
 * schema describing the same model (checked in CI), so its delegates take and return the same
 * shapes; only native column types differ underneath.
 */
export type Db = PrismaClient;

/** SQLITE_BUSY waits this long for a writer in another process before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Distinct SQL texts kept prepared per connection. Prisma's statements repeat; a few vary with the
 * request (which fields an update sets), so the set is bounded rather than keyed by whatever arrives.
 */
const STATEMENT_CACHE_SIZE = 500;

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

/**
 * The adapter compiles every statement anew; under load, compiling SQL was the largest single
 * cost in the gateway's CPU profile (docs/benchmarks.md). This keeps compiled statements, least
 * recently used evicted first. The adapter's connection is an internal field: if a later adapter
 * version lacks it, statements are simply not cached.
 */
function withStatementCache(
  factory: PrismaBetterSqlite3,
  onConnect: (prepare: (sql: string) => BetterSqlite3.Statement) => void,
): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      const client = (adapter as unknown as { client?: BetterSqlite3.Database }).client;
      if (typeof client?.prepare !== 'function') return adapter;
      const prepare = client.prepare.bind(client);
      const cache = new Map<string, BetterSqlite3.Statement>();
      (client as { prepare: unknown }).prepare = (sql: string) => {
        let statement = cache.get(sql);
        if (statement) {
          cache.delete(sql);
        } else {
          statement = prepare(sql);
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        }
        cache.set(sql, statement);
        return new ReusableStatement(statement);
      };
      onConnect(prepare);
      return adapter;
    },
  };
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

export interface Database {
  db: Db;
  /** The hot statements (one model's read, the conditional update), prepared on the same connections. */
  statements?: ModelStatements;
  /** Cheap round trip, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Called once per statement the driver adapter ran (metrics), with its duration in milliseconds. */
export type QueryObserver = (durationMs: number, query: string) => void;

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

async function openSqlite(config: DatabaseConfig, onQuery?: QueryObserver): Promise<Database> {
  const file = config.sqlitePath!;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let prepare: ((sql: string) => BetterSqlite3.Statement) | undefined;
  const adapter = withStatementCache(
    new PrismaBetterSqlite3({ url: `file:${file}`, timeout: SQLITE_BUSY_TIMEOUT_MS }),
    (connected) => (prepare = connected),
  );
  const db = new PrismaClient({ adapter, ...queryEvents(onQuery) }) as Db;
  observeQueries(db, onQuery);
  // WAL lets readers run beside the writer and makes a commit an append, not a rewrite;
  // synchronous=NORMAL is durable across application crashes in WAL mode (only a power loss
  // can drop the last commits), and is what makes a write cost microseconds, not a millisecond.
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  return {
    db,
    statements: sqliteStatements(() => prepare, onQuery),
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
    db,
    statements: postgresStatements(pool, schema, onQuery),
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
