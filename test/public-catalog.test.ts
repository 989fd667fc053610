/**
 * The replaced service's public paths, here limited to shared, active models, over HTTP against
 * the real server: `/api/models/public/list` (category, provider, limit 1..100, default 50),
 * `/public/categories`, `/public/providers`, `/public/summary`. No token needed; an entry is
 * exactly what a model is (no key, no URL, no owner); bad query values are FastAPI's 422;
 * PUBLIC_CATALOG=off answers 404 as if the paths did not exist.
 */
import { gql, request } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { admin, alice, bob } from './helpers/tokens';

const ALICE = alice();
const BOB = bob();
const ADMIN = admin();

const PUBLIC = ['list', 'categories', 'providers', 'summary'].map((name) => `/api/models/public/${name}`);
const ENTRY_KEYS = ['abilities', 'category', 'description', 'id', 'model_id', 'model_name', 'model_provider'];
const SECRET = 'sk-public-catalog-secret-0123456789';
const ZERO = { llm: 0, embedding: 0, rerank: 0, image: 0, speech: 0, video: 0, music: 0, sound_effect: 0 };

describe('PUBLIC_CATALOG on (the default)', () => {
  let srv: RunningServer;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const get = (path: string, token?: string) => request(srv.url, 'GET', path, { token });
  const list = async (query = '', token?: string) => {
    const res = await get(`/api/models/public/list${query}`, token);
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(res.body.models.length);
    return res.body.models.map((entry: { model_id: string }) => entry.model_id);
  };

  async function create(token: string, body: Record<string, unknown>, shared: boolean, active = true) {
    const res = await request(srv.url, 'POST', '/api/models', { token, body });
    expect(res.status).toBe(200);
    ids[body.model_id as string] = res.body.id;
    if (shared) {
      const put = await request(srv.url, 'PUT', `/api/models/${body.model_id}`, { token: ADMIN, body: { share_with_users: true } });
      expect(put.status).toBe(200);
    }
    if (!active) {
      const off = await gql(
        srv.url,
        `mutation($id: String!) { setModelActive(modelId: $id, active: false) { isActive } }`,
        { id: body.model_id },
        ADMIN,
      );
      expect(off.body.errors).toBeUndefined();
    }
  }

  it('an empty registry: nothing listed, every category counted 0', async () => {
    expect((await get('/api/models/public/list')).body).toEqual({ models: [], count: 0 });
    expect((await get('/api/models/public/categories')).body).toEqual({ categories: [] });
    expect((await get('/api/models/public/providers')).body).toEqual({ providers: [] });
    expect((await get('/api/models/public/summary')).body).toEqual({ total_models: 0, by_category: ZERO });
  });

  describe('with models', () => {
    beforeAll(async () => {
      await create(
        ALICE,
        {
          model_id: 'p-chat',
          model_provider: 'openai',
          model_name: 'gpt-4o',
          abilities: ['chat'],
          description: 'the shared chat model',
          api_key: SECRET,
          base_url: 'https://llm.internal.example.com/v1',
          temperature: 0.3,
        },
        true,
      );
      await create(
        BOB,
        { model_id: 'p-emb', category: 'embedding', model_provider: 'ollama', model_name: 'nomic', abilities: ['embedding'] },
        true,
      );
      await create(ADMIN, { model_id: 'p-off', model_provider: 'deepseek', model_name: 'r1' }, true, false);
      await create(
        ALICE,
        { model_id: 'p-private', model_provider: 'openai', model_name: 'private', category: 'rerank', abilities: ['rerank'] },
        false,
      );
      await create(
        BOB,
        { model_id: 'p-image', category: 'image', model_provider: 'OpenAI', model_name: 'dall-e', abilities: ['generate'] },
        true,
      );
    });

    it('lists shared, active models only, in id order, without a token, each entry exactly the public keys', async () => {
      const res = await get('/api/models/public/list');
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(3);
      expect(res.body.models).toEqual([
        {
          id: ids['p-chat'],
          model_id: 'p-chat',
          category: 'llm',
          model_provider: 'openai',
          model_name: 'gpt-4o',
          abilities: ['chat'],
          description: 'the shared chat model',
        },
        {
          id: ids['p-emb'],
          model_id: 'p-emb',
          category: 'embedding',
          model_provider: 'ollama',
          model_name: 'nomic',
          abilities: ['embedding'],
          description: null,
        },
        {
          id: ids['p-image'],
          model_id: 'p-image',
          category: 'image',
          model_provider: 'openai',
          model_name: 'dall-e',
          abilities: ['generate'],
          description: null,
        },
      ]);
      for (const entry of res.body.models) expect(Object.keys(entry).sort()).toEqual(ENTRY_KEYS);
      // No key, no URL, no owner, nothing of the private or inactive models.
      for (const leak of [SECRET, 'internal.example.com', 'alice', 'bob', 'root', 'p-private', 'p-off'])
        expect(res.text).not.toContain(leak);
    });

    it('the same for any caller: a token (even an admin’s) does not widen it', async () => {
      for (const token of [ALICE, ADMIN]) expect(await list('', token)).toEqual(['p-chat', 'p-emb', 'p-image']);
    });

    it('filters by category and provider, normalized as stored', async () => {
      expect(await list('?category=llm')).toEqual(['p-chat']);
      expect(await list('?category=%20LLM%20')).toEqual(['p-chat']);
      expect(await list('?provider=openai')).toEqual(['p-chat', 'p-image']);
      expect(await list('?provider=OpenAI')).toEqual(['p-chat', 'p-image']);
      expect(await list('?category=embedding&provider=ollama')).toEqual(['p-emb']);
      expect(await list('?category=llm&provider=ollama')).toEqual([]);
      expect(await list('?category=video')).toEqual([]);
      expect(await list('?provider=deepseek')).toEqual([]);
      expect(await list('?category=rerank')).toEqual([]);
      // Blank filters filter nothing; unknown parameters are ignored.
      expect(await list('?category=&provider=&skip=1')).toEqual(['p-chat', 'p-emb', 'p-image']);
    });

    it('limit: 1..100, default 50', async () => {
      expect(await list('?limit=1')).toEqual(['p-chat']);
      expect(await list('?limit=2&provider=openai')).toEqual(['p-chat', 'p-image']);
      expect(await list('?limit=100')).toEqual(['p-chat', 'p-emb', 'p-image']);
      expect(await list('?limit=%2B3')).toEqual(['p-chat', 'p-emb', 'p-image']);
    });

    it.each([
      ['limit=0', [{ loc: ['query', 'limit'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal' }]],
      ['limit=-5', [{ loc: ['query', 'limit'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal' }]],
      ['limit=101', [{ loc: ['query', 'limit'], msg: 'Input should be less than or equal to 100', type: 'less_than_equal' }]],
      [
        'limit=abc',
        [{ loc: ['query', 'limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' }],
      ],
      [
        'limit=1.5',
        [{ loc: ['query', 'limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' }],
      ],
      [
        'limit=1&limit=2',
        [{ loc: ['query', 'limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing' }],
      ],
      [
        'category=llm&category=image&provider=a&provider=b',
        [
          { loc: ['query', 'category'], msg: 'Input should be a valid string', type: 'string_type' },
          { loc: ['query', 'provider'], msg: 'Input should be a valid string', type: 'string_type' },
        ],
      ],
    ])('?%s: 422 with FastAPI’s detail', async (query, detail) => {
      const res = await get(`/api/models/public/list?${query}`);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ detail });
    });

    it('an unknown category: 400, as GET /api/models answers it', async () => {
      const res = await get('/api/models/public/list?category=audio');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ detail: 'Invalid model category' });
    });

    it('categories, providers and summary over shared, active models only', async () => {
      expect((await get('/api/models/public/categories')).body).toEqual({ categories: ['embedding', 'image', 'llm'] });
      expect((await get('/api/models/public/providers')).body).toEqual({ providers: ['ollama', 'openai'] });
      const summary = await get('/api/models/public/summary');
      expect(summary.body).toEqual({ total_models: 3, by_category: { ...ZERO, llm: 1, embedding: 1, image: 1 } });
      expect(Object.keys(summary.body.by_category)).toEqual(Object.keys(ZERO));
    });

    it('a model whose id is "public/list" stays reachable through %2F and by-id', async () => {
      await create(ALICE, { model_id: 'public/list', model_provider: 'openai', model_name: 'odd-id' }, false);
      for (const path of ['/api/models/public%2Flist', '/api/models/by-id/public/list']) {
        const res = await get(path, ALICE);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: ids['public/list'], model_id: 'public/list' });
      }
      expect(await list()).toEqual(['p-chat', 'p-emb', 'p-image']);
      const del = await request(srv.url, 'DELETE', '/api/models/public%2Flist', { token: ALICE });
      expect(del.status).toBe(200);
    });

    it.each(PUBLIC)('%s: other methods answer 405 with Allow, no token needed', async (path) => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await request(srv.url, method, path, { body: {} });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
        expect(res.body).toEqual({ detail: 'Method Not Allowed' });
      }
    });
  });
});

describe('PUBLIC_CATALOG=off', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ env: { PUBLIC_CATALOG: 'off' } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it.each(PUBLIC)('%s answers 404 Not Found, with or without a token, for every method', async (path) => {
    for (const token of [undefined, ADMIN]) {
      for (const method of ['GET', 'POST', 'DELETE']) {
        const res = await request(srv.url, method, path, { token, ...(method === 'GET' ? {} : { body: {} }) });
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ detail: 'Not Found' });
      }
    }
  });

  it('the aggregates for signed-in callers stay', async () => {
    const res = await request(srv.url, 'GET', '/api/models/summary', { token: ALICE });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ total_models: 0, by_category: {}, by_provider: {} });
  });
});

it('PUBLIC_CATALOG must be on or off: anything else stops the start with a config error', async () => {
  const server = await startServer({ env: { PUBLIC_CATALOG: 'maybe' }, expectExit: true });
  await server.stop();
  expect(server.process.exitCode).toBe(1);
  expect(server.logs()).toContain('config error: PUBLIC_CATALOG must be true or false, got "maybe"');
});
