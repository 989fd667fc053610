/**
 * What people see in a browser, in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core): Apollo Sandbox at GET /graphql in development, and the REST reference page
 * at GET /docs.
 *
 * Sandbox itself is Apollo's embed, loaded from Apollo's CDN, which this machine cannot reach.
 * So the test checks what the page asks for instead: the embed script it loads (recorded, then
 * aborted), and the configuration its inline script hands the embed (caught by a stand-in for
 * the embed's constructor): this server's /graphql endpoint and the initial `models`
 * query, which is then run against the server to show it works as given on a fresh install. The CORS
 * preflights Sandbox's frames send from Apollo's origins are checked with plain fetch.
 *
 * Skipped, with a note, where /usr/bin/chromium is missing (`apt-get install -y chromium`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { gql, request } from './helpers/http';
import { describeIf } from './helpers/optional';
import { startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
const describeWithChromium = describeIf(HAS_CHROMIUM, __filename, `${CHROMIUM} is missing (install it: apt-get install -y chromium)`);

const APOLLO_ORIGINS = ['https://studio.apollographql.com', 'https://sandbox.embed.apollographql.com'];
const SCREENSHOT_DIR = os.tmpdir();

let srv: RunningServer;
let context: BrowserContext;
let profileDir: string;

/** A page whose requests to anywhere but this server are recorded and aborted (no network here). */
async function openPage(): Promise<{ page: Page; outside: string[]; problems: string[] }> {
  const page = await context.newPage();
  const outside: string[] = [];
  const problems: string[] = [];
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(`${srv.url}/`)) {
      await route.continue();
    } else {
      outside.push(url);
      await route.abort('internetdisconnected');
    }
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return { page, outside, problems };
}

describeWithChromium('in a browser (headless Chromium)', () => {
  beforeAll(async () => {
    srv = await startServer({ env: { NODE_ENV: 'development' } });
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-gateway-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
  }, 60000);

  afterAll(async () => {
    await context?.close();
    await srv?.stop();
    if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  });

  describe('Apollo Sandbox at GET /graphql (development)', () => {
    test('loads the Sandbox embed and points it at this server with the models query', async () => {
      const { page, outside, problems } = await openPage();
      // Stands in for the embed's constructor (its script cannot load here) to catch what the page passes it.
      await page.addInitScript(() => {
        const w = globalThis as unknown as { EmbeddedSandbox: unknown; sandboxConfig: unknown };
        w.EmbeddedSandbox = function (config: unknown) {
          w.sandboxConfig = JSON.parse(JSON.stringify(config));
        };
      });
      const response = await page.goto(`${srv.url}/graphql`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toMatch(/^text\/html/);

      const embed = outside.filter((url) => /\/embeddable-sandbox\.umd\.production\.min\.js/.test(url));
      expect(embed).toHaveLength(1);
      expect(embed[0]).toMatch(
        /^https:\/\/embeddable-sandbox\.cdn\.apollographql\.com\/[^/]+\/embeddable-sandbox\.umd\.production\.min\.js/,
      );

      await page.waitForFunction(() => (globalThis as unknown as { sandboxConfig?: unknown }).sandboxConfig !== undefined, undefined, {
        timeout: 10000,
      });
      const config = await page.evaluate(() => (globalThis as unknown as { sandboxConfig: any }).sandboxConfig);
      expect(config.initialEndpoint).toBe(`${srv.url}/graphql`);
      expect(config.target).toBe('#embeddableSandbox');
      const state = config.initialState;
      expect(state.document).toContain('query Models($limit: Int)');
      expect(state.document).toContain('models(limit: $limit)');
      // -s: without it npm's own lines end up in the token.
      expect(state.document).toContain('npm run -s token -- --sub alice');
      expect(state.variables).toEqual({ limit: 20 });
      expect(state.headers.Authorization).toBe('Bearer <paste the output of: npm run -s token -- --sub alice>');

      // What people see while the embed cannot load.
      await expect(page.locator('.fallback').textContent()).resolves.toContain('Apollo Sandbox cannot be loaded');
      // It fades in after a second.
      await page.waitForFunction(
        () => {
          const w = globalThis as any;
          return w.getComputedStyle(w.document.querySelector('.fallback')).opacity === '1';
        },
        undefined,
        { timeout: 10000 },
      );
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'model-gateway-sandbox.png') });
      // The page's inline script ran (the config above) and nothing it loads broke its own CSP.
      expect(problems).toEqual([]);

      // The operation Sandbox opens with works as given on a fresh install, once the placeholder is a real token.
      const fresh = await gql(srv.url, state.document, state.variables, alice());
      expect(fresh.status).toBe(200);
      expect(fresh.body.errors).toBeUndefined();
      expect(fresh.body.data.models).toEqual([]);
      const created = await request(srv.url, 'POST', '/api/models', {
        token: alice(),
        body: { model_id: 'sandbox/first', model_provider: 'openai', model_name: 'gpt-4o' },
      });
      expect(created.status).toBe(200);
      const run = await gql(srv.url, state.document, state.variables, alice());
      expect(run.status).toBe(200);
      expect(run.body.errors).toBeUndefined();
      expect(run.body.data.models).toEqual([expect.objectContaining({ modelId: 'sandbox/first', version: 1, canEdit: true })]);
      await page.close();
    });

    test.each(APOLLO_ORIGINS)('a CORS preflight from %s to /graphql is allowed', async (origin) => {
      const requested = ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name'];
      const res = await fetch(`${srv.url}/graphql`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': requested.join(',') },
      });
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-methods')?.split(/\s*,\s*/)).toContain('POST');
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
      for (const header of requested) expect(allowed).toContain(header);
      // And the request itself comes back readable for that origin.
      const post = await fetch(`${srv.url}/graphql`, {
        method: 'POST',
        headers: { Origin: origin, 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(post.status).toBe(200);
      expect(post.headers.get('access-control-allow-origin')).toBe(origin);
    });

    test('a CORS preflight from any other site is not allowed', async () => {
      const res = await fetch(`${srv.url}/graphql`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://attacker.example', 'Access-Control-Request-Method': 'POST' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('the REST reference page at GET /docs', () => {
    test('renders every operation of the OpenAPI document, from this server alone, with no CSP violation', async () => {
      const { page, outside, problems } = await openPage();
      const response = await page.goto(`${srv.url}/docs`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      const doc = (await request(srv.url, 'GET', '/openapi.json')).body;
      const operations = Object.values<Record<string, unknown>>(doc.paths).reduce(
        (n, item) => n + ['get', 'put', 'post', 'delete', 'patch'].filter((m) => item[m] !== undefined).length,
        0,
      );
      await page.waitForSelector('.opblock', { timeout: 20000 });
      await expect(page.locator('.opblock').count()).resolves.toBe(operations);
      await expect(page.locator('.info .title').textContent()).resolves.toContain(doc.info.title);
      // The document's own schemas are listed under their FastAPI names.
      await expect(page.locator('.models').textContent()).resolves.toContain('ModelResponse');
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'model-gateway-docs.png'), fullPage: true });
      expect(outside).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
