/**
 * Who is calling: every refused token is 401 `Could not validate credentials` with
 * `WWW-Authenticate: Bearer` on REST and UNAUTHENTICATED on GraphQL; no credentials at all is
 * `Not authenticated`. Admin comes from `roles` or `role`. Issuer/audience are checked when
 * configured; RS256 via JWT_PUBLIC_KEY; the `npm run token` CLI mints tokens the server accepts.
 */
import { spawnSync } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { gql, request, type HttpResult } from './helpers/http';
import { storedRow } from './helpers/models';
import { PROJECT_ROOT, startServer, tempDir, type RunningServer } from './helpers/server';
import { TEST_JWT_SECRET, alice, tokenFor } from './helpers/tokens';

const TOKEN_CLI = path.join(PROJECT_ROOT, 'dist', 'cli', 'token.js');
const BAD_CREDENTIALS = { detail: 'Could not validate credentials' };
const NOT_AUTHENTICATED = { detail: 'Not authenticated' };

let server: RunningServer;
const FIXTURE = 'auth-fixture/alice-private';

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT signed by hand with HMAC, so header and claims can be anything. */
function hmacToken(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer, hash = 'sha256'): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

const validClaims = (sub = 'alice') => ({ sub, roles: ['user'], iat: now(), exp: now() + 3600 });

const rowOf = (modelId: string): Record<string, unknown> | undefined => storedRow(server, modelId);

function countRows(): number {
  const db = server.db();
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function expectRest401(res: HttpResult, body: unknown): void {
  expect(res.status).toBe(401);
  expect(res.body).toEqual(body);
  expect(res.headers.get('www-authenticate')).toBe('Bearer');
}

function expectGraphQL401(res: HttpResult, message: string, field: string): void {
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    data: null,
    errors: [{ message, locations: expect.any(Array), path: [field], extensions: { code: 'UNAUTHENTICATED' } }],
  });
}

/** Every operation on both transports refuses this Authorization header, and nothing changes. */
async function expectRefusedEverywhere(url: string, authorization: string | undefined, body: { detail: string }): Promise<void> {
  const headers: Record<string, string> = authorization === undefined ? {} : { Authorization: authorization };
  const before = url === server.url ? rowOf(FIXTURE) : undefined;
  const rowsBefore = url === server.url ? countRows() : 0;

  expectRest401(await request(url, 'GET', '/api/models', { headers }), body);
  expectRest401(await request(url, 'GET', `/api/models/by-id/${FIXTURE}`, { headers }), body);
  expectRest401(await request(url, 'PUT', `/api/models/by-id/${FIXTURE}`, { headers, body: { temperature: 1.5 } }), body);
  expectRest401(await request(url, 'DELETE', `/api/models/by-id/${FIXTURE}`, { headers }), body);
  expectRest401(
    await request(url, 'POST', '/api/models', {
      headers,
      body: { model_id: 'auth-never-created', model_provider: 'openai', model_name: 'x' },
    }),
    body,
  );

  const gqlPost = (query: string, variables?: Record<string, unknown>) =>
    request(url, 'POST', '/graphql', { headers, body: { query, variables } });
  expectGraphQL401(await gqlPost('{ models { modelId } }'), body.detail, 'models');
  expectGraphQL401(
    await gqlPost('mutation ($id: String!) { updateModel(modelId: $id, input: { temperature: 1.5 }) { version } }', { id: FIXTURE }),
    body.detail,
    'updateModel',
  );
  expectGraphQL401(await gqlPost('mutation ($id: String!) { deleteModel(modelId: $id) }', { id: FIXTURE }), body.detail, 'deleteModel');

  if (url === server.url) {
    expect(rowOf(FIXTURE)).toEqual(before);
    expect(countRows()).toBe(rowsBefore);
  }
}

function runTokenCli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [TOKEN_CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

beforeAll(async () => {
  server = await startServer();
  const res = await request(server.url, 'POST', '/api/models', {
    token: alice(),
    body: { model_id: FIXTURE, model_provider: 'openai', model_name: 'gpt-4o', temperature: 0.5 },
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await server?.stop();
});

describe('no credentials', () => {
  it('no Authorization header: 401 Not authenticated on every REST route, UNAUTHENTICATED on GraphQL', async () => {
    await expectRefusedEverywhere(server.url, undefined, NOT_AUTHENTICATED);
  });

  it('introspection still works without a token (Sandbox loads the schema)', async () => {
    const res = await gql(server.url, '{ __schema { queryType { name } } }');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });
});

describe('refused tokens: 401 Could not validate credentials / UNAUTHENTICATED', () => {
  const cases: [string, () => string][] = [
    ['expired', () => tokenFor('alice', { expiresInSec: -3600 })],
    ['expired a minute ago (beyond the clock tolerance)', () => tokenFor('alice', { expiresInSec: -60 })],
    ['not yet valid (nbf in the future)', () => tokenFor('alice', { claims: { nbf: now() + 3600 } })],
    ['unsigned (alg: none, empty signature)', () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(validClaims())}.`],
    [
      'unsigned (alg: none) carrying an HS256 signature',
      () =>
        `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(validClaims())}.${hmacToken({ alg: 'HS256' }, validClaims(), TEST_JWT_SECRET).split('.')[2]}`,
    ],
    ['alg: None (capitalised)', () => `${b64url({ alg: 'None', typ: 'JWT' })}.${b64url(validClaims())}.`],
    ['signed with a wrong secret', () => tokenFor('alice', { secret: 'a-completely-different-secret-0123456789abcdef' })],
    ['HS512 with the right secret (not on the allow-list)', () => jwt.sign(validClaims(), TEST_JWT_SECRET, { algorithm: 'HS512' })],
    ['HS384 with the right secret (not on the allow-list)', () => jwt.sign(validClaims(), TEST_JWT_SECRET, { algorithm: 'HS384' })],
    [
      'a header saying HS512 over an HS256 signature',
      () => hmacToken({ alg: 'HS512', typ: 'JWT' }, validClaims(), TEST_JWT_SECRET, 'sha256'),
    ],
    ['missing sub', () => tokenFor('alice', { claims: { sub: undefined } })],
    ['empty sub', () => tokenFor('')],
    ['sub that is not a string', () => hmacToken({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), sub: 42 }, TEST_JWT_SECRET)],
    ['missing exp', () => tokenFor('alice', { claims: { exp: undefined } })],
    ['exp that is not a number', () => hmacToken({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), exp: 'tomorrow' }, TEST_JWT_SECRET)],
    [
      'a payload that is not a JSON object',
      () => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${Buffer.from('"alice"').toString('base64url')}.sig`,
    ],
    [
      'a modified payload (signature no longer matches)',
      () => {
        const [h, , s] = tokenFor('alice').split('.');
        return `${h}.${b64url({ ...validClaims('root'), roles: ['admin'] })}.${s}`;
      },
    ],
    ['not a JWT at all', () => 'not-a-jwt'],
    ['two parts only', () => tokenFor('alice').split('.').slice(0, 2).join('.')],
  ];

  it.each(cases)('%s', async (_name, make) => {
    await expectRefusedEverywhere(server.url, `Bearer ${make()}`, BAD_CREDENTIALS);
  });

  it('a token within the clock tolerance is still accepted (exp 2 s ago)', async () => {
    const res = await request(server.url, 'GET', '/api/models', { token: tokenFor('alice', { expiresInSec: -2 }) });
    expect(res.status).toBe(200);
  });
});

describe('the Authorization header', () => {
  it.each([['Bearer'], ['Bearer '], ['Basic xyz'], ['Basic YWxpY2U6cGFzc3dvcmQ='], ['Token abc.def.ghi']])(
    '%j is refused with 401 and WWW-Authenticate: Bearer',
    async (header) => {
      // The contract allows either detail for a malformed header (FastAPI answers "Not authenticated"
      // when no bearer credential is present at all).
      const res = await request(server.url, 'GET', '/api/models', { headers: { Authorization: header } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect([NOT_AUTHENTICATED, BAD_CREDENTIALS]).toContainEqual(res.body);
      const before = rowOf(FIXTURE);
      const put = await request(server.url, 'PUT', `/api/models/by-id/${FIXTURE}`, {
        headers: { Authorization: header },
        body: { temperature: 1.9 },
      });
      expect(put.status).toBe(401);
      expect(put.headers.get('www-authenticate')).toBe('Bearer');
      expect(rowOf(FIXTURE)).toEqual(before);
      const g = await request(server.url, 'POST', '/graphql', {
        headers: { Authorization: header },
        body: { query: '{ models { modelId } }' },
      });
      expect(g.status).toBe(200);
      expect(g.body.data).toBeNull();
      expect(g.body.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect([NOT_AUTHENTICATED.detail, BAD_CREDENTIALS.detail]).toContain(g.body.errors[0].message);
    },
  );

  it('"Bearer <two tokens>" is refused', async () => {
    const res = await request(server.url, 'GET', '/api/models', { headers: { Authorization: `Bearer ${alice()} ${alice()}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each([['bearer'], ['BEARER'], ['BeArEr']])('the scheme is case-insensitive: "%s <valid>" is accepted', async (scheme) => {
    const token = alice();
    const res = await request(server.url, 'GET', `/api/models/by-id/${FIXTURE}`, { headers: { Authorization: `${scheme} ${token}` } });
    expect(res.status).toBe(200);
    expect(res.body.model_id).toBe(FIXTURE);
    expect(res.body.is_owner).toBe(true);
    const g = await request(server.url, 'POST', '/graphql', {
      headers: { Authorization: `${scheme} ${token}` },
      body: { query: `{ model(modelId: "${FIXTURE}") { modelId isOwner } }` },
    });
    expect(g.body).toEqual({ data: { model: { modelId: FIXTURE, isOwner: true } } });
  });
});

describe('admin comes from roles or role', () => {
  async function seesFixtureAsAdmin(token: string): Promise<boolean> {
    const res = await request(server.url, 'GET', `/api/models/by-id/${FIXTURE}`, { token });
    const g = await gql(server.url, `{ model(modelId: "${FIXTURE}") { modelId isOwner canEdit canDelete } }`, undefined, token);
    expect(g.status).toBe(200);
    expect(g.body.errors).toBeUndefined();
    if (res.status === 200) {
      expect(res.body).toEqual(expect.objectContaining({ model_id: FIXTURE, is_owner: false, can_edit: true, can_delete: true }));
      expect(g.body.data.model).toEqual({ modelId: FIXTURE, isOwner: false, canEdit: true, canDelete: true });
      return true;
    }
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Model not found' });
    expect(g.body.data.model).toBeNull();
    return false;
  }

  it('roles: ["admin"] is an admin', async () => {
    expect(await seesFixtureAsAdmin(tokenFor('carol', { admin: true }))).toBe(true);
  });

  it('roles: ["user", "admin"] is an admin', async () => {
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: ['user', 'admin'] } }))).toBe(true);
  });

  it('role: "admin" is an admin', async () => {
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: undefined, role: 'admin' } }))).toBe(true);
  });

  it('role: "user admin" and "user,admin" (a list in one string) are admins', async () => {
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: undefined, role: 'user admin' } }))).toBe(true);
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: undefined, role: 'user,admin' } }))).toBe(true);
  });

  it('roles: ["user"], role: "user", no roles, and look-alikes are not admins', async () => {
    expect(await seesFixtureAsAdmin(tokenFor('carol'))).toBe(false);
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: undefined, role: 'user' } }))).toBe(false);
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: undefined } }))).toBe(false);
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: ['administrator', 'Admin'] } }))).toBe(false);
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: undefined, role: 'superadmin' } }))).toBe(false);
    expect(await seesFixtureAsAdmin(tokenFor('carol', { claims: { roles: [], admin: true, is_admin: true } }))).toBe(false);
  });

  it('only an admin may enable sharing on create: roles ["user"] gets 403, role "admin" gets 200', async () => {
    const body = { model_provider: 'openai', model_name: 'gpt-4o', share_with_users: true };
    const refused = await request(server.url, 'POST', '/api/models', {
      token: tokenFor('dave'),
      body: { ...body, model_id: 'auth-share-user' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ detail: 'Only administrators can share models with all users' });
    expect(rowOf('auth-share-user')).toBeUndefined();
    const ok = await request(server.url, 'POST', '/api/models', {
      token: tokenFor('dave', { claims: { roles: undefined, role: 'admin' } }),
      body: { ...body, model_id: 'auth-share-admin' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.is_shared).toBe(true);
  });
});

describe('with JWT_ISSUER and JWT_AUDIENCE configured', () => {
  const ISSUER = 'https://issuer.example.test/';
  const AUDIENCE = 'model-gateway-tests';
  let strict: RunningServer;

  beforeAll(async () => {
    strict = await startServer({ env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it('the right iss and aud: 200', async () => {
    const res = await request(strict.url, 'GET', '/api/models', { token: tokenFor('alice', { claims: { iss: ISSUER, aud: AUDIENCE } }) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('aud as a list that contains the configured audience: 200', async () => {
    const res = await request(strict.url, 'GET', '/api/models', {
      token: tokenFor('alice', { claims: { iss: ISSUER, aud: ['another-api', AUDIENCE] } }),
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ['wrong iss', { iss: 'https://evil.example.test/', aud: AUDIENCE }],
    ['missing iss', { iss: undefined, aud: AUDIENCE }],
    ['iss differing only by the trailing slash', { iss: ISSUER.slice(0, -1), aud: AUDIENCE }],
    ['wrong aud', { iss: ISSUER, aud: 'another-api' }],
    ['missing aud', { iss: ISSUER, aud: undefined }],
    ['both missing', {}],
  ])('%s: 401 Could not validate credentials', async (_name, claims) => {
    await expectRefusedEverywhere(strict.url, `Bearer ${tokenFor('alice', { claims })}`, BAD_CREDENTIALS);
  });

  it('the token CLI mints tokens with the configured iss and aud', () => {
    const out = runTokenCli(['--sub', 'alice'], {
      DATA_DIR: strict.dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
    });
    expect(out.status).toBe(0);
    const payload = jwt.verify(out.stdout.trim(), TEST_JWT_SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(payload.iss).toBe(ISSUER);
    expect(payload.aud).toBe(AUDIENCE);
  });
});

describe('RS256 via JWT_PUBLIC_KEY', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let rs: RunningServer;

  beforeAll(async () => {
    // JWT_SECRET stays set: with a public key configured, HS256 must not be accepted at all.
    rs = await startServer({ env: { JWT_PUBLIC_KEY: publicPem } });
  });
  afterAll(async () => {
    await rs?.stop();
  });

  it('an RS256 token signed with the matching private key is accepted, with its roles', async () => {
    const token = jwt.sign({ sub: 'alice' }, privateKey, { algorithm: 'RS256', expiresIn: 600 });
    const created = await request(rs.url, 'POST', '/api/models', {
      token,
      body: { model_id: 'rs-model', model_provider: 'openai', model_name: 'x' },
    });
    expect(created.status).toBe(200);
    expect(created.body.is_owner).toBe(true);
    const adminToken = jwt.sign({ sub: 'root', roles: ['admin'] }, privateKey, { algorithm: 'RS256', expiresIn: 600 });
    const seen = await request(rs.url, 'GET', '/api/models/rs-model', { token: adminToken });
    expect(seen.status).toBe(200);
    expect(seen.body.can_edit).toBe(true);
    expect(seen.body.is_owner).toBe(false);
  });

  it('key confusion: HS256 signed with the PEM public key text as the secret is refused', async () => {
    await expectRefusedEverywhere(rs.url, `Bearer ${hmacToken({ alg: 'HS256', typ: 'JWT' }, validClaims(), publicPem)}`, BAD_CREDENTIALS);
    const der = publicKey.export({ type: 'spki', format: 'der' });
    await expectRefusedEverywhere(rs.url, `Bearer ${hmacToken({ alg: 'HS256', typ: 'JWT' }, validClaims(), der)}`, BAD_CREDENTIALS);
  });

  it('HS256 with the configured JWT_SECRET is refused (not on the allow-list)', async () => {
    await expectRefusedEverywhere(rs.url, `Bearer ${tokenFor('alice')}`, BAD_CREDENTIALS);
  });

  it('RS256 signed with another private key, RS512 with the right key, alg none, expired RS256: refused', async () => {
    await expectRefusedEverywhere(rs.url, `Bearer ${jwt.sign(validClaims(), other.privateKey, { algorithm: 'RS256' })}`, BAD_CREDENTIALS);
    await expectRefusedEverywhere(rs.url, `Bearer ${jwt.sign(validClaims(), privateKey, { algorithm: 'RS512' })}`, BAD_CREDENTIALS);
    await expectRefusedEverywhere(rs.url, `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(validClaims())}.`, BAD_CREDENTIALS);
    const expired = jwt.sign({ ...validClaims(), exp: now() - 3600 }, privateKey, { algorithm: 'RS256' });
    await expectRefusedEverywhere(rs.url, `Bearer ${expired}`, BAD_CREDENTIALS);
  });
});

describe('the token CLI (npm run token → dist/cli/token.js)', () => {
  it('with the server env it prints one token the server accepts as an admin', async () => {
    const out = runTokenCli(['--sub', 'alice-cli', '--admin'], { DATA_DIR: server.dataDir, JWT_SECRET: TEST_JWT_SECRET });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    const token = out.stdout.trim();
    const payload = jwt.decode(token) as jwt.JwtPayload;
    expect(payload.sub).toBe('alice-cli');
    expect(typeof payload.exp).toBe('number');
    const res = await request(server.url, 'GET', `/api/models/by-id/${FIXTURE}`, { token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ model_id: FIXTURE, is_owner: false, can_edit: true, can_delete: true }));
  });

  it('without --admin the token is a plain user', async () => {
    const out = runTokenCli(['--sub', 'eve-cli'], { DATA_DIR: server.dataDir, JWT_SECRET: TEST_JWT_SECRET });
    expect(out.status).toBe(0);
    const token = out.stdout.trim();
    expect((await request(server.url, 'GET', '/api/models', { token })).status).toBe(200);
    const res = await request(server.url, 'GET', `/api/models/by-id/${FIXTURE}`, { token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Model not found' });
  });

  it('without JWT_SECRET in development, the server and the CLI share the secret generated under the data directory', async () => {
    const dataDir = tempDir();
    const dev = await startServer({ dataDir, env: { NODE_ENV: 'development', JWT_SECRET: undefined, API_KEY_ENCRYPTION_KEY: undefined } });
    try {
      expect(fs.existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);
      const out = runTokenCli(['--sub', 'frank'], { DATA_DIR: dataDir, NODE_ENV: 'development' });
      expect(out.status).toBe(0);
      const token = out.stdout.trim();
      const list = await request(dev.url, 'GET', '/api/models', { token });
      expect(list.status).toBe(200);
      expect(list.body).toEqual([]);
      const created = await request(dev.url, 'POST', '/api/models', {
        token,
        body: { model_id: 'dev-cli', model_provider: 'openai', model_name: 'x' },
      });
      expect(created.status).toBe(200);
      expect(created.body.is_owner).toBe(true);
      // The generated secret, not some fixed default: a token signed with the test secret is refused.
      expectRest401(await request(dev.url, 'GET', '/api/models', { token: tokenFor('frank') }), BAD_CREDENTIALS);
    } finally {
      await dev.stop();
    }
  });
});

describe('a token in the query string is refused, even beside a valid Authorization header', () => {
  // Tokens in URLs end up in access logs, proxies, browser history and Referer headers.
  const PARAMS = ['access_token', 'token', 'jwt', 'ACCESS_TOKEN', 'Token', 'access_token[]'];
  const query = (param: string, token: string) => `${encodeURIComponent(param)}=${encodeURIComponent(token)}`;

  it.each(PARAMS)('REST ?%s=<valid token>: 401 on every route and method, nothing changes', async (param) => {
    const token = alice();
    const q = query(param, token);
    const before = rowOf(FIXTURE);
    const rowsBefore = countRows();
    expectRest401(await request(server.url, 'GET', `/api/models?${q}`, { token }), BAD_CREDENTIALS);
    expectRest401(await request(server.url, 'GET', `/api/models?category=llm&${q}`, { token }), BAD_CREDENTIALS);
    expectRest401(await request(server.url, 'GET', `/api/models/by-id/${FIXTURE}?${q}`, { token }), BAD_CREDENTIALS);
    expectRest401(
      await request(server.url, 'PUT', `/api/models/by-id/${FIXTURE}?${q}`, { token, body: { temperature: 1.7 } }),
      BAD_CREDENTIALS,
    );
    expectRest401(await request(server.url, 'DELETE', `/api/models/by-id/${FIXTURE}?${q}`, { token }), BAD_CREDENTIALS);
    expectRest401(
      await request(server.url, 'POST', `/api/models?${q}`, {
        token,
        body: { model_id: 'auth-query-token', model_provider: 'openai', model_name: 'x' },
      }),
      BAD_CREDENTIALS,
    );
    expect(rowOf(FIXTURE)).toEqual(before);
    expect(countRows()).toBe(rowsBefore);
  });

  it.each(PARAMS)('GraphQL ?%s=<valid token>: UNAUTHENTICATED over POST and GET, nothing changes', async (param) => {
    const token = alice();
    const q = query(param, token);
    const before = rowOf(FIXTURE);
    const post = (body: Record<string, unknown>) => request(server.url, 'POST', `/graphql?${q}`, { token, body });
    expectGraphQL401(await post({ query: '{ models { modelId } }' }), BAD_CREDENTIALS.detail, 'models');
    expectGraphQL401(
      await post({
        query: 'mutation ($id: String!) { updateModel(modelId: $id, input: { temperature: 1.7 }) { version } }',
        variables: { id: FIXTURE },
      }),
      BAD_CREDENTIALS.detail,
      'updateModel',
    );
    const get = await request(server.url, 'GET', `/graphql?query=${encodeURIComponent('{ models { modelId } }')}&${q}`, {
      token,
      headers: { 'Apollo-Require-Preflight': 'true' },
    });
    expectGraphQL401(get, BAD_CREDENTIALS.detail, 'models');
    expect(rowOf(FIXTURE)).toEqual(before);
  });

  it('an empty token parameter, or a token in the query and no header, is refused as bad credentials', async () => {
    expectRest401(await request(server.url, 'GET', '/api/models?access_token=', { token: alice() }), BAD_CREDENTIALS);
    expectRest401(await request(server.url, 'GET', `/api/models?access_token=${alice()}`), BAD_CREDENTIALS);
    expectGraphQL401(
      await request(server.url, 'POST', `/graphql?jwt=${alice()}`, { body: { query: '{ models { modelId } }' } }),
      BAD_CREDENTIALS.detail,
      'models',
    );
  });

  it('other parameters are not mistaken for tokens: the same requests without a token parameter succeed', async () => {
    const token = alice();
    const list = await request(server.url, 'GET', '/api/models?category=llm&tokens=1&token_type=bearer&my_jwt=x&jwt_hint=1', { token });
    expect(list.status).toBe(200);
    expect(list.body.map((m: { model_id: string }) => m.model_id)).toContain(FIXTURE);
    const get = await request(server.url, 'GET', `/graphql?query=${encodeURIComponent(`{ model(modelId: "${FIXTURE}") { modelId } }`)}`, {
      token,
      headers: { 'Apollo-Require-Preflight': 'true' },
    });
    expect(get.body).toEqual({ data: { model: { modelId: FIXTURE } } });
  });
});

describe('clock tolerance: JWT_CLOCK_TOLERANCE_SEC', () => {
  let lenient: RunningServer;

  beforeAll(async () => {
    lenient = await startServer({ env: { JWT_CLOCK_TOLERANCE_SEC: '30' } });
  });
  afterAll(async () => {
    await lenient?.stop();
  });

  it('a token expired 20 s ago: accepted with JWT_CLOCK_TOLERANCE_SEC=30, refused with the default (5 s)', async () => {
    const token = tokenFor('alice', { expiresInSec: -20 });
    expect((await request(lenient.url, 'GET', '/api/models', { token })).status).toBe(200);
    expect((await gql(lenient.url, '{ models { modelId } }', undefined, token)).body).toEqual({ data: { models: [] } });
    await expectRefusedEverywhere(server.url, `Bearer ${token}`, BAD_CREDENTIALS);
  });

  it('nbf 20 s ahead: accepted with 30, refused with the default', async () => {
    const token = tokenFor('alice', { claims: { nbf: now() + 20 } });
    expect((await request(lenient.url, 'GET', '/api/models', { token })).status).toBe(200);
    await expectRefusedEverywhere(server.url, `Bearer ${token}`, BAD_CREDENTIALS);
  });

  it('beyond the tolerance (expired 60 s ago, nbf 60 s ahead): refused with 30 too', async () => {
    await expectRefusedEverywhere(lenient.url, `Bearer ${tokenFor('alice', { expiresInSec: -60 })}`, BAD_CREDENTIALS);
    await expectRefusedEverywhere(lenient.url, `Bearer ${tokenFor('alice', { claims: { nbf: now() + 60 } })}`, BAD_CREDENTIALS);
  });

  it.each(['-1', '301', 'five'])('JWT_CLOCK_TOLERANCE_SEC=%s refuses to start with a config error', async (value) => {
    const out = await startServer({ env: { JWT_CLOCK_TOLERANCE_SEC: value }, expectExit: true });
    await out.stop();
    expect(out.process.exitCode).toBe(1);
    expect(out.logs()).toMatch(/config error: JWT_CLOCK_TOLERANCE_SEC must be a number of seconds between 0 and 300/);
  });
});
