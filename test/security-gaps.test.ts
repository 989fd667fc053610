/**
 * Defences of docs/security.md that had no test proving them when run alone
 * (`npx jest test/security-gaps.test.ts -t '<name>'`; the JWKS-outage and key-rotation tests of
 * auth-jwks and key-rotation build on the steps before them in their files): every test here
 * starts what it needs (gateways, an identity provider, a proxy, a lock-holding process) and
 * depends on no other test.
 *
 * - JWKS outages: tokens whose key is cached keep working, others are 401, never a 500 or a hang.
 * - Credentials never reach the log, even at LOG_LEVEL=trace.
 * - `__proto__` / `constructor` / `prototype` keys in bodies, variables and token claims grant
 *   nothing and change nothing.
 * - Lone UTF-16 surrogates and NUL characters are refused over HTTP, not only by the validator.
 * - Unexpected errors are masked (500 / INTERNAL_SERVER_ERROR); a SQLite write lock held by
 *   another process, an unreachable PostgreSQL or a row lock end in 503, not a 500 and not a hang
 *   (test/faults.test.ts covers more outages, as one sequence that needs its earlier steps).
 * - Encryption key rotation end to end, and a wrong key: loud in the log and in rotate-keys'
 *   exit code, silent about every secret.
 */
import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { keyIdOf } from '../src/lib/crypto';
import { gql, REST_KEYS, request } from './helpers/http';
import {
  baseEnv,
  createTestDatabase,
  itPostgresOnly,
  itSqliteOnly,
  PROJECT_ROOT,
  startServer,
  tempDir,
  type RunningServer,
} from './helpers/server';
import { alice, bob, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, tokenFor } from './helpers/tokens';
import { createModel, gpt4o } from './helpers/models';

jest.setTimeout(90_000);

const BAD_CREDENTIALS = { detail: 'Could not validate credentials' };
const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Row = Record<string, unknown>;

function rowOf(server: RunningServer, modelId: string): Row | undefined {
  const db = server.db();
  try {
    return db.prepare('SELECT * FROM models WHERE model_id = ?').get(modelId) as Row | undefined;
  } finally {
    db.close();
  }
}

function countRows(server: RunningServer): number {
  const db = server.db();
  try {
    return Number((db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

/** pino writes one JSON object per line; anything else (a crash trace) is kept as text. */
function logLines(server: RunningServer): Row[] {
  return server
    .logs()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Row;
      } catch {
        return { unparsed: line };
      }
    });
}

const errorLines = (server: RunningServer) => logLines(server).filter((line) => Number(line.level) >= 50);

/** Stack traces, file positions, SQL and ORM/driver names: what a client must never see. */
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/prisma|sqlite|postgres|better-sqlite3|node_modules|dist\//i);
  expect(text).not.toMatch(/\bSELECT\b|\bUPDATE\b|\binvocation\b/);
  expect(text).not.toMatch(/\bat [^\s]+ \(?[^\s]*:\d+:\d+\)?|\.(?:js|ts):\d+|"stack"|stacktrace/i);
  expect(text).not.toContain(TEST_JWT_SECRET);
  expect(text).not.toContain(TEST_ENCRYPTION_KEY);
}

/* ------------------------------------------------------------------ JWKS outages */

type IdpMode = 'ok' | 'error' | 'hang';

interface Idp {
  url: string;
  hits(): number;
  setMode(mode: IdpMode): void;
  stop(): Promise<void>;
}

async function startIdp(keys: JsonWebKey[]): Promise<Idp> {
  let mode: IdpMode = 'ok';
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits += 1;
    if (mode === 'hang') return; // accepts the request, never answers
    if (mode === 'error') {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    hits: () => hits,
    setMode: (next) => {
      mode = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface IdpKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JsonWebKey;
}

function rsaKey(): IdpKey {
  const kid = `rsa-${randomUUID()}`;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
}

const JWKS_COOLDOWN_SEC = 1;
const JWKS_TIMEOUT_MS = 1500;

describe('JWKS outages (each test brings its own identity provider and gateway)', () => {
  const sent: string[] = [];
  const sign = (key: IdpKey, kid = key.kid) => {
    const token = jwt.sign({ sub: 'alice', exp: now() + 600 }, key.privateKey, { algorithm: 'RS256', keyid: kid });
    sent.push(token);
    return token;
  };

  async function setUp(): Promise<{ key: IdpKey; idp: Idp; gw: RunningServer }> {
    const key = rsaKey();
    const idp = await startIdp([key.jwk]);
    const gw = await startServer({
      env: {
        JWT_SECRET: undefined,
        JWT_JWKS_URI: idp.url,
        JWT_JWKS_COOLDOWN_SEC: String(JWKS_COOLDOWN_SEC),
        JWT_JWKS_TIMEOUT_MS: String(JWKS_TIMEOUT_MS),
      },
    });
    // The first token fetches the key set; from now on its kid is cached.
    expect((await request(gw.url, 'GET', '/api/models', { token: sign(key) })).status).toBe(200);
    expect(idp.hits()).toBe(1);
    return { key, idp, gw };
  }

  async function expectRefused(gw: RunningServer, token: string): Promise<void> {
    const res = await request(gw.url, 'GET', '/api/models', { token });
    expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: BAD_CREDENTIALS });
    const g = await gql(gw.url, '{ models { modelId } }', undefined, token);
    expect(g.status).toBe(200);
    expect(g.body.errors).toEqual([expect.objectContaining({ message: BAD_CREDENTIALS.detail, extensions: { code: 'UNAUTHENTICATED' } })]);
  }

  it('the IdP answers 503, then is gone: cached kids keep working, unknown kids are 401 (never 500) and quick; the gateway stays healthy and ready', async () => {
    const { key, idp, gw } = await setUp();
    try {
      idp.setMode('error');
      await sleep(JWKS_COOLDOWN_SEC * 1000 + 200); // an unknown kid may refetch again
      const before = idp.hits();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => request(gw.url, 'GET', '/api/models', { token: sign(key, randomUUID()) })),
      );
      for (const res of results) expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: BAD_CREDENTIALS });
      // A failed fetch holds off for a cooldown: ten unknown kids do not make ten fetches.
      expect(idp.hits() - before).toBeGreaterThanOrEqual(1);
      expect(idp.hits() - before).toBeLessThanOrEqual(2);
      expect((await request(gw.url, 'GET', '/api/models', { token: sign(key) })).status).toBe(200);

      await idp.stop();
      await sleep(JWKS_COOLDOWN_SEC * 1000 + 200);
      const started = Date.now();
      await expectRefused(gw, sign(key, randomUUID()));
      expect(Date.now() - started).toBeLessThan(JWKS_TIMEOUT_MS + 5000);
      expect((await request(gw.url, 'GET', '/api/models', { token: sign(key) })).status).toBe(200);
      expect((await request(gw.url, 'GET', '/healthz')).status).toBe(200);
      expect((await request(gw.url, 'GET', '/readyz')).status).toBe(200);

      await sleep(200); // pino writes to the pipe asynchronously
      const failures = logLines(gw).filter((line) => String(line.msg).startsWith('JWKS fetch failed'));
      expect(failures.map((line) => line.level)).toEqual(failures.map(() => 40));
      expect(failures.map((line) => line.reason)).toEqual(expect.arrayContaining(['HTTP 503', 'ECONNREFUSED']));
      expect(errorLines(gw)).toEqual([]);
      for (const token of sent) expect(gw.logs()).not.toContain(token.split('.')[2]);
    } finally {
      await gw.stop();
      await idp.stop();
    }
  });

  it('the IdP hangs: an unknown kid is 401 once JWT_JWKS_TIMEOUT_MS is up, while cached kids and /healthz stay fast', async () => {
    const { key, idp, gw } = await setUp();
    try {
      idp.setMode('hang');
      await sleep(JWKS_COOLDOWN_SEC * 1000 + 200);
      const started = Date.now();
      const pending = request(gw.url, 'GET', '/api/models', { token: sign(key, randomUUID()) });
      await sleep(100);
      const others = Date.now();
      expect((await request(gw.url, 'GET', '/healthz')).status).toBe(200);
      expect((await request(gw.url, 'GET', '/api/models', { token: sign(key) })).status).toBe(200);
      expect(Date.now() - others).toBeLessThan(JWKS_TIMEOUT_MS);
      const res = await pending;
      expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: BAD_CREDENTIALS });
      expect(Date.now() - started).toBeGreaterThanOrEqual(JWKS_TIMEOUT_MS - 100);
      expect(Date.now() - started).toBeLessThan(JWKS_TIMEOUT_MS + 5000);
    } finally {
      await gw.stop();
      await idp.stop();
    }
  });
});

/* ------------------------------------------------------------------ credentials and logs */

describe('credentials in the log', () => {
  it('at LOG_LEVEL=trace no bearer token (accepted, refused, or in the query string) and no api_key reaches the log', async () => {
    const server = await startServer({ env: { LOG_LEVEL: 'trace' } });
    try {
      const marker = `sk-LOGCHECK-${randomBytes(6).toString('hex')}`;
      const keys = ['rest-create', 'gql-create', 'rest-update', 'refused-422', 'refused-401', 'refused-gql'].map((l) => `${marker}-${l}`);
      const good = alice();
      const forged = tokenFor('alice', { secret: 'x'.repeat(40) });
      const expired = tokenFor('alice', { expiresInSec: -3600 });

      await createModel(server, gpt4o('log-1', { api_key: keys[0] }), { token: good });
      const created = await gql(
        server.url,
        'mutation ($input: CreateModelInput!) { createModel(input: $input) { modelId hasApiKey } }',
        { input: { modelId: 'log-2', modelProvider: 'openai', modelName: 'gpt-4o', apiKey: keys[1] } },
        good,
      );
      expect(created.body.data.createModel).toEqual({ modelId: 'log-2', hasApiKey: true });
      expect((await request(server.url, 'PUT', '/api/models/log-1', { token: good, body: { api_key: keys[2] } })).status).toBe(200);
      expect(
        (await request(server.url, 'PUT', '/api/models/log-1', { token: good, body: { api_key: keys[3], temperature: 'hot' } })).status,
      ).toBe(422);
      expect((await request(server.url, 'PUT', '/api/models/log-1', { token: forged, body: { api_key: keys[4] } })).status).toBe(401);
      expect((await request(server.url, 'GET', `/api/models?access_token=${good}`, { token: expired })).status).toBe(401);
      const refused = await gql(
        server.url,
        'mutation ($input: UpdateModelInput!) { updateModel(modelId: "log-1", input: $input) { version } }',
        { input: { apiKey: keys[5], temperature: 'hot' } },
        good,
      );
      expect(refused.status).toBe(400);

      await sleep(200); // pino writes to the pipe asynchronously
      const logs = server.logs();
      expect(logs.trim()).not.toBe(''); // the log is being read (not vacuous)
      expect(logs).not.toContain(marker);
      for (const token of [good, forged, expired]) expect(logs).not.toContain(token.split('.')[2]);
      expect(logs).not.toContain(TEST_JWT_SECRET);
      expect(logs).not.toContain(TEST_ENCRYPTION_KEY);
    } finally {
      await server.stop();
    }
  });
});

/* ------------------------------------------------------------------ prototype-pollution keys */

describe('prototype-pollution keys', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
    await createModel(server, gpt4o('pp-private', { temperature: 0.5 }));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const polluting = (extra: Row = {}) =>
    JSON.stringify({ ...extra, '@': 1 }).replace(
      '"@":1',
      '"__proto__": {"share_with_users": true, "owner_id": "mallory", "is_admin": true, "category": "embedding"}, ' +
        '"constructor": {"prototype": {"share_with_users": true, "is_admin": true}}, "prototype": {"abilities": []}',
    );

  it('REST: __proto__, constructor and prototype keys in a body are ignored: nothing is shared, owned, changed or granted', async () => {
    const before = rowOf(server, 'pp-private');
    const put = await request(server.url, 'PUT', '/api/models/pp-private', { token: alice(), rawBody: polluting() });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('"1"');
    expect(rowOf(server, 'pp-private')).toEqual(before);

    const post = await request(server.url, 'POST', '/api/models', {
      token: bob(),
      rawBody: polluting({ model_id: 'pp-bob', model_provider: 'openai', model_name: 'gpt-4o' }),
    });
    expect(post.status).toBe(200);
    expect(post.body).toEqual(expect.objectContaining({ model_id: 'pp-bob', category: 'llm', is_shared: false, is_owner: true }));
    expect(rowOf(server, 'pp-bob')).toEqual(expect.objectContaining({ owner_id: 'bob', is_shared: 0 }));

    // Had the server merged those keys into Object.prototype, every later object would carry them.
    const got = await request(server.url, 'GET', '/api/models/pp-private', { token: alice() });
    expect(Object.keys(got.body).sort()).toEqual([...REST_KEYS].sort());
    expect((await request(server.url, 'GET', '/api/models/pp-private', { token: bob() })).status).toBe(404);
    const share = await request(server.url, 'PUT', '/api/models/pp-bob', { token: bob(), body: { share_with_users: true } });
    expect({ status: share.status, body: share.body }).toEqual({
      status: 403,
      body: { detail: 'Only administrators can enable global sharing' },
    });
  });

  it('GraphQL: a __proto__ key in an input variable is refused as an unknown field, and nothing changes', async () => {
    const before = rowOf(server, 'pp-private');
    const query = 'mutation ($input: UpdateModelInput!) { updateModel(modelId: "pp-private", input: $input) { version isShared } }';
    for (const input of [
      '{"__proto__": {"shareWithUsers": true}, "description": "x"}',
      '{"constructor": {"prototype": {"shareWithUsers": true}}, "description": "x"}',
    ]) {
      const res = await request(server.url, 'POST', '/graphql', {
        token: alice(),
        rawBody: `{"query": ${JSON.stringify(query)}, "variables": {"input": ${input}}}`,
      });
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors[0].message).toMatch(/"(__proto__|constructor)" is not defined/);
    }
    expect(rowOf(server, 'pp-private')).toEqual(before);
  });

  it('JWT: a "__proto__": {"roles": ["admin"]} claim does not make the caller an admin', async () => {
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url(
      `{"sub": "mallory", "exp": ${now() + 600}, "__proto__": {"roles": ["admin"], "role": "admin"}, "constructor": {"prototype": {"roles": ["admin"]}}}`,
    );
    const token = `${header}.${payload}.${createHmac('sha256', TEST_JWT_SECRET).update(`${header}.${payload}`).digest('base64url')}`;
    // The token itself is valid: mallory is a signed-in user, just not an admin.
    expect((await request(server.url, 'GET', '/api/models', { token })).status).toBe(200);
    expect((await request(server.url, 'GET', '/api/models/pp-private', { token })).status).toBe(404);
    const shared = await request(server.url, 'POST', '/api/models', {
      token,
      body: { model_id: 'pp-mallory', model_provider: 'openai', model_name: 'gpt-4o', share_with_users: true },
    });
    expect(shared.status).toBe(403);
    expect(rowOf(server, 'pp-mallory')).toBeUndefined();
  });
});

/* ------------------------------------------------------------------ lone surrogates and NUL */

describe('lone surrogates and NUL characters over HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
    await createModel(server, gpt4o('uni-1', { description: 'kept' }));
  });
  afterAll(async () => {
    await server?.stop();
  });

  // JSON text: the escapes reach the server as they are, and JSON.parse turns them into a lone
  // surrogate or a NUL (a JS string literal here would not survive the test's own encoding).
  const REST_CASES: [string, string, string][] = [
    ['"model_name": "a\\ud800b"', 'model_name', 'string_unicode'],
    ['"description": "\\udc00"', 'description', 'string_unicode'],
    ['"api_key": "sk-\\ud83d-LONE"', 'api_key', 'string_unicode'],
    ['"model_provider": "open\\u0000ai"', 'model_provider', 'string_pattern_mismatch'],
    ['"description": "a\\u0000b"', 'description', 'string_pattern_mismatch'],
  ];

  it('REST: a lone surrogate or a NUL in a string field is 422 at that field, not echoed, and nothing is stored', async () => {
    const before = rowOf(server, 'uni-1');
    const rows = countRows(server);
    for (const [member, field, type] of REST_CASES) {
      for (const [method, path, body] of [
        ['PUT', '/api/models/uni-1', `{${member}}`],
        ['POST', '/api/models', `{"model_id": "uni-new", "model_provider": "p", "model_name": "n", ${member}}`],
      ] as const) {
        const res = await request(server.url, method, path, { token: alice(), rawBody: body });
        expect({ member, method, status: res.status }).toEqual({ member, method, status: 422 });
        expect(res.body.detail).toEqual([expect.objectContaining({ loc: ['body', field], type })]);
        expect(res.text).not.toContain('LONE');
      }
    }
    expect(rowOf(server, 'uni-1')).toEqual(before);
    expect(countRows(server)).toBe(rows);
  });

  it('GraphQL: the same in variables is BAD_USER_INPUT naming the field, and nothing is stored', async () => {
    const before = rowOf(server, 'uni-1');
    const query = 'mutation ($input: UpdateModelInput!) { updateModel(modelId: "uni-1", input: $input) { version } }';
    for (const [input, field] of [
      ['{"modelName": "a\\ud800b"}', 'modelName'],
      ['{"apiKey": "sk-\\udfff-LONE"}', 'apiKey'],
      ['{"description": "a\\u0000b"}', 'description'],
    ] as const) {
      const res = await request(server.url, 'POST', '/graphql', {
        token: alice(),
        rawBody: `{"query": ${JSON.stringify(query)}, "variables": {"input": ${input}}}`,
      });
      expect(res.status).toBe(200);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT', fields: [field] }));
      expect(res.text).not.toContain('LONE');
    }
    expect(rowOf(server, 'uni-1')).toEqual(before);
  });
});

/* ------------------------------------------------------------------ unexpected errors and a locked database */

describe('unexpected errors and database trouble', () => {
  itSqliteOnly(
    'a row the service cannot read: REST 500 {"detail": "Internal Server Error"}, GraphQL INTERNAL_SERVER_ERROR, no internals; the error is logged',
    async () => {
      const server = await startServer();
      try {
        await createModel(server, gpt4o('broken-row'));
        // Values no write path can produce (a date that is not one, JSON that does not parse): reading
        // the row throws an error no request can cause, which is what the masking is for.
        const db = server.db();
        try {
          db.prepare("UPDATE models SET created_at = 'not-a-date', abilities = '{not json' WHERE model_id = 'broken-row'").run();
        } finally {
          db.close();
        }
        const rest = await request(server.url, 'GET', '/api/models/broken-row', { token: alice() });
        expect({ status: rest.status, body: rest.body }).toEqual({ status: 500, body: { detail: 'Internal Server Error' } });
        expectNoInternals(rest.text);

        const g = await gql(server.url, '{ model(modelId: "broken-row") { modelId createdAt abilities } }', undefined, alice());
        expect(g.status).toBe(200);
        expect(g.body).toEqual({
          data: { model: null },
          errors: [{ message: 'Internal server error', path: ['model'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
        expectNoInternals(g.text);

        await sleep(200);
        // Operators get the cause; clients never do.
        expect(errorLines(server).length).toBeGreaterThanOrEqual(2);
      } finally {
        await server.stop();
      }
    },
  );

  itSqliteOnly(
    'SQLite: a write blocked by another process holding the write lock gives up after the busy timeout with 503, no internals, nothing changed',
    async () => {
      const server = await startServer();
      try {
        await createModel(server, gpt4o('locked-row', { temperature: 0.5 }));
        const holder = spawn(
          process.execPath,
          [
            '-e',
            `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
             const db = new Database(${JSON.stringify(server.dbPath)});
             db.exec('BEGIN IMMEDIATE');
             process.stdout.write('locked\\n');
             setTimeout(() => { db.exec('ROLLBACK'); process.exit(0); }, 12000);`,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const holderExit = new Promise((resolve) => holder.once('exit', resolve));
        try {
          await new Promise((resolve) => holder.stdout!.once('data', resolve));
          const started = Date.now();
          const res = await request(server.url, 'PUT', '/api/models/locked-row', { token: alice(), body: { temperature: 1.5 } });
          const elapsed = Date.now() - started;
          expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: { detail: 'Service Unavailable' } });
          expect(res.headers.get('retry-after')).toBe('1');
          expectNoInternals(res.text);
          // The busy timeout is 5 s; the lock is held for 12 s, so the write did give up.
          expect(elapsed).toBeGreaterThanOrEqual(4000);
          expect(elapsed).toBeLessThan(11_500);
        } finally {
          await holderExit;
        }
        expect(rowOf(server, 'locked-row')).toEqual(expect.objectContaining({ temperature: 0.5, version: 1 }));
        expect((await request(server.url, 'PUT', '/api/models/locked-row', { token: alice(), body: { temperature: 1.5 } })).status).toBe(
          200,
        );
      } finally {
        await server.stop();
      }
    },
  );
});

/* ------------------------------------------------------------------ PostgreSQL unreachable */

/** A TCP proxy in front of PostgreSQL that can forward, refuse (ECONNREFUSED) or black-hole. */
class OutageProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private blackhole = false;
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<void> {
    const server = net.createServer((client) => {
      this.track(client);
      if (this.blackhole) return; // accepted, never answered
      const upstream = net.connect(this.targetPort, this.host);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Cuts every connection and stops listening: new ones get ECONNREFUSED. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again, accepting connections and never answering them. */
  async blackHole(): Promise<void> {
    this.blackhole = true;
    this.cut();
    if (!this.server) await this.listen();
  }

  async restore(): Promise<void> {
    this.blackhole = false;
    this.cut();
    if (!this.server) await this.listen();
  }
}

describe('the database unreachable', () => {
  itPostgresOnly(
    'PostgreSQL refused, then black-holed: every request fails fast with 503 / SERVICE_UNAVAILABLE and no internals, /healthz 200, /readyz 503, nothing changes; recovers without a restart',
    async () => {
      const direct = new URL(await createTestDatabase());
      const proxy = new OutageProxy(direct.hostname, Number(direct.port || 5432));
      await proxy.listen();
      const viaProxy = new URL(direct);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      // Connect and statement bounds: a dead database costs a request seconds, not minutes.
      const server = await startServer({
        env: { DATABASE_URL: viaProxy.toString(), DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '2000' },
      });
      const FAIL_FAST_MS = 6000;
      const internals = /prisma|postgres|\bpg\b|ECONN|ETIMEDOUT|socket|timeout|terminated|connection|127\.0\.0\.1|\bSELECT\b|\.js:|stack/i;
      try {
        await createModel(server, gpt4o('outage', { temperature: 0.5 }));

        for (const outage of ['refused', 'black-holed'] as const) {
          if (outage === 'refused') await proxy.refuse();
          else await proxy.blackHole();
          const started = Date.now();
          const [get, put, query] = await Promise.all([
            request(server.url, 'GET', '/api/models/outage', { token: alice() }),
            request(server.url, 'PUT', '/api/models/outage', { token: alice(), body: { temperature: 1.5 } }),
            gql(server.url, '{ model(modelId: "outage") { modelId temperature } }', undefined, alice()),
          ]);
          expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS);
          for (const res of [get, put]) {
            expect({ outage, status: res.status, body: res.body }).toEqual({
              outage,
              status: 503,
              body: { detail: 'Service Unavailable' },
            });
            expect(res.text).not.toMatch(internals);
          }
          // The operation could not run at all: 503 with Retry-After, as REST (issue 14).
          expect([query.status, query.headers.get('retry-after')]).toEqual([503, '1']);
          expect(query.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'SERVICE_UNAVAILABLE' } })]);
          expect(query.text).not.toMatch(internals);
          expect((await request(server.url, 'GET', '/healthz')).status).toBe(200);
          const ready = await request(server.url, 'GET', '/readyz');
          expect(ready.status).toBe(503);
          expect(ready.text).not.toMatch(internals);

          await proxy.restore();
          const deadline = Date.now() + 15_000;
          let back = await request(server.url, 'GET', '/api/models/outage', { token: alice() });
          while (back.status !== 200 && Date.now() < deadline) {
            await sleep(100);
            back = await request(server.url, 'GET', '/api/models/outage', { token: alice() });
          }
          // The refused write changed nothing.
          expect({ outage, status: back.status, temperature: back.body.temperature, etag: back.headers.get('etag') }).toEqual({
            outage,
            status: 200,
            temperature: 0.5,
            etag: '"1"',
          });
        }
        expect(server.process.exitCode).toBeNull();
      } finally {
        await server.stop();
        await proxy.refuse();
      }
    },
  );
  itPostgresOnly(
    "PostgreSQL: a write stuck behind another transaction's row lock gives up at DATABASE_STATEMENT_TIMEOUT_MS with 503, and nothing changes",
    async () => {
      const url = await createTestDatabase();
      const server = await startServer({ env: { DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: '2000' } });
      const locker = new Client({ connectionString: url });
      try {
        await createModel(server, gpt4o('row-locked', { temperature: 0.5 }));
        await locker.connect();
        await locker.query('BEGIN');
        await locker.query("SELECT id FROM models WHERE model_id = 'row-locked' FOR UPDATE");
        const started = Date.now();
        const res = await request(server.url, 'PUT', '/api/models/row-locked', { token: alice(), body: { temperature: 1.5 } });
        const elapsed = Date.now() - started;
        expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: { detail: 'Service Unavailable' } });
        expectNoInternals(res.text);
        expect(elapsed).toBeGreaterThanOrEqual(1800);
        expect(elapsed).toBeLessThan(6000);
        await locker.query('ROLLBACK');
        const after = await request(server.url, 'GET', '/api/models/row-locked', { token: alice() });
        expect({ temperature: after.body.temperature, etag: after.headers.get('etag') }).toEqual({ temperature: 0.5, etag: '"1"' });
      } finally {
        await locker.end().catch(() => undefined);
        await server.stop();
      }
    },
  );
});

/* ------------------------------------------------------------------ encryption keys */

describe('encryption key rotation and a wrong key, end to end', () => {
  const ROTATE_KEYS = path.join(PROJECT_ROOT, 'dist', 'cli', 'rotate-keys.js');
  const NO_KEYS = { API_KEY_ENCRYPTION_KEY: undefined, API_KEY_ENCRYPTION_KEYS: undefined };
  const [KEY_A, KEY_B, KEY_C] = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const [A, B, C] = [KEY_A, KEY_B, KEY_C].map((key) => key.toString('base64')) as [string, string, string];

  /** No output may carry key material (any common encoding) or a plaintext api_key. */
  function expectNothingSecret(text: string, plaintexts: string[]): void {
    for (const key of [KEY_A, KEY_B, KEY_C]) {
      for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(text).not.toContain(key.toString(encoding));
    }
    for (const plaintext of plaintexts) expect(text).not.toContain(plaintext);
  }

  function keyIds(server: RunningServer): Record<string, string | null> {
    const db = server.db();
    try {
      const rows = db.prepare('SELECT model_id, api_key_encrypted FROM models ORDER BY id').all() as Row[];
      return Object.fromEntries(rows.map((r) => [r.model_id, (r.api_key_encrypted as string | null)?.split('.')[1] ?? null]));
    } finally {
      db.close();
    }
  }

  function rotateKeys(server: RunningServer, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const merged: Record<string, string> = { ...baseEnv(server.dataDir, 0), DATABASE_URL: server.databaseUrl };
    delete merged.API_KEY_ENCRYPTION_KEY;
    Object.assign(merged, env);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [ROTATE_KEYS], { env: merged, cwd: server.dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, output }));
    });
  }

  /** Re-sending a model's key is no change (same ETag) exactly when the stored value opens to that key. */
  async function etagAfterResend(server: RunningServer, modelId: string, apiKey: string): Promise<string | null> {
    const res = await request(server.url, 'PUT', `/api/models/${modelId}`, { token: alice(), body: { api_key: apiKey } });
    expect(res.status).toBe(200);
    return res.headers.get('etag');
  }

  it('keys sealed with A open under API_KEY_ENCRYPTION_KEYS=B,A; rotate-keys re-seals them with B; a gateway with only B opens every one; nothing secret is printed', async () => {
    const dataDir = tempDir();
    const plaintexts = new Map([1, 2, 3].map((i) => [`rot-${i}`, `sk-ROTATION-${i}-${randomBytes(6).toString('hex')}`]));
    const outputs: string[] = [];

    let server = await startServer({ dataDir, env: { ...NO_KEYS, API_KEY_ENCRYPTION_KEY: A } });
    for (const [modelId, apiKey] of plaintexts) await createModel(server, gpt4o(modelId, { api_key: apiKey }));
    expect(Object.values(keyIds(server))).toEqual([keyIdOf(KEY_A), keyIdOf(KEY_A), keyIdOf(KEY_A)]);
    expect(await server.stop()).toBe(0);
    outputs.push(server.logs());

    server = await startServer({ dataDir, env: { ...NO_KEYS, API_KEY_ENCRYPTION_KEYS: `${B},${A}` } });
    for (const [modelId, apiKey] of plaintexts) expect(await etagAfterResend(server, modelId, apiKey)).toBe('"1"');
    const cli = await rotateKeys(server, { API_KEY_ENCRYPTION_KEYS: `${B},${A}` });
    outputs.push(cli.output);
    expect(cli.code).toBe(0);
    expect(cli.output).toMatch(/scanned 3, re-encrypted 3, already current 0, changed concurrently \(skipped\) 0, failed 0/);
    expect(Object.values(keyIds(server))).toEqual([keyIdOf(KEY_B), keyIdOf(KEY_B), keyIdOf(KEY_B)]);
    expect(await server.stop()).toBe(0);
    outputs.push(server.logs());

    server = await startServer({ dataDir, env: { ...NO_KEYS, API_KEY_ENCRYPTION_KEYS: B } });
    for (const [modelId, apiKey] of plaintexts) {
      expect(await etagAfterResend(server, modelId, apiKey)).toBe('"1"');
      const g = await gql(server.url, `{ model(modelId: "${modelId}") { hasApiKey version } }`, undefined, alice());
      expect(g.body.data.model).toEqual({ hasApiKey: true, version: 1 });
    }
    await sleep(200);
    expect(errorLines(server)).toEqual([]);
    expect(await server.stop()).toBe(0);
    outputs.push(server.logs());
    expectNothingSecret(outputs.join('\n'), [...plaintexts.values()]);
  });

  it('a wrong key: the gateway serves, logs each key it cannot open by model_id only and replaces it when re-sent; rotate-keys names the rows and exits 1; no key material anywhere', async () => {
    const dataDir = tempDir();
    const first = `sk-WRONGKEY-1-${randomBytes(6).toString('hex')}`;
    const second = `sk-WRONGKEY-2-${randomBytes(6).toString('hex')}`;

    const sealer = await startServer({ dataDir, env: { ...NO_KEYS, API_KEY_ENCRYPTION_KEY: A } });
    await createModel(sealer, gpt4o('wrong-1', { api_key: first }));
    await createModel(sealer, gpt4o('wrong-2', { api_key: second }));
    expect(await sealer.stop()).toBe(0);

    const server = await startServer({ dataDir, env: { ...NO_KEYS, API_KEY_ENCRYPTION_KEY: C } });
    try {
      const list = await request(server.url, 'GET', '/api/models', { token: alice() });
      expect(list.status).toBe(200);
      expect(list.body).toHaveLength(2);
      const g = await gql(server.url, '{ model(modelId: "wrong-1") { hasApiKey version } }', undefined, alice());
      expect(g.body.data.model).toEqual({ hasApiKey: true, version: 1 });

      // The stored value cannot be compared with what is sent, so it is replaced (a change: version 2).
      expect(await etagAfterResend(server, 'wrong-1', first)).toBe('"2"');
      expect(keyIds(server)['wrong-1']).toBe(keyIdOf(KEY_C));
      await sleep(200);
      const logged = errorLines(server);
      expect(logged).toEqual([
        expect.objectContaining({ level: 50, modelId: 'wrong-1', msg: 'stored api_key failed to decrypt; replacing it' }),
      ]);
      expect(String(logged[0]!.reason)).toContain(`sealed with key ${keyIdOf(KEY_A)}, which is not configured`);

      const before = keyIds(server);
      const cli = await rotateKeys(server, { API_KEY_ENCRYPTION_KEY: C });
      expect(cli.code).toBe(1);
      expect(cli.output).toMatch(/scanned 2, re-encrypted 0, already current 1, changed concurrently \(skipped\) 0, failed 1/);
      expect(cli.output).toContain('failed "wrong-2": api_key ciphertext could not be opened');
      expect(keyIds(server)).toEqual(before);
      expectNothingSecret(`${server.logs()}\n${cli.output}`, [first, second]);
    } finally {
      await server.stop();
    }
  });
});
