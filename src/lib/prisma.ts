import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { PrismaClient as PostgresPrismaClient } from '../generated/postgresql/client';
import { Prisma, PrismaClient } from '../generated/sqlite/client';
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

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

export interface Database {
  db: Db;
  /** Cheap round trip, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

async function openSqlite(config: DatabaseConfig): Promise<Database> {
  const file = config.sqlitePath!;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const adapter = new PrismaBetterSqlite3({ url: `file:${file}`, timeout: SQLITE_BUSY_TIMEOUT_MS });
  const db = new PrismaClient({ adapter });
  // WAL lets readers run beside the writer and makes a commit an append, not a rewrite;
  // synchronous=NORMAL is durable across application crashes in WAL mode (only a power loss
  // can drop the last commits), and is what makes a write cost microseconds, not a millisecond.
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  return {
    db,
    ping: async () => {
      await db.$queryRawUnsafe('SELECT 1');
    },
    close: () => db.$disconnect(),
  };
}

function openPostgres(config: DatabaseConfig, onPoolError: (err: Error) => void): Database {
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
  const db = new PostgresPrismaClient({ adapter }) as unknown as Db;
  return {
    db,
    ping: async () => {
      await db.$queryRawUnsafe('SELECT 1');
    },
    close: async () => {
      await db.$disconnect();
      await pool.end();
    },
  };
}

export async function openDatabase(config: DatabaseConfig, onPoolError: (err: Error) => void = () => {}): Promise<Database> {
  return config.provider === 'sqlite' ? openSqlite(config) : openPostgres(config, onPoolError);
}
