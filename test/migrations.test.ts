/**
 * The migration CLI (dist/cli/migrate.js, built by `npm run build`), run as a child process
 * against temporary SQLite files: Prisma's schema engine as WebAssembly must apply
 * prisma/migrations exactly like `prisma migrate deploy`, and the migrations must match
 * prisma/schema.prisma.
 *
 * With TEST_DATABASE_URL set (a postgresql:// URL of a server where the test may create and
 * drop databases, e.g. postgresql://postgres@127.0.0.1:5432/test), the same for PostgreSQL and
 * prisma/postgresql/migrations, each test in a fresh database dropped afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { PRISMA_LAYOUT } from '../src/db/layout';
import { describeIf, NEEDS_POSTGRES } from './helpers/optional';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'migrate.js');
const { migrationsDir: MIGRATIONS, schemaPath: SCHEMA } = PRISMA_LAYOUT.sqlite;
const PG_MIGRATIONS = PRISMA_LAYOUT.postgresql.migrationsDir;
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

// The CLI's defaults follow DATABASE_URL (and MIGRATE_CHECK_DATABASE_URL for PostgreSQL):
// tests set them explicitly.
const { DATABASE_URL: _databaseUrl, MIGRATE_CHECK_DATABASE_URL: _checkUrl, ...baseEnv } = process.env;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function migrate(args: string[], env: Record<string, string> = {}, cwd?: string): Run {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd: cwd ?? tmp,
    env: { ...baseEnv, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Like migrate(), without blocking: for processes that must run at the same time. */
function migrateAsync(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: tmp, env: { ...baseEnv, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function migrationNames(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
}

let tmp: string;

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-test-'));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('migrate CLI', () => {
  it('has migrations and a SQLite migration_lock.toml', () => {
    expect(migrationNames(MIGRATIONS).length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(MIGRATIONS, 'migration_lock.toml'), 'utf8')).toMatch(/^provider = "sqlite"$/m);
  });

  it('deploys to a fresh file, then applies nothing on a second run', () => {
    const dbFile = path.join(tmp, 'nested', 'dir', 'deploy.db'); // parent directories do not exist yet
    const env = { DATABASE_URL: `file:${dbFile}` };
    const names = migrationNames(MIGRATIONS);

    const first = migrate(['deploy'], env);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual(names.map((n) => `applied ${n}`));

    const second = migrate(['deploy'], env);
    expect(second.status).toBe(0);
    expect(second.stdout.trim()).toBe('no pending migrations');

    // The file is not locked: open it, read and write.
    const db = new Database(dbFile, { timeout: 200 });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['models', '_prisma_migrations']));

      const rows = db
        .prepare(
          'SELECT migration_name, checksum, finished_at, logs, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
        )
        .all() as {
        migration_name: string;
        checksum: string;
        finished_at: string | null;
        logs: string | null;
        rolled_back_at: string | null;
        applied_steps_count: number;
      }[];
      expect(rows.map((r) => r.migration_name)).toEqual(names);
      for (const row of rows) {
        const sql = fs.readFileSync(path.join(MIGRATIONS, row.migration_name, 'migration.sql'));
        expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
        expect(row.finished_at).not.toBeNull();
        expect(row.logs).toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(row.applied_steps_count).toBe(1);
      }

      db.prepare("INSERT INTO models (model_id, owner_id, model_provider, model_name) VALUES ('m1', 'u1', 'openai', 'gpt')").run();
      expect(db.prepare('SELECT count(*) FROM models').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('uses DATABASE_URL relative to the working directory, default file:./data/models.db', () => {
    const cwd = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    const env: Record<string, string> = { DATABASE_URL: '' };
    const res = migrate(['deploy'], env, cwd);
    expect(res.status).toBe(0);
    expect(fs.existsSync(path.join(cwd, 'data', 'models.db'))).toBe(true);
  });

  it('check: the migrations match prisma/schema.prisma', () => {
    const res = migrate(['check']);
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('migrations match prisma/schema.prisma');
    expect(res.status).toBe(0);
  });

  it('check: detects a schema change the migrations lack', () => {
    const schema = fs
      .readFileSync(SCHEMA, 'utf8')
      .replace(/^(\s*)version(\s+)Int(.*)$/m, (line, indent: string) => `${line}\n${indent}extraColumn String? @map("extra_column")`);
    expect(schema).toContain('extra_column');
    const copy = path.join(tmp, 'schema-with-extra-column.prisma');
    fs.writeFileSync(copy, schema);

    const res = migrate(['check', '--schema', copy]);
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/ALTER TABLE "models" ADD COLUMN "extra_column" TEXT/);
  });

  it('diff prints the CREATE TABLE of the schema', () => {
    const res = migrate(['diff']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/CREATE TABLE "models"/);
  });

  it('records a failed migration and refuses later deploys', () => {
    const dir = path.join(tmp, 'failing-migrations');
    fs.cpSync(MIGRATIONS, dir, { recursive: true });
    const broken = '29991231235959_broken';
    fs.mkdirSync(path.join(dir, broken));
    fs.writeFileSync(path.join(dir, broken, 'migration.sql'), 'INSERT INTO "no_such_table" VALUES (1);\n');
    const dbFile = path.join(tmp, 'failing.db');
    const env = { DATABASE_URL: `file:${dbFile}` };

    const first = migrate(['deploy', '--migrations', dir], env);
    expect(first.status).toBe(1);
    expect(first.stderr.trim().split('\n')).toHaveLength(1);
    expect(first.stderr).toContain(broken);

    const db = new Database(dbFile, { timeout: 200 });
    try {
      const row = db.prepare('SELECT finished_at, logs FROM _prisma_migrations WHERE migration_name = ?').get(broken) as {
        finished_at: string | null;
        logs: string | null;
      };
      expect(row.finished_at).toBeNull();
      expect(row.logs).toBeTruthy();
    } finally {
      db.close();
    }

    const second = migrate(['deploy', '--migrations', dir], env);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/P3009/);
  });

  it('fails with a one-line error on a bad command', () => {
    const res = migrate(['frobnicate']);
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('PostgreSQL migrations (files)', () => {
  it('has migrations with a PostgreSQL migration_lock.toml and native types', () => {
    const names = migrationNames(PG_MIGRATIONS);
    expect(names.length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(PG_MIGRATIONS, 'migration_lock.toml'), 'utf8')).toMatch(/^provider = "postgresql"$/m);
    const init = fs.readFileSync(path.join(PG_MIGRATIONS, names[0]!, 'migration.sql'), 'utf8');
    expect(init).toMatch(/"created_at" TIMESTAMPTZ\(3\) NOT NULL/);
    expect(init).toMatch(/"abilities" JSONB/);
    expect(init).toMatch(/"temperature" DOUBLE PRECISION/);
  });
});

const describePg = describeIf(Boolean(TEST_DATABASE_URL), __filename, NEEDS_POSTGRES);

describePg('migrate CLI on PostgreSQL (TEST_DATABASE_URL)', () => {
  const serverUrl = TEST_DATABASE_URL as string;
  let dbName: string;
  let dbUrl: string;

  function urlFor(database: string, params = ''): string {
    const u = new URL(serverUrl);
    u.pathname = `/${database}`;
    u.search = params;
    return u.toString();
  }

  async function withServer<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  async function query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: dbUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  beforeEach(async () => {
    dbName = `mg_mig_test_${randomBytes(6).toString('hex')}`;
    dbUrl = urlFor(dbName);
    await withServer((c) => c.query(`CREATE DATABASE "${dbName}"`));
  });

  afterEach(async () => {
    await withServer((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  });

  it('deploys to a fresh database, then applies nothing on a second run', () => {
    const env = { DATABASE_URL: dbUrl };
    const names = migrationNames(PG_MIGRATIONS);

    const first = migrate(['deploy'], env);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual(names.map((n) => `applied ${n}`));

    const second = migrate(['deploy'], env);
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    expect(second.stdout.trim()).toBe('no pending migrations');
  }, 120_000);

  it('records each migration in _prisma_migrations with its SHA-256 and creates native column types', async () => {
    expect(migrate(['deploy'], { DATABASE_URL: dbUrl }).status).toBe(0);
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      logs: string | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
    }>(
      'SELECT migration_name, checksum, finished_at, logs, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(migrationNames(PG_MIGRATIONS));
    for (const row of rows) {
      const sql = fs.readFileSync(path.join(PG_MIGRATIONS, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).not.toBeNull();
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }

    const types = await query<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'models'",
    );
    const typeOf = Object.fromEntries(types.map((t) => [t.column_name, t.data_type]));
    expect(typeOf).toMatchObject({
      created_at: 'timestamp with time zone',
      updated_at: 'timestamp with time zone',
      abilities: 'jsonb',
      temperature: 'double precision',
    });
    await query("INSERT INTO models (model_id, owner_id, model_provider, model_name) VALUES ('m1', 'u1', 'openai', 'gpt')");
    expect(await query('SELECT model_id FROM models')).toEqual([{ model_id: 'm1' }]);
  }, 120_000);

  it('4 deploys started at once (4 processes) apply each migration exactly once', async () => {
    const names = migrationNames(PG_MIGRATIONS);
    const runs = await Promise.all([1, 2, 3, 4].map(() => migrateAsync(['deploy'], { DATABASE_URL: dbUrl })));
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }
    const lines = runs.flatMap((r) => r.stdout.trim().split('\n'));
    expect(lines.filter((l) => l.startsWith('applied ')).sort()).toEqual(names.map((n) => `applied ${n}`));
    expect(lines.filter((l) => l === 'no pending migrations')).toHaveLength(4 - (names.length > 0 ? 1 : 0));

    const rows = await query<{ migration_name: string; finished_at: Date | null }>(
      'SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  }, 120_000);

  it('honours ?schema= of the URL', async () => {
    const url = urlFor(dbName, '?schema=tenant_a');
    expect(migrate(['deploy'], { DATABASE_URL: url }).status).toBe(0);
    const tables = await query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tenant_a' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(['_prisma_migrations', 'models', 'user_default_models']);
    const drift = migrate(['drift'], { DATABASE_URL: url });
    expect(drift.stdout.trim()).toBe('the database matches prisma/postgresql/schema.prisma');
    expect(drift.status).toBe(0);
  }, 120_000);

  it('drift: detects a change made to the database outside the migrations', async () => {
    const env = { DATABASE_URL: dbUrl };
    expect(migrate(['deploy'], env).status).toBe(0);
    const clean = migrate(['drift'], env);
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);

    await query('ALTER TABLE models ADD COLUMN x int');
    const drifted = migrate(['drift'], env);
    expect(drifted.status).toBe(1);
    expect(drifted.stdout).toMatch(/ALTER TABLE "models" DROP COLUMN "x"/);
  }, 120_000);

  it('check --provider postgresql: the migrations match prisma/postgresql/schema.prisma', () => {
    const res = migrate(['check', '--provider', 'postgresql'], { MIGRATE_CHECK_DATABASE_URL: serverUrl });
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('migrations match prisma/postgresql/schema.prisma');
    expect(res.status).toBe(0);
  }, 120_000);

  it('check --all checks both providers; a PostgreSQL DATABASE_URL selects the PostgreSQL files', () => {
    const all = migrate(['check', '--all'], { MIGRATE_CHECK_DATABASE_URL: serverUrl });
    expect(all.stderr).toBe('');
    expect(all.stdout.trim().split('\n')).toEqual([
      'migrations match prisma/schema.prisma',
      'migrations match prisma/postgresql/schema.prisma',
    ]);
    expect(all.status).toBe(0);

    const byUrl = migrate(['check'], { DATABASE_URL: dbUrl });
    expect(byUrl.stdout.trim()).toBe('migrations match prisma/postgresql/schema.prisma');
    expect(byUrl.status).toBe(0);
  }, 120_000);

  it('check --provider postgresql: detects a schema change the migrations lack', () => {
    const schema = fs
      .readFileSync(path.join(ROOT, 'prisma', 'postgresql', 'schema.prisma'), 'utf8')
      .replace(/^(\s*)version(\s+)Int(.*)$/m, (line, indent: string) => `${line}\n${indent}extraColumn String? @map("extra_column")`);
    const copy = path.join(tmp, 'pg-schema-with-extra-column.prisma');
    fs.writeFileSync(copy, schema);
    const res = migrate(['check', '--schema', copy, '--migrations', PG_MIGRATIONS], { MIGRATE_CHECK_DATABASE_URL: serverUrl });
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/ALTER TABLE "models" ADD COLUMN\s+"extra_column" TEXT/);
  }, 120_000);

  it('diff --provider postgresql prints every statement of the migrations (migrate diff --from-empty)', () => {
    const res = migrate(['diff', '--provider', 'postgresql'], { MIGRATE_CHECK_DATABASE_URL: serverUrl });
    expect(res.status).toBe(0);
    // From empty, the engine writes all migrations' statements as one script (foreign keys last).
    const statements = migrationNames(PG_MIGRATIONS).flatMap((name) =>
      fs
        .readFileSync(path.join(PG_MIGRATIONS, name, 'migration.sql'), 'utf8')
        .split(';')
        .map((statement) => statement.replace(/--.*$/gm, '').trim())
        .filter((statement) => statement !== ''),
    );
    expect(statements.length).toBeGreaterThan(5);
    for (const statement of statements) expect(res.stdout).toContain(statement);
  }, 120_000);
});
