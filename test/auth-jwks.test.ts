/**
 * Keys from an identity provider's JWKS endpoint (JWT_JWKS_URI). The test runs its own JWKS
 * server on 127.0.0.1 (node:http, keys from node:crypto exported as JWK with a `kid`) and
 * counts its hits, so caching, refetch on key rotation and the bound on refetches under a flood
 * of made-up `kid`s are observed from the IdP's side. Every refused token is 401
 * `Could not validate credentials` on REST and UNAUTHENTICATED on GraphQL, never a 500 or a
 * hang, also while the endpoint fails, hangs or is gone.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { request, type HttpResult } from './helpers/http';
import { PROJECT_ROOT, startServer, tempDir, type RunningServer } from './helpers/server';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, tokenFor } from './helpers/tokens';

const BAD_CREDENTIALS = { detail: 'Could not validate credentials' };
const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'model-gateway';
const COOLDOWN_SEC = 1;
const TIMEOUT_MS = 1500;

/* ------------------------------------------------------------------ a JWKS endpoint to test with */

type Mode = 'ok' | 'error' | 'hang';

interface JwksServer {
  url: string;
  hits(): number;
  serve(keys: JsonWebKey[]): void;
  setMode(mode: Mode): void;
  stop(): Promise<void>;
}

async function startJwksServer(keys: JsonWebKey[]): Promise<JwksServer> {
  let served = keys;
  let mode: Mode = 'ok';
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits += 1;
    if (mode === 'hang') return; // accepts the request, never answers
    if (mode === 'error' || req.url !== '/.well-known/jwks.json') {
      res.writeHead(mode === 'error' ? 503 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    hits: () => hits,
    serve: (next) => {
      served = next;
    },
    setMode: (next) => {
      mode = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive and hanging connections would hold close() open.
        server.closeAllConnections();
      }),
  };
}

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JsonWebKey;
}

function makeKey(alg: 'RS256' | 'ES256', kid = `${alg.toLowerCase()}-${randomUUID()}`): SigningKey {
  const { publicKey, privateKey } =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg } };
}

/* ------------------------------------------------------------------ tokens and expectations */

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Every token this file sent: none may appear in a log line. */
const sentTokens: string[] = [];

function sign(
  key: SigningKey,
  claims: Record<string, unknown> = {},
  options: { kid?: string | null; alg?: 'RS256' | 'ES256' } = {},
): string {
  const payload: Record<string, unknown> = { sub: 'alice', roles: ['user'], iss: ISSUER, aud: AUDIENCE, exp: now() + 600, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const kid = options.kid === undefined ? key.kid : options.kid;
  const token = jwt.sign(payload, key.privateKey, { algorithm: options.alg ?? key.alg, ...(kid === null ? {} : { keyid: kid }) });
  sentTokens.push(token);
  return token;
}

/** HS256 over `secret`, with any header: for key-confusion attempts. */
function hmacToken(header: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${b64url({ typ: 'JWT', ...header })}.${b64url({ sub: 'mallory', roles: ['admin'], iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}`;
  const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  sentTokens.push(token);
  return token;
}

function expectRest401(res: HttpResult): void {
  expect(res.status).toBe(401);
  expect(res.body).toEqual(BAD_CREDENTIALS);
  expect(res.headers.get('www-authenticate')).toBe('Bearer');
}

/** REST and GraphQL both refuse the token as unauthenticated. */
async function expectRefused(url: string, token: string): Promise<void> {
  expectRest401(await request(url, 'GET', '/api/models', { token }));
  const g = await request(url, 'POST', '/graphql', { token, body: { query: '{ models { modelId } }' } });
  expect(g.status).toBe(200);
  expect(g.body.data).toBeNull();
  expect(g.body.errors).toEqual([expect.objectContaining({ message: BAD_CREDENTIALS.detail, extensions: { code: 'UNAUTHENTICATED' } })]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Log lines of the gateway as objects (pino writes one JSON object per line). */
function logLines(server: RunningServer): Record<string, unknown>[] {
  return server
    .logs()
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

const fetchFailures = (server: RunningServer) => logLines(server).filter((line) => String(line.msg).startsWith('JWKS fetch failed'));

/* ------------------------------------------------------------------ the gateway with JWKS keys */

describe('JWT_JWKS_URI: RS256 and ES256 keys from the JWKS endpoint', () => {
  const rsa = makeKey('RS256');
  const ec = makeKey('ES256');
  const stranger = makeKey('RS256', rsa.kid); // same kid, a key the IdP never published
  let idp: JwksServer;
  let gw: RunningServer;

  beforeAll(async () => {
    idp = await startJwksServer([rsa.jwk, ec.jwk]);
    gw = await startServer({
      env: {
        JWT_SECRET: undefined,
        JWT_JWKS_URI: idp.url,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        JWT_JWKS_COOLDOWN_SEC: String(COOLDOWN_SEC),
        JWT_JWKS_TIMEOUT_MS: String(TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await idp?.stop();
  });

  it('no fetch at start-up; RS256 and ES256 tokens with their kid are accepted, from one fetch', async () => {
    expect(idp.hits()).toBe(0);
    const created = await request(gw.url, 'POST', '/api/models', {
      token: sign(rsa),
      body: { model_id: 'jwks-model', model_provider: 'openai', model_name: 'gpt-4o' },
    });
    expect(created.status).toBe(200);
    expect(created.body.is_owner).toBe(true);

    const asAdmin = await request(gw.url, 'GET', '/api/models/jwks-model', { token: sign(ec, { sub: 'root', roles: ['admin'] }) });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body).toEqual(expect.objectContaining({ model_id: 'jwks-model', is_owner: false, can_edit: true }));

    const g = await request(gw.url, 'POST', '/graphql', {
      token: sign(ec),
      body: { query: '{ model(modelId: "jwks-model") { modelId isOwner } }' },
    });
    expect(g.body).toEqual({ data: { model: { modelId: 'jwks-model', isOwner: true } } });
    expect(idp.hits()).toBe(1);
  });

  it('refused: unknown kid, a key not in the set under a known kid, no kid, a kid of the other key type', async () => {
    await expectRefused(gw.url, sign(rsa, {}, { kid: 'no-such-kid' }));
    await expectRefused(gw.url, sign(stranger));
    await expectRefused(gw.url, sign(rsa, {}, { kid: null }));
    await expectRefused(gw.url, sign(rsa, {}, { kid: ec.kid }));
    await expectRefused(gw.url, sign(rsa, {}, { kid: 'k'.repeat(300) }));
  });

  it('refused: HS256 signed with the public key material of a published key (key confusion), with its kid', async () => {
    const hits = idp.hits();
    const spki = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const secret of [
      JSON.stringify(rsa.jwk),
      spki,
      rsa.publicKey.export({ type: 'spki', format: 'der' }),
      rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      String(rsa.jwk.n),
      JSON.stringify(ec.jwk),
      TEST_JWT_SECRET,
    ]) {
      await expectRefused(gw.url, hmacToken({ alg: 'HS256', kid: rsa.kid }, secret));
    }
    await expectRefused(gw.url, hmacToken({ alg: 'HS512', kid: rsa.kid }, spki));
    // HS256 is not on the allow-list: refused before any key lookup, so no fetch either.
    expect(idp.hits()).toBe(hits);
  });

  it('refused: alg none, RS512/ES384 headers, a tampered payload, expired, future nbf, missing exp, empty sub', async () => {
    await expectRefused(gw.url, `${b64url({ alg: 'none', typ: 'JWT', kid: rsa.kid })}.${b64url({ sub: 'alice', exp: now() + 600 })}.`);
    await expectRefused(
      gw.url,
      `${b64url({ alg: 'none', kid: rsa.kid })}.${b64url({ sub: 'alice', exp: now() + 600 })}.${sign(rsa).split('.')[2]}`,
    );
    sentTokens.push(
      jwt.sign({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: now() + 600 }, rsa.privateKey, { algorithm: 'RS512', keyid: rsa.kid }),
    );
    await expectRefused(gw.url, sentTokens.at(-1)!);
    const [header, , signature] = sign(ec).split('.');
    await expectRefused(
      gw.url,
      `${header}.${b64url({ sub: 'root', roles: ['admin'], iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.${signature}`,
    );
    await expectRefused(gw.url, sign(rsa, { exp: now() - 3600 }));
    await expectRefused(gw.url, sign(ec, { nbf: now() + 3600 }));
    await expectRefused(gw.url, sign(rsa, { exp: undefined }));
    await expectRefused(gw.url, sign(ec, { sub: '' }));
  });

  it('iss and aud are checked with JWKS keys too', async () => {
    await expectRefused(gw.url, sign(rsa, { iss: 'https://evil.example.test/' }));
    await expectRefused(gw.url, sign(rsa, { iss: undefined }));
    await expectRefused(gw.url, sign(ec, { aud: 'another-api' }));
    await expectRefused(gw.url, sign(ec, { aud: undefined }));
    const listed = await request(gw.url, 'GET', '/api/models', { token: sign(ec, { aud: ['another-api', AUDIENCE] }) });
    expect(listed.status).toBe(200);
  });

  it('key rotation: the IdP publishes a new key and retires the old one; the new kid is fetched, the retired one refused', async () => {
    const next = makeKey('RS256');
    idp.serve([ec.jwk, next.jwk]);
    await sleep(COOLDOWN_SEC * 1000 + 200); // unknown kids refetch at most once per cooldown
    const hits = idp.hits();
    const res = await request(gw.url, 'GET', '/api/models/jwks-model', { token: sign(next, { sub: 'root', roles: ['admin'] }) });
    expect(res.status).toBe(200);
    expect(idp.hits()).toBe(hits + 1);
    // The refetched set no longer has the old RSA key.
    await expectRefused(gw.url, sign(rsa));
    expect((await request(gw.url, 'GET', '/api/models', { token: sign(ec) })).status).toBe(200);
    expect((await request(gw.url, 'GET', '/api/models', { token: sign(next) })).status).toBe(200);
    idp.serve([ec.jwk, next.jwk, rsa.jwk]);
  });

  it('a burst of 50 tokens with random kids: all 401, and the IdP sees a bounded number of fetches', async () => {
    await sleep(COOLDOWN_SEC * 1000 + 200);
    const hits = idp.hits();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        request(gw.url, 'GET', '/api/models', { token: sign(i % 2 ? rsa : ec, {}, { kid: randomUUID() }) }),
      ),
    );
    for (const res of results) expectRest401(res);
    const elapsedSec = (Date.now() - started) / 1000;
    // The cooldown had passed, so the first unknown kid refetched (which also brought back the
    // key the rotation test retired); after that at most one fetch per cooldown.
    expect(idp.hits() - hits).toBeGreaterThanOrEqual(1);
    expect(idp.hits() - hits).toBeLessThanOrEqual(Math.min(5, Math.ceil(elapsedSec / COOLDOWN_SEC) + 1));
    // Valid tokens keep working right after.
    expect((await request(gw.url, 'GET', '/api/models', { token: sign(rsa) })).status).toBe(200);
  });

  it('the endpoint answers 503: cached kids still work, unknown kids are 401, one warning per failed fetch', async () => {
    idp.setMode('error');
    await sleep(COOLDOWN_SEC * 1000 + 200);
    const hits = idp.hits();
    const warningsBefore = fetchFailures(gw).length;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => request(gw.url, 'GET', '/api/models', { token: sign(rsa, {}, { kid: randomUUID() }) })),
    );
    for (const res of results) expectRest401(res);
    expect((await request(gw.url, 'GET', '/api/models', { token: sign(rsa) })).status).toBe(200);
    expect((await request(gw.url, 'GET', '/api/models', { token: sign(ec) })).status).toBe(200);
    const attempts = idp.hits() - hits;
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(2);
    await sleep(200); // let the log lines arrive
    const warnings = fetchFailures(gw).slice(warningsBefore);
    expect(warnings).toHaveLength(attempts);
    expect(warnings[0]).toEqual(expect.objectContaining({ level: 40, reason: 'HTTP 503', jwksUri: idp.url }));
  });

  it('the endpoint hangs: an unknown kid is 401 within the timeout, cached kids and /healthz stay fast', async () => {
    idp.setMode('hang');
    await sleep(COOLDOWN_SEC * 1000 + 200); // past the hold-off after the 503s
    const started = Date.now();
    const pending = request(gw.url, 'GET', '/api/models', { token: sign(ec, {}, { kid: randomUUID() }) });
    await sleep(100);
    const healthStarted = Date.now();
    expect((await request(gw.url, 'GET', '/healthz')).status).toBe(200);
    expect((await request(gw.url, 'GET', '/api/models', { token: sign(rsa) })).status).toBe(200);
    expect(Date.now() - healthStarted).toBeLessThan(TIMEOUT_MS);
    expectRest401(await pending);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 5000);
    await sleep(200);
    expect(fetchFailures(gw).at(-1)).toEqual(expect.objectContaining({ reason: `no complete answer within ${TIMEOUT_MS} ms` }));
  });

  it('the endpoint is gone: cached kids 200, unknown kids 401 quickly, the gateway healthy and ready', async () => {
    await idp.stop();
    await sleep(COOLDOWN_SEC * 1000 + 200);
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      await expectRefused(gw.url, sign(rsa, {}, { kid: randomUUID() }));
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 5000);
    }
    expect((await request(gw.url, 'GET', '/api/models', { token: sign(rsa) })).status).toBe(200);
    expect((await request(gw.url, 'GET', '/api/models/jwks-model', { token: sign(ec) })).status).toBe(200);
    expect((await request(gw.url, 'GET', '/healthz')).status).toBe(200);
    expect((await request(gw.url, 'GET', '/readyz')).status).toBe(200);
    await sleep(200);
    expect(fetchFailures(gw).at(-1)).toEqual(expect.objectContaining({ reason: 'ECONNREFUSED' }));
  });

  it('no log line carries a token, and nothing was logged as an error', () => {
    const logs = gw.logs();
    for (const token of sentTokens) {
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(token.split('.')[2]);
    }
    expect(logLines(gw).filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});

describe('JWT_ALGORITHMS narrows the allow-list', () => {
  it('JWT_ALGORITHMS=ES256: ES256 accepted, RS256 refused without a fetch even though its key is published', async () => {
    const rsa = makeKey('RS256');
    const ec = makeKey('ES256');
    const idp = await startJwksServer([rsa.jwk, ec.jwk]);
    const gw = await startServer({ env: { JWT_SECRET: undefined, JWT_JWKS_URI: idp.url, JWT_ALGORITHMS: 'ES256' } });
    try {
      const claims = { iss: undefined, aud: undefined };
      await expectRefused(gw.url, sign(rsa, claims));
      expect(idp.hits()).toBe(0);
      expect((await request(gw.url, 'GET', '/api/models', { token: sign(ec, claims) })).status).toBe(200);
      expect(idp.hits()).toBe(1);
    } finally {
      await gw.stop();
      await idp.stop();
    }
  });
});

/* ------------------------------------------------------------------ configuration */

describe('JWKS configuration is checked at start-up', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const JWKS = 'https://idp.example.test/.well-known/jwks.json';

  async function configErrors(env: Record<string, string | undefined>): Promise<string[]> {
    const server = await startServer({ env, expectExit: true });
    await server.stop();
    expect(server.process.exitCode).toBe(1);
    expect(server.logs()).not.toContain(TEST_JWT_SECRET);
    return server
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('config error: '));
  }

  it.each<[string, Record<string, string | undefined>, RegExp]>([
    ['JWT_JWKS_URI with JWT_SECRET', { JWT_JWKS_URI: JWKS }, /JWT_JWKS_URI and JWT_SECRET are both set/],
    [
      'JWT_JWKS_URI with JWT_PUBLIC_KEY',
      { JWT_SECRET: undefined, JWT_JWKS_URI: JWKS, JWT_PUBLIC_KEY: publicPem },
      /JWT_JWKS_URI and JWT_PUBLIC_KEY/,
    ],
    [
      'HS256 in JWT_ALGORITHMS with JWKS',
      { JWT_SECRET: undefined, JWT_JWKS_URI: JWKS, JWT_ALGORITHMS: 'RS256,HS256' },
      /HS256 cannot be used with JWT_JWKS_URI/,
    ],
    [
      'none in JWT_ALGORITHMS',
      { JWT_SECRET: undefined, JWT_JWKS_URI: JWKS, JWT_ALGORITHMS: 'none' },
      /JWT_ALGORITHMS: "none" is not supported/,
    ],
    [
      'ES256 in JWT_ALGORITHMS with an RSA public key',
      { JWT_SECRET: undefined, JWT_PUBLIC_KEY: publicPem, JWT_ALGORITHMS: 'ES256' },
      /ES256 cannot be used with an RSA JWT_PUBLIC_KEY/,
    ],
    ['RS256 in JWT_ALGORITHMS with JWT_SECRET', { JWT_ALGORITHMS: 'RS256' }, /RS256 cannot be used with JWT_SECRET/],
    [
      'a JWKS URI that is not http(s)',
      { JWT_SECRET: undefined, JWT_JWKS_URI: 'ftp://idp.example.test/jwks' },
      /JWT_JWKS_URI must be an http\(s\) URL/,
    ],
    [
      'a JWKS URI that is not a URL',
      { JWT_SECRET: undefined, JWT_JWKS_URI: 'idp.example.test/jwks' },
      /JWT_JWKS_URI must be an absolute http\(s\) URL/,
    ],
    [
      'a JWKS URI with credentials',
      { JWT_SECRET: undefined, JWT_JWKS_URI: 'https://user:pw@idp.example.test/jwks' },
      /must not contain credentials/,
    ],
    [
      'a JWKS cooldown of 0 (no bound on refetches)',
      { JWT_SECRET: undefined, JWT_JWKS_URI: JWKS, JWT_JWKS_COOLDOWN_SEC: '0' },
      /JWT_JWKS_COOLDOWN_SEC/,
    ],
    [
      'an EC public key on another curve than P-256',
      {
        JWT_SECRET: undefined,
        JWT_PUBLIC_KEY: generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      },
      /RSA or EC P-256/,
    ],
  ])('%s: refuses to start with a clear config error', async (_name, env, message) => {
    const errors = await configErrors(env);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it('production (and development) with JWT_JWKS_URI need no JWT_SECRET, and generate none', async () => {
    for (const NODE_ENV of ['production', 'development']) {
      const gw = await startServer({ env: { NODE_ENV, JWT_SECRET: undefined, JWT_JWKS_URI: JWKS } });
      try {
        expectRest401(await request(gw.url, 'GET', '/api/models', { token: tokenFor('alice') }));
        expect(fs.existsSync(path.join(gw.dataDir, 'jwt-secret'))).toBe(false);
      } finally {
        await gw.stop();
      }
    }
  });
});

describe('npm run token refuses when the service only verifies', () => {
  const TOKEN_CLI = path.join(PROJECT_ROOT, 'dist', 'cli', 'token.js');
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [TOKEN_CLI, '--sub', 'alice'], {
      // A data directory of its own: nothing may be generated under the project's ./data.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATA_DIR: tempDir(), API_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ...env },
      encoding: 'utf8',
      timeout: 20000,
    });

  it.each([
    ['JWT_JWKS_URI', { JWT_JWKS_URI: 'https://idp.example.test/.well-known/jwks.json' }],
    [
      'JWT_PUBLIC_KEY',
      { JWT_PUBLIC_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    ],
  ])('with %s: exit 1, a clear message, no token', (name, env) => {
    const out = run(env);
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`${name} is set`);
    expect(out.stderr).toContain('identity provider');
  });
});
