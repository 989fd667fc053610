/**
 * Concurrent updates never lose a write: without a precondition every write lands and `version`
 * counts each one exactly once; with If-Match / expectedVersion exactly one write wins and the
 * others get 412 / CONFLICT with nothing changed. Never a 500.
 */
import { gql, request, type HttpResult } from './helpers/http';
import Database from 'better-sqlite3';
import { describeSqliteOnly, startServer, type RunningServer } from './helpers/server';
import { admin, alice } from './helpers/tokens';
import { createModelAnswer, gpt4o, storedRow } from './helpers/models';

let server: RunningServer;
const N = 20;

type Row = Record<string, unknown>;

const rowOf = (modelId: string): Row => storedRow(server, modelId)!;

/** Alice's model at version 1, temperature 0, description 'initial'. */
async function createInitial(modelId: string): Promise<void> {
  const res = await createModelAnswer(server, gpt4o(modelId, { temperature: 0, description: 'initial' }));
  expect(res.headers.get('etag')).toBe('"1"');
}

const put = (modelId: string, body: Record<string, unknown>, headers: Record<string, string> = {}, token = alice()) =>
  request(server.url, 'PUT', `/api/models/${encodeURIComponent(modelId)}`, { token, body, headers });

const UPDATE = `mutation ($id: String!, $input: UpdateModelInput!, $v: Int) {
  updateModel(modelId: $id, input: $input, expectedVersion: $v) { modelId temperature description version }
}`;

/** Distinct, exactly representable temperatures and descriptions per write. */
const temperatureOf = (i: number) => (i + 1) / 16;
const descriptionOf = (i: number) => `write-${i}`;

function expectNoServerError(results: HttpResult[]): void {
  for (const res of results) {
    expect(res.status).toBeLessThan(500);
    if (res.body?.errors) {
      for (const error of res.body.errors) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    }
  }
}

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

// PostgreSQL has no counterpart: MVCC lets readers run beside writers there anyway.
describeSqliteOnly('the SQLite database', () => {
  it('is in WAL mode', () => {
    const db = new Database(server.dbPath);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});

describe('REST: concurrent PUTs without If-Match', () => {
  it(`${N} concurrent PUTs on one model all succeed and each is counted once`, async () => {
    const id = 'conc-rest-free';
    await createInitial(id);
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => put(id, { temperature: temperatureOf(i), description: descriptionOf(i) })),
    );
    expectNoServerError(results);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));

    // Every write answers with what it wrote and a distinct version: none overwrote another unseen.
    results.forEach((res, i) => {
      expect(res.body.temperature).toBe(temperatureOf(i));
      expect(res.body.description).toBe(descriptionOf(i));
    });
    const versions = results.map((r) => Number(JSON.parse(r.headers.get('etag')!))).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: N }, (_, i) => i + 2));

    const row = rowOf(id);
    expect(row.version).toBe(1 + N);
    // The final row is exactly one of the writes (both fields from the same write), the one that got the last version.
    const last = results.findIndex((r) => r.headers.get('etag') === `"${1 + N}"`);
    expect(last).toBeGreaterThanOrEqual(0);
    expect({ temperature: row.temperature, description: row.description }).toEqual({
      temperature: temperatureOf(last),
      description: descriptionOf(last),
    });
    const get = await request(server.url, 'GET', `/api/models/${id}`, { token: alice() });
    expect(get.headers.get('etag')).toBe(`"${1 + N}"`);
    expect(get.body.temperature).toBe(temperatureOf(last));
  });

  it('concurrent writes to different fields all survive (no lost update)', async () => {
    const id = 'conc-rest-fields';
    await createInitial(id);
    const results = await Promise.all([
      put(id, { temperature: 1.25 }),
      put(id, { description: 'from the second writer' }),
      put(id, { dimension: 1536 }),
      put(id, { base_url: 'https://api.example.test/v1' }),
      put(id, { model_name: 'gpt-4o-mini' }),
      put(id, { abilities: ['chat', 'vision'] }),
      put(id, { model_provider: 'azure' }),
      put(id, { api_key: 'sk-concurrency-test-key' }),
    ]);
    expectNoServerError(results);
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const row = rowOf(id);
    expect(row.version).toBe(9);
    expect(row).toEqual(
      expect.objectContaining({
        temperature: 1.25,
        description: 'from the second writer',
        dimension: 1536,
        base_url: 'https://api.example.test/v1',
        model_name: 'gpt-4o-mini',
        abilities: JSON.stringify(['chat', 'vision']),
        model_provider: 'azure',
      }),
    );
    expect(row.api_key_encrypted).not.toBeNull();
  });

  it('concurrent identical no-op writes all answer 200 and bump nothing', async () => {
    const id = 'conc-rest-noop';
    await createInitial(id);
    const before = rowOf(id);
    const results = await Promise.all(
      Array.from({ length: N }, () => put(id, { temperature: 0, description: 'initial', model_name: 'gpt-4o' })),
    );
    expectNoServerError(results);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    expect(results.map((r) => r.headers.get('etag'))).toEqual(Array(N).fill('"1"'));
    expect(rowOf(id)).toEqual(before);
  });
});

describe('REST: concurrent PUTs with the same If-Match', () => {
  it(`${N} PUTs with If-Match "1": exactly one 200, ${N - 1} × 412, version 2`, async () => {
    const id = 'conc-rest-ifmatch';
    await createInitial(id);
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => put(id, { temperature: temperatureOf(i), description: descriptionOf(i) }, { 'If-Match': '"1"' })),
    );
    expectNoServerError(results);
    const ok = results.map((r, i) => [r, i] as const).filter(([r]) => r.status === 200);
    const refused = results.filter((r) => r.status === 412);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(N - 1);
    for (const res of refused) expect(res.body).toEqual({ detail: 'Precondition Failed' });

    const [winner, index] = ok[0]!;
    expect(winner.headers.get('etag')).toBe('"2"');
    const row = rowOf(id);
    expect(row.version).toBe(2);
    expect({ temperature: row.temperature, description: row.description }).toEqual({
      temperature: temperatureOf(index),
      description: descriptionOf(index),
    });
  });

  it('weak and bare forms of If-Match race the same way', async () => {
    const id = 'conc-rest-ifmatch-forms';
    await createInitial(id);
    const forms = ['"1"', 'W/"1"', '1'];
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) => put(id, { temperature: temperatureOf(i) }, { 'If-Match': forms[i % forms.length]! })),
    );
    expectNoServerError(results);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(14);
    expect(rowOf(id).version).toBe(2);
  });
});

describe('GraphQL: concurrent updateModel with the same expectedVersion', () => {
  it(`${N} mutations with expectedVersion 1: one success, ${N - 1} CONFLICT, version 2`, async () => {
    const id = 'conc-gql-expected';
    await createInitial(id);
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        gql(server.url, UPDATE, { id, input: { temperature: temperatureOf(i), description: descriptionOf(i) }, v: 1 }, alice()),
      ),
    );
    expectNoServerError(results);
    for (const res of results) expect(res.status).toBe(200);
    const ok = results.map((r, i) => [r, i] as const).filter(([r]) => r.body.errors === undefined);
    const conflicts = results.filter((r) => r.body.errors !== undefined);
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(N - 1);
    for (const res of conflicts) {
      expect(res.body.data).toBeNull();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions.code).toBe('CONFLICT');
      expect(res.body.errors![0].path).toEqual(['updateModel']);
    }
    const [winner, index] = ok[0]!;
    expect(winner.body.data.updateModel).toEqual({
      modelId: id,
      temperature: temperatureOf(index),
      description: descriptionOf(index),
      version: 2,
    });
    const row = rowOf(id);
    expect(row.version).toBe(2);
    expect(row.temperature).toBe(temperatureOf(index));
    expect(row.description).toBe(descriptionOf(index));
  });

  it(`${N} mutations without expectedVersion: all succeed, version 1 + ${N}`, async () => {
    const id = 'conc-gql-free';
    await createInitial(id);
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        gql(server.url, UPDATE, { id, input: { temperature: temperatureOf(i), description: descriptionOf(i) } }, alice()),
      ),
    );
    expectNoServerError(results);
    for (const res of results) expect(res.body.errors).toBeUndefined();
    const versions = results.map((r) => r.body.data.updateModel.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: N }, (_, i) => i + 2));
    const row = rowOf(id);
    expect(row.version).toBe(1 + N);
    const last = results.findIndex((r) => r.body.data.updateModel.version === 1 + N);
    expect({ temperature: row.temperature, description: row.description }).toEqual({
      temperature: temperatureOf(last),
      description: descriptionOf(last),
    });
  });
});

describe('mixed REST and GraphQL', () => {
  it('version rises by exactly the number of successful changing writes; no-ops and refused writes change nothing', async () => {
    const id = 'conc-mixed';
    await createInitial(id);
    const restTemps = Array.from({ length: 8 }, (_, i) => temperatureOf(i));
    const gqlDescriptions = Array.from({ length: 8 }, (_, i) => `gql-${i}`);

    type Outcome = { kind: 'changing' | 'noop' | 'guarded'; ok: boolean; conflict: boolean; version?: number; res: HttpResult };
    const restOutcome = (kind: Outcome['kind']) => (res: HttpResult) =>
      ({
        kind,
        ok: res.status === 200,
        conflict: res.status === 412,
        version: res.status === 200 ? Number(JSON.parse(res.headers.get('etag')!)) : undefined,
        res,
      }) as Outcome;
    const gqlOutcome = (kind: Outcome['kind']) => (res: HttpResult) =>
      ({
        kind,
        ok: res.status === 200 && res.body.errors === undefined,
        conflict: res.body.errors?.[0]?.extensions?.code === 'CONFLICT',
        version: res.body.data?.updateModel?.version,
        res,
      }) as Outcome;

    const writes: Promise<Outcome>[] = [
      ...restTemps.map((t) => put(id, { temperature: t }).then(restOutcome('changing'))),
      ...gqlDescriptions.map((d) => gql(server.url, UPDATE, { id, input: { description: d } }, alice()).then(gqlOutcome('changing'))),
      // Guarded writes: each may win only while the model is still at version 1.
      ...[0, 1, 2].map((i) => put(id, { dimension: 100 + i }, { 'If-Match': '"1"' }).then(restOutcome('guarded'))),
      ...[0, 1, 2].map((i) => gql(server.url, UPDATE, { id, input: { dimension: 200 + i }, v: 1 }, admin()).then(gqlOutcome('guarded'))),
      // No-ops: the model name never changes, so these never bump the version.
      ...[0, 1, 2].map(() => put(id, { model_name: 'gpt-4o' }).then(restOutcome('noop'))),
      ...[0, 1, 2].map(() => gql(server.url, UPDATE, { id, input: { modelName: 'gpt-4o' } }, alice()).then(gqlOutcome('noop'))),
    ];
    const outcomes = await Promise.all(writes);
    expectNoServerError(outcomes.map((o) => o.res));

    for (const o of outcomes.filter((o) => o.kind !== 'guarded')) expect(o.ok).toBe(true);
    for (const o of outcomes.filter((o) => o.kind === 'guarded')) expect(o.ok || o.conflict).toBe(true);
    const guardedWins = outcomes.filter((o) => o.kind === 'guarded' && o.ok);
    expect(guardedWins.length).toBeLessThanOrEqual(1);

    const changing = outcomes.filter((o) => o.kind !== 'noop' && o.ok);
    expect(changing).toHaveLength(16 + guardedWins.length);
    // Each successful changing write produced its own version: 2..1+count, no gaps, no repeats.
    const versions = changing.map((o) => o.version!).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: changing.length }, (_, i) => i + 2));

    const row = rowOf(id);
    expect(row.version).toBe(1 + changing.length);
    expect(restTemps).toContain(row.temperature);
    expect(gqlDescriptions).toContain(row.description);
    expect(row.model_name).toBe('gpt-4o');
    if (guardedWins.length === 1) expect([100, 101, 102, 200, 201, 202]).toContain(row.dimension);
    else expect(row.dimension).toBeNull();
  });

  it('a refused write in the middle of a race changes nothing and does not disturb the others', async () => {
    const id = 'conc-mixed-refused';
    await createInitial(id);
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => put(id, { temperature: temperatureOf(i) })),
      put(id, { temperature: 7 }), // 422
      put(id, { category: 'nope' }), // 400
      gql(server.url, UPDATE, { id, input: { temperature: -1 } }, alice()), // BAD_USER_INPUT
      ...Array.from({ length: 5 }, (_, i) => gql(server.url, UPDATE, { id, input: { description: `d-${i}` } }, alice())),
    ]);
    expectNoServerError(results);
    expect(results.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results[10]!.status).toBe(422);
    expect(results[11]!.status).toBe(400);
    expect(results[11]!.body).toEqual({ detail: 'Invalid model category' });
    expect(results[12]!.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    for (const res of results.slice(13)) expect(res.body.errors).toBeUndefined();
    const row = rowOf(id);
    expect(row.version).toBe(1 + 15);
    expect(row.category).toBe('llm');
  });
});
