// PostgreSQL administration around the engine: connection targets, throw-away databases, the
// deploy lock that serializes replicas, and creating the database and schema a deploy needs.

import { randomBytes } from 'node:crypto';
import { Client, type ClientConfig } from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { quoteIdent } from '../sql';
import { MigrationError, messageOf, redactUrl, type MigrationLog } from './errors';

export const PG_DEFAULT_SCHEMA = 'public';

/** Server used for throw-away databases when nothing else is configured. */
export const DEFAULT_POSTGRES_SERVER_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * Key of the session-level advisory lock that serializes deploys (and resolves) across
 * processes. Deliberately not Prisma's own key (72707369): the engine takes that one itself
 * through its connection pool, and a second session asking for the same key from this process
 * would wait for ourselves forever.
 */
const PG_DEPLOY_LOCK_KEY = '7726110119';

export const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60 * 1000;

/** A PostgreSQL URL as discrete connection fields (no connection string anywhere). */
export interface PgTarget {
  /** host, port, user, password, database, ssl, application_name, options: nothing else. */
  config: ClientConfig;
  /** `?schema=` of the URL, default public. */
  schema: string;
  /** For messages: the URL without its password. */
  display: string;
}

export function postgresTarget(url: string): PgTarget {
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

export function pgCode(err: unknown): string | undefined {
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

export function connectError(target: PgTarget, err: unknown): MigrationError {
  return new MigrationError(`cannot connect to PostgreSQL at ${target.display}: ${messageOf(err)}`, pgCode(err), { cause: err });
}

/** Creates an empty `mg_shadow_<random>` database on the target's server; returns its name. */
export async function createScratchDatabase(target: PgTarget): Promise<string> {
  const name = `mg_shadow_${randomBytes(8).toString('hex')}`;
  await withServerConnection(target, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`)).catch((err: unknown) => {
    if (err instanceof MigrationError) throw err;
    throw new MigrationError(`cannot create a throw-away database on ${target.display}: ${messageOf(err)}`, pgCode(err), {
      cause: err,
    });
  });
  return name;
}

export async function dropScratchDatabase(target: PgTarget, name: string): Promise<void> {
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
 * Runs `fn` holding the deploy advisory lock, on a dedicated connection kept for the whole run
 * (a pooled connection could change under the engine's feet), so that replicas starting at the
 * same moment migrate one after the other: the first applies, the others find nothing pending.
 * With `createDatabase`, a missing database is created first (like `prisma migrate deploy`);
 * the schema of the URL is created if missing, under the lock.
 */
export async function withPostgresDeployLock<T>(
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
