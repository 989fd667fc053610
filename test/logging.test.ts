/**
 * Request logs over real HTTP: every request gets exactly one JSON line (`request completed`)
 * with its request id (the caller's X-Request-Id when it is sane, else a generated UUID, echoed
 * in the response), method, route pattern (never the URL), GraphQL operation name and type,
 * caller `sub`, status and duration; and none of the secrets the requests carried (bearer tokens,
 * api_key / apiKey values, refused inputs, tokens in query strings, cookies) appears anywhere in
 * what the process wrote.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { request, type HttpResult } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { tokenFor } from './helpers/tokens';

type Line = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Every secret sent contains this, so its absence from the output proves the absence of each. */
const MARKER = `LOGSECRET${randomBytes(4).toString('hex')}`;
const secret = (what: string) => `${MARKER}-${what}-${randomBytes(6).toString('hex')}`;

let server: RunningServer;
let counter = 0;
/** X-Request-Id → what the test expects of its line. */
const sent = new Map<string, { method: string; route: string; status: number; sub: string | null }>();
const secrets: string[] = [];

function lines(): Line[] {
  return server
    .logs()
    .split('\n')
    .flatMap((text) => {
      try {
        const parsed: unknown = JSON.parse(text);
        return parsed && typeof parsed === 'object' ? [parsed as Line] : [];
      } catch {
        return [];
      }
    });
}

/** The one line each request gets: `request completed`, or `request aborted` when the client left first. */
const requestLines = () => lines().filter((line) => line.msg === 'request completed' || line.msg === 'request aborted');

/** pino writes asynchronously to the pipe: wait until the lines of these ids are there. */
async function linesFor(ids: string[], timeoutMs = 5000): Promise<Map<string, Line[]>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const byId = new Map<string, Line[]>();
    for (const line of requestLines()) {
      const id = String(line.reqId);
      byId.set(id, [...(byId.get(id) ?? []), line]);
    }
    if (ids.every((id) => byId.has(id)) || Date.now() > deadline) return byId;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends a request with a fresh X-Request-Id and records what its log line must say. */
async function send(
  method: string,
  path: string,
  expected: { route: string; status: number; sub?: string | null },
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult & { id: string }> {
  const id = `log-test-${++counter}-${randomBytes(3).toString('hex')}`;
  const res = await request(server.url, method, path, { ...options, headers: { 'X-Request-Id': id, ...options.headers } });
  expect(res.status).toBe(expected.status);
  expect(res.headers.get('x-request-id')).toBe(id);
  sent.set(id, { method, route: expected.route, status: expected.status, sub: expected.sub ?? null });
  return { ...res, id };
}

beforeAll(async () => {
  server = await startServer({ env: { LOG_LEVEL: 'info' } });
});

afterAll(async () => {
  await server?.stop();
});

describe('one line per request, no secrets', () => {
  const sub = `log-user-${randomBytes(3).toString('hex')}`;
  let token: string;
  const modelId = `log/model-${randomBytes(3).toString('hex')}`;
  const gqlIds: Record<string, string> = {};

  beforeAll(async () => {
    token = tokenFor(sub, { claims: { note: secret('claim') } });
    secrets.push(token);
    const restKey = secret('rest-api-key');
    const gqlKey = secret('graphql-api-key');
    const refusedRestKey = secret('refused-rest-key');
    const refusedGqlKey = secret('refused-graphql-key');
    const malformedKey = secret('malformed-json-key');
    const queryToken = secret('query-access-token');
    const badBearer = secret('bad-bearer');
    const cookie = secret('cookie');
    const headerKey = secret('x-api-key');
    secrets.push(restKey, gqlKey, refusedRestKey, refusedGqlKey, malformedKey, queryToken, badBearer, cookie, headerKey);

    // REST: create with a key, read, update via the slash path, refused inputs.
    await send(
      'POST',
      '/api/models',
      { route: '/api/models', status: 200, sub },
      { token, body: { model_id: modelId, model_provider: 'openai', model_name: 'gpt-4o', api_key: restKey } },
    );
    await send('GET', `/api/models/${encodeURIComponent(modelId)}`, { route: '/api/models/:modelId', status: 200, sub }, { token });
    await send(
      'PUT',
      `/api/models/by-id/${modelId}`,
      { route: '/api/models/by-id/*modelId', status: 200, sub },
      { token, body: { api_key: restKey, temperature: 0.5 } },
    );
    await send(
      'POST',
      '/api/models',
      { route: '/api/models', status: 422, sub },
      { token, body: { model_provider: 'openai', model_name: 'gpt-4o', api_key: refusedRestKey, temperature: 'hot' } },
    );
    await send('POST', '/api/models', { route: '/api/models', status: 422, sub }, { token, rawBody: `{"api_key": "${malformedKey}", ` });
    // Credentials that are refused: a token in the query string, a made-up bearer token, cookies.
    await send('GET', `/api/models?access_token=${queryToken}&limit=5`, { route: '/api/models', status: 401 }, { token });
    await send('GET', '/api/models', { route: '/api/models', status: 401 }, { token: badBearer, headers: { Cookie: `session=${cookie}` } });
    await send('GET', '/api/models', { route: '/api/models', status: 200, sub }, { token, headers: { 'X-Api-Key': headerKey } });
    await send('GET', `/nowhere/${modelId}?token=${queryToken}`, { route: 'unmatched', status: 404 });

    // GraphQL: a named mutation with apiKey in variables, refused variables, a parse error.
    const create = await send(
      'POST',
      '/graphql',
      { route: '/graphql', status: 200, sub },
      {
        token,
        body: {
          query: 'mutation CreateForLog($input: CreateModelInput!) { createModel(input: $input) { modelId hasApiKey } }',
          variables: { input: { modelId: `${modelId}-gql`, modelProvider: 'openai', modelName: 'gpt-4o', apiKey: gqlKey } },
        },
      },
    );
    expect(create.body.data.createModel.hasApiKey).toBe(true);
    gqlIds.create = create.id;
    const refused = await send(
      'POST',
      '/graphql',
      { route: '/graphql', status: 400, sub },
      {
        token,
        body: {
          query: 'mutation RefusedForLog($input: CreateModelInput!) { createModel(input: $input) { modelId } }',
          variables: { input: { modelProvider: 'openai', modelName: 'gpt-4o', apiKey: refusedGqlKey, temperature: 'hot' } },
        },
      },
    );
    expect(refused.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    gqlIds.refused = refused.id;
    const parse = await send('POST', '/graphql', { route: '/graphql', status: 400, sub }, { token, body: { query: 'query Broken {' } });
    gqlIds.parse = parse.id;
    const anonymous = await send(
      'POST',
      `/graphql?access_token=${queryToken}`,
      { route: '/graphql', status: 200 },
      { token, body: { query: '{ models { modelId } }' } },
    );
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    gqlIds.anonymous = anonymous.id;
  });

  it('exactly one `request completed` line per request, with the request id, method, route pattern, sub, status and duration', async () => {
    const byId = await linesFor([...sent.keys()]);
    for (const [id, expected] of sent) {
      const found = byId.get(id) ?? [];
      expect({ id, count: found.length }).toEqual({ id, count: 1 });
      const line = found[0]!;
      expect(line).toEqual(
        expect.objectContaining({ reqId: id, method: expected.method, route: expected.route, status: expected.status, sub: expected.sub }),
      );
      expect(typeof line.durationMs).toBe('number');
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
      expect(line.durationMs as number).toBeLessThan(30_000);
      expect(line.level).toBe(30);
      // Route patterns, not URLs: no model id, no query string.
      expect(JSON.stringify(line)).not.toContain('log/model');
      expect(JSON.stringify(line)).not.toContain('?');
    }
  });

  it('GraphQL lines carry the operation name and type, and the error codes', async () => {
    const byId = await linesFor(Object.values(gqlIds));
    const line = (key: string) => byId.get(gqlIds[key]!)![0]!;
    expect(line('create')).toEqual(expect.objectContaining({ operationName: 'CreateForLog', operationType: 'mutation' }));
    expect(line('create').errorCodes).toBeUndefined();
    expect(line('refused')).toEqual(expect.objectContaining({ operationName: 'RefusedForLog', errorCodes: ['BAD_USER_INPUT'] }));
    expect(line('parse')).toEqual(expect.objectContaining({ operationType: null, errorCodes: ['GRAPHQL_PARSE_FAILED'] }));
    expect(line('anonymous')).toEqual(
      expect.objectContaining({ operationName: null, operationType: 'query', errorCodes: ['UNAUTHENTICATED'], sub: null }),
    );
  });

  it('none of the secrets, nor any Authorization or Cookie value, appears anywhere in the output', async () => {
    await linesFor([...sent.keys()]);
    const output = server.logs();
    expect(output).not.toContain(MARKER);
    for (const value of secrets) expect(output).not.toContain(value);
    expect(output).not.toMatch(/bearer/i);
    expect(output).not.toMatch(/"(authorization|cookie|api_?key|access_token|headers|body|query|variables|url)":/i);
  });
});

describe('request ids', () => {
  it('without X-Request-Id: a UUID is generated, echoed and logged', async () => {
    const res = await request(server.url, 'GET', '/api/models');
    expect(res.status).toBe(401);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(UUID);
    const byId = await linesFor([id]);
    expect(byId.get(id)).toHaveLength(1);
  });

  it.each([
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'two words'],
    ['with a tab', 'abc\tdef'],
    ['not ASCII', 'caf\u00e9-id'],
    ['empty', ''],
  ])('an X-Request-Id %s is replaced by a generated one', async (_what, given) => {
    const res = await request(server.url, 'GET', '/api/models', { headers: { 'X-Request-Id': given } });
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(UUID);
    expect((await linesFor([id])).get(id)).toHaveLength(1);
    if (given.length > 3) expect(server.logs()).not.toContain(given);
  });

  it('128 printable characters are kept as they are', async () => {
    const given = `A-${randomBytes(63).toString('hex')}`.slice(0, 128);
    const res = await request(server.url, 'GET', '/api/models', { headers: { 'X-Request-Id': given } });
    expect(res.headers.get('x-request-id')).toBe(given);
    expect((await linesFor([given])).get(given)).toHaveLength(1);
  });

  it('probes are logged only at debug level when they succeed, and still get an id', async () => {
    const before = requestLines().length;
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await request(server.url, 'GET', path);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    }
    // A request after them: once its line is there, theirs would have been too.
    const marker = await request(server.url, 'GET', '/api/models', { headers: { 'X-Request-Id': 'after-probes' } });
    await linesFor([marker.headers.get('x-request-id')!]);
    const added = requestLines().slice(before);
    expect(added.map((line) => line.route)).toEqual(['/api/models']);
  });

  it('a client that leaves mid-upload: one line, marked aborted, still without its body', async () => {
    const id = `aborted-${randomBytes(4).toString('hex')}`;
    const partial = `{"api_key": "${secret('aborted-upload')}"`;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(
          `POST /api/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: ${id}\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n${partial}`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 300);
      });
      socket.on('error', reject);
    });
    const found = (await linesFor([id])).get(id) ?? [];
    expect(found).toHaveLength(1);
    expect(found[0]).toEqual(expect.objectContaining({ reqId: id, route: '/api/*', aborted: true, msg: 'request aborted' }));
    expect(server.logs()).not.toContain(partial);
  });
});
