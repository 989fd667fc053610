/**
 * Starting the compiled server (`node dist/main.js`): it creates and migrates its SQLite file (or
 * migrates its fresh PostgreSQL database), restarts harmlessly, honours DATABASE_URL, refuses bad configuration with a clear
 * `config error:` line (never a secret), keeps generated development secrets under ./data,
 * stops cleanly on SIGTERM, and serves Sandbox only outside production.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { migrationsDirOf } from '../src/db/layout';
import { gql, request } from './helpers/http';
import {
  SERVER_ENTRY,
  backend,
  baseEnv,
  createTestDatabase,
  freePort,
  itPostgresOnly,
  itSqliteOnly,
  openTestDb,
  startServer,
  tempDir,
  type RunningServer,
} from './helpers/server';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, alice } from './helpers/tokens';
import { createModel, gpt4o } from './helpers/models';

const MIGRATIONS_DIR = migrationsDirOf('sqlite');
const PG_MIGRATIONS_DIR = migrationsDirOf('postgresql');
const migrationNames = (dir: string) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
const MIGRATION_NAMES = migrationNames(MIGRATIONS_DIR);
const PG_MIGRATION_NAMES = migrationNames(PG_MIGRATIONS_DIR);

/** Servers a test started and has not stopped yet; stopped after each test whatever happened. */
const running: RunningServer[] = [];
async function start(options: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const server = await startServer(options);
  running.push(server);
  return server;
}
async function stop(server: RunningServer): Promise<number | null> {
  const code = await server.stop();
  running.splice(running.indexOf(server), 1);
  return code;
}
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

function openDb(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

function tablesOf(file: string): string[] {
  const db = openDb(file);
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  } finally {
    db.close();
  }
}

function migrationRows(file: string): Record<string, unknown>[] {
  const db = openDb(file);
  try {
    return db.prepare('SELECT * FROM _prisma_migrations ORDER BY started_at').all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

/** Through the server's own database, whichever backend it runs on. */
function query<T = Record<string, unknown>>(server: RunningServer, sql: string): T[] {
  const db = server.db();
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

function modelIds(file: string): string[] {
  const db = openDb(file);
  try {
    return (db.prepare('SELECT model_id FROM models ORDER BY id').all() as { model_id: string }[]).map((r) => r.model_id);
  } finally {
    db.close();
  }
}

interface Exit {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** On PostgreSQL runs, the database the refused servers are pointed at (they exit before using it). */
let configErrorDatabase: Promise<string> | undefined;

/** Runs the server expecting it to refuse to start; stdout and stderr kept apart. */
async function runToExit(env: Record<string, string | undefined>, dataDir = tempDir()): Promise<Exit & { dataDir: string }> {
  const merged: Record<string, string> = baseEnv(dataDir, await freePort());
  if (backend === 'postgresql') merged.DATABASE_URL = await (configErrorDatabase ??= createTestDatabase());
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  const res = spawnSync(process.execPath, [SERVER_ENTRY], { env: merged, cwd: dataDir, encoding: 'utf8', timeout: 20000 });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, dataDir };
}

function configErrors(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('config error: '));
}

describe('database creation and migration', () => {
  itSqliteOnly('on an empty DATA_DIR it creates the SQLite file and applies every migration once', async () => {
    const dataDir = tempDir();
    expect(fs.readdirSync(dataDir)).toEqual([]);
    const server = await start({ dataDir });
    expect(server.dbPath).toBe(path.join(dataDir, 'models.db'));
    expect(fs.existsSync(server.dbPath)).toBe(true);
    expect(tablesOf(server.dbPath)).toEqual(expect.arrayContaining(['models', '_prisma_migrations']));
    const rows = migrationRows(server.dbPath);
    // Every migration folder, the initial one first, each applied once.
    expect(MIGRATION_NAMES[0]).toMatch(/_init$/);
    expect(rows).toHaveLength(MIGRATION_NAMES.length);
    expect(rows.map((r) => r.migration_name)).toEqual(MIGRATION_NAMES);
    expect(rows[0]!.finished_at).not.toBeNull();
    expect(rows[0]!.rolled_back_at).toBeNull();
    expect(rows[0]!.logs).toBeNull();

    // The schema is usable right away.
    await createModel(server, gpt4o('startup-first'));
    expect(modelIds(server.dbPath)).toEqual(['startup-first']);
  });

  it('starting a second time on the same file keeps the data and adds no migration row', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    await createModel(first, gpt4o('startup-kept', { temperature: 0.25, api_key: 'sk-startup-restart-key' }));
    const before = query(first, 'SELECT * FROM _prisma_migrations ORDER BY started_at');
    expect(before).toHaveLength(MIGRATION_NAMES.length);
    expect(await stop(first)).toBe(0);

    const second = await start({ dataDir });
    const res = await request(second.url, 'GET', '/api/models/startup-kept', { token: alice() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ model_id: 'startup-kept', temperature: 0.25, is_owner: true }));
    expect(res.headers.get('etag')).toBe('"1"');
    expect(query(second, 'SELECT * FROM _prisma_migrations ORDER BY started_at')).toEqual(before);
    // The same encryption key: the stored key opens, so sending it again is no change.
    const same = await request(second.url, 'PUT', '/api/models/startup-kept', {
      token: alice(),
      body: { api_key: 'sk-startup-restart-key' },
    });
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe('"1"');
    expect(second.logs()).not.toMatch(/database migrated/);
  });

  itPostgresOnly('on a fresh, empty PostgreSQL database it applies every migration once; a second start applies nothing', async () => {
    const url = await createTestDatabase();
    const empty = openTestDb(url);
    try {
      expect(empty.prepare("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").all()).toEqual([]);
    } finally {
      empty.close();
    }
    const dataDir = tempDir();
    const first = await start({ dataDir, env: { DATABASE_URL: url } });
    expect(first.backend).toBe('postgresql');
    expect(first.logs()).toMatch(/database migrated/);
    // No SQLite file on the side: the data directory stays empty (the keys come from the environment).
    expect(fs.readdirSync(dataDir)).toEqual([]);
    const tables = query<{ name: string }>(
      first,
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    expect(tables.map((t) => t.name)).toEqual(['_prisma_migrations', 'models', 'user_default_models']);
    const rows = query(first, 'SELECT * FROM _prisma_migrations ORDER BY started_at');
    expect(PG_MIGRATION_NAMES[0]).toMatch(/_init$/);
    expect(rows).toHaveLength(PG_MIGRATION_NAMES.length);
    expect(rows.map((r) => r.migration_name)).toEqual(PG_MIGRATION_NAMES);
    const sql = fs.readFileSync(path.join(PG_MIGRATIONS_DIR, PG_MIGRATION_NAMES[0]!, 'migration.sql'));
    expect(rows[0]!.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
    expect(rows[0]!.finished_at).not.toBeNull();
    expect(rows[0]!.rolled_back_at).toBeNull();
    expect(rows[0]!.logs).toBeNull();
    expect(rows[0]!.applied_steps_count).toBe(1);

    // The schema is usable right away.
    await createModel(first, gpt4o('startup-pg', { temperature: 0.25, api_key: 'sk-startup-pg-key' }));
    expect(query(first, 'SELECT model_id FROM models ORDER BY id')).toEqual([{ model_id: 'startup-pg' }]);
    expect(await stop(first)).toBe(0);

    const second = await start({ dataDir, env: { DATABASE_URL: url } });
    expect(second.logs()).not.toMatch(/database migrated/);
    expect(query(second, 'SELECT * FROM _prisma_migrations ORDER BY started_at')).toEqual(rows);
    const res = await request(second.url, 'GET', '/api/models/startup-pg', { token: alice() });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ model_id: 'startup-pg', temperature: 0.25, is_owner: true }));
    expect(res.headers.get('etag')).toBe('"1"');
    const same = await request(second.url, 'PUT', '/api/models/startup-pg', { token: alice(), body: { api_key: 'sk-startup-pg-key' } });
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe('"1"');
  });

  it('DATABASE_URL=file:<absolute path> is honoured (nested directories are created)', async () => {
    const dataDir = tempDir();
    const custom = path.join(tempDir(), 'nested', 'deeper', 'custom.sqlite');
    const server = await start({ dataDir, env: { DATABASE_URL: `file:${custom}` } });
    expect(server.dbPath).toBe(custom);
    expect(fs.existsSync(custom)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'models.db'))).toBe(false);
    await createModel(server, gpt4o('startup-custom-path'));
    expect(modelIds(custom)).toEqual(['startup-custom-path']);
    expect(migrationRows(custom).map((r) => r.migration_name)).toEqual(MIGRATION_NAMES);
  });

  it('DATABASE_URL=file:./relative is resolved against the working directory', async () => {
    const cwd = tempDir();
    const server = await start({ dataDir: cwd, cwd, env: { DATABASE_URL: 'file:./rel/models.sqlite' } });
    const file = path.join(cwd, 'rel', 'models.sqlite');
    expect(fs.existsSync(file)).toBe(true);
    await createModel(server, gpt4o('startup-relative'));
    expect(modelIds(file)).toEqual(['startup-relative']);
  });
});

describe('configuration errors: exit 1 with a clear `config error:` line and no secret', () => {
  const SHORT_SECRET = 'tensecret!'; // 10 bytes

  it('production without JWT_SECRET or API_KEY_ENCRYPTION_KEY names both', async () => {
    const out = await runToExit({ NODE_ENV: 'production', JWT_SECRET: undefined, API_KEY_ENCRYPTION_KEY: undefined });
    expect(out.status).toBe(1);
    const errors = configErrors(out.stderr);
    expect(errors.some((line) => line.includes('JWT_SECRET'))).toBe(true);
    expect(errors.some((line) => line.includes('API_KEY_ENCRYPTION_KEY'))).toBe(true);
    expect(out.stdout).not.toMatch(/listening/);
    // Production never falls back to generated secrets.
    expect(fs.existsSync(path.join(out.dataDir, 'jwt-secret'))).toBe(false);
    expect(fs.existsSync(path.join(out.dataDir, 'encryption-key'))).toBe(false);
  });

  it('production without JWT_SECRET (encryption key given) names JWT_SECRET only and does not print the key', async () => {
    const out = await runToExit({ NODE_ENV: 'production', JWT_SECRET: undefined });
    expect(out.status).toBe(1);
    const errors = configErrors(out.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/JWT_SECRET/);
    expect(out.stderr + out.stdout).not.toContain(TEST_ENCRYPTION_KEY);
    expect(fs.existsSync(path.join(out.dataDir, 'jwt-secret'))).toBe(false);
  });

  it('production without API_KEY_ENCRYPTION_KEY (JWT_SECRET given) names it and does not print the JWT secret', async () => {
    const out = await runToExit({ NODE_ENV: 'production', API_KEY_ENCRYPTION_KEY: undefined });
    expect(out.status).toBe(1);
    const errors = configErrors(out.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/API_KEY_ENCRYPTION_KEY/);
    expect(out.stderr + out.stdout).not.toContain(TEST_JWT_SECRET);
    expect(fs.existsSync(path.join(out.dataDir, 'encryption-key'))).toBe(false);
  });

  it('production with a 10-byte JWT_SECRET', async () => {
    const out = await runToExit({ NODE_ENV: 'production', JWT_SECRET: SHORT_SECRET });
    expect(out.status).toBe(1);
    const errors = configErrors(out.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/JWT_SECRET/);
    expect(errors[0]).toMatch(/32/);
    expect(out.stderr + out.stdout).not.toContain(SHORT_SECRET);
    expect(out.stderr + out.stdout).not.toContain(TEST_ENCRYPTION_KEY);
  });

  it('production with a 31-byte JWT_SECRET is refused, 32 bytes is enough', async () => {
    const out = await runToExit({ NODE_ENV: 'production', JWT_SECRET: 's'.repeat(31) });
    expect(out.status).toBe(1);
    expect(configErrors(out.stderr)[0]).toMatch(/JWT_SECRET/);
    const server = await start({ env: { NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32) } });
    const token = jwt.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 }, 's'.repeat(32), { algorithm: 'HS256' });
    expect((await request(server.url, 'GET', '/api/models', { token })).status).toBe(200);
  });

  it.each([
    ['not base64 at all', 'this is not base64!!'],
    ['16 bytes', Buffer.alloc(16, 3).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 3).toString('base64')],
    ['32 bytes as hex (64 chars, decodes to 48 bytes)', Buffer.alloc(32, 3).toString('hex')],
  ])('a malformed API_KEY_ENCRYPTION_KEY (%s) is refused, in production and in development', async (_name, value) => {
    for (const nodeEnv of ['production', 'development']) {
      const out = await runToExit({ NODE_ENV: nodeEnv, API_KEY_ENCRYPTION_KEY: value });
      expect(out.status).toBe(1);
      const errors = configErrors(out.stderr);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/API_KEY_ENCRYPTION_KEY/);
      expect(out.stderr + out.stdout).not.toContain(value);
      expect(out.stderr + out.stdout).not.toContain(TEST_JWT_SECRET);
    }
  });

  it('production with JWT_PUBLIC_KEY instead of JWT_SECRET starts', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const server = await start({
      env: { NODE_ENV: 'production', JWT_SECRET: undefined, JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    });
    const res = await request(server.url, 'GET', '/api/models');
    expect(res.status).toBe(401);
  });
});

describe('development secrets under ./data', () => {
  /**
   * The defaults: no DATA_DIR, no keys: the secrets go to ./data. Without DATABASE_URL the SQLite
   * database goes there too; with a PostgreSQL database, ./data holds the secrets only.
   */
  async function secretsRoundTrip(database: 'default' | 'postgresql'): Promise<void> {
    const cwd = tempDir();
    const env: Record<string, string | undefined> = {
      NODE_ENV: 'development',
      DATA_DIR: undefined,
      JWT_SECRET: undefined,
      API_KEY_ENCRYPTION_KEY: undefined,
    };
    // Left out, DATABASE_URL is the test server's PostgreSQL database (see helpers/server.ts).
    if (database === 'default') env.DATABASE_URL = undefined;
    const first = await start({ dataDir: cwd, cwd, env });
    expect(first.backend).toBe(database === 'default' ? 'sqlite' : 'postgresql');
    const dataDir = path.join(cwd, 'data');
    const jwtFile = path.join(dataDir, 'jwt-secret');
    const keyFile = path.join(dataDir, 'encryption-key');
    expect(fs.existsSync(path.join(dataDir, 'models.db'))).toBe(database === 'default');
    for (const file of [jwtFile, keyFile]) {
      expect(fs.existsSync(file)).toBe(true);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
    const secret = fs.readFileSync(jwtFile, 'utf8').trim();
    const encryptionKey = fs.readFileSync(keyFile, 'utf8').trim();
    expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
    expect(Buffer.from(encryptionKey, 'base64')).toHaveLength(32);
    expect(first.logs()).not.toContain(secret);
    expect(first.logs()).not.toContain(encryptionKey);

    const token = jwt.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 }, secret, { algorithm: 'HS256' });
    const created = await request(first.url, 'POST', '/api/models', {
      token,
      body: { model_id: 'dev-secret', model_provider: 'openai', model_name: 'x', api_key: 'sk-dev-secret-restart' },
    });
    expect(created.status).toBe(200);
    expect(await stop(first)).toBe(0);

    const second = await start({ dataDir: cwd, cwd, env });
    expect(fs.readFileSync(jwtFile, 'utf8').trim()).toBe(secret);
    expect(fs.readFileSync(keyFile, 'utf8').trim()).toBe(encryptionKey);
    // The same JWT secret: the old token still works. The same encryption key: the stored key opens.
    const same = await request(second.url, 'PUT', '/api/models/dev-secret', { token, body: { api_key: 'sk-dev-secret-restart' } });
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe('"1"');
    expect(second.logs()).not.toMatch(/"level":50/);
  }

  it('generated once (mode 0600) and reused on restart', () => secretsRoundTrip('default'));

  itPostgresOnly('generated once (mode 0600) and reused on restart, with a PostgreSQL database', () => secretsRoundTrip('postgresql'));
});

describe('signals', () => {
  it('SIGTERM: the process exits 0', async () => {
    const server = await start();
    await createModel(server, gpt4o('sigterm'));
    expect(await stop(server)).toBe(0);
    expect(server.process.signalCode).toBeNull();
  });

  it('SIGTERM while requests are in flight: every answered request succeeded, then the process exits 0', async () => {
    const server = await start();
    await createModel(server, gpt4o('sigterm-inflight'));
    const inflight = Array.from({ length: 10 }, (_, i) =>
      request(server.url, 'PUT', '/api/models/sigterm-inflight', { token: alice(), body: { temperature: i / 10 } }).then(
        (res) => ({ status: res.status }),
        () => ({ status: 'refused' as const }), // sent after the listener closed: never accepted
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    const code = stop(server);
    const results = await Promise.all(inflight);
    expect(await code).toBe(0);
    for (const res of results) expect([200, 'refused']).toContain(res.status);
  });
});

describe('GraphQL Sandbox and introspection', () => {
  it('development: GET /graphql with Accept: text/html serves the Sandbox landing page', async () => {
    const server = await start({ env: { NODE_ENV: 'development' } });
    const res = await request(server.url, 'GET', '/graphql', { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text).toMatch(/embeddable-sandbox/i);
    const introspection = await gql(server.url, '{ __schema { queryType { name } } }');
    expect(introspection.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('production (keys set): introspection is refused and there is no landing page; operations still work', async () => {
    const server = await start({ env: { NODE_ENV: 'production' } });
    const schema = await gql(server.url, '{ __schema { types { name } } }');
    expect(schema.status).toBe(400);
    expect(schema.body.data).toBeUndefined();
    expect(schema.body.errors).toHaveLength(1);
    expect(schema.body.errors![0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(schema.body.errors![0].message).toMatch(/introspection/i);
    const type = await gql(server.url, '{ __type(name: "Model") { fields { name } } }', undefined, alice());
    expect(type.status).toBe(400);
    expect(type.body.errors![0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(type.text).not.toMatch(/hasApiKey/);

    const page = await request(server.url, 'GET', '/graphql', { headers: { Accept: 'text/html' } });
    expect(page.status).not.toBe(200);
    expect(page.text).not.toMatch(/embeddable-sandbox/i);

    const ok = await gql(server.url, '{ models { modelId } }', undefined, alice());
    expect(ok.body).toEqual({ data: { models: [] } });
  });
});
