/**
 * Rotating API_KEY_ENCRYPTION_KEY(S), end to end on real server processes sharing one database:
 * models are created under key A; a server with API_KEY_ENCRYPTION_KEYS=B,A still opens them (a
 * re-sent identical key is no change) and seals new writes with B; `rotate-keys` (the compiled
 * CLI, same environment) re-seals every A row with B without touching version / updated_at and
 * without overwriting a concurrent gateway write; a re-run has nothing to do; a server with only
 * B works; a server with a wrong key (only C) still starts and reads, and replaces a key it cannot
 * open; rotate-keys with only C reports the rows it cannot open and exits 1. No output carries key
 * material or plaintext. Bad key configuration is a `config error:` line and exit 1.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { repositoryRotationStore, rotateKeys, type RotationStore } from '../src/cli/rotate-keys';
import { loadConfig } from '../src/lib/config';
import { keyIdOf, SecretBox } from '../src/lib/crypto';
import { openDatabase } from '../src/db/database';
import { ModelRepository } from '../src/models/model.repository';
import { gql, request } from './helpers/http';
import { baseEnv, PROJECT_ROOT, startServer, tempDir, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';
import { createModel, gpt4o } from './helpers/models';

jest.setTimeout(90_000);

const CLI_ENTRY = path.join(PROJECT_ROOT, 'dist', 'cli', 'rotate-keys.js');

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const KEY_C = randomBytes(32);
const [A, B, C] = [KEY_A, KEY_B, KEY_C].map((key) => key.toString('base64')) as [string, string, string];
const [ID_A, ID_B, ID_C] = [KEY_A, KEY_B, KEY_C].map(keyIdOf) as [string, string, string];

/** Each test's env unsets both key variables first, so only what it names is configured. */
const NO_KEYS = { API_KEY_ENCRYPTION_KEY: undefined, API_KEY_ENCRYPTION_KEYS: undefined };

/** modelId → the plaintext api_key it currently holds. */
const plaintexts = new Map<string, string>();
const KEYLESS = 'rot-keyless';

const dataDir = tempDir();
let server: RunningServer | undefined;
/** The database every server of this file shares (SQLite file, or the helper's PostgreSQL database of dataDir). */
let databaseUrl = '';

async function restart(env: Record<string, string | undefined>): Promise<RunningServer> {
  if (server) expect(await server.stop()).toBe(0);
  server = await startServer({ dataDir, env: { ...NO_KEYS, ...env } });
  databaseUrl = server.databaseUrl;
  return server;
}

afterAll(async () => {
  await server?.stop();
});

function current(): RunningServer {
  if (!server) throw new Error('no server running');
  return server;
}

interface Row {
  model_id: string;
  api_key_encrypted: string | null;
  version: number;
  updated_at: unknown;
}

function rows(): Row[] {
  const db = current().db();
  try {
    return db.prepare('SELECT model_id, api_key_encrypted, version, updated_at FROM models ORDER BY id').all() as Row[];
  } finally {
    db.close();
  }
}

function rowOf(modelId: string): Row {
  const row = rows().find((r) => r.model_id === modelId);
  if (!row) throw new Error(`no row ${modelId}`);
  return row;
}

const keyIdIn = (row: Row) => row.api_key_encrypted?.split('.')[1] ?? null;

/** Everything a secret could look like in text: each key in base64, base64url and hex, and every plaintext. */
function expectNoSecrets(text: string): void {
  for (const key of [KEY_A, KEY_B, KEY_C]) {
    expect(text).not.toContain(key.toString('base64'));
    expect(text).not.toContain(key.toString('base64url'));
    expect(text).not.toContain(key.toString('hex'));
  }
  for (const plaintext of plaintexts.values()) expect(text).not.toContain(plaintext);
  expect(text).not.toContain('sk-rotation-');
}

let keyCounter = 0;
const newKey = (label: string) => `sk-rotation-${label}-${++keyCounter}-${randomBytes(6).toString('hex')}`;

/** Alice's model with this api_key (or none), remembered in plaintexts. */
async function create(modelId: string, apiKey: string | null): Promise<void> {
  await createModel(current(), gpt4o(modelId, apiKey !== null ? { api_key: apiKey } : {}));
  if (apiKey !== null) plaintexts.set(modelId, apiKey);
}

/** PUT { api_key }; returns the ETag. */
async function putKey(modelId: string, apiKey: string): Promise<string | null> {
  const res = await request(current().url, 'PUT', `/api/models/${encodeURIComponent(modelId)}`, {
    token: alice(),
    body: { api_key: apiKey },
  });
  expect(res.status).toBe(200);
  expectNoSecrets(res.text);
  plaintexts.set(modelId, apiKey);
  return res.headers.get('etag');
}

/** Every keyed model: GET works, hasApiKey is true, and re-sending its key is no change (so it opens to exactly that key). */
async function expectAllKeysOpen(): Promise<void> {
  for (const [modelId, apiKey] of plaintexts) {
    const before = rowOf(modelId);
    const got = await request(current().url, 'GET', `/api/models/${encodeURIComponent(modelId)}`, { token: alice() });
    expect(got.status).toBe(200);
    const q = await gql(current().url, 'query ($id: String!) { model(modelId: $id) { hasApiKey version } }', { id: modelId }, alice());
    expect(q.body.errors).toBeUndefined();
    expect(q.body.data.model).toEqual({ hasApiKey: true, version: before.version });
    expect(await putKey(modelId, apiKey)).toBe(`"${before.version}"`);
    expect(rowOf(modelId)).toEqual(before);
  }
}

/** Error-level (50) log lines so far. */
const errorLines = (s: RunningServer) =>
  s
    .logs()
    .split('\n')
    .filter((line) => line.includes('"level":50'));

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled CLI with the environment a server of this file gets (and the same database). */
function cliEnv(env: Record<string, string | undefined>): Record<string, string> {
  const merged: Record<string, string> = { ...baseEnv(dataDir, 0), DATABASE_URL: databaseUrl };
  for (const [name, value] of Object.entries({ ...NO_KEYS, ...env })) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

function runCli(env: Record<string, string | undefined>, args: string[] = []): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { env: cliEnv(env), cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Counts {
  scanned: number;
  reencrypted: number;
  alreadyCurrent: number;
  skipped: number;
  failed: number;
}

function countsOf(out: CliResult): Counts {
  const m = /scanned (\d+), re-encrypted (\d+), already current (\d+), changed concurrently \(skipped\) (\d+), failed (\d+)/.exec(
    out.stdout,
  );
  if (!m) throw new Error(`no summary line in:\n${out.stdout}\n${out.stderr}`);
  const [scanned, reencrypted, alreadyCurrent, skipped, failed] = m.slice(1).map(Number) as [number, number, number, number, number];
  return { scanned, reencrypted, alreadyCurrent, skipped, failed };
}

describe('rotating the encryption key', () => {
  it('models created under key A (API_KEY_ENCRYPTION_KEY) are sealed with A', async () => {
    await restart({ API_KEY_ENCRYPTION_KEY: A });
    for (let i = 1; i <= 6; i++) await create(`rot-${i}`, newKey(`a${i}`));
    await create(KEYLESS, null);
    const gqlKey = newKey('gql');
    const res = await gql(
      current().url,
      'mutation ($input: CreateModelInput!) { createModel(input: $input) { modelId hasApiKey } }',
      { input: { modelId: 'rot/gql', modelProvider: 'openai', modelName: 'gpt-4o', apiKey: gqlKey } },
      alice(),
    );
    expect(res.body.errors).toBeUndefined();
    plaintexts.set('rot/gql', gqlKey);

    const stored = rows();
    expect(stored).toHaveLength(8);
    for (const row of stored) expect(keyIdIn(row)).toBe(row.model_id === KEYLESS ? null : ID_A);
  });

  it('restarted with API_KEY_ENCRYPTION_KEYS=B,A: old rows still open, new writes are sealed with B', async () => {
    const s = await restart({ API_KEY_ENCRYPTION_KEYS: `${B},${A}` });
    await expectAllKeysOpen();
    for (const row of rows()) expect(keyIdIn(row)).toBe(row.model_id === KEYLESS ? null : ID_A);

    await create('rot-new', newKey('new'));
    expect(keyIdIn(rowOf('rot-new'))).toBe(ID_B);
    expect(await putKey('rot-1', newKey('replaced'))).toBe('"2"');
    expect(keyIdIn(rowOf('rot-1'))).toBe(ID_B);

    expect(errorLines(s)).toEqual([]);
    expectNoSecrets(s.logs());
  });

  it('a gateway write between the rotation reading a row and writing it wins; the row is counted as changed concurrently', async () => {
    const target = 'rot-2';
    const gatewayKey = newKey('concurrent');
    const config = loadConfig(cliEnv({ API_KEY_ENCRYPTION_KEYS: `${B},${A}` }));
    const database = await openDatabase(config.database);
    try {
      const real = repositoryRotationStore(new ModelRepository(database));
      // The real store, narrowed to one row, with a real update through the gateway landing
      // after the rotation read that row and before its conditional write.
      const store: RotationStore = {
        batch: async (afterId, limit) => (await real.batch(afterId, limit)).filter((row) => row.modelId === target),
        replace: async (id, expected, next) => {
          expect(await putKey(target, gatewayKey)).toBe('"2"');
          return real.replace(id, expected, next);
        },
      };
      const report = await rotateKeys(store, new SecretBox(config.encryptionKeys), { batchSize: 1000 });
      expect(report).toEqual({ scanned: 1, reencrypted: 0, alreadyCurrent: 0, changedConcurrently: 1, failed: [], interrupted: false });
    } finally {
      await database.close();
    }
    // The gateway's value stands: it opens to the key the gateway was sent.
    const row = rowOf(target);
    expect(row.version).toBe(2);
    expect(keyIdIn(row)).toBe(ID_B);
    expect(await putKey(target, gatewayKey)).toBe('"2"');
  });

  it('rotate-keys (beside the running gateway) re-seals every A row with B, leaving version and updated_at alone', async () => {
    const before = rows();
    const onA = before.filter((row) => keyIdIn(row) === ID_A).map((row) => row.model_id);
    const onB = before.filter((row) => keyIdIn(row) === ID_B).length;
    expect(onA.length).toBeGreaterThan(2);

    const out = await runCli({ API_KEY_ENCRYPTION_KEYS: `${B},${A}` }, ['--batch-size', '2']);
    expect(out.code).toBe(0);
    expect(countsOf(out)).toEqual({ scanned: onA.length + onB, reencrypted: onA.length, alreadyCurrent: onB, skipped: 0, failed: 0 });
    expect(out.stdout).toContain(`current key ${ID_B}, also opening ${ID_A}`);
    expectNoSecrets(out.stdout + out.stderr);

    const after = rows();
    expect(after.filter((row) => keyIdIn(row) === ID_A)).toEqual([]);
    for (const [i, row] of after.entries()) {
      const old = before[i]!;
      expect(row.model_id).toBe(old.model_id);
      expect(row.version).toBe(old.version);
      expect(row.updated_at).toEqual(old.updated_at);
      if (onA.includes(row.model_id)) expect(row.api_key_encrypted).not.toBe(old.api_key_encrypted);
      else expect(row.api_key_encrypted).toBe(old.api_key_encrypted);
      expect(keyIdIn(row)).toBe(row.model_id === KEYLESS ? null : ID_B);
    }
    // The re-sealed values open to the same keys (no change on re-send), through the running gateway.
    await expectAllKeysOpen();
    expect(errorLines(current())).toEqual([]);
  });

  it('a second run has nothing to do', async () => {
    const before = rows();
    const out = await runCli({ API_KEY_ENCRYPTION_KEYS: `${B},${A}` });
    expect(out.code).toBe(0);
    expect(countsOf(out)).toEqual({ scanned: plaintexts.size, reencrypted: 0, alreadyCurrent: plaintexts.size, skipped: 0, failed: 0 });
    expect(rows()).toEqual(before);
  });

  it('restarted with only B: everything still works', async () => {
    const s = await restart({ API_KEY_ENCRYPTION_KEYS: B });
    const list = await request(s.url, 'GET', '/api/models?limit=100', { token: alice() });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(9);
    await expectAllKeysOpen();
    await create('rot-after', newKey('after'));
    expect(keyIdIn(rowOf('rot-after'))).toBe(ID_B);
    expect(errorLines(s)).toEqual([]);
    expectNoSecrets(s.logs());
  });

  it('a server with a wrong key (only C) starts and reads; a re-sent key it cannot compare is logged without secrets and replaced', async () => {
    const s = await restart({ API_KEY_ENCRYPTION_KEY: C });
    const list = await request(s.url, 'GET', '/api/models?limit=100', { token: alice() });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(10);
    const one = await gql(s.url, 'query ($id: String!) { model(modelId: $id) { hasApiKey version } }', { id: 'rot-3' }, alice());
    expect(one.body.data.model).toEqual({ hasApiKey: true, version: 1 });

    const logStart = s.logs().length;
    expect(await putKey('rot-3', plaintexts.get('rot-3')!)).toBe('"2"');
    expect(keyIdIn(rowOf('rot-3'))).toBe(ID_C);
    await new Promise((resolve) => setTimeout(resolve, 200)); // pino writes to the pipe asynchronously
    const logged = errorLines(s).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toEqual(expect.objectContaining({ modelId: 'rot-3', msg: 'stored api_key failed to decrypt; replacing it' }));
    expect(logged[0]!.reason).toBe(`api_key ciphertext could not be opened: sealed with key ${ID_B}, which is not configured`);
    expect(s.logs().slice(logStart)).toContain('could not be opened');
    expectNoSecrets(s.logs());
  });

  it('rotate-keys with only C reports every row it cannot open, by model_id only, finishes the rest and exits 1', async () => {
    const before = rows();
    const unreadable = before.filter((row) => keyIdIn(row) === ID_B).map((row) => row.model_id);
    expect(unreadable.length).toBeGreaterThan(0);

    const out = await runCli({ API_KEY_ENCRYPTION_KEY: C });
    expect(out.code).toBe(1);
    expect(countsOf(out)).toEqual({
      scanned: unreadable.length + 1,
      reencrypted: 0,
      alreadyCurrent: 1, // rot-3, replaced by the C server
      skipped: 0,
      failed: unreadable.length,
    });
    for (const modelId of unreadable) {
      expect(out.stderr).toContain(`failed ${JSON.stringify(modelId)}: api_key ciphertext could not be opened: sealed with key ${ID_B}`);
    }
    expectNoSecrets(out.stdout + out.stderr);
    for (const row of before) expect(out.stdout + out.stderr).not.toContain(row.api_key_encrypted ?? '\u0000');
    expect(rows()).toEqual(before);
  });
});

describe('key configuration errors: exit 1, a `config error:` line, no key printed', () => {
  const configErrors = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('config error: '));
  /** Config errors come before any database access: a throw-away SQLite path keeps PostgreSQL out of it. */
  const fileDb = () => ({ DATABASE_URL: `file:${path.join(tempDir(), 'models.db')}` });

  async function serverExit(env: Record<string, string | undefined>): Promise<CliResult> {
    const s = await startServer({ expectExit: true, env: { ...NO_KEYS, ...fileDb(), ...env } });
    const code = await s.stop();
    return { code, stdout: s.logs(), stderr: s.logs() };
  }

  it('both API_KEY_ENCRYPTION_KEY and API_KEY_ENCRYPTION_KEYS set: the server and rotate-keys refuse', async () => {
    const env = { API_KEY_ENCRYPTION_KEY: A, API_KEY_ENCRYPTION_KEYS: `${B},${A}` };
    for (const out of [await serverExit(env), await runCli({ ...env, ...fileDb() })]) {
      expect(out.code).toBe(1);
      const errors = configErrors(out.stderr);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/API_KEY_ENCRYPTION_KEYS.*API_KEY_ENCRYPTION_KEY.*not both/);
      expect(out.stdout).not.toMatch(/listening|scanned/);
      expectNoSecrets(out.stdout + out.stderr);
    }
  });

  const malformed: [string, string, string[], string][] = [
    ['not base64', `${B},this is not base64!!`, ['entry 2 of 2'], 'this is not base64!!'],
    [
      '16 bytes',
      `${Buffer.alloc(16, 3).toString('base64')},${A}`,
      ['entry 1 of 2 (the current key)'],
      Buffer.alloc(16, 3).toString('base64'),
    ],
    ['32 bytes as hex', `${B},${A},${KEY_C.toString('hex')}`, ['entry 3 of 3'], KEY_C.toString('hex')],
    ['an empty entry', `${B},,${A}`, ['entry 2 of 3 is empty'], ''],
    ['a trailing comma', `${B},`, ['entry 2 of 2 is empty'], ''],
    ['a key listed twice', `${B},${A},${B}`, ['entry 3 of 3 is the same key as entry 1'], ''],
    ['two bad entries', `x,${A},y==`, ['entry 1 of 3', 'entry 3 of 3'], ''],
  ];

  it.each(malformed)('API_KEY_ENCRYPTION_KEYS with %s: each problem names its position', async (_name, value, positions, bad) => {
    for (const out of [
      await serverExit({ API_KEY_ENCRYPTION_KEYS: value }),
      await runCli({ API_KEY_ENCRYPTION_KEYS: value, ...fileDb() }),
    ]) {
      expect(out.code).toBe(1);
      const errors = configErrors(out.stderr);
      expect(errors).toHaveLength(positions.length);
      for (const [i, position] of positions.entries()) expect(errors[i]).toContain(`API_KEY_ENCRYPTION_KEYS ${position}`);
      if (bad) expect(out.stdout + out.stderr).not.toContain(bad);
      expectNoSecrets(out.stdout + out.stderr);
    }
  });

  it('production without any key: rotate-keys names both variables', async () => {
    const out = await runCli({ NODE_ENV: 'production', ...fileDb() });
    expect(out.code).toBe(1);
    const errors = configErrors(out.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/API_KEY_ENCRYPTION_KEY .*API_KEY_ENCRYPTION_KEYS/);
  });

  it('rotate-keys refuses a SQLite path with no database rather than creating one', async () => {
    const out = await runCli({ API_KEY_ENCRYPTION_KEY: A, ...fileDb() });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/rotate-keys: no database at .*models\.db/);
  });
});
