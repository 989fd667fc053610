/**
 * What a first-time user meets before reading any docs: GET / names where to go, the IDE the
 * gateway serves itself (development only, as Sandbox), and a Swagger UI whose "Try it out"
 * works on a fresh model.
 */
import { request } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';

const LINKS = ['/graphql', '/graphiql', '/api/models', '/docs', '/openapi.json', '/healthz'];

describe('GET / in development', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ env: { NODE_ENV: 'development' } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  test('JSON for API clients: every entry point, each of which answers', async () => {
    const res = await request(srv.url, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('vary')).toMatch(/Accept/);
    expect(res.body.service).toBe('model-gateway');
    expect(res.body.links.map((l: { path: string }) => l.path)).toEqual(LINKS);
    for (const link of res.body.links) expect(typeof link.title).toBe('string');
    for (const path of ['/graphiql', '/docs', '/openapi.json', '/healthz']) {
      expect((await request(srv.url, 'GET', path)).status).toBe(200);
    }
  });

  test('Accept: */* (curl) is JSON too', async () => {
    const res = await request(srv.url, 'GET', '/', { headers: { Accept: '*/*' } });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.links).toHaveLength(LINKS.length);
  });

  test('HTML for browsers, linking every entry point, under a CSP that allows no script', async () => {
    const res = await request(srv.url, 'GET', '/', { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    for (const path of LINKS) expect(res.text).toContain(`<a href="${path}">`);
    expect(res.text).toContain('npm run -s token -- --sub alice');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
  });

  test('other methods on / and unknown paths are still 404', async () => {
    expect((await request(srv.url, 'GET', '/nothing-here')).body).toEqual({ detail: 'Not Found' });
    const post = await request(srv.url, 'POST', '/', { body: {} });
    expect(post.status).toBe(404);
  });

  test('GET /graphiql: the IDE page, its own CSP, its assets from this server only', async () => {
    const page = await request(srv.url, 'GET', '/graphiql');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== 'data:,');
    expect(assets).toHaveLength(6);
    for (const asset of assets) {
      expect(asset.startsWith('/graphiql/assets/')).toBe(true);
      const res = await fetch(`${srv.url}${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.css') ? /^text\/css/ : /javascript/);
    }
    // Only the listed files: nothing else of node_modules is reachable.
    expect((await request(srv.url, 'GET', '/graphiql/assets/package.json')).status).toBe(404);
    expect((await request(srv.url, 'GET', '/graphiql/assets/..%2Fpackage.json')).status).toBe(404);
  });
});

describe('GET / in production', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ env: { NODE_ENV: 'production' } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  test('no IDE (as no Sandbox): not listed, and /graphiql is 404', async () => {
    const res = await request(srv.url, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.body.links.map((l: { path: string }) => l.path)).toEqual(LINKS.filter((p) => p !== '/graphiql'));
    expect((await request(srv.url, 'GET', '/graphiql')).status).toBe(404);
    expect((await request(srv.url, 'GET', '/graphiql/assets/graphiql.min.js')).status).toBe(404);
  });
});

describe('Swagger UI at /docs', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  test('If-Match is not pre-filled (a made-up version fails "Try it out" on a fresh model)', async () => {
    const doc = (await request(srv.url, 'GET', '/openapi.json')).body;
    const ifMatch = doc.components.parameters.IfMatch;
    expect(ifMatch.name).toBe('If-Match');
    expect(ifMatch).not.toHaveProperty('example');
    expect(ifMatch).not.toHaveProperty('examples');
    expect(ifMatch.schema).not.toHaveProperty('default');
    expect(ifMatch.schema).not.toHaveProperty('example');
  });

  test('the token survives a reload (persistAuthorization)', async () => {
    const init = await request(srv.url, 'GET', '/docs/init.js');
    expect(init.status).toBe(200);
    expect(init.text).toMatch(/persistAuthorization: true/);
  });
});
