/**
 * `npm run seed` (dist/cli/seed.js): run on a fresh SQLite file no server has opened (so it must
 * migrate), then a real server on the same file, asked over HTTP with the tokens the seed printed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { gql, MODEL_FIELDS, request } from './helpers/http';
import { baseEnv, PROJECT_ROOT, startServer, tempDir, type RunningServer } from './helpers/server';

const SEED_ENTRY = path.join(PROJECT_ROOT, 'dist', 'cli', 'seed.js');

const ALICE_OWN = ['alice/gpt-4o', 'alice/llama3', 'alice/text-embedding-3-small'];
const BOB_OWN = ['bob/claude-3-5-sonnet', 'bob/rerank-english-v3.0'];
const SHARED_ACTIVE = ['shared/gpt-4o-mini', 'shared/claude-3-5-haiku', 'shared/text-embedding-3-small', 'shared/rerank-english-v3.0'];
const SHARED_RETIRED = 'shared/gpt-3.5-turbo';
const ALL = [...ALICE_OWN, ...BOB_OWN, ...SHARED_ACTIVE, SHARED_RETIRED];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dataDir: string;
let env: Record<string, string>;

function seed(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SEED_ENTRY, ...args], { env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The rows of the summary table: model_id → result column. */
function results(stdout: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(\S+\/\S+)\s+(alice|bob|root)\s.*\s(created|exists, skipped)$/.exec(line);
    if (m) rows.set(m[1]!, m[3]!);
  }
  return rows;
}

function tokens(stdout: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of stdout.matchAll(/^ {2}(alice|bob|root) +(user|admin) +(\S+)$/gm)) found[m[1]!] = m[3]!;
  return found;
}

beforeAll(() => {
  dataDir = tempDir('model-gateway-seed-');
  env = baseEnv(dataDir, 0);
  delete env.PORT;
  // Explicitly SQLite, whatever backend the other suites run on.
  env.DATABASE_URL = `file:${path.join(dataDir, 'models.db')}`;
});

describe('npm run seed', () => {
  let first: Run;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    first = await seed();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('migrates a fresh database, creates every model, prints a summary and a token per user', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Seeded SQLite ${path.join(dataDir, 'models.db')}: ${ALL.length} created, 0 already there`);
    expect(first.stdout).toMatch(/^model_id +owner +category +provider +model +shared +active +result$/m);
    expect([...results(first.stdout)].sort()).toEqual(ALL.map((id) => [id, 'created']).sort());
    expect(Object.keys(tokens(first.stdout)).sort()).toEqual(['alice', 'bob', 'root']);
    // The (placeholder) api keys went in, but never come out.
    expect(first.stdout).not.toMatch(/sk-seed/);
  });

  it('is idempotent: a second run skips every existing model_id and changes nothing', async () => {
    server = await startServer({ dataDir, env: { DATABASE_URL: env.DATABASE_URL } });
    const db = server.db();
    const before = db.prepare('SELECT model_id, version, updated_at FROM models ORDER BY model_id').all();

    const again = await seed('--ttl', '2h');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`0 created, ${ALL.length} already there (skipped)`);
    expect([...results(again.stdout)].sort()).toEqual(ALL.map((id) => [id, 'exists, skipped']).sort());
    const payload = jwt.decode(tokens(again.stdout).alice!) as { iat: number; exp: number };
    expect(payload.exp - payload.iat).toBe(2 * 3600);

    expect(db.prepare('SELECT model_id, version, updated_at FROM models ORDER BY model_id').all()).toEqual(before);
    expect(before).toHaveLength(ALL.length);
    db.close();
  });

  it('stored the models through the service: owners, sharing, encrypted keys, the retired one inactive', () => {
    const db = server!.db();
    const rows = db.prepare('SELECT model_id, owner_id, is_shared, is_active, api_key_encrypted FROM models').all() as {
      model_id: string;
      owner_id: string;
      is_shared: number | boolean;
      is_active: number | boolean;
      api_key_encrypted: string | null;
    }[];
    db.close();
    const byId = new Map(rows.map((r) => [r.model_id, r]));
    for (const id of ALICE_OWN) expect(byId.get(id)!.owner_id).toBe('alice');
    for (const id of BOB_OWN) expect(byId.get(id)!.owner_id).toBe('bob');
    for (const id of [...SHARED_ACTIVE, SHARED_RETIRED]) expect(byId.get(id)).toMatchObject({ owner_id: 'root', is_shared: 1 });
    expect(byId.get(SHARED_RETIRED)!.is_active).toBe(0);
    expect(byId.get('alice/llama3')!.api_key_encrypted).toBeNull();
    const sealed = byId.get('alice/gpt-4o')!.api_key_encrypted;
    expect(sealed).toBeTruthy();
    expect(sealed).not.toContain('sk-seed');
  });

  it("alice's printed token works: she sees her models and the shared active ones, not bob's or the retired one", async () => {
    const token = tokens(first.stdout).alice!;
    const res = await gql(server!.url, `{ models(isActive: null) { ${MODEL_FIELDS} } }`, undefined, token);
    expect(res.body.errors).toBeUndefined();
    const models = res.body.data.models as Record<string, any>[];
    expect(models.map((m) => m.modelId).sort()).toEqual([...ALICE_OWN, ...SHARED_ACTIVE].sort());

    const byId = new Map(models.map((m) => [m.modelId as string, m]));
    expect(byId.get('alice/gpt-4o')).toMatchObject({ isOwner: true, canEdit: true, hasApiKey: true, modelProvider: 'openai', version: 1 });
    expect(byId.get('alice/llama3')).toMatchObject({ modelProvider: 'ollama', baseUrl: 'http://localhost:11434', hasApiKey: false });
    expect(byId.get('alice/text-embedding-3-small')).toMatchObject({ category: 'embedding', dimension: 1536, abilities: ['embedding'] });
    expect(byId.get('shared/gpt-4o-mini')).toMatchObject({ isShared: true, isOwner: false, canEdit: false, canDelete: false });
    expect(byId.get('shared/rerank-english-v3.0')).toMatchObject({
      category: 'rerank',
      modelProvider: 'cohere',
      modelName: 'rerank-english-v3.0',
    });

    const rest = await request(server!.url, 'GET', '/api/models', { token });
    expect(rest.status).toBe(200);
    expect(rest.body.map((m: { model_id: string }) => m.model_id).sort()).toEqual([...ALICE_OWN, ...SHARED_ACTIVE].sort());
  });

  it("bob's and root's printed tokens work: bob sees his own and the shared ones, root (admin) everything", async () => {
    const all = tokens(first.stdout);
    const bob = await gql(server!.url, '{ models(isActive: null) { modelId isOwner } }', undefined, all.bob);
    expect(bob.body.data.models.map((m: { modelId: string }) => m.modelId).sort()).toEqual([...BOB_OWN, ...SHARED_ACTIVE].sort());
    expect(bob.body.data.models.find((m: { modelId: string }) => m.modelId === 'bob/claude-3-5-sonnet').isOwner).toBe(true);

    const root = await gql(server!.url, '{ models(isActive: null) { modelId canEdit } }', undefined, all.root);
    expect(root.body.data.models.map((m: { modelId: string }) => m.modelId).sort()).toEqual([...ALL].sort());
    expect(root.body.data.models.every((m: { canEdit: boolean }) => m.canEdit)).toBe(true);
  });
});

describe('npm run seed beside a running server (npm start, then seed)', () => {
  let server: RunningServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('seeds the database the server migrated and serves, while it runs', async () => {
    dataDir = tempDir('model-gateway-seed-running-');
    env = { ...baseEnv(dataDir, 0), DATABASE_URL: `file:${path.join(dataDir, 'models.db')}` };
    delete env.PORT;
    server = await startServer({ dataDir, env: { DATABASE_URL: env.DATABASE_URL } });

    const run = await seed();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${ALL.length} created, 0 already there`);
    const res = await gql(server.url, '{ models { modelId } }', undefined, tokens(run.stdout).alice);
    expect(res.body.data.models.map((m: { modelId: string }) => m.modelId).sort()).toEqual([...ALICE_OWN, ...SHARED_ACTIVE].sort());
  });

  it('refuses a bad --ttl before touching the database', async () => {
    dataDir = tempDir('model-gateway-seed-badttl-');
    env = { ...baseEnv(dataDir, 0), DATABASE_URL: `file:${path.join(dataDir, 'models.db')}` };
    const bad = await seed('--ttl', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('--ttl must be a timespan like 30m, 12h or 7d, got "soon"\n');
    expect(bad.stdout).toBe('');
    expect(fs.existsSync(path.join(dataDir, 'models.db'))).toBe(false);
  });
});
