/**
 * The aggregates over what the caller may see, over HTTP against the real server:
 * `GET /api/models/categories`, `/providers`, `/abilities`, `/summary` and GraphQL `modelSummary`.
 * Each model counts once (own and shared at the same time too), inactive models and models the
 * caller may not see never count, a token is required, and the fixed paths win over model ids
 * for GET only: PUT/DELETE still reach a model whose id is `summary`, and by-id always does.
 */
import { gql, request } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { admin, alice, bob, tokenFor } from './helpers/tokens';

let srv: RunningServer;

const ALICE = alice();
const BOB = bob();
const ADMIN = admin();
const CAROL = tokenFor('carol');
const WRONG_SIGNATURE = tokenFor('alice', { secret: 'not-the-server-secret-0123456789abcdef-0123' });

const PATHS = ['categories', 'providers', 'abilities', 'summary'] as const;
const SUMMARY_QUERY = `{ modelSummary { totalModels byCategory { key count } byProvider { key count } } }`;

beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv?.stop();
});

async function get(path: string, token?: string) {
  return request(srv.url, 'GET', `/api/models/${path}`, { token });
}

/** Every REST aggregate and the GraphQL summary for one caller. */
async function aggregatesOf(token: string) {
  const out: Record<string, unknown> = {};
  for (const path of PATHS) {
    const res = await get(path, token);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    out[path] = res.body;
  }
  const g = await gql(srv.url, SUMMARY_QUERY, undefined, token);
  expect(g.status).toBe(200);
  expect(g.body.errors).toBeUndefined();
  out.graphql = g.body.data!.modelSummary;
  return out;
}

async function create(token: string, body: Record<string, unknown>) {
  const res = await request(srv.url, 'POST', '/api/models', { token, body });
  expect(res.status).toBe(200);
  return res.body;
}

async function share(modelId: string) {
  const res = await request(srv.url, 'PUT', `/api/models/${modelId}`, { token: ADMIN, body: { share_with_users: true } });
  expect(res.status).toBe(200);
  expect(res.body.is_shared).toBe(true);
}

async function deactivate(modelId: string) {
  const res = await gql(
    srv.url,
    `mutation($id: String!) { setModelActive(modelId: $id, active: false) { isActive } }`,
    { id: modelId },
    ADMIN,
  );
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data!.setModelActive.isActive).toBe(false);
}

describe('without models', () => {
  it('an empty registry: empty lists and zero counts, on REST and GraphQL', async () => {
    for (const token of [CAROL, ADMIN]) {
      expect(await aggregatesOf(token)).toEqual({
        categories: { categories: [] },
        providers: { providers: [] },
        abilities: { abilities: [] },
        summary: { total_models: 0, by_category: {}, by_provider: {} },
        graphql: { totalModels: 0, byCategory: [], byProvider: [] },
      });
    }
  });
});

describe('over what the caller may see', () => {
  beforeAll(async () => {
    // alice: two active models of her own, one inactive.
    await create(ALICE, { model_id: 'a-llm', model_provider: 'OpenAI', model_name: 'gpt-4o', abilities: ['vision', 'chat'] });
    await create(ALICE, {
      model_id: 'a-emb',
      category: 'embedding',
      model_provider: 'ollama',
      model_name: 'nomic',
      abilities: ['embedding'],
    });
    await create(ALICE, { model_id: 'a-off', model_provider: 'deepseek', model_name: 'r1', abilities: ['secret-ability'] });
    await deactivate('a-off');
    // bob: one private, one shared (his own and shared: counted once for him), one shared but inactive.
    await create(BOB, { model_id: 'b-private', category: 'rerank', model_provider: 'cohere', model_name: 'rr', abilities: ['rerank'] });
    await create(BOB, { model_id: 'b-shared', model_provider: 'openai', model_name: 'gpt-4.1', abilities: ['tools', 'chat'] });
    await share('b-shared');
    await create(BOB, {
      model_id: 'b-shared-off',
      category: 'image',
      model_provider: 'stability',
      model_name: 'sd',
      abilities: ['generate'],
    });
    await share('b-shared-off');
    await deactivate('b-shared-off');
    // the admin: one shared model without abilities.
    await create(ADMIN, { model_id: 'r-shared', model_provider: 'zhipu', model_name: 'glm-4' });
    await share('r-shared');
  });

  it('alice: her active models and the shared active ones; not bob’s private model, not inactive ones', async () => {
    expect(await aggregatesOf(ALICE)).toEqual({
      categories: { categories: ['embedding', 'llm'] },
      providers: { providers: ['ollama', 'openai', 'zhipu'] },
      abilities: { abilities: ['chat', 'embedding', 'tools', 'vision'] },
      summary: { total_models: 4, by_category: { embedding: 1, llm: 3 }, by_provider: { ollama: 1, openai: 2, zhipu: 1 } },
      graphql: {
        totalModels: 4,
        byCategory: [
          { key: 'embedding', count: 1 },
          { key: 'llm', count: 3 },
        ],
        byProvider: [
          { key: 'ollama', count: 1 },
          { key: 'openai', count: 2 },
          { key: 'zhipu', count: 1 },
        ],
      },
    });
  });

  it('bob: his shared model counts once; his own inactive shared model does not count', async () => {
    const out = await aggregatesOf(BOB);
    expect(out.summary).toEqual({ total_models: 3, by_category: { llm: 2, rerank: 1 }, by_provider: { cohere: 1, openai: 1, zhipu: 1 } });
    expect(out.categories).toEqual({ categories: ['llm', 'rerank'] });
    expect(out.providers).toEqual({ providers: ['cohere', 'openai', 'zhipu'] });
    expect(out.abilities).toEqual({ abilities: ['chat', 'rerank', 'tools'] });
    expect(out.graphql).toEqual({
      totalModels: 3,
      byCategory: [
        { key: 'llm', count: 2 },
        { key: 'rerank', count: 1 },
      ],
      byProvider: [
        { key: 'cohere', count: 1 },
        { key: 'openai', count: 1 },
        { key: 'zhipu', count: 1 },
      ],
    });
  });

  it('the admin: every active model once (shared ones too), no inactive one', async () => {
    const out = await aggregatesOf(ADMIN);
    expect(out.summary).toEqual({
      total_models: 5,
      by_category: { embedding: 1, llm: 3, rerank: 1 },
      by_provider: { cohere: 1, ollama: 1, openai: 2, zhipu: 1 },
    });
    expect(out.categories).toEqual({ categories: ['embedding', 'llm', 'rerank'] });
    expect(out.providers).toEqual({ providers: ['cohere', 'ollama', 'openai', 'zhipu'] });
    expect(out.abilities).toEqual({ abilities: ['chat', 'embedding', 'rerank', 'tools', 'vision'] });
    expect((out.graphql as { totalModels: number }).totalModels).toBe(5);
  });

  it('a caller with no models of their own: the shared active ones only', async () => {
    expect(await aggregatesOf(CAROL)).toEqual({
      categories: { categories: ['llm'] },
      providers: { providers: ['openai', 'zhipu'] },
      abilities: { abilities: ['chat', 'tools'] },
      summary: { total_models: 2, by_category: { llm: 2 }, by_provider: { openai: 1, zhipu: 1 } },
      graphql: {
        totalModels: 2,
        byCategory: [{ key: 'llm', count: 2 }],
        byProvider: [
          { key: 'openai', count: 1 },
          { key: 'zhipu', count: 1 },
        ],
      },
    });
  });

  it('follows changes: reactivating a model counts it again, un-sharing stops counting it for others', async () => {
    const reactivate = await gql(srv.url, `mutation { setModelActive(modelId: "a-off", active: true) { isActive } }`, undefined, ALICE);
    expect(reactivate.body.errors).toBeUndefined();
    expect((await get('providers', ALICE)).body).toEqual({ providers: ['deepseek', 'ollama', 'openai', 'zhipu'] });
    expect((await get('abilities', ALICE)).body).toEqual({ abilities: ['chat', 'embedding', 'secret-ability', 'tools', 'vision'] });
    // Others never see alice's own model.
    expect((await get('providers', BOB)).body).toEqual({ providers: ['cohere', 'openai', 'zhipu'] });

    const unshare = await request(srv.url, 'PUT', '/api/models/r-shared', { token: ADMIN, body: { share_with_users: false } });
    expect(unshare.status).toBe(200);
    expect((await get('summary', CAROL)).body).toEqual({ total_models: 1, by_category: { llm: 1 }, by_provider: { openai: 1 } });
    // Its owner still counts it.
    expect((await get('summary', ADMIN)).body.total_models).toBe(6);
  });
});

describe('a token is required', () => {
  it.each(PATHS)('GET /api/models/%s without a token or with a refused one: 401', async (path) => {
    const none = await get(path);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body).toEqual({ detail: 'Not authenticated' });
    const refused = await get(path, WRONG_SIGNATURE);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ detail: 'Could not validate credentials' });
  });

  it('GraphQL modelSummary without a token: UNAUTHENTICATED, no data', async () => {
    const res = await gql(srv.url, SUMMARY_QUERY);
    expect(res.status).toBe(200);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});

describe('fixed paths win over model ids for GET only', () => {
  it.each(PATHS)('a model whose id is "%s": GET answers the aggregate; PUT, DELETE and by-id reach the model', async (id) => {
    const model = await create(CAROL, { model_id: id, model_provider: 'openai', model_name: 'fixed-path' });
    expect(model.model_id).toBe(id);

    const aggregate = await get(id, CAROL);
    expect(aggregate.status).toBe(200);
    expect(aggregate.body.model_id).toBeUndefined();

    const byId = await request(srv.url, 'GET', `/api/models/by-id/${id}`, { token: CAROL });
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(model.id);

    const put = await request(srv.url, 'PUT', `/api/models/${id}`, { token: CAROL, body: { description: `the ${id} model` } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: model.id, model_id: id, description: `the ${id} model` });
    expect(put.headers.get('etag')).toBe('"2"');

    // Another caller who may not see it: 404 through the plain path too, not the aggregate.
    expect((await request(srv.url, 'PUT', `/api/models/${id}`, { token: BOB, body: { description: 'x' } })).status).toBe(404);

    const del = await request(srv.url, 'DELETE', `/api/models/${id}`, { token: CAROL });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ message: 'Model deleted successfully' });
    expect((await request(srv.url, 'GET', `/api/models/by-id/${id}`, { token: CAROL })).status).toBe(404);
    // The aggregate is still there.
    expect((await get(id, CAROL)).status).toBe(200);
  });
});
