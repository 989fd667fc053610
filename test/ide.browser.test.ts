/**
 * The gateway's own GraphQL IDE (GraphiQL at GET /graphiql) in headless Chromium with no
 * network: every request that does not go to this server is recorded and aborted, so the test
 * fails if the page needed anything from outside. It renders, opens with the Authorization
 * placeholder and the starting `models` query, and runs that query once the header holds a
 * real token.
 *
 * Skipped, with a note, where /usr/bin/chromium is missing (`apt-get install -y chromium`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { request } from './helpers/http';
import { describeIf } from './helpers/optional';
import { startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
const describeWithChromium = describeIf(HAS_CHROMIUM, __filename, `${CHROMIUM} is missing (install it: apt-get install -y chromium)`);

let srv: RunningServer;
let context: BrowserContext;
let profileDir: string;

interface Recorded {
  page: Page;
  requested: string[];
  outside: string[];
  problems: string[];
}

async function openPage(): Promise<Recorded> {
  const page = await context.newPage();
  const requested: string[] = [];
  const outside: string[] = [];
  const problems: string[] = [];
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    requested.push(url);
    if (url.startsWith(`${srv.url}/`) || url.startsWith('data:')) {
      await route.continue();
    } else {
      outside.push(url);
      await route.abort('internetdisconnected');
    }
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return { page, requested, outside, problems };
}

/** The text of every CodeMirror editor on the page (query, variables, headers, result). */
function editorValues(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from((globalThis as any).document.querySelectorAll('.CodeMirror')).map((el: any) => el.CodeMirror.getValue() as string),
  );
}

describeWithChromium('GraphiQL at GET /graphiql, offline (headless Chromium)', () => {
  beforeAll(async () => {
    srv = await startServer({ env: { NODE_ENV: 'development' } });
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-gateway-chromium-ide-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      offline: false,
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

  test('renders from this server alone, pre-fills the header, and runs the starting query', async () => {
    const created = await request(srv.url, 'POST', '/api/models', {
      token: alice(),
      body: { model_id: 'openai/gpt-4o', model_provider: 'openai', model_name: 'gpt-4o' },
    });
    expect(created.status).toBe(200);

    const { page, requested, outside, problems } = await openPage();
    const response = await page.goto(`${srv.url}/graphiql`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('.graphiql-container', { timeout: 20000 });
    await page.waitForSelector('.graphiql-execute-button', { timeout: 20000 });

    // The schema loads without a token (introspection), so the docs explorer has the types.
    await page.waitForFunction(
      () => (globalThis as any).document.querySelector('.graphiql-un-styled[aria-label*="Documentation"]') !== null,
      undefined,
      {
        timeout: 20000,
      },
    );

    const before = await editorValues(page);
    expect(before.some((v) => v.includes('query Models($limit: Int)') && v.includes('npm run -s token -- --sub alice'))).toBe(true);
    const headerIndex = before.findIndex((v) => v.includes('"Authorization"'));
    expect(headerIndex).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(before[headerIndex]).Authorization).toBe('Bearer <paste the output of: npm run -s token -- --sub alice>');

    // What a person does: paste a real token into the header, then run.
    await page.evaluate(
      ({ index, token }) => {
        const el = (globalThis as any).document.querySelectorAll('.CodeMirror')[index];
        el.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }));
      },
      { index: headerIndex, token: alice() },
    );
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      () =>
        Array.from((globalThis as any).document.querySelectorAll('.CodeMirror')).some((el: any) =>
          (el.CodeMirror.getValue() as string).includes('"data"'),
        ),
      undefined,
      { timeout: 20000 },
    );
    const result = (await editorValues(page)).find((v) => v.includes('"data"'));
    const body = JSON.parse(result as string);
    expect(body.errors).toBeUndefined();
    expect(body.data.models).toEqual([expect.objectContaining({ modelId: 'openai/gpt-4o', modelProvider: 'openai', version: 1 })]);

    await page.screenshot({ path: path.join(os.tmpdir(), 'model-gateway-graphiql.png') });
    expect(outside).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested) expect(url.startsWith(`${srv.url}/`) || url.startsWith('data:')).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 60000);

  test("Apollo Sandbox's offline message links to it", async () => {
    const { page, problems } = await openPage();
    await page.goto(`${srv.url}/graphql`, { waitUntil: 'load' });
    const link = page.locator('.fallback a');
    await expect(link.getAttribute('href')).resolves.toBe('/graphiql');
    // A real click: nothing may lie over the link while the embed cannot load.
    await link.click({ timeout: 10000 });
    await page.waitForSelector('.graphiql-container', { timeout: 20000 });
    expect(page.url()).toBe(`${srv.url}/graphiql`);
    // Only the embed's own failure to load (it needs Apollo's servers); no CSP refusal.
    expect(problems.filter((p) => /Content Security Policy|Refused to/i.test(p))).toEqual([]);
    await page.close();
  }, 60000);
});
