/**
 * One SQLite file, two processes (issue 14, item 4). Prisma's schema engine locks the file
 * exclusively, so it must not be started on a file another gateway has open unless a migration
 * is pending: a second gateway (or `npm run migrate`) on an up-to-date file starts and serves
 * without it; with a migration pending it says in one line that another process holds the
 * database and exits 1, quickly, instead of the engine's raw error after its busy timeout. The
 * port is bound first, so a port in use is what a second gateway on the same port reports.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrationsDirOf } from '../src/db/layout';
import { request } from './helpers/http';
import { PROJECT_ROOT, SERVER_ENTRY, baseEnv, freePort, startServer, tempDir, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';

const MIGRATE_ENTRY = path.join(PROJECT_ROOT, 'dist', 'cli', 'migrate.js');
const MIGRATIONS_DIR = migrationsDirOf('sqlite');
const MIGRATION_NAMES = fs
  .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const token = alice();

const running: RunningServer[] = [];
async function start(dataDir: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer({ dataDir, env: { DATABASE_URL: `file:${path.join(dataDir, 'models.db')}`, ...env } });
  running.push(server);
  return server;
}
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

interface Exit {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a process to its end without blocking the event loop (keep-alive sockets stay live). */
function run(args: string[], env: Record<string, string>, cwd: string): Promise<Exit> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

function migrationRows(file: string): { migration_name: string }[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT migration_name FROM _prisma_migrations ORDER BY migration_name').all() as { migration_name: string }[];
  } finally {
    db.close();
  }
}

async function createModel(server: RunningServer, modelId: string): Promise<void> {
  const res = await request(server.url, 'POST', '/api/models', {
    token,
    body: { model_id: modelId, model_provider: 'openai', model_name: 'gpt-4o' },
  });
  expect(res.status).toBe(200);
}

it('a second gateway on a file the first has written to starts and serves; both see each other’s writes', async () => {
  const dataDir = tempDir('model-gateway-shared-');
  const first = await start(dataDir);
  await createModel(first, 'shared-first');

  const started = Date.now();
  const second = await start(dataDir);
  // Well below the engine's 10 s busy timeout: the engine was not started.
  expect(Date.now() - started).toBeLessThan(8000);
  expect(second.logs()).not.toMatch(/database migrated|WASM_ERROR|SocketTimeout/);
  const read = await request(second.url, 'GET', '/api/models/shared-first', { token });
  expect(read.status).toBe(200);
  expect(read.body).toEqual(expect.objectContaining({ model_id: 'shared-first', is_owner: true }));
  await createModel(second, 'shared-second');
  expect((await request(first.url, 'GET', '/api/models/shared-second', { token })).status).toBe(200);
  expect(migrationRows(first.dbPath).map((r) => r.migration_name)).toEqual(MIGRATION_NAMES);
}, 60000);

it('`migrate deploy` on a file a running gateway holds: nothing pending, exit 0 without the engine', async () => {
  const dataDir = tempDir('model-gateway-shared-');
  const first = await start(dataDir);
  await createModel(first, 'shared-cli');
  const out = await run([MIGRATE_ENTRY, 'deploy'], { PATH: process.env.PATH ?? '', DATABASE_URL: `file:${first.dbPath}` }, dataDir);
  expect(out).toEqual(expect.objectContaining({ status: 0, stdout: 'no pending migrations\n', stderr: '' }));
  expect(out.ms).toBeLessThan(8000);
  expect((await request(first.url, 'GET', '/api/models/shared-cli', { token })).status).toBe(200);
}, 60000);

it('a migration pending on a file another gateway holds: one line, exit 1 (gateway and `migrate deploy`); applied once the file is free', async () => {
  const dataDir = tempDir('model-gateway-shared-');
  const first = await start(dataDir);
  await createModel(first, 'shared-pending');
  const file = first.dbPath;

  // A release with one more migration, as `migrate deploy --migrations` sees it.
  const migrations = path.join(tempDir('model-gateway-migrations-'), 'migrations');
  fs.cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
  const extra = '20991231000000_shared_extra';
  fs.mkdirSync(path.join(migrations, extra));
  fs.writeFileSync(path.join(migrations, extra, 'migration.sql'), 'CREATE TABLE "shared_extra" ("id" INTEGER NOT NULL PRIMARY KEY);\n');
  const cliEnv = { PATH: process.env.PATH ?? '', DATABASE_URL: `file:${file}` };
  const cli = await run([MIGRATE_ENTRY, 'deploy', '--migrations', migrations], cliEnv, dataDir);
  expect(cli.status).toBe(1);
  expect(cli.stdout).toBe('');
  expect(lines(cli.stderr)).toEqual([
    `migrate: another process holds the SQLite database ${file} (migration ${extra} pending): stop it, migrate, then start again`,
  ]);
  expect(cli.ms).toBeLessThan(8000);

  // The gateway itself, when the file's history lacks a migration of its own release.
  const db = new Database(file);
  let removed: Record<string, unknown>;
  try {
    removed = db.prepare('SELECT * FROM _prisma_migrations WHERE migration_name = ?').get(MIGRATION_NAMES[0]) as Record<string, unknown>;
    db.prepare('DELETE FROM _prisma_migrations WHERE migration_name = ?').run(MIGRATION_NAMES[0]);
  } finally {
    db.close();
  }
  const gateway = await run([SERVER_ENTRY], baseEnv(dataDir, await freePort()), dataDir);
  expect(gateway.status).toBe(1);
  expect(lines(gateway.stderr)).toEqual([
    `model-gateway failed to start: another process holds the SQLite database ${file} (migration ${MIGRATION_NAMES[0]} pending): ` +
      'stop it, migrate, then start again',
  ]);
  expect(gateway.stdout).not.toMatch(/listening/);
  expect(gateway.stdout + gateway.stderr).not.toMatch(/WASM_ERROR|SocketTimeout/);
  expect(gateway.ms).toBeLessThan(8000);
  // The first gateway is unaffected.
  expect((await request(first.url, 'GET', '/api/models/shared-pending', { token })).status).toBe(200);

  // Once the file is free the same deploy applies the migration: it really was pending.
  expect(await running.pop()!.stop()).toBe(0);
  const db2 = new Database(file);
  try {
    const columns = Object.keys(removed);
    db2.prepare(`INSERT INTO _prisma_migrations (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(removed);
  } finally {
    db2.close();
  }
  const applied = await run([MIGRATE_ENTRY, 'deploy', '--migrations', migrations], cliEnv, dataDir);
  expect(applied).toEqual(expect.objectContaining({ status: 0, stdout: `applied ${extra}\n`, stderr: '' }));
  expect(migrationRows(file).map((r) => r.migration_name)).toEqual([...MIGRATION_NAMES, extra]);
}, 90000);

it('a second gateway on the same port reports the port in use, before looking at a database another process holds', async () => {
  const dataDir = tempDir('model-gateway-shared-');
  const first = await start(dataDir);
  // A migration pending on the file: were migrations first, this would be the error.
  const db = new Database(first.dbPath);
  try {
    db.prepare('DELETE FROM _prisma_migrations').run();
  } finally {
    db.close();
  }
  const out = await run([SERVER_ENTRY], baseEnv(dataDir, first.port), dataDir);
  expect(out.status).toBe(1);
  expect(lines(out.stderr)).toEqual([`model-gateway failed to start: port ${first.port} is already in use (set PORT)`]);
  expect(out.ms).toBeLessThan(8000);
}, 60000);
