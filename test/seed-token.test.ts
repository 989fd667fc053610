/**
 * One token for a shell variable: `TOKEN=$(npm run -s seed -- --token alice)` and
 * `TOKEN=$(npm run -s token -- --sub alice)` put exactly one JWT on stdout (the seed's summary goes
 * to stderr), and the token works against a real server on the seeded database.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { request } from './helpers/http';
import { baseEnv, PROJECT_ROOT, startServer, tempDir } from './helpers/server';
import { TEST_JWT_SECRET } from './helpers/tokens';

const SEED_ENTRY = path.join(PROJECT_ROOT, 'dist', 'cli', 'seed.js');
const ALICE_VISIBLE = [
  'alice/gpt-4o',
  'alice/llama3',
  'alice/text-embedding-3-small',
  'shared/gpt-4o-mini',
  'shared/claude-3-5-haiku',
  'shared/text-embedding-3-small',
  'shared/rerank-english-v3.0',
];
const JWT_LINE = /^[\w-]+\.[\w-]+\.[\w-]+\n$/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An environment for the CLIs on a fresh SQLite file of its own. */
function freshEnv(): { env: Record<string, string>; dataDir: string; dbFile: string } {
  const dataDir = tempDir('model-gateway-seed-token-');
  const dbFile = path.join(dataDir, 'models.db');
  const env: Record<string, string> = { ...baseEnv(dataDir, 0), DATABASE_URL: `file:${dbFile}` };
  delete env.PORT;
  return { env, dataDir, dbFile };
}

const claims = (token: string) => jwt.verify(token.trim(), TEST_JWT_SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;

describe('npm run seed -- --token <user>', () => {
  it("seeds, prints alice's token alone on stdout (the summary on stderr), and the token works", async () => {
    const { env, dataDir } = freshEnv();
    const out = await run(process.execPath, [SEED_ENTRY, '--token', 'alice'], env, dataDir);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(JWT_LINE);
    expect(claims(out.stdout)).toMatchObject({ sub: 'alice', roles: [] });
    expect(out.stderr).toMatch(/^Seeded SQLite .*: 10 created, 0 already there \(skipped\)\n$/);

    const server = await startServer({ dataDir, env: { DATABASE_URL: env.DATABASE_URL } });
    try {
      const res = await request(server.url, 'GET', '/api/models', { token: out.stdout.trim() });
      expect(res.status).toBe(200);
      expect(res.body.map((m: { model_id: string }) => m.model_id).sort()).toEqual([...ALICE_VISIBLE].sort());
    } finally {
      await server.stop();
    }
  });

  it('--token root: the admin token, with --ttl honoured; a second run skips every model', async () => {
    const { env, dataDir } = freshEnv();
    expect((await run(process.execPath, [SEED_ENTRY], env, dataDir)).code).toBe(0);
    const out = await run(process.execPath, [SEED_ENTRY, '--token', 'root', '--ttl', '2h'], env, dataDir);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(JWT_LINE);
    const payload = claims(out.stdout);
    expect(payload).toMatchObject({ sub: 'root', roles: ['admin'] });
    expect(payload.exp! - payload.iat!).toBe(2 * 3600);
    expect(out.stderr).toMatch(/: 0 created, 10 already there \(skipped\)\n$/);
  });

  it('an unknown user: exit 2, one line naming the choices, nothing on stdout, no database created', async () => {
    const { env, dataDir, dbFile } = freshEnv();
    const out = await run(process.execPath, [SEED_ENTRY, '--token', 'mallory'], env, dataDir);
    expect(out).toEqual({ code: 2, stdout: '', stderr: '--token must be one of alice, bob, root, got "mallory"\n' });
    expect(fs.existsSync(dbFile)).toBe(false);
  });

  it('keys from an identity provider: exit 1, no token, no database created', async () => {
    const { env, dataDir, dbFile } = freshEnv();
    const out = await run(
      process.execPath,
      [SEED_ENTRY, '--token', 'alice'],
      { ...env, JWT_SECRET: '', JWT_JWKS_URI: 'https://idp.example.com/.well-known/jwks.json' },
      dataDir,
    );
    expect(out).toEqual({ code: 1, stdout: '', stderr: '--token: JWT_JWKS_URI is set, so tokens come from the identity provider\n' });
    expect(fs.existsSync(dbFile)).toBe(false);
  });
});

describe('through npm, as the README pastes them', () => {
  /** npm itself needs HOME and its own settings; the service's variables are the test's. */
  const npmEnv = (env: Record<string, string>) => ({ ...(process.env as Record<string, string>), ...env });

  it('TOKEN=$(npm run -s seed -- --token alice): stdout is the token only', async () => {
    const { env } = freshEnv();
    const out = await run('npm', ['run', '-s', 'seed', '--', '--token', 'alice'], npmEnv(env), PROJECT_ROOT);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(JWT_LINE);
    expect(claims(out.stdout).sub).toBe('alice');
  });

  it('TOKEN=$(npm run -s token -- --sub alice): stdout is the token only', async () => {
    const { env } = freshEnv();
    const out = await run('npm', ['run', '-s', 'token', '--', '--sub', 'alice'], npmEnv(env), PROJECT_ROOT);
    expect(out).toEqual({ code: 0, stdout: expect.stringMatching(JWT_LINE), stderr: '' });
    expect(claims(out.stdout)).toMatchObject({ sub: 'alice', roles: [] });
  });
});
