/**
 * A stale If-Match / expectedVersion names the version the model is at now, so a client can
 * retry without reading it again: REST 412 carries `ETag: "<current>"`, GraphQL's CONFLICT error
 * `extensions.currentVersion`. Nothing changes on the refusal; the retry with that version wins.
 */
import { gql, request } from './helpers/http';
import { startServer, type RunningServer, type TestDb } from './helpers/server';
import { alice } from './helpers/tokens';

let srv: RunningServer;
let db: TestDb;
const ALICE = alice();

const UPDATE = `mutation ($id: String!, $input: UpdateModelInput!, $v: Int) {
  updateModel(modelId: $id, input: $input, expectedVersion: $v) { version description }
}`;

const rowOf = (modelId: string) => db.prepare('SELECT * FROM models WHERE model_id = ?').get(modelId);

/** A model at version `version` (created at 1, then updated). */
async function modelAt(modelId: string, version: number): Promise<void> {
  const created = await request(srv.url, 'POST', '/api/models', {
    token: ALICE,
    body: { model_id: modelId, model_provider: 'openai', model_name: 'gpt' },
  });
  expect(created.status).toBe(200);
  for (let v = 2; v <= version; v++) {
    const res = await request(srv.url, 'PUT', `/api/models/${modelId}`, { token: ALICE, body: { description: `v${v}` } });
    expect([res.status, res.headers.get('etag')]).toEqual([200, `"${v}"`]);
  }
}

beforeAll(async () => {
  srv = await startServer();
  db = srv.db();
});

afterAll(async () => {
  await srv?.stop();
});

describe('REST: 412 carries the current version as ETag', () => {
  it('a stale If-Match: 412, ETag "3", nothing changed; If-Match "3" then succeeds', async () => {
    await modelAt('pv-rest', 3);
    const before = rowOf('pv-rest');
    const stale = await request(srv.url, 'PUT', '/api/models/pv-rest', {
      token: ALICE,
      headers: { 'If-Match': '"1"' },
      body: { description: 'lost' },
    });
    expect({ status: stale.status, body: stale.body, etag: stale.headers.get('etag') }).toEqual({
      status: 412,
      body: { detail: 'Precondition Failed' },
      etag: '"3"',
    });
    expect(rowOf('pv-rest')).toEqual(before);

    const retry = await request(srv.url, 'PUT', '/api/models/pv-rest', {
      token: ALICE,
      headers: { 'If-Match': stale.headers.get('etag')! },
      body: { description: 'won' },
    });
    expect([retry.status, retry.headers.get('etag'), retry.body.description]).toEqual([200, '"4"', 'won']);
  });

  it('an If-Match no version can match ("abc") still names the current version', async () => {
    await modelAt('pv-rest-abc', 2);
    const res = await request(srv.url, 'PUT', '/api/models/pv-rest-abc', { token: ALICE, headers: { 'If-Match': '"abc"' }, body: {} });
    expect([res.status, res.headers.get('etag')]).toEqual([412, '"2"']);
  });

  it('losers of a race on If-Match "1" get the winner\'s version, "2"', async () => {
    await modelAt('pv-race', 1);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        request(srv.url, 'PUT', '/api/models/pv-race', { token: ALICE, headers: { 'If-Match': '"1"' }, body: { description: `r${i}` } }),
      ),
    );
    const won = results.filter((res) => res.status === 200);
    const lost = results.filter((res) => res.status !== 200);
    expect(won).toHaveLength(1);
    expect(lost.map((res) => [res.status, res.headers.get('etag')])).toEqual(lost.map(() => [412, '"2"']));
    expect(rowOf('pv-race')).toEqual(expect.objectContaining({ version: 2, description: won[0]!.body.description }));
  });
});

describe('GraphQL: CONFLICT carries extensions.currentVersion', () => {
  it('a stale expectedVersion: CONFLICT with currentVersion 3, nothing changed; the retry succeeds', async () => {
    await modelAt('pv-gql', 3);
    const before = rowOf('pv-gql');
    const stale = await gql(srv.url, UPDATE, { id: 'pv-gql', input: { description: 'lost' }, v: 2 }, ALICE);
    expect(stale.status).toBe(200);
    expect(stale.body.data).toBeNull();
    expect(stale.body.errors).toEqual([
      {
        message: 'Precondition Failed',
        locations: [{ line: 2, column: 3 }],
        path: ['updateModel'],
        extensions: { code: 'CONFLICT', currentVersion: 3 },
      },
    ]);
    expect(rowOf('pv-gql')).toEqual(before);

    const currentVersion = stale.body.errors![0].extensions.currentVersion as number;
    const retry = await gql(srv.url, UPDATE, { id: 'pv-gql', input: { description: 'won' }, v: currentVersion }, ALICE);
    expect(retry.body).toEqual({ data: { updateModel: { version: 4, description: 'won' } } });
  });

  it('a refusal other than a stale version carries no currentVersion', async () => {
    const res = await gql(srv.url, UPDATE, { id: 'pv-gql-nobody', input: { description: 'x' }, v: 1 }, ALICE);
    expect(res.body.errors![0].extensions).toEqual({ code: 'NOT_FOUND' });
  });
});
