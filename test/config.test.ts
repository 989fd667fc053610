/**
 * Configuration people can act on: the compiled server started with bad configurations exits 1
 * with exactly one clear line per problem (no stack, no secret, no file content): unknown
 * DATABASE_URL schemes, unreadable or malformed `*_FILE` secrets, malformed keys, bad LOG_LEVEL
 * and METRICS_* values, a port already taken, several problems at once. `--help` prints every
 * variable with its default and exits 0 without starting; docs/config.md is the same table.
 * The start-up banner names the URLs and the database, never a password.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { describeDatabase } from '../src/lib/banner';
import { SECRET_FILE_VARIABLES, loadConfig, readConfig, type VariableName } from '../src/lib/config';
import { ALL_VARIABLES, plain, renderMarkdown } from '../src/lib/config/reference';
import { VARIABLE_NAMES, defaultFor, variable } from '../src/lib/config/variables';
import { request } from './helpers/http';
import { PROJECT_ROOT, SERVER_ENTRY, TEST_DATABASE_URL, baseEnv, createTestDatabase, startServer, tempDir } from './helpers/server';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from './helpers/tokens';

interface Exit {
  status: number | null;
  stdout: string;
  stderr: string;
  dataDir: string;
}

/** Runs `node dist/main.js` to its exit. Config errors come before the database: a throw-away SQLite file. */
function run(env: Record<string, string | undefined>, args: string[] = [], port?: number): Exit {
  const dataDir = tempDir();
  const merged: Record<string, string> = { ...baseEnv(dataDir, port ?? 0), DATABASE_URL: `file:${path.join(dataDir, 'models.db')}` };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  const res = spawnSync(process.execPath, [SERVER_ENTRY, ...args], { env: merged, cwd: dataDir, encoding: 'utf8', timeout: 20000 });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, dataDir };
}

const configErrors = (out: Exit) => out.stderr.split('\n').filter((line) => line.startsWith('config error: '));

/** Exit 1, exactly these `config error:` lines, nothing started, no stack trace. */
function expectRefused(out: Exit, lines: string[]): void {
  expect({ status: out.status, errors: configErrors(out) }).toEqual({ status: 1, errors: lines.map((line) => `config error: ${line}`) });
  expect(out.stdout).not.toMatch(/listening/);
  expect(fs.existsSync(path.join(out.dataDir, 'models.db'))).toBe(false);
  expect(out.stderr + out.stdout).not.toMatch(/^\s+at /m);
}

function writeFile(name: string, content: string): string {
  const file = path.join(tempDir('model-gateway-config-'), name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

const KEY_HINT = '32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)';
const DB_CHOICES = 'use file:<path> for SQLite (e.g. file:./data/models.db) or postgresql://user:password@host:5432/database';

describe('DATABASE_URL', () => {
  it('an unknown scheme names the scheme and both choices, never the URL (it may hold a password)', () => {
    const out = run({ DATABASE_URL: 'mysql://app:hunter2-db-pass@db.internal:3306/models' });
    expectRefused(out, [`DATABASE_URL: unsupported scheme "mysql:"; ${DB_CHOICES}`]);
    expect(out.stderr + out.stdout).not.toContain('hunter2');
    expect(out.stderr + out.stdout).not.toContain('db.internal');
  });

  it('no scheme at all (a bare path)', () => {
    expectRefused(run({ DATABASE_URL: './data/models.db' }), [`DATABASE_URL has no scheme (like file: or postgresql://); ${DB_CHOICES}`]);
  });

  it('a postgresql:// URL that does not parse: a hint about encoding, no password', () => {
    const out = run({ DATABASE_URL: 'postgresql://app:s3cret-pw@db:99999/models' });
    expectRefused(out, ['DATABASE_URL is not a valid postgresql:// URL (are special characters in the password percent-encoded?)']);
    expect(out.stderr + out.stdout).not.toContain('s3cret-pw');
  });
});

describe('secrets as files (*_FILE)', () => {
  it('a missing JWT_PUBLIC_KEY_FILE: one line naming the file and ENOENT (not a second "key required" line)', () => {
    const file = path.join(tempDir(), 'missing', 'jwt.pem');
    const out = run({ NODE_ENV: 'production', JWT_SECRET: undefined, JWT_PUBLIC_KEY_FILE: file });
    expectRefused(out, [`JWT_PUBLIC_KEY_FILE: cannot read ${JSON.stringify(file)} (ENOENT, no such file)`]);
  });

  it('a missing JWT_SECRET_FILE, in development too (no silent fallback to a generated secret)', () => {
    const file = path.join(tempDir(), 'jwt-secret.txt');
    const out = run({ NODE_ENV: 'development', JWT_SECRET: undefined, JWT_SECRET_FILE: file });
    expectRefused(out, [`JWT_SECRET_FILE: cannot read ${JSON.stringify(file)} (ENOENT, no such file)`]);
  });

  it('API_KEY_ENCRYPTION_KEYS_FILE pointing at a directory', () => {
    const dir = tempDir();
    const out = run({ API_KEY_ENCRYPTION_KEY: undefined, API_KEY_ENCRYPTION_KEYS_FILE: dir });
    expectRefused(out, [`API_KEY_ENCRYPTION_KEYS_FILE: ${JSON.stringify(dir)} is not a regular file`]);
  });

  (process.getuid?.() === 0 ? it.skip : it)('an unreadable file (permissions): EACCES', () => {
    const file = writeFile('key', TEST_ENCRYPTION_KEY);
    fs.chmodSync(file, 0o000);
    const out = run({ API_KEY_ENCRYPTION_KEY: undefined, API_KEY_ENCRYPTION_KEY_FILE: file });
    expectRefused(out, [`API_KEY_ENCRYPTION_KEY_FILE: cannot read ${JSON.stringify(file)} (EACCES, permission denied)`]);
  });

  it('an empty file', () => {
    const file = writeFile('empty', '\n');
    expectRefused(run({ JWT_SECRET: undefined, JWT_SECRET_FILE: file }), [`JWT_SECRET_FILE: ${JSON.stringify(file)} is empty`]);
  });

  it('a malformed key in a file: the problem says where the value came from and never prints it', () => {
    const content = `not-a-key-${randomBytes(8).toString('hex')}`;
    const file = writeFile('api-key-encryption-key', `${content}\n`);
    const out = run({ API_KEY_ENCRYPTION_KEY: undefined, API_KEY_ENCRYPTION_KEY_FILE: file });
    expectRefused(out, [`API_KEY_ENCRYPTION_KEY (from API_KEY_ENCRYPTION_KEY_FILE) must be ${KEY_HINT}`]);
    expect(out.stderr + out.stdout).not.toContain(content);
  });

  it('a malformed PEM in JWT_PUBLIC_KEY_FILE: never printed', () => {
    const content = `-----BEGIN PUBLIC KEY-----\n${randomBytes(40).toString('base64')}\n-----END PUBLIC KEY-----\n`;
    const file = writeFile('jwt.pem', content);
    const out = run({ JWT_SECRET: undefined, JWT_PUBLIC_KEY_FILE: file });
    expectRefused(out, ['JWT_PUBLIC_KEY (from JWT_PUBLIC_KEY_FILE) is not a readable PEM public key']);
    expect(out.stderr + out.stdout).not.toContain(content.split('\n')[1]!);
  });

  it('both NAME and NAME_FILE set', () => {
    const file = writeFile('jwt-secret', TEST_JWT_SECRET);
    expectRefused(run({ JWT_SECRET_FILE: file }), ['JWT_SECRET and JWT_SECRET_FILE are both set: set one of them']);
  });

  it('working files: JWT_SECRET_FILE, API_KEY_ENCRYPTION_KEYS_FILE (one key per line), METRICS_TOKEN_FILE', async () => {
    const secret = `file-secret-${randomBytes(24).toString('hex')}`;
    const older = randomBytes(32).toString('base64');
    const metricsToken = `file-metrics-${randomBytes(12).toString('hex')}`;
    const server = await startServer({
      env: {
        NODE_ENV: 'production',
        JWT_SECRET: undefined,
        API_KEY_ENCRYPTION_KEY: undefined,
        JWT_SECRET_FILE: writeFile('jwt', `${secret}\n`),
        API_KEY_ENCRYPTION_KEYS_FILE: writeFile('keys', `${TEST_ENCRYPTION_KEY}\n${older}\n`),
        METRICS_TOKEN_FILE: writeFile('metrics', `${metricsToken}\r\n`),
      },
    });
    try {
      const token = jwt.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 }, secret, { algorithm: 'HS256' });
      const created = await request(server.url, 'POST', '/api/models', {
        token,
        body: { model_provider: 'openai', model_name: 'gpt-4o', api_key: 'sk-from-file-test' },
      });
      expect(created.status).toBe(200);
      expect((await request(server.url, 'GET', '/api/models', { token: tokenFor(TEST_JWT_SECRET) })).status).toBe(401);
      expect((await request(server.url, 'GET', '/metrics')).status).toBe(401);
      expect((await request(server.url, 'GET', '/metrics', { headers: { Authorization: `Bearer ${metricsToken}` } })).status).toBe(200);
      for (const value of [secret, older, TEST_ENCRYPTION_KEY, metricsToken]) expect(server.logs()).not.toContain(value);
    } finally {
      await server.stop();
    }
  });
});

/** A token signed with `secret` (for "the file's secret, not the default one"). */
function tokenFor(secret: string): string {
  return jwt.sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 }, secret, { algorithm: 'HS256' });
}

describe('other values', () => {
  it.each([
    ['16 bytes', Buffer.alloc(16, 1).toString('base64')],
    ['not base64', 'definitely not base64!'],
  ])('a malformed API_KEY_ENCRYPTION_KEY (%s): one line, the value not printed', (_what, key) => {
    const out = run({ API_KEY_ENCRYPTION_KEY: key });
    expectRefused(out, [`API_KEY_ENCRYPTION_KEY must be ${KEY_HINT}`]);
    expect(out.stderr + out.stdout).not.toContain(key);
  });

  it('LOG_LEVEL', () => {
    expectRefused(run({ LOG_LEVEL: 'loud' }), ['LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"']);
  });

  it('METRICS_TOKEN too short (not printed) and METRICS_ALLOW entries that are not addresses', () => {
    const out = run({ METRICS_TOKEN: 'short-tok', METRICS_ALLOW: '10.0.0.0/8, localhost, 10.0.0.0/33, ::1/129, 192.168.0.1' });
    expectRefused(out, [
      'METRICS_TOKEN must be 16 to 512 printable characters without spaces (e.g. `openssl rand -hex 24`)',
      'METRICS_ALLOW: "localhost" is not an IP address or subnet (10.0.0.0/8, ::1)',
      'METRICS_ALLOW: "10.0.0.0/33" is not an IP address or subnet (10.0.0.0/8, ::1)',
      'METRICS_ALLOW: "::1/129" is not an IP address or subnet (10.0.0.0/8, ::1)',
    ]);
    expect(out.stderr + out.stdout).not.toContain('short-tok');
  });

  it('several problems at once: one line each, in order', () => {
    const missing = path.join(tempDir(), 'nope.pem');
    const out = run({
      PORT: 'eighty',
      DATABASE_URL: 'mongodb://u:pw-123456@mongo/models',
      JWT_SECRET: undefined,
      JWT_SECRET_FILE: missing,
      API_KEY_ENCRYPTION_KEY: 'short',
      SHARING: 'everyone',
      LOG_LEVEL: 'chatty',
      METRICS_ALLOW: 'anywhere',
    });
    expectRefused(out, [
      `JWT_SECRET_FILE: cannot read ${JSON.stringify(missing)} (ENOENT, no such file)`,
      'PORT must be an integer 0..65535, got "eighty"',
      `DATABASE_URL: unsupported scheme "mongodb:"; ${DB_CHOICES}`,
      `API_KEY_ENCRYPTION_KEY must be ${KEY_HINT}`,
      'SHARING must be "admins" or "owners", got "everyone"',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "chatty"',
      'METRICS_ALLOW: "anywhere" is not an IP address or subnet (10.0.0.0/8, ::1)',
    ]);
    expect(out.stderr + out.stdout).not.toContain('pw-123456');
  });
});

describe('provider calls: OUTBOUND_ALLOW, PROVIDER_TIMEOUT_MS, PROVIDER_CALLS_PER_MINUTE', () => {
  it('defaults: nothing extra allowed, 10 s per call, 30 calls per caller per minute', () => {
    expect(loadConfig(baseEnv(tempDir(), 1)).outbound).toEqual({ allow: [], timeoutMs: 10000, callsPerMinute: 30 });
  });

  it('set: entries trimmed, empty ones skipped, duplicates once; hostnames, addresses and CIDRs of both families', () => {
    const config = loadConfig({
      ...baseEnv(tempDir(), 1),
      OUTBOUND_ALLOW: ' 10.0.0.0/8, ollama.internal ,,fd00::/8, 192.168.1.5, ::1, localhost, 10.0.0.0/8',
      PROVIDER_TIMEOUT_MS: '2500',
      PROVIDER_CALLS_PER_MINUTE: '0',
    });
    expect(config.outbound).toEqual({
      allow: ['10.0.0.0/8', 'ollama.internal', 'fd00::/8', '192.168.1.5', '::1', 'localhost'],
      timeoutMs: 2500,
      callsPerMinute: 0,
    });
  });

  it('bad values: one line each naming the variable and the entry, nothing started', () => {
    const out = run({
      OUTBOUND_ALLOW: '10.0.0.0/33, under_score.ok, bad host, 10.0.0, 169.254.169.254, 0.0.0.0, ff02::1, ::ffff:1.2.3/96, -x-.com',
      PROVIDER_TIMEOUT_MS: '0',
      PROVIDER_CALLS_PER_MINUTE: 'lots',
    });
    expectRefused(out, [
      'OUTBOUND_ALLOW: "10.0.0.0/33" is not a valid CIDR (10.0.0.0/8, fd00::/8)',
      'OUTBOUND_ALLOW: "bad host" is not a hostname, an IP address or a CIDR',
      'OUTBOUND_ALLOW: "10.0.0" is not a valid IPv4 address (four decimal parts)',
      'OUTBOUND_ALLOW: "169.254.169.254" is a link-local address (cloud metadata services live there); it is always refused and cannot be allowed',
      'OUTBOUND_ALLOW: "0.0.0.0" is the unspecified address; it is always refused and cannot be allowed',
      'OUTBOUND_ALLOW: "ff02::1" is a multicast address; it is always refused and cannot be allowed',
      'OUTBOUND_ALLOW: "::ffff:1.2.3/96" is not a valid CIDR (10.0.0.0/8, fd00::/8)',
      'OUTBOUND_ALLOW: "-x-.com" is not a hostname, an IP address or a CIDR',
      'PROVIDER_TIMEOUT_MS must be an integer from 100 to 600000, got "0"',
      'PROVIDER_CALLS_PER_MINUTE must be an integer from 0 to 100000, got "lots"',
    ]);
  });
});

describe('the port', () => {
  it('already in use: one line naming the port and PORT, exit 1, no stack', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const out = run({}, [], port);
      expect(out.status).toBe(1);
      expect(out.stderr.trim().split('\n')).toEqual([`model-gateway failed to start: port ${port} is already in use (set PORT)`]);
      expect(out.stdout).not.toMatch(/listening/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('a HOST that is not an address of this machine', () => {
    const out = run({ HOST: '203.0.113.77' }, [], 0);
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual([
      'model-gateway failed to start: HOST "203.0.113.77" is not an address of this machine (set HOST, e.g. 0.0.0.0)',
    ]);
  });
});

describe('--help', () => {
  it.each([['--help'], ['-h']])('%s prints every variable with its default and exits 0 without starting', (flag) => {
    // Even with a configuration that could not start: help needs none.
    const out = run({ DATABASE_URL: 'mysql://nope', LOG_LEVEL: 'loud' }, [flag]);
    expect(out.status).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(/^model-gateway: /);
    for (const entry of ALL_VARIABLES) {
      expect(out.stdout).toContain(`  ${entry.name}  [${plain(entry.default)}]`);
    }
    expect(out.stdout).toContain('JWT_SECRET_FILE');
    expect(out.stdout).not.toMatch(/listening|database migrated/);
    // Nothing touched: no database, no generated development secrets.
    expect(fs.readdirSync(out.dataDir)).toEqual([]);
  });

  it('an unknown argument: exit 1 with a pointer to --help', () => {
    const out = run({}, ['--verbose']);
    expect(out.status).toBe(1);
    expect(out.stderr.trim()).toBe('model-gateway: unknown argument "--verbose" (see --help)');
  });
});

describe('docs/config.md and the reference table', () => {
  it('docs/config.md is generated from the table (npm run docs:config)', () => {
    const onDisk = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'config.md'), 'utf8');
    expect(onDisk).toBe(renderMarkdown());
  });

  it('every variable in the table is read by the loader (the loader can read no other: it reads through the table)', () => {
    const read = new Set<VariableName>();
    const keys = { JWT_SECRET: TEST_JWT_SECRET, API_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };
    // The JWKS settings are read only when keys come from an IdP.
    for (const env of [
      { NODE_ENV: 'development', DATA_DIR: tempDir() },
      { NODE_ENV: 'production', ...keys },
      {
        NODE_ENV: 'production',
        JWT_JWKS_URI: 'https://idp.example.com/.well-known/jwks.json',
        API_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      },
    ]) {
      const reading = readConfig(env);
      expect(reading.problems).toEqual([]);
      for (const name of reading.read) read.add(name);
    }
    expect(VARIABLE_NAMES.filter((name) => !read.has(name))).toEqual([]);
  });

  it.each(['development', 'test', 'production'] as const)('every default parses cleanly under NODE_ENV=%s', (nodeEnv) => {
    for (const name of VARIABLE_NAMES) {
      const fallback = defaultFor(name, nodeEnv);
      if (fallback === undefined) continue;
      const problems: string[] = [];
      expect({ name, value: variable(name).parser.parse(fallback, name, (problem) => problems.push(problem)) }).not.toEqual({
        name,
        value: undefined,
      });
      expect({ name, problems }).toEqual({ name, problems: [] });
    }
  });

  it('the secrets that may come from files', () => {
    expect(SECRET_FILE_VARIABLES).toEqual([
      'JWT_SECRET',
      'JWT_PUBLIC_KEY',
      'API_KEY_ENCRYPTION_KEY',
      'API_KEY_ENCRYPTION_KEYS',
      'METRICS_TOKEN',
    ]);
    for (const name of SECRET_FILE_VARIABLES) expect(ALL_VARIABLES.find((entry) => entry.name === name)!.meaning).toContain(`${name}_FILE`);
  });

  it('loadConfig itself reads a `*_FILE` (the CLIs share it: rotate-keys, seed, token)', () => {
    const dir = tempDir();
    const file = writeFile('metrics', 'm'.repeat(20));
    const config = loadConfig({ ...baseEnv(dir, 1), METRICS_TOKEN_FILE: file });
    expect(config.metrics.token).toBe('m'.repeat(20));
  });
});

describe('start-up banner', () => {
  it('names the URLs and the database; never a password', async () => {
    let env: Record<string, string> = {};
    let password = '';
    let expectedDatabase: RegExp;
    if (TEST_DATABASE_URL) {
      // A password the server accepts: the admin URL's own, or (trust authentication) any.
      const url = new URL(await createTestDatabase());
      if (!url.password) url.password = `banner-pw-${randomBytes(6).toString('hex')}`;
      password = decodeURIComponent(url.password);
      env = { DATABASE_URL: url.toString() };
      expectedDatabase = new RegExp(
        `^  Database +PostgreSQL ${url.hostname.replace(/[.[\]]/g, '\\$&')}:${url.port || 5432}${url.pathname}$`,
        'm',
      );
    } else {
      const dir = tempDir();
      env = { DATABASE_URL: `file:${path.join(dir, 'banner.db')}` };
      expectedDatabase = new RegExp(`^  Database +SQLite ${path.join(dir, 'banner.db').replace(/[.]/g, '\\.')}$`, 'm');
    }
    const server = await startServer({ env: { ...env, METRICS_TOKEN: `banner-metrics-${randomBytes(8).toString('hex')}` } });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      // The server answers before its last start-up lines have crossed the pipes (stdout and stderr apart).
      for (const until = Date.now() + 5000; Date.now() < until;) {
        if (/"model-gateway listening/.test(server.logs()) && server.logs().includes('  Metrics ')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const logs = server.logs();
      expect(logs).toMatch(/^model-gateway \S+ ready \(test, pid \d+\)$/m);
      expect(logs).toContain(`  GraphQL    ${base}/graphql  (Apollo Sandbox: open it in a browser)\n`);
      expect(logs).toContain(`  REST       ${base}/api/models\n`);
      expect(logs).toContain(`  REST docs  ${base}/docs\n`);
      expect(logs).toContain(`  Health     ${base}/healthz  ${base}/readyz\n`);
      expect(logs).toContain(`  Metrics    ${base}/metrics  (bearer token required)\n`);
      expect(logs).toMatch(expectedDatabase);
      if (password) expect(logs).not.toContain(password);
      // The JSON line says the same for log collectors.
      const listening = logs.split('\n').find((line) => line.includes('"model-gateway listening'));
      expect(JSON.parse(listening!)).toEqual(expect.objectContaining({ urls: expect.objectContaining({ metrics: `${base}/metrics` }) }));
    } finally {
      await server.stop();
    }
  });

  it('describeDatabase never shows a user or password, however the URL carries them', () => {
    const pool = { max: 1, connectTimeoutMs: 1, idleTimeoutMs: 1, statementTimeoutMs: 1 };
    const describe = (url: string) => describeDatabase({ provider: 'postgresql', url, pool });
    expect(describe('postgresql://app:p%40ss-w0rd@db.example.com:6543/models?schema=tenant1')).toBe(
      'PostgreSQL db.example.com:6543/models (schema tenant1)',
    );
    expect(describe('postgresql://app:pw-in-url@db/models?application_name=x')).toBe('PostgreSQL db:5432/models');
    expect(describe('postgresql://app@/models?host=/var/run/postgresql&password=pw-in-query')).toBe(
      'PostgreSQL socket /var/run/postgresql/models',
    );
    expect(describeDatabase({ provider: 'sqlite', url: 'file:/srv/data/models.db', sqlitePath: '/srv/data/models.db', pool })).toBe(
      'SQLite /srv/data/models.db',
    );
  });
});
