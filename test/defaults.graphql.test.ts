/**
 * Default models over GraphQL: defaultModels, defaultModel, setDefaultModel, clearDefaultModel,
 * their error codes, and Model.defaultFor, which costs one statement for a whole page of models
 * (counted by the server itself on /metrics, as in n-plus-one.test.ts).
 */
import { gql, MODEL_FIELDS, request } from './helpers/http';
import { startServer, type RunningServer, type TestDb } from './helpers/server';
import { tokenFor } from './helpers/tokens';

const alice = tokenFor('alice');
const bob = tokenFor('bob');
const root = tokenFor('root', { admin: true });

let server: RunningServer;
let db: TestDb;

const DEFAULT_FIELDS = `configType inherited createdAt updatedAt model { modelId isOwner defaultFor }`;
const SET = `mutation Set($t: String!, $m: String!) { setDefaultModel(configType: $t, modelId: $m) { ${DEFAULT_FIELDS} } }`;
const CLEAR = `mutation Clear($t: String!) { clearDefaultModel(configType: $t) }`;
const LIST = `{ defaultModels { ${DEFAULT_FIELDS} } }`;
const ONE = `query One($t: String!) { defaultModel(configType: $t) { ${DEFAULT_FIELDS} } }`;

async function create(token: string, modelId: string, body: Record<string, unknown> = {}): Promise<number> {
  const res = await request(server.url, 'POST', '/api/models', {
    token,
    body: { model_id: modelId, model_provider: 'openai', model_name: modelId, ...body },
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

function storedCount(userId: string): number {
  const row = db.prepare('SELECT COUNT(*) AS n FROM user_default_models WHERE user_id = ?').get(userId) as { n: number | string };
  return Number(row.n);
}

async function statementsSoFar(): Promise<number> {
  const res = await fetch(`${server.url}/metrics`);
  const lines = (await res.text()).split('\n').filter((line) => line.startsWith('db_query_duration_seconds_count'));
  if (lines.length === 0) throw new Error('/metrics has no db_query_duration_seconds_count');
  return lines.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  server = await startServer();
  db = server.db();
  await create(alice, 'g-llm');
  await create(alice, 'g-vision', { abilities: ['vision'] });
  await create(alice, 'g-embed', { category: 'embedding', abilities: ['embedding'] });
  await create(bob, 'g-bob');
  await create(root, 'g-shared', { share_with_users: true });
}, 60_000);

afterAll(async () => {
  db?.close();
  await server?.stop();
});

describe('operations', () => {
  it('setDefaultModel sets and replaces, answering the default with its model', async () => {
    const first = await gql(server.url, SET, { t: 'general', m: 'g-llm' }, alice);
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.setDefaultModel).toMatchObject({
      configType: 'general',
      inherited: false,
      model: { modelId: 'g-llm', isOwner: true, defaultFor: ['general'] },
    });
    const second = await gql(server.url, SET, { t: 'general', m: 'g-vision' }, alice);
    expect(second.body.data.setDefaultModel.model).toEqual({ modelId: 'g-vision', isOwner: true, defaultFor: ['general'] });
    expect(second.body.data.setDefaultModel.createdAt).toBe(first.body.data.setDefaultModel.createdAt);
    expect(storedCount('alice')).toBe(1);
  });

  it('defaultModels lists in the table’s order, with inherited organisation defaults', async () => {
    expect((await gql(server.url, SET, { t: 'embedding', m: 'g-embed' }, alice)).body.errors).toBeUndefined();
    expect((await gql(server.url, SET, { t: 'visual', m: 'g-vision' }, alice)).body.errors).toBeUndefined();
    expect((await gql(server.url, SET, { t: 'compact', m: 'g-shared' }, root)).body.errors).toBeUndefined();
    const res = await gql(server.url, LIST, undefined, alice);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.defaultModels.map((d: { configType: string; inherited: boolean }) => [d.configType, d.inherited])).toEqual([
      ['general', false],
      ['compact', true],
      ['visual', false],
      ['embedding', false],
    ]);
    const visual = res.body.data.defaultModels.find((d: { configType: string }) => d.configType === 'visual');
    expect(visual.model.defaultFor).toEqual(['general', 'visual']);
    // Inherited: the model is root's, and none of alice's own types point at it.
    const compact = res.body.data.defaultModels.find((d: { configType: string }) => d.configType === 'compact');
    expect(compact.model).toEqual({ modelId: 'g-shared', isOwner: false, defaultFor: [] });
  });

  it('defaultModel answers the caller’s own default or null', async () => {
    const own = await gql(server.url, ONE, { t: 'embedding' }, alice);
    expect(own.body.data.defaultModel).toMatchObject({ configType: 'embedding', inherited: false, model: { modelId: 'g-embed' } });
    const inheritedOnly = await gql(server.url, ONE, { t: 'compact' }, alice);
    expect(inheritedOnly.body).toEqual({ data: { defaultModel: null } });
  });

  it('clearDefaultModel: true when removed, false when there was none', async () => {
    expect((await gql(server.url, CLEAR, { t: 'embedding' }, alice)).body).toEqual({ data: { clearDefaultModel: true } });
    expect((await gql(server.url, CLEAR, { t: 'embedding' }, alice)).body).toEqual({ data: { clearDefaultModel: false } });
    expect(storedCount('alice')).toBe(2);
  });

  it('Model.defaultFor on models and model', async () => {
    const res = await gql(
      server.url,
      `{ models(limit: 10) { modelId defaultFor } model(modelId: "g-vision") { defaultFor } }`,
      undefined,
      alice,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.models).toEqual([
      { modelId: 'g-llm', defaultFor: [] },
      { modelId: 'g-vision', defaultFor: ['general', 'visual'] },
      { modelId: 'g-embed', defaultFor: [] },
      { modelId: 'g-shared', defaultFor: [] },
    ]);
    expect(res.body.data.model).toEqual({ defaultFor: ['general', 'visual'] });
    // Another caller's defaults are not theirs.
    const bobs = await gql(server.url, `{ model(modelId: "g-shared") { defaultFor } }`, undefined, root);
    expect(bobs.body.data.model).toEqual({ defaultFor: ['compact'] });
  });
});

describe('errors, and nothing stored', () => {
  const cases: [string, Record<string, string>, string, string, string[] | undefined][] = [
    ['unknown config type', { t: 'bogus', m: 'g-llm' }, 'BAD_USER_INPUT', 'Invalid config_type: bogus', ['configType']],
    ['a model the caller may not see', { t: 'compact', m: 'g-bob' }, 'NOT_FOUND', 'Model not found', undefined],
    ['a model that does not exist', { t: 'compact', m: 'nope' }, 'NOT_FOUND', 'Model not found', undefined],
    [
      'an incompatible model',
      { t: 'general', m: 'g-embed' },
      'BAD_USER_INPUT',
      "Config type 'general' is incompatible with model category 'embedding'",
      ['configType'],
    ],
    [
      'a missing ability',
      { t: 'visual', m: 'g-llm' },
      'BAD_USER_INPUT',
      "Config type 'visual' is incompatible with model category 'llm'",
      ['configType'],
    ],
  ];

  it.each(cases)('%s', async (_name, variables, code, message, fields) => {
    const before = storedCount('alice');
    const res = await gql(server.url, SET, variables, alice);
    expect(res.status).toBe(200);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions.code).toBe(code);
    expect(res.body.errors![0].message).toContain(message);
    if (fields) expect(res.body.errors![0].extensions.fields).toEqual(fields);
    expect(storedCount('alice')).toBe(before);
  });

  it('unknown config types in defaultModel and clearDefaultModel are BAD_USER_INPUT', async () => {
    for (const [query, key] of [
      [ONE, 'defaultModel'],
      [CLEAR, 'clearDefaultModel'],
    ] as const) {
      const res = await gql(server.url, query, { t: 'small-fast' }, alice);
      expect([key, res.body.errors?.[0]?.extensions?.code]).toEqual([key, 'BAD_USER_INPUT']);
    }
  });

  it('without a token every operation is UNAUTHENTICATED', async () => {
    for (const [query, variables] of [
      [LIST, undefined],
      [ONE, { t: 'general' }],
      [SET, { t: 'general', m: 'g-llm' }],
      [CLEAR, { t: 'general' }],
    ] as const) {
      const res = await gql(server.url, query, variables);
      expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(storedCount('alice')).toBe(2);
  });
});

describe('Model.defaultFor without a query per model', () => {
  beforeAll(async () => {
    const token = tokenFor('many');
    for (let at = 0; at < 100; at += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => create(token, `many-${String(at + i).padStart(3, '0')}`)));
    }
    for (const [type, model] of [
      ['general', 'many-003'],
      ['compact', 'many-050'],
      ['small_fast', 'many-003'],
      ['visual', 'g-vision'],
    ] as const) {
      const res = await gql(server.url, SET, { t: type, m: model }, token);
      if (type === 'visual') expect(res.body.errors![0].extensions.code).toBe('NOT_FOUND');
      else expect(res.body.errors).toBeUndefined();
    }
  }, 60_000);

  it('10 and 100 models with every field and defaultFor cost the same statements', async () => {
    const token = tokenFor('many');
    const counts: Record<number, number> = {};
    for (const limit of [10, 100]) {
      const before = await statementsSoFar();
      const res = await gql(server.url, `query M($limit: Int) { models(limit: $limit) { ${MODEL_FIELDS} defaultFor } }`, { limit }, token);
      counts[limit] = (await statementsSoFar()) - before;
      expect(res.body.errors).toBeUndefined();
      const models = res.body.data.models as { modelId: string; defaultFor: string[] }[];
      expect(models).toHaveLength(limit);
      const pointed = Object.fromEntries(models.filter((m) => m.defaultFor.length > 0).map((m) => [m.modelId, m.defaultFor]));
      expect(pointed).toEqual(
        limit === 10 ? { 'many-003': ['general', 'small_fast'] } : { 'many-003': ['general', 'small_fast'], 'many-050': ['compact'] },
      );
    }
    expect(counts[100]).toBe(counts[10]);
    // The page, and one statement for every model's defaultFor.
    expect(counts[10]).toBeLessThanOrEqual(3);
  });
});
