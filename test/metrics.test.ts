/**
 * GET /metrics over real HTTP: after REST and GraphQL traffic, the scrape (Prometheus text
 * format) holds the series that traffic produced: request durations by method, route pattern and
 * status; GraphQL durations and errors by operation name (bounded: unnamed or invalid operations
 * are "anonymous", past 100 names "other") and error code; database statement durations; the
 * default process metrics. METRICS_TOKEN and METRICS_ALLOW guard it (401 / 403); it is never
 * rate-limited.
 */
import { randomBytes } from 'node:crypto';
import { gql, request } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { tokenFor } from './helpers/tokens';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples of `name` whose labels include `labels`. */
function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  find(samples, name, labels).reduce((sum, s) => sum + s.value, 0);

async function scrape(server: RunningServer, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(`${server.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

describe('the series traffic produces', () => {
  let server: RunningServer;
  let samples: Sample[];
  let text: string;
  const token = tokenFor(`metrics-${randomBytes(3).toString('hex')}`);
  const modelId = `metrics/model-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    server = await startServer({ env: { BODY_LIMIT_BYTES: '2048' } });
    const rest = (method: string, path: string, body?: unknown) => request(server.url, method, path, { token, body });
    expect((await rest('POST', '/api/models', { model_id: modelId, model_provider: 'openai', model_name: 'gpt-4o' })).status).toBe(200);
    expect((await rest('GET', `/api/models/${encodeURIComponent(modelId)}`)).status).toBe(200);
    expect((await rest('GET', '/api/models/no-such-model')).status).toBe(404);
    expect((await rest('GET', '/api/models/no-such-model-either')).status).toBe(404);
    expect((await rest('POST', '/api/models', { model_provider: 'openai' })).status).toBe(422);
    expect((await request(server.url, 'GET', '/api/models')).status).toBe(401);

    expect((await gql(server.url, 'query ListForMetrics { models { modelId } }', undefined, token)).body.errors).toBeUndefined();
    expect((await gql(server.url, 'query ListForMetrics { models { modelId } }', undefined, token)).body.errors).toBeUndefined();
    const missing = await gql(server.url, 'mutation DeleteMissing { deleteModel(modelId: "nope") }', undefined, token);
    expect(missing.body.errors?.[0].extensions.code).toBe('NOT_FOUND');
    // Not valid: its name is a client's word only, so it is counted as "anonymous".
    const invalid = await gql(server.url, 'query NeverValidated { noSuchField }', undefined, token);
    expect(invalid.body.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const broken = await gql(server.url, 'query AlsoNeverParsed {', undefined, token);
    expect(broken.body.errors?.[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    // Refused before Apollo: body over BODY_LIMIT_BYTES.
    const large = await gql(server.url, `query TooLarge { models { modelId } } # ${'x'.repeat(4096)}`, undefined, token);
    expect(large.status).toBe(413);

    text = await (await fetch(`${server.url}/metrics`)).text();
    samples = parse(text);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('http_request_duration_seconds by method, route pattern and status', () => {
    const count = (method: string, route: string, status: string) =>
      value(samples, 'http_request_duration_seconds_count', { method, route, status });
    expect(count('POST', '/api/models', '200')).toBe(1);
    expect(count('POST', '/api/models', '422')).toBe(1);
    expect(count('GET', '/api/models/:modelId', '200')).toBe(1);
    expect(count('GET', '/api/models/:modelId', '404')).toBe(2);
    expect(count('GET', '/api/models', '401')).toBeGreaterThanOrEqual(1); // the helper's start-up probes too
    expect(count('POST', '/graphql', '200')).toBe(3);
    expect(count('POST', '/graphql', '400')).toBe(2);
    expect(count('POST', '/graphql', '413')).toBe(1);
    // A histogram: buckets up to +Inf, and a sum.
    expect(
      find(samples, 'http_request_duration_seconds_bucket', { route: '/api/models/:modelId', status: '404', le: '+Inf' })[0]!.value,
    ).toBe(2);
    expect(value(samples, 'http_request_duration_seconds_sum', { route: '/api/models/:modelId' })).toBeGreaterThan(0);
    // Patterns, never ids.
    expect(text).not.toContain('metrics/model');
    expect(text).not.toContain('no-such-model');
  });

  it('graphql_operation_duration_seconds and graphql_operation_errors_total by operation name and code', () => {
    expect(value(samples, 'graphql_operation_duration_seconds_count', { operation: 'ListForMetrics', type: 'query' })).toBe(2);
    expect(value(samples, 'graphql_operation_duration_seconds_count', { operation: 'DeleteMissing', type: 'mutation' })).toBe(1);
    expect(value(samples, 'graphql_operation_errors_total', { operation: 'DeleteMissing', code: 'NOT_FOUND' })).toBe(1);
    expect(value(samples, 'graphql_operation_errors_total', { operation: 'ListForMetrics' })).toBe(0);
    expect(value(samples, 'graphql_operation_errors_total', { operation: 'anonymous', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(value(samples, 'graphql_operation_errors_total', { operation: 'anonymous', code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
    expect(value(samples, 'graphql_operation_errors_total', { operation: 'anonymous', code: 'PAYLOAD_TOO_LARGE' })).toBe(1);
    for (const name of ['NeverValidated', 'AlsoNeverParsed', 'TooLarge']) expect(text).not.toContain(name);
  });

  it('db_query_duration_seconds counts the statements the requests ran', () => {
    expect(value(samples, 'db_query_duration_seconds_count')).toBeGreaterThan(0);
    expect(value(samples, 'db_query_duration_seconds_count', { statement: 'select' })).toBeGreaterThan(0);
    expect(value(samples, 'db_query_duration_seconds_count', { statement: 'insert' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'db_query_duration_seconds_sum')).toBeGreaterThan(0);
  });

  it('the default process metrics, each with HELP and TYPE', () => {
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(find(samples, name).length).toBeGreaterThan(0);
    }
    for (const name of [
      'http_request_duration_seconds',
      'graphql_operation_duration_seconds',
      'graphql_operation_errors_total',
      'db_query_duration_seconds',
    ]) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toMatch(new RegExp(`# TYPE ${name} (histogram|counter)`));
    }
  });

  it('operation names are capped: past 100 distinct names, new ones are "other"', async () => {
    const names = Array.from({ length: 110 }, (_, i) => `Distinct${i}`);
    for (const name of names) {
      const res = await gql(server.url, `query ${name} { models(limit: 1) { modelId } }`, undefined, token);
      expect(res.body.errors).toBeUndefined();
    }
    const after = await scrape(server);
    const operations = new Set(find(after, 'graphql_operation_duration_seconds_count').map((s) => s.labels.operation));
    expect(operations.size).toBeLessThanOrEqual(102); // 100 names, "anonymous" and "other"
    expect(value(after, 'graphql_operation_duration_seconds_count', { operation: 'other' })).toBeGreaterThan(0);
    // The names seen first keep their own series.
    expect(value(after, 'graphql_operation_duration_seconds_count', { operation: 'ListForMetrics' })).toBe(2);
    // Counted again on every scrape: the scrapes so far are in the next one.
    expect(value(after, 'http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(
      1,
    );
  });
});

describe('protection', () => {
  const METRICS_TOKEN = `metrics-token-${randomBytes(12).toString('hex')}`;

  it('METRICS_TOKEN: 401 with WWW-Authenticate without it or with another, 200 with it; the token is never echoed', async () => {
    const server = await startServer({ env: { METRICS_TOKEN, METRICS_ALLOW: '127.0.0.0/8, ::1' } });
    try {
      for (const headers of [
        {} as Record<string, string>,
        { Authorization: 'Bearer wrong-token-0123456789' },
        { Authorization: METRICS_TOKEN },
        { Authorization: `Basic ${METRICS_TOKEN}` },
      ]) {
        const res = await request(server.url, 'GET', '/metrics', { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(res.body).toEqual({ detail: 'Not authenticated' });
      }
      // An API token is not a metrics token.
      expect((await request(server.url, 'GET', '/metrics', { token: tokenFor('alice') })).status).toBe(401);
      const samples = await scrape(server, { Authorization: `Bearer ${METRICS_TOKEN}` });
      expect(value(samples, 'http_request_duration_seconds_count', { route: '/metrics', status: '401' })).toBe(5);
      expect(server.logs()).not.toContain(METRICS_TOKEN);
      // The rest of the service does not need it.
      expect((await request(server.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('METRICS_ALLOW without the client address: 403, even with the token', async () => {
    const server = await startServer({ env: { METRICS_TOKEN, METRICS_ALLOW: '10.0.0.0/8,192.168.1.7,fd00::/8' } });
    try {
      expect((await request(server.url, 'GET', '/metrics')).status).toBe(403);
      const res = await request(server.url, 'GET', '/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ detail: 'Forbidden' });
      // X-Forwarded-For counts only from trusted proxies (TRUST_PROXY is off here).
      const spoofed = await request(server.url, 'GET', '/metrics', {
        headers: { Authorization: `Bearer ${METRICS_TOKEN}`, 'X-Forwarded-For': '10.1.2.3' },
      });
      expect(spoofed.status).toBe(403);
    } finally {
      await server.stop();
    }
  });

  it('behind a trusted proxy, the forwarded client address is the one checked', async () => {
    const server = await startServer({ env: { METRICS_ALLOW: '10.0.0.0/8', TRUST_PROXY: 'loopback' } });
    try {
      expect((await request(server.url, 'GET', '/metrics', { headers: { 'X-Forwarded-For': '10.1.2.3' } })).status).toBe(200);
      expect((await request(server.url, 'GET', '/metrics', { headers: { 'X-Forwarded-For': '203.0.113.9' } })).status).toBe(403);
      expect((await request(server.url, 'GET', '/metrics')).status).toBe(403);
    } finally {
      await server.stop();
    }
  });

  it('never rate-limited: scrapes go through while the API answers 429', async () => {
    const server = await startServer({ env: { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' } });
    try {
      let limited = false;
      for (let i = 0; i < 6; i++) limited ||= (await request(server.url, 'GET', '/api/models')).status === 429;
      expect(limited).toBe(true);
      for (let i = 0; i < 10; i++) expect((await request(server.url, 'GET', '/metrics')).status).toBe(200);
      const samples = await scrape(server);
      // Refused before routing: counted under the mount, not a route.
      expect(value(samples, 'http_request_duration_seconds_count', { route: '/api/*', status: '429' })).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });
});

describe('health endpoints (beside /metrics): status only, no internals', () => {
  const INTERNALS = /sqlite|postgres|prisma|models\.db|version|uptime|node|\/tmp|127\.0\.0\.1|stack/i;

  it('/healthz and /readyz answer exactly {"status":"ok"}, without a token, unaffected by METRICS_TOKEN', async () => {
    const server = await startServer({ env: { METRICS_TOKEN: `health-metrics-${randomBytes(8).toString('hex')}` } });
    try {
      for (const path of ['/healthz', '/readyz']) {
        const res = await request(server.url, 'GET', path);
        expect(res.status).toBe(200);
        expect(res.text).toBe('{"status":"ok"}');
        expect(res.text).not.toMatch(INTERNALS);
      }
    } finally {
      await server.stop();
    }
  });

  it('while draining after SIGTERM: /readyz 503 {"status":"draining"}, /healthz still ok', async () => {
    const server = await startServer({ env: { SHUTDOWN_DELAY_MS: '3000' } });
    const exited = new Promise((resolve) => server.process.once('exit', resolve));
    server.process.kill('SIGTERM');
    const deadline = Date.now() + 2500;
    let ready = await request(server.url, 'GET', '/readyz');
    while (ready.status === 200 && Date.now() < deadline) ready = await request(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.text).toBe('{"status":"draining"}');
    const health = await request(server.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.text).toBe('{"status":"ok"}');
    await exited;
    expect(server.process.exitCode).toBe(0);
    await server.stop();
  });
});
