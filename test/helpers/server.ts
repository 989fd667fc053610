/**
 * Test servers: real `node dist/main.js` processes, each on its own database.
 *
 * The backend follows TEST_DATABASE_URL. Unset: every server gets a fresh SQLite file in a
 * temporary directory. A postgresql:// URL (of a server where the tests may CREATE and DROP
 * DATABASE, e.g. postgresql://postgres@127.0.0.1:5432/test): every server gets a fresh database
 * `mg_t_<pid>_<n>_<random>`, migrated by the server at start-up, dropped by `stop()`; whatever a
 * test file left behind (a failed test, a server never stopped) is stopped and dropped in an
 * afterAll hook this module registers in every test file that imports it, and databases of test
 * processes that died without that hook are dropped by the next run on the same host.
 *
 * A caller that sets DATABASE_URL itself (file:..., or undefined for the server's default) keeps
 * what it asked for. A caller that passes its own `dataDir` gets, on PostgreSQL, the database of
 * that directory: starting again on the same directory finds the same data, as it would in the
 * SQLite file there; such databases are dropped at the end of the test file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { quoteIdent } from '../../src/db/sql';
import { PROJECT_ROOT } from '../../src/lib/paths';
import { SyncPg, type TestDb } from './pg-sync';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from './tokens';

export type { TestDb, TestStatement } from './pg-sync';

export { PROJECT_ROOT };
export const SERVER_ENTRY = path.join(PROJECT_ROOT, 'dist', 'main.js');

export type Backend = 'sqlite' | 'postgresql';

/** The PostgreSQL server the tests create their databases on, when testing PostgreSQL. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
if (TEST_DATABASE_URL && !/^postgres(ql)?:\/\//.test(TEST_DATABASE_URL)) {
  throw new Error('TEST_DATABASE_URL must be a postgresql:// URL');
}

/** The backend test servers run on by default. */
export const backend: Backend = TEST_DATABASE_URL ? 'postgresql' : 'sqlite';

/** For tests about SQLite itself (its files, PRAGMAs, sqlite_master): skipped on PostgreSQL. */
export const describeSqliteOnly: jest.Describe = backend === 'sqlite' ? describe : describe.skip;
export const itSqliteOnly: jest.It = backend === 'sqlite' ? it : it.skip;
/** The PostgreSQL twins of SQLite-only tests: skipped on SQLite. */
export const describePostgresOnly: jest.Describe = backend === 'postgresql' ? describe : describe.skip;
export const itPostgresOnly: jest.It = backend === 'postgresql' ? it : it.skip;

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  /** The DATABASE_URL the server was started with. */
  databaseUrl: string;
  /** The backend of this server (a test may ask for SQLite on a PostgreSQL run). */
  backend: Backend;
  /** SQLite: the database file; '' on PostgreSQL. */
  dbPath: string;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /**
   * A synchronous connection to the server's database. SQLite: the real file (read-write; WAL
   * allows it beside the server). PostgreSQL: see ./pg-sync (rows as SQLite would return them).
   */
  db(): TestDb;
  /** Stops the process; on PostgreSQL, drops the server's own database. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'model-gateway-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The environment a test server gets unless a test overrides it. */
export function baseEnv(dataDir: string, port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: `file:${path.join(dataDir, 'models.db')}`,
    // Every operation compiled at its first use: the suite runs against the compiled executor
    // (graphql-jit), whose answers must be graphql-js's (test/graphql-jit.test.ts covers both).
    GRAPHQL_JIT_COMPILE_AFTER: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    API_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'info',
  };
}

/** How long stop() waits for the process to exit after the signal before it kills it and fails. */
const STOP_GRACE_MS = 15_000;

export interface StartOptions {
  env?: Record<string, string | undefined>;
  dataDir?: string;
  /** Resolve once the process exits instead of waiting for it to listen (bad-config tests). */
  expectExit?: boolean;
  cwd?: string;
}

/* ------------------------------------------------------------------ PostgreSQL test databases */

interface PgDatabase {
  name: string;
  url: string;
  dropped: boolean;
}

/** Every database this process created and has not dropped yet. */
const databases = new Set<PgDatabase>();
/** Databases of caller-given data directories: a restart on the directory finds its data again. */
const databaseOfDataDir = new Map<string, PgDatabase>();
/** Servers started and not stopped yet. */
const running = new Set<RunningServer>();
let counter = 0;
let sweep: Promise<void> | undefined;

const COMMENT_PREFIX = 'model-gateway test database';

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_DATABASE_URL, application_name: 'model-gateway-tests' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function urlOf(database: string): string {
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${database}`;
  return url.toString();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Drops the test databases of test processes on this host that no longer run (killed before
 * their afterAll could drop them). Databases of live processes, or of other hosts, are left alone.
 */
async function sweepOrphans(): Promise<void> {
  const host = os.hostname();
  await withAdmin(async (client) => {
    const { rows } = await client.query<{ datname: string; comment: string | null }>(
      "SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname LIKE 'mg\\_t\\_%'",
    );
    for (const { datname, comment } of rows) {
      const owner = /host=(\S+) pid=(\d+)/.exec(comment ?? '');
      if (!comment?.startsWith(COMMENT_PREFIX) || !owner || owner[1] !== host || processAlive(Number(owner[2]))) continue;
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`).catch(() => undefined);
    }
  });
}

async function createDatabase(): Promise<PgDatabase> {
  sweep ??= sweepOrphans().catch(() => undefined);
  await sweep;
  const name = `mg_t_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
  await withAdmin(async (client) => {
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    await client.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS '${COMMENT_PREFIX}: host=${os.hostname()} pid=${process.pid}'`);
  });
  const database = { name, url: urlOf(name), dropped: false };
  databases.add(database);
  return database;
}

async function dropDatabase(database: PgDatabase): Promise<void> {
  if (database.dropped) return;
  database.dropped = true;
  databases.delete(database);
  for (const [dir, db] of databaseOfDataDir) if (db === database) databaseOfDataDir.delete(dir);
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database.name)} WITH (FORCE)`));
}

/**
 * PostgreSQL runs only: a fresh, empty database of its own (for tests that pass DATABASE_URL
 * themselves, e.g. to look at it before a server starts), dropped at the end of the test file.
 */
export async function createTestDatabase(): Promise<string> {
  if (backend !== 'postgresql') throw new Error('createTestDatabase() needs TEST_DATABASE_URL (a PostgreSQL run)');
  return (await createDatabase()).url;
}

/**
 * Stops what a test file left running and drops every database it created. jest runs this hook
 * before the test file's own top-level afterAll hooks (it is registered first, at import): servers
 * get SIGTERM, as a test's own `stop()` would send, so they still exit as the test expects.
 */
async function cleanUp(): Promise<void> {
  const errors: unknown[] = [];
  await Promise.all([...running].map((server) => server.stop().catch((err: unknown) => errors.push(err))));
  for (const database of [...databases]) await dropDatabase(database).catch((err: unknown) => errors.push(err));
  if (errors.length > 0) {
    const messages = errors.map((err) => (err instanceof Error ? err.message : String(err)));
    throw new AggregateError(errors, `cleaning up test servers and databases failed:\n${messages.join('\n')}`);
  }
}

// Registered in every test file that imports this module; runs whether its tests passed or not.
if (typeof afterAll === 'function') afterAll(cleanUp, 60_000);

/* ------------------------------------------------------------------ servers */

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? tempDir();
  const port = await freePort();
  const env: Record<string, string> = baseEnv(dataDir, port);
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }

  // PostgreSQL: a database of its own, unless the caller chose DATABASE_URL.
  let ownDatabase: PgDatabase | undefined;
  if (backend === 'postgresql' && !('DATABASE_URL' in (options.env ?? {}))) {
    let database = options.dataDir !== undefined ? databaseOfDataDir.get(options.dataDir) : undefined;
    if (!database) {
      database = await createDatabase();
      if (options.dataDir !== undefined) databaseOfDataDir.set(options.dataDir, database);
      else ownDatabase = database;
    }
    env.DATABASE_URL = database.url;
  }

  const child = spawn(process.execPath, [SERVER_ENTRY], { env, cwd: options.cwd ?? dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  const databaseUrl = env.DATABASE_URL ?? '';
  const serverBackend: Backend = /^postgres(ql)?:\/\//.test(databaseUrl) ? 'postgresql' : 'sqlite';
  const dbPath = databaseUrl.startsWith('file:') ? databaseUrl.slice(5) : '';
  let connection: SyncPg | undefined;
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    running.delete(server);
    connection?.close();
    connection = undefined;
    if (ownDatabase) await dropDatabase(ownDatabase);
  };
  const server: RunningServer = {
    url,
    port,
    dataDir,
    databaseUrl,
    backend: serverBackend,
    dbPath,
    process: child,
    logs: () => output,
    db: () => {
      if (serverBackend === 'sqlite') return new Database(dbPath);
      if (released) throw new Error('the server was stopped: its database is gone');
      connection ??= new SyncPg(databaseUrl);
      return connection.handle();
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) {
        await release();
        return child.exitCode;
      }
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), STOP_GRACE_MS)));
      const code = await Promise.race([exited, hung]);
      clearTimeout(timer);
      if (code === 'hung') {
        // Fail the test that stops it, quickly and clearly, instead of at the test's timeout.
        child.kill('SIGKILL');
        await exited;
        await release();
        throw new Error(`server did not exit within ${STOP_GRACE_MS} ms of ${signal} (killed):\n${output.slice(-4000)}`);
      }
      await release();
      return code;
    },
  };
  running.add(server);
  if (options.expectExit) {
    await exited;
    return server;
  }

  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) {
      await server.stop();
      throw new Error(`server exited with ${child.exitCode} before listening:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/api/models`);
      if (res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop('SIGKILL');
      throw new Error(`server did not start within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return server;
}

/** A synchronous connection to any test database URL (file:... or postgresql://...); close it after use. */
export function openTestDb(databaseUrl: string): TestDb {
  if (databaseUrl.startsWith('file:')) return new Database(databaseUrl.slice('file:'.length), { fileMustExist: true });
  const connection = new SyncPg(databaseUrl);
  const handle = connection.handle();
  return {
    prepare: (sql) => handle.prepare(sql),
    close: () => {
      handle.close();
      connection.close();
    },
  };
}

/**
 * Everything a server's database holds at rest, place by place, for "never stored in plaintext"
 * checks. SQLite: the raw bytes of the database file, its WAL and its rollback journal (those that
 * exist). PostgreSQL: every row of every table of the database, each row as text (`t::text`).
 */
export function storedAtRest(server: RunningServer): { place: string; bytes: Buffer }[] {
  if (server.backend === 'sqlite') {
    return [server.dbPath, `${server.dbPath}-wal`, `${server.dbPath}-journal`]
      .filter((file) => fs.existsSync(file))
      .map((file) => ({ place: file, bytes: fs.readFileSync(file) }));
  }
  const db = server.db();
  try {
    const tables = db
      .prepare(
        "SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
      )
      .all() as { schema: string; name: string }[];
    return tables.map(({ schema, name }) => {
      const rows = db.prepare(`SELECT t::text AS row FROM ${quoteIdent(schema)}.${quoteIdent(name)} t`).all() as { row: string }[];
      return { place: `${schema}.${name}`, bytes: Buffer.from(rows.map((r) => r.row).join('\n'), 'utf8') };
    });
  } finally {
    db.close();
  }
}
