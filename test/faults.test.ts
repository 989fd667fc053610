/**
 * Database outages on PostgreSQL, through a TCP proxy the test controls (node:net on 127.0.0.1,
 * DATABASE_URL points at it): the gateway starts and serves through the proxy; then the proxy
 * cuts every connection and refuses, resets or black-holes new ones, or freezes the open ones
 * mid-query. Every request must then fail fast (bounded by DATABASE_CONNECT_TIMEOUT_MS and
 * DATABASE_STATEMENT_TIMEOUT_MS) with 503 `{"detail":"Service Unavailable"}` on REST and a masked
 * SERVICE_UNAVAILABLE error on GraphQL (HTTP 503 with Retry-After when the operation could not run
 * at all, 200 beside the data it did produce), nothing internal in either; /healthz stays 200, /readyz
 * answers 503 within its bound; a refused write changes nothing; once the proxy forwards again,
 * requests succeed without restarting the gateway, and the process never crashes.
 *
 * Runs only with TEST_DATABASE_URL (an admin URL of a PostgreSQL server, e.g.
 * postgresql://postgres@127.0.0.1:5432/test): the file creates its own database and drops it.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Client } from 'pg';
import { gql, request, type HttpResult } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';
import { describeIf, NEEDS_POSTGRES } from './helpers/optional';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
const describePg = describeIf(Boolean(TEST_DATABASE_URL), __filename, NEEDS_POSTGRES);

const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 2000;
/** Connect timeout + statement timeout + the client-side read timeout margin + slack. */
const FAIL_FAST_MS = 6000;
/** /readyz gives the database 2 s. */
const READY_BOUND_MS = 3500;

type Mode = 'forward' | 'reset' | 'blackhole';

/**
 * A TCP proxy with faults: `forward` pipes to the target; `reset` accepts and destroys at once;
 * `blackhole` accepts and never answers; `refuse()` closes the listener (ECONNREFUSED);
 * `freeze()` keeps every open connection but drops whatever flows through it, both ways.
 */
class FaultProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private mode: Mode = 'forward';
  private frozen = false;
  port = 0;
  accepted = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    this.track(client);
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'blackhole') return; // accepted, never answered
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.track(upstream);
    client.on('data', (chunk) => {
      if (!this.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.frozen) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Destroys every open connection (both sides). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  setMode(mode: Mode): void {
    this.mode = mode;
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Stops listening and cuts everything: new connections get ECONNREFUSED. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Forwards again: listens (on the same port) if it stopped, drops frozen connections. */
  async restore(): Promise<void> {
    if (this.frozen) {
      this.frozen = false;
      this.cut();
    }
    if (this.mode === 'blackhole') this.cut();
    this.mode = 'forward';
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.refuse();
  }
}

function urlFor(admin: string, database: string, host?: string, port?: number): string {
  const u = new URL(admin);
  u.pathname = `/${database}`;
  u.search = '';
  if (host !== undefined) u.hostname = host;
  if (port !== undefined) u.port = String(port);
  return u.toString();
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const SERVICE_UNAVAILABLE = { detail: 'Service Unavailable' };
/** Things that must never reach a client: driver, ORM and network internals, stacks. */
const INTERNALS =
  /prisma|postgres|\bpg\b|ECONN|ETIMEDOUT|EPIPE|socket|timeout|terminated|connection|127\.0\.0\.1|\bat .*\(|\.ts:|\.js:|stack/i;
const SQL = /\b(SELECT|UPDATE|INSERT|FROM|WHERE)\b/;

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MODEL_QUERY = `query ($id: String!) { model(modelId: $id) { modelId temperature description version } }`;
const LIST_QUERY = `query { models { modelId } }`;
const PARTIAL_QUERY = `query ($id: String!) { __typename model(modelId: $id) { modelId } }`;
const UPDATE = `mutation ($id: String!, $input: UpdateModelInput!, $v: Int) {
  updateModel(modelId: $id, input: $input, expectedVersion: $v) { modelId temperature description version }
}`;

describePg('database outages on PostgreSQL (TEST_DATABASE_URL), through a faulty TCP proxy', () => {
  // describe.skip still runs this body: without TEST_DATABASE_URL, a placeholder nobody connects to.
  const adminUrl = TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/unused';
  const dbName = `mg_r_faults_${randomBytes(5).toString('hex')}`;
  const directUrl = urlFor(adminUrl, dbName);
  const target = new URL(adminUrl);
  const proxy = new FaultProxy(target.hostname || '127.0.0.1', Number(target.port || 5432));
  const token = alice();
  const MODEL = 'faults-model';
  let server: RunningServer;

  const rest = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request(server.url, method, path, { token, body, headers });

  async function storedRow(): Promise<Record<string, unknown>> {
    return withClient(directUrl, async (c) => (await c.query('SELECT * FROM models WHERE model_id = $1', [MODEL])).rows[0]);
  }

  function expectRest503(res: HttpResult, ms: number): void {
    expect({ status: res.status, body: res.body, ms: ms < FAIL_FAST_MS }).toEqual({ status: 503, body: SERVICE_UNAVAILABLE, ms: true });
    expect(res.text).toBe(JSON.stringify(SERVICE_UNAVAILABLE));
  }

  /** An operation the outage stopped entirely: HTTP 503 with Retry-After and one error, no data (issue 14). */
  function expectGraphQL503(res: HttpResult, ms: number): void {
    expect(ms).toBeLessThan(FAIL_FAST_MS);
    expect({ status: res.status, retryAfter: res.headers.get('retry-after'), body: res.body }).toEqual({
      status: 503,
      retryAfter: '1',
      body: { errors: [{ message: 'Service temporarily unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }] },
    });
    expect(res.text).not.toMatch(INTERNALS);
    expect(res.text).not.toMatch(SQL);
  }

  /** An operation that produced some data keeps HTTP 200, its data and its error. */
  function expectGraphQLPartial(res: HttpResult, ms: number, data: unknown): void {
    expect(ms).toBeLessThan(FAIL_FAST_MS);
    expect({ status: res.status, retryAfter: res.headers.get('retry-after'), data: res.body.data }).toEqual({
      status: 200,
      retryAfter: null,
      data,
    });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect(res.text).not.toMatch(INTERNALS);
    expect(res.text).not.toMatch(SQL);
  }

  /** Every kind of request during an outage: all fail fast and say nothing internal. */
  async function expectOutage(label: string): Promise<void> {
    const checks: [string, () => Promise<void>][] = [
      [
        'REST GET',
        async () => {
          const { result, ms } = await timed(() => rest('GET', `/api/models/${MODEL}`));
          expectRest503(result, ms);
        },
      ],
      [
        'REST list',
        async () => {
          const { result, ms } = await timed(() => rest('GET', '/api/models'));
          expectRest503(result, ms);
        },
      ],
      [
        'REST PUT',
        async () => {
          const { result, ms } = await timed(() =>
            rest('PUT', `/api/models/${MODEL}`, { temperature: 1.75, description: `refused ${label}` }),
          );
          expectRest503(result, ms);
          expect(result.headers.get('etag')).toBeNull();
        },
      ],
      [
        'REST PUT with If-Match',
        async () => {
          const { result, ms } = await timed(() =>
            rest('PUT', `/api/models/${MODEL}`, { description: `refused if-match ${label}` }, { 'If-Match': '"2"' }),
          );
          expectRest503(result, ms);
        },
      ],
      [
        'REST POST',
        async () => {
          const { result, ms } = await timed(() =>
            rest('POST', '/api/models', { model_id: `created-${label}`, model_provider: 'openai', model_name: 'x' }),
          );
          expectRest503(result, ms);
        },
      ],
      [
        'GraphQL query',
        async () => {
          const { result, ms } = await timed(() => gql(server.url, MODEL_QUERY, { id: MODEL }, token));
          expectGraphQL503(result, ms);
        },
      ],
      [
        'GraphQL query with a field that needs no database',
        async () => {
          const { result, ms } = await timed(() => gql(server.url, PARTIAL_QUERY, { id: MODEL }, token));
          expectGraphQLPartial(result, ms, { __typename: 'Query', model: null });
        },
      ],
      [
        'GraphQL list',
        async () => {
          const { result, ms } = await timed(() => gql(server.url, LIST_QUERY, {}, token));
          expectGraphQL503(result, ms);
        },
      ],
      [
        'GraphQL mutation',
        async () => {
          const { result, ms } = await timed(() =>
            gql(server.url, UPDATE, { id: MODEL, input: { temperature: 1.5, description: `refused gql ${label}` } }, token),
          );
          expectGraphQL503(result, ms);
        },
      ],
    ];
    // Concurrently too: a burst must not pile up behind the dead database.
    const started = Date.now();
    const outcomes = await Promise.allSettled(checks.map(([, check]) => check()));
    expect(Date.now() - started).toBeLessThan(FAIL_FAST_MS + 1000);
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected') {
        throw new Error(`${label}: ${checks[i]![0]} failed: ${(outcome.reason as Error).message}\n--- gateway log ---\n${server.logs()}`);
      }
    });

    const health = await timed(() => request(server.url, 'GET', '/healthz'));
    expect(health.result.status).toBe(200);
    expect(health.result.body).toEqual({ status: 'ok' });
    expect(health.ms).toBeLessThan(1000);

    const ready = await timed(() => request(server.url, 'GET', '/readyz'));
    expect(ready.result.status).toBe(503);
    expect(ready.result.text).not.toMatch(INTERNALS);
    expect(ready.ms).toBeLessThan(READY_BOUND_MS);
    expect(server.process.exitCode).toBeNull();
  }

  /** After the proxy forwards again: the gateway recovers by itself, nothing was changed meanwhile. */
  async function expectRecovery(label: string): Promise<void> {
    const deadline = Date.now() + 15000;
    let last: HttpResult | undefined;
    while (Date.now() < deadline) {
      last = await rest('GET', `/api/models/${MODEL}`);
      if (last.status === 200) break;
      expect(last.status).toBe(503);
      await sleep(100);
    }
    expect(last?.status).toBe(200);
    expect(server.process.exitCode).toBeNull();

    // Every route works again, over both transports.
    const ready = await request(server.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    const query = await gql(server.url, MODEL_QUERY, { id: MODEL }, token);
    expect(query.body.errors).toBeUndefined();
    expect(query.body.data.model.modelId).toBe(MODEL);
    const list = await rest('GET', '/api/models');
    expect(list.status).toBe(200);
    expect(list.body.map((m: { model_id: string }) => m.model_id)).toEqual([MODEL]);

    // The refused writes changed nothing: the row is the one written before the outage.
    const row = await storedRow();
    expect({ version: row.version, temperature: row.temperature, description: row.description }).toEqual(expected);
    expect(last?.body.description).toBe(expected.description);
    expect(last?.headers.get('etag')).toBe(`"${expected.version}"`);

    // And writing works: a real change, visible in the database.
    const put = await rest('PUT', `/api/models/${MODEL}`, { description: `after ${label}` }, { 'If-Match': `"${expected.version}"` });
    expect(put.status).toBe(200);
    expected = { ...expected, version: expected.version + 1, description: `after ${label}` };
    expect(put.headers.get('etag')).toBe(`"${expected.version}"`);
    const after = await storedRow();
    expect({ version: after.version, temperature: after.temperature, description: after.description }).toEqual(expected);
  }

  let expected = { version: 1, temperature: 0.5 as number | null, description: 'before' as string | null };

  beforeAll(async () => {
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`));
    await proxy.listen();
    server = await startServer({
      env: {
        DATABASE_URL: urlFor(adminUrl, dbName, '127.0.0.1', proxy.port),
        DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        DATABASE_POOL_MAX: '5',
      },
    });
  }, 30000);

  afterAll(async () => {
    const code = server ? await server.stop() : undefined;
    await proxy.close();
    await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    // A clean exit: the gateway survived everything and shut down normally.
    if (server) expect(code).toBe(0);
  }, 30000);

  afterEach(() => {
    // The gateway never crashed and never logged an uncaught error.
    expect(server.process.exitCode).toBeNull();
    expect(server.logs()).not.toMatch(/uncaught|unhandled|FATAL/i);
  });

  it('serves through the proxy', async () => {
    const created = await rest('POST', '/api/models', {
      model_id: MODEL,
      model_provider: 'openai',
      model_name: 'gpt-4o',
      temperature: 0.5,
      description: 'before',
    });
    expect(created.status).toBe(200);
    expect(created.headers.get('etag')).toBe('"1"');
    const got = await rest('GET', `/api/models/${MODEL}`);
    expect(got.status).toBe(200);
    const query = await gql(server.url, MODEL_QUERY, { id: MODEL }, token);
    expect(query.body).toEqual({ data: { model: { modelId: MODEL, temperature: 0.5, description: 'before', version: 1 } } });
    expect((await request(server.url, 'GET', '/readyz')).status).toBe(200);
    expect(proxy.accepted).toBeGreaterThan(0);
  });

  it('connections cut and refused (ECONNREFUSED): 503 fast, then recovers by itself', async () => {
    await proxy.refuse();
    await expectOutage('refused');
    await proxy.restore();
    await expectRecovery('refused');
  }, 40000);

  it('connections cut and reset on connect: 503 fast, then recovers', async () => {
    proxy.cut();
    proxy.setMode('reset');
    await expectOutage('reset');
    await proxy.restore();
    await expectRecovery('reset');
  }, 40000);

  it('connections black-holed (accepted, never answered): 503 within the connect timeout, then recovers', async () => {
    proxy.cut();
    proxy.setMode('blackhole');
    await expectOutage('blackhole');
    await proxy.restore();
    await expectRecovery('blackhole');
  }, 40000);

  it('open connections frozen mid-flight (network partition, sockets stay open): 503 within the statement bound, then recovers', async () => {
    // Warm the pool so requests run on connections that then go silent.
    await Promise.all(Array.from({ length: 5 }, () => rest('GET', `/api/models/${MODEL}`)));
    proxy.freeze();
    proxy.setMode('blackhole');
    await expectOutage('frozen');
    await proxy.restore();
    await expectRecovery('frozen');
  }, 40000);

  it('a row locked by another transaction: the write gives up at the statement timeout with 503, nothing changes', async () => {
    const locker = new Client({ connectionString: directUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM models WHERE model_id = $1 FOR UPDATE', [MODEL]);
      const { result, ms } = await timed(() => rest('PUT', `/api/models/${MODEL}`, { description: 'blocked by a lock' }));
      expect(ms).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 200);
      expectRest503(result, ms);
      const mutation = await timed(() => gql(server.url, UPDATE, { id: MODEL, input: { description: 'blocked by a lock (gql)' } }, token));
      expectGraphQL503(mutation.result, mutation.ms);
      // Reads are not blocked by a row lock.
      expect((await rest('GET', `/api/models/${MODEL}`)).status).toBe(200);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const row = await storedRow();
    expect({ version: row.version, temperature: row.temperature, description: row.description }).toEqual(expected);
    const put = await rest('PUT', `/api/models/${MODEL}`, { description: 'after the lock' });
    expect(put.status).toBe(200);
    expected = { ...expected, version: expected.version + 1, description: 'after the lock' };
    expect((await storedRow()).description).toBe('after the lock');
  }, 30000);

  it('the gateway is still running and answering at the end', async () => {
    expect(server.process.exitCode).toBeNull();
    expect(server.process.signalCode).toBeNull();
    expect((await request(server.url, 'GET', '/healthz')).status).toBe(200);
    expect((await request(server.url, 'GET', '/readyz')).status).toBe(200);
  });
});
