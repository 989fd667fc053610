/**
 * Refusals at the HTTP edge (issue 14): a body that is not valid UTF-8 is malformed (REST 422
 * json_invalid as FastAPI answers, GraphQL 400) and stores nothing, where decoding used to store
 * U+FFFD; a 405 names the methods the path serves in `Allow`.
 */
import http from 'node:http';
import { gql, request } from './helpers/http';
import { startServer, type RunningServer, type TestDb } from './helpers/server';
import { alice } from './helpers/tokens';

let srv: RunningServer;
let db: TestDb;
const ALICE = alice();
const MODEL = 'edge-utf8';

/** Sends exactly these bytes (fetch would not let a test choose them as freely). */
function raw(method: string, path: string, body: Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>((resolve, reject) => {
    const req = http.request(
      `${srv.url}${path}`,
      { method, headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `{"description":"<bytes>"}` with the given bytes inside the string. */
const withBytes = (key: string, bytes: number[]) => Buffer.concat([Buffer.from(`{"${key}":"`), Buffer.from(bytes), Buffer.from('"}')]);

const rowOf = (modelId: string) => db.prepare('SELECT * FROM models WHERE model_id = ?').get(modelId);
const count = () => (db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number | bigint }).n;

const JSON_INVALID = { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] };

beforeAll(async () => {
  srv = await startServer();
  db = srv.db();
  const created = await request(srv.url, 'POST', '/api/models', {
    token: ALICE,
    body: { model_id: MODEL, model_provider: 'openai', model_name: 'gpt', description: 'before' },
  });
  expect(created.status).toBe(200);
});

afterAll(async () => {
  await srv?.stop();
});

describe('a body that is not valid UTF-8 is malformed, and nothing is stored', () => {
  it.each([
    ['\\xff\\xfe', [0xff, 0xfe]],
    ['a lone continuation byte', [0x61, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['an overlong encoding', [0xc0, 0xaf]],
  ])('REST PUT with %s: 422 json_invalid, row unchanged', async (_label, bytes) => {
    const before = rowOf(MODEL);
    const res = await raw('PUT', `/api/models/${MODEL}`, withBytes('description', bytes), { Authorization: `Bearer ${ALICE}` });
    expect({ status: res.status, body: res.body }).toEqual({ status: 422, body: JSON_INVALID });
    expect(rowOf(MODEL)).toEqual(before);
  });

  it('REST POST: 422 json_invalid, no row created', async () => {
    const before = count();
    const body = Buffer.concat([
      Buffer.from('{"model_id":"edge-utf8-new","model_provider":"openai","model_name":"gpt","description":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const res = await raw('POST', '/api/models', body, { Authorization: `Bearer ${ALICE}` });
    expect({ status: res.status, body: res.body }).toEqual({ status: 422, body: JSON_INVALID });
    expect(count()).toEqual(before);
    expect(rowOf('edge-utf8-new')).toBeUndefined();
  });

  it('every REST body is judged alike: a default model and a connection test with such bytes are 422 json_invalid, nothing stored', async () => {
    const defaults = () => (db.prepare('SELECT COUNT(*) AS n FROM user_default_models').get() as { n: number | bigint }).n;
    const before = defaults();
    const setDefault = await raw(
      'POST',
      '/api/models/user-default',
      Buffer.concat([Buffer.from('{"config_type":"general","model_id":"'), Buffer.from(MODEL), Buffer.from([0xff]), Buffer.from('"}')]),
      {
        Authorization: `Bearer ${ALICE}`,
      },
    );
    expect({ status: setDefault.status, body: setDefault.body }).toEqual({ status: 422, body: JSON_INVALID });
    expect(defaults()).toEqual(before);
    const testConnection = await raw('POST', '/api/models/test-connection', withBytes('model_provider', [0xff, 0xfe]), {
      Authorization: `Bearer ${ALICE}`,
    });
    expect({ status: testConnection.status, body: testConnection.body }).toEqual({ status: 422, body: JSON_INVALID });
  });

  it('REST still answers 401 before the body is judged (the contract order 401 before 422)', async () => {
    const res = await raw('PUT', `/api/models/${MODEL}`, withBytes('description', [0xff, 0xfe]));
    expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: { detail: 'Not authenticated' } });
  });

  it('valid UTF-8 (multi-byte, and a declared charset) is still accepted', async () => {
    const res = await raw('PUT', `/api/models/${MODEL}`, Buffer.from('{"description":"héllo €"}', 'utf8'), {
      Authorization: `Bearer ${ALICE}`,
      'Content-Type': 'application/json; charset=utf-8',
    });
    expect([res.status, res.body.description]).toEqual([200, 'héllo €']);
  });

  it('GraphQL: 400 BAD_REQUEST, one error, row unchanged', async () => {
    const before = rowOf(MODEL);
    const body = Buffer.concat([
      Buffer.from(
        `{"query":"mutation ($d: String) { updateModel(modelId: \\"${MODEL}\\", input: { description: $d }) { version } }","variables":{"d":"`,
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}'),
    ]);
    const res = await raw('POST', '/graphql', body, { Authorization: `Bearer ${ALICE}` });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { errors: [{ message: 'Malformed request body', extensions: { code: 'BAD_REQUEST' } }] },
    });
    expect(rowOf(MODEL)).toEqual(before);
    // The same operation with valid bytes goes through: the refusal was the bytes.
    const ok = await gql(
      srv.url,
      `mutation ($d: String) { updateModel(modelId: "${MODEL}", input: { description: $d }) { description } }`,
      { d: 'fine' },
      ALICE,
    );
    expect(ok.body).toEqual({ data: { updateModel: { description: 'fine' } } });
  });
});

describe('a 405 names the methods the path serves (Allow)', () => {
  it.each([
    ['PATCH', '/api/models', 'GET, HEAD, POST'],
    ['DELETE', '/api/models', 'GET, HEAD, POST'],
    ['PATCH', `/api/models/${MODEL}`, 'GET, HEAD, PUT, DELETE'],
    ['POST', `/api/models/${MODEL}`, 'GET, HEAD, PUT, DELETE'],
    ['PATCH', '/api/models/by-id/org/name', 'GET, HEAD, PUT, DELETE'],
  ])('%s %s → 405, Allow: %s', async (method, path, allow) => {
    const res = await request(srv.url, method, path, { token: ALICE, body: {} });
    expect({ status: res.status, body: res.body, allow: res.headers.get('allow') }).toEqual({
      status: 405,
      body: { detail: 'Method Not Allowed' },
      allow,
    });
  });

  it('the methods Allow lists are served (none answers 405)', async () => {
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) {
      const res = await request(srv.url, method, '/api/models/edge-no-such-model', {
        token: ALICE,
        body: method === 'PUT' ? {} : undefined,
      });
      expect([method, res.status]).toEqual([method, 404]);
    }
  });

  it('GraphQL: a method Apollo does not serve → 405, Allow: GET, POST', async () => {
    const res = await request(srv.url, 'PUT', '/graphql', { token: ALICE, body: { query: '{ __typename }' } });
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'GET, POST']);
  });
});

describe('ids with control characters cannot exist: 404, on either database', () => {
  const MODEL_QUERY = `query ($id: String!) { model(modelId: $id) { modelId } }`;
  const UPDATE = `mutation ($id: String!) { updateModel(modelId: $id, input: { description: "x" }) { version } }`;
  const DELETE = `mutation ($id: String!) { deleteModel(modelId: $id) }`;

  it.each(['a%00b', '%00', 'a%01b', 'a%1Fb', 'a%7Fb', `${MODEL}%00`])('GET/PUT/DELETE /api/models/%s → 404 Model not found', async (id) => {
    const before = rowOf(MODEL);
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await request(srv.url, method, `/api/models/${id}`, {
        token: ALICE,
        body: method === 'PUT' ? { description: 'x' } : undefined,
      });
      expect([method, res.status, res.body]).toEqual([method, 404, { detail: 'Model not found' }]);
    }
    expect(rowOf(MODEL)).toEqual(before);
  });

  it('by-id paths too', async () => {
    const res = await request(srv.url, 'GET', '/api/models/by-id/org/a%00b', { token: ALICE });
    expect([res.status, res.body]).toEqual([404, { detail: 'Model not found' }]);
  });

  it.each(['a\u0000b', '\u0000', 'a\u001bb', `${MODEL}\u0000`])('GraphQL model(%j): null; update and delete: NOT_FOUND', async (id) => {
    const found = await gql(srv.url, MODEL_QUERY, { id }, ALICE);
    expect([found.status, found.body]).toEqual([200, { data: { model: null } }]);
    for (const mutation of [UPDATE, DELETE]) {
      const res = await gql(srv.url, mutation, { id }, ALICE);
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0]).toEqual(expect.objectContaining({ message: 'Model not found', extensions: { code: 'NOT_FOUND' } }));
    }
  });

  it('the shape of the body is still judged first (422 before 404)', async () => {
    const res = await request(srv.url, 'PUT', '/api/models/a%00b', { token: ALICE, body: { temperature: 'hot' } });
    expect(res.status).toBe(422);
  });
});
