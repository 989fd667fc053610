/**
 * HTTP defences: security headers on every response (with a CSP that lets exactly the Sandbox
 * landing page load what it needs), no X-Powered-By, the 1 MiB body limit, CORS from an
 * allow-list, and per-caller rate limiting (memory store, and Redis shared by replicas, which
 * fails open when Redis is down).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { gql, request, type HttpResult } from './helpers/http';
import { freePort, startServer, type RunningServer } from './helpers/server';
import { alice, bob, tokenFor } from './helpers/tokens';

const servers: RunningServer[] = [];
async function start(env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer({ env });
  servers.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

function expectSecurityHeaders(res: HttpResult): void {
  const h = res.headers;
  expect(h.get('x-powered-by')).toBeNull();
  expect(h.get('x-content-type-options')).toBe('nosniff');
  expect(h.get('x-frame-options')).toBe('SAMEORIGIN');
  expect(h.get('referrer-policy')).toBe('no-referrer');
  expect(h.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(h.get('content-security-policy')).toMatch(/default-src 'self'/);
}

/** The CSP of everything but the landing page: helmet's default, nothing from Apollo's CDN. */
function expectStrictCsp(res: HttpResult): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).toMatch(/object-src 'none'/);
  expect(csp).not.toMatch(/apollographql|nonce-/);
}

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

function preflight(server: RunningServer, origin: string, path = '/graphql'): Promise<HttpResult> {
  return request(server.url, 'OPTIONS', path, {
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
  });
}

const MIB = 1024 * 1024;

describe('development defaults', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start({ NODE_ENV: 'development' });
  });

  it('every response carries the security headers and the strict CSP, and no X-Powered-By', async () => {
    const responses: [string, HttpResult][] = [
      ['healthz', await request(server.url, 'GET', '/healthz')],
      ['readyz', await request(server.url, 'GET', '/readyz')],
      ['REST 401', await request(server.url, 'GET', '/api/models')],
      ['REST 200', await request(server.url, 'GET', '/api/models', { token: alice() })],
      ['GraphQL 200', await gql(server.url, '{ __typename }')],
      ['GraphQL 400', await gql(server.url, '{ nope }')],
      ['404', await request(server.url, 'GET', '/nowhere')],
      ['REST 413', await request(server.url, 'POST', '/api/models', { token: alice(), rawBody: 'x'.repeat(MIB + 1) })],
      ['preflight', await preflight(server, 'https://studio.apollographql.com')],
    ];
    for (const [name, res] of responses) {
      try {
        expectSecurityHeaders(res);
        expectStrictCsp(res);
      } catch (err) {
        throw new Error(`${name} (${res.status}): ${(err as Error).message}`);
      }
    }
  });

  it('bodies over 1 MiB get 413 on both APIs, in each transport\u2019s shape', async () => {
    const rest = await request(server.url, 'POST', '/api/models', { token: alice(), rawBody: 'x'.repeat(MIB + 1) });
    expect(rest.status).toBe(413);
    expect(rest.body.detail).toMatch(/too large/i);

    const graphql = await request(server.url, 'POST', '/graphql', {
      token: alice(),
      rawBody: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(MIB) } }),
    });
    expect(graphql.status).toBe(413);
    expect(graphql.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');

    // Just under the limit is read (and then answered on its merits).
    const under = await request(server.url, 'POST', '/graphql', {
      token: alice(),
      rawBody: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(MIB - 100) } }),
    });
    expect(under.status).toBe(200);
  });

  describe('the Sandbox landing page', () => {
    let page: HttpResult;
    let csp: Map<string, string[]>;
    beforeAll(async () => {
      page = await request(server.url, 'GET', '/graphql', { headers: { Accept: 'text/html' } });
      csp = directives(page.headers.get('content-security-policy') ?? '');
    });

    it('is served with the security headers', () => {
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expectSecurityHeaders(page);
    });

    it("its CSP allows the page's own inline script and styles by their nonce, and nothing inline else", () => {
      const nonces = [...page.text.matchAll(/nonce="?([0-9a-f]{32,})"?/g)].map((m) => m[1]);
      expect(nonces.length).toBeGreaterThan(0);
      expect(new Set(nonces).size).toBe(1);
      expect(csp.get('script-src')).toContain(`'nonce-${nonces[0]}'`);
      expect(csp.get('style-src')).toContain(`'nonce-${nonces[0]}'`);
      for (const directive of ['script-src', 'style-src', 'default-src']) {
        expect(csp.get(directive)).not.toContain("'unsafe-inline'");
        expect(csp.get(directive)).not.toContain("'unsafe-eval'");
        expect(csp.get(directive)).not.toContain('https:');
        expect(csp.get(directive)).not.toContain('*');
      }
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(csp.get('script-src-attr')).toEqual(["'none'"]);
    });

    it('every resource the page references is allowed by the matching directive', () => {
      const origin = (url: string) => new URL(url).origin;
      const scripts = [...page.text.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => origin(m[1]!));
      expect(scripts).toEqual(['https://embeddable-sandbox.cdn.apollographql.com']);
      for (const src of scripts) expect(csp.get('script-src')).toContain(src);

      const links = [...page.text.matchAll(/<link([^>]*)>/g)].map((m) => ({
        rel: /rel="([^"]+)"/.exec(m[1]!)?.[1],
        href: /href="([^"]+)"/.exec(m[1]!)?.[1],
      }));
      const allowedBy: Record<string, string> = {
        stylesheet: 'style-src',
        icon: 'img-src',
        'apple-touch-icon': 'img-src',
        manifest: 'manifest-src',
        preconnect: 'font-src', // the font files Google's stylesheet loads
      };
      expect(links.length).toBeGreaterThanOrEqual(4);
      for (const { rel, href } of links) {
        const directive = allowedBy[rel!];
        expect(directive).toBeDefined();
        expect(csp.get(directive!)).toContain(origin(href!));
      }
      // The embedded Sandbox runs in an iframe from Apollo's embed host.
      expect(csp.get('frame-src')).toEqual(['https://sandbox.embed.apollographql.com']);
    });

    it('a new page comes with a new nonce, and the header follows it', async () => {
      const again = await request(server.url, 'GET', '/graphql', { headers: { Accept: 'text/html' } });
      const nonce = /<script nonce="([0-9a-f]+)"/.exec(again.text)![1]!;
      expect(again.headers.get('content-security-policy')).toContain(`'nonce-${nonce}'`);
      expect(page.text).not.toContain(nonce);
    });

    it('GraphQL responses on the same path keep the strict CSP', async () => {
      expectStrictCsp(await gql(server.url, '{ __typename }'));
      expectStrictCsp(
        await request(server.url, 'GET', `/graphql?query=${encodeURIComponent('{ __typename }')}`, {
          headers: { 'Apollo-Require-Preflight': 'true' },
        }),
      );
    });
  });

  describe('CORS (development default allow-list)', () => {
    it.each([
      'https://studio.apollographql.com',
      'https://sandbox.embed.apollographql.com',
      'http://localhost:5173',
      'http://localhost',
      'https://127.0.0.1:8443',
      'http://[::1]:3000',
    ])('a preflight from %s gets its origin echoed', async (origin) => {
      const res = await preflight(server, origin);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    });

    it.each(['https://evil.example', 'http://localhost.evil.example', 'https://studio.apollographql.com.evil.example', 'null'])(
      'a preflight from %s gets no Access-Control-Allow-Origin',
      async (origin) => {
        const res = await preflight(server, origin);
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      },
    );

    it('an actual request from an allowed origin can read the answer and the rate-limit headers; REST too', async () => {
      const res = await request(server.url, 'GET', '/api/models', { token: alice(), headers: { Origin: 'http://localhost:3000' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect(res.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
      const denied = await request(server.url, 'GET', '/api/models', { token: alice(), headers: { Origin: 'https://evil.example' } });
      expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('the default rate limit is 600 requests a minute per caller; health checks are not limited', async () => {
    const res = await request(server.url, 'GET', '/api/models', { token: alice() });
    expect(res.headers.get('ratelimit-policy')).toBe('600;w=60');
    expect(res.headers.get('ratelimit')).toMatch(/^limit=600, remaining=\d+, reset=\d+$/);
    const health = await request(server.url, 'GET', '/healthz');
    expect(health.headers.get('ratelimit')).toBeNull();
  });
});

describe('production defaults and CORS_ORIGINS', () => {
  it('production: no cross-origin access at all by default', async () => {
    const server = await start({ NODE_ENV: 'production' });
    for (const origin of ['https://studio.apollographql.com', 'http://localhost:3000']) {
      const res = await preflight(server, origin);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect((await request(server.url, 'GET', '/api/models', { token: alice() })).headers.get('ratelimit-policy')).toBe('600;w=60');
  });

  it('CORS_ORIGINS replaces the defaults: exact origins and host:* (any port)', async () => {
    const server = await start({ CORS_ORIGINS: 'https://app.example.com, http://localhost:*' });
    expect((await preflight(server, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await preflight(server, 'http://localhost:8080', '/api/models')).headers.get('access-control-allow-origin')).toBe(
      'http://localhost:8080',
    );
    for (const origin of [
      'https://studio.apollographql.com',
      'https://app.example.com:8443',
      'http://app.example.com',
      'https://localhost:8080',
    ]) {
      expect((await preflight(server, origin)).headers.get('access-control-allow-origin')).toBeNull();
    }
    // NODE_ENV=test: rate limiting is off unless asked for.
    expect((await request(server.url, 'GET', '/api/models', { token: alice() })).headers.get('ratelimit')).toBeNull();
  });

  it('refuses malformed HTTP settings at start-up without echoing secrets', async () => {
    const server = await startServer({
      expectExit: true,
      env: {
        CORS_ORIGINS: 'https://app.example.com/',
        TRUST_PROXY: 'true',
        RATE_LIMIT_MAX: '-1',
        RATE_LIMIT_WINDOW_MS: '10',
        RATE_LIMIT_REDIS_URL: 'http://user:hunter2-secret@cache:6379',
      },
    });
    expect(server.process.exitCode).toBe(1);
    const logs = server.logs();
    expect(logs).toMatch(/config error: CORS_ORIGINS: "https:\/\/app\.example\.com\/" is not an origin/);
    expect(logs).toMatch(/config error: TRUST_PROXY=true/);
    expect(logs).toMatch(/config error: RATE_LIMIT_MAX must be an integer/);
    expect(logs).toMatch(/config error: RATE_LIMIT_WINDOW_MS must be an integer/);
    expect(logs).toMatch(/config error: RATE_LIMIT_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(logs).not.toContain('hunter2-secret');
  });
});

/** Requests until the first 429, at most `max`; returns how many got through and the 429. */
async function exhaust(send: () => Promise<HttpResult>, max: number): Promise<{ passed: number; limited?: HttpResult }> {
  for (let passed = 0; passed < max; passed++) {
    const res = await send();
    if (res.status === 429) return { passed, limited: res };
  }
  return { passed: max };
}

function expectRetryAfter(res: HttpResult, windowSec: number): void {
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSec);
}

describe('rate limiting (memory store)', () => {
  const MAX = 3;
  let server: RunningServer;
  beforeAll(async () => {
    server = await start({ RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_MS: '60000' });
  });

  it('the N+1-th request of one signed-in caller gets 429 with Retry-After; another caller is unaffected', async () => {
    const carol = tokenFor('carol');
    for (let i = 0; i < MAX; i++) expect((await request(server.url, 'GET', '/api/models', { token: carol })).status).toBe(200);

    const limited = await request(server.url, 'GET', '/api/models', { token: carol });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ detail: 'Too Many Requests' });
    expectRetryAfter(limited, 60);
    expectSecurityHeaders(limited);

    // One budget for both APIs: GraphQL answers in its own shape.
    const graphql = await gql(server.url, '{ models { modelId } }', undefined, carol);
    expect(graphql.status).toBe(429);
    expect(graphql.body).toEqual({
      errors: [{ message: expect.stringMatching(/^Too many requests; retry after \d+ seconds\.$/), extensions: { code: 'RATE_LIMITED' } }],
    });
    expectRetryAfter(graphql, 60);

    // A limited request does nothing.
    const create = await request(server.url, 'POST', '/api/models', {
      token: carol,
      body: { model_id: 'limited-1', model_provider: 'openai', model_name: 'gpt-4o' },
    });
    expect(create.status).toBe(429);

    expect((await request(server.url, 'GET', '/api/models', { token: tokenFor('dave') })).status).toBe(200);
    expect((await gql(server.url, '{ models { modelId } }', undefined, tokenFor('dave'))).body).toEqual({ data: { models: [] } });
    expect((await request(server.url, 'GET', '/api/models/limited-1', { token: tokenFor('carol', { admin: true }) })).status).toBe(429);
    expect((await request(server.url, 'GET', '/api/models/limited-1', { token: tokenFor('root', { admin: true }) })).status).toBe(404);
  });

  it('unauthenticated (and wrongly signed) requests are limited by client address; signed-in callers are not affected', async () => {
    const anonymous = () => request(server.url, 'GET', '/api/models');
    const { passed, limited } = await exhaust(anonymous, MAX + 1);
    expect(passed).toBeLessThanOrEqual(MAX); // the test helper's start-up probe may have used one
    expect(limited).toBeDefined();
    expect(limited!.body).toEqual({ detail: 'Too Many Requests' });
    expectRetryAfter(limited!, 60);

    // A token that does not verify is no identity: same address, same bucket.
    const forged = await request(server.url, 'GET', '/api/models', { token: tokenFor('erin', { secret: 'x'.repeat(40) }) });
    expect(forged.status).toBe(429);
    const schema = await gql(server.url, '{ __typename }');
    expect(schema.status).toBe(429);
    expect(schema.body.errors![0].extensions.code).toBe('RATE_LIMITED');
    // X-Forwarded-For is not believed without TRUST_PROXY.
    const spoofed = await request(server.url, 'GET', '/api/models', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    expect(spoofed.status).toBe(429);

    expect((await request(server.url, 'GET', '/api/models', { token: bob() })).status).toBe(200);
  });

  it('/healthz and /readyz are never limited', async () => {
    for (let i = 0; i < MAX * 3; i++) {
      expect((await request(server.url, 'GET', '/healthz')).status).toBe(200);
      expect((await request(server.url, 'GET', '/readyz')).status).toBe(200);
    }
  });
});

describe('rate limiting: window and proxies', () => {
  it('the budget comes back after the window; behind TRUST_PROXY each forwarded client has its own', async () => {
    const server = await start({ RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_MS: '1500', TRUST_PROXY: 'loopback' });
    const from = (ip: string) => request(server.url, 'GET', '/api/models', { headers: { 'X-Forwarded-For': ip } });
    expect((await from('198.51.100.1')).status).toBe(401);
    const limited = await from('198.51.100.1');
    expect(limited.status).toBe(429);
    expectRetryAfter(limited, 2);
    expect((await from('198.51.100.2')).status).toBe(401);

    await new Promise((resolve) => setTimeout(resolve, 1700));
    expect((await from('198.51.100.1')).status).toBe(401);
  });
});

/** Whether a Redis answers PING on 127.0.0.1:6379, asked synchronously so tests can be skipped. */
function redisReachable(): boolean {
  const probe = `
    const s = require('node:net').connect(6379, '127.0.0.1');
    const done = (ok) => { s.destroy(); process.exit(ok ? 0 : 1); };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\\r\\n'));
    s.on('data', (d) => done(d.toString().startsWith('+PONG')));`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

const REDIS = redisReachable();
if (!REDIS) {
  process.stderr.write('SKIPPED in test/http-hardening.test.ts: no Redis on 127.0.0.1:6379, so the shared-store rate limiting test\n');
}
const itWithRedis = REDIS ? it : it.skip;

describe('rate limiting (Redis store)', () => {
  itWithRedis('two replicas sharing RATE_LIMIT_REDIS_URL share one budget per caller', async () => {
    const MAX = 4;
    const env = {
      RATE_LIMIT_MAX: String(MAX),
      RATE_LIMIT_WINDOW_MS: '60000',
      RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:6379',
      // Unique per run: counters from another run (or another test) cannot leak in.
      RATE_LIMIT_REDIS_PREFIX: `model-gateway-test:${randomUUID()}:`,
    };
    const [a, b] = await Promise.all([start(env), start(env)]);
    const replicas = [a!, b!];
    const frank = tokenFor('frank');
    // Alternating: each replica sees 2 of frank's requests, far below MAX on its own.
    for (let i = 0; i < MAX; i++) {
      const res = await request(replicas[i % 2]!.url, 'GET', '/api/models', { token: frank });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`remaining=${MAX - 1 - i},`));
    }
    for (const replica of replicas) {
      const limited = await request(replica.url, 'GET', '/api/models', { token: frank });
      expect(limited.status).toBe(429);
      expectRetryAfter(limited, 60);
      const graphql = await gql(replica.url, '{ models { modelId } }', undefined, frank);
      expect(graphql.status).toBe(429);
      expect(graphql.body.errors![0].extensions.code).toBe('RATE_LIMITED');
    }
    expect((await request(b!.url, 'GET', '/api/models', { token: tokenFor('grace') })).status).toBe(200);
  });

  it('Redis down: requests go through (fail open) with a logged warning; the password never shows', async () => {
    const port = await freePort(); // nothing listens there
    const server = await start({
      RATE_LIMIT_MAX: '1',
      RATE_LIMIT_REDIS_URL: `redis://:hunter2-redis-pass@127.0.0.1:${port}`,
    });
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      expect((await request(server.url, 'GET', '/api/models', { token: alice() })).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
    }
    const deadline = Date.now() + 5000;
    while (!/fail open/.test(server.logs()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.logs()).toMatch(/rate limiting: store unavailable, requests are let through without limiting \(fail open\)/);
    expect(server.logs()).not.toContain('hunter2-redis-pass');
    expect(server.process.exitCode).toBeNull();
  });

  it('a Redis that accepts connections but never answers does not hold requests up', async () => {
    // Reads (so it notices the gateway hanging up) and never writes.
    const silent = net.createServer((socket) => socket.on('error', () => undefined).resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const server = await start({ RATE_LIMIT_MAX: '1', RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${port}` });
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        expect((await request(server.url, 'GET', '/api/models', { token: alice() })).status).toBe(200);
        expect(Date.now() - started).toBeLessThan(5000);
      }
      await server.stop();
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
