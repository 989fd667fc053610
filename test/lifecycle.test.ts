/**
 * The whole lifecycle of a model over both transports: create (REST and GraphQL), defaults and
 * create rules, list with paging and filters, get, delete, setModelActive, timestamps, ids that
 * contain `/`, and REST and GraphQL agreeing field for field on the same stored model.
 */
import { gql, MODEL_FIELDS, request, REST_KEYS } from './helpers/http';
import { startServer, type RunningServer, type TestDb } from './helpers/server';
import { admin, alice, bob } from './helpers/tokens';
import { createModel, storedRow } from './helpers/models';

/** A create without base_url gets the provider's default from the catalog (the contract's table). */
const OLLAMA_DEFAULT = 'http://localhost:11434/v1';
const OPENAI_DEFAULT = 'https://api.openai.com/v1';

let srv: RunningServer;
let db: TestDb;

const ALICE = alice();
const BOB = bob();
const ADMIN = admin();

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NOT_FOUND = { detail: 'Model not found' };

type Row = Record<string, any>;

const row = (modelId: string): Row | undefined => storedRow(srv, modelId);

function rowCount(): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n;
}

const post = (token: string, body: unknown, path = '/api/models') => request(srv.url, 'POST', path, { token, body });

const CREATE_GQL = `mutation($input: CreateModelInput!) { createModel(input: $input) { ${MODEL_FIELDS} } }`;
const GET_GQL = `query($id: String!) { model(modelId: $id) { ${MODEL_FIELDS} } }`;

/** The REST body of a fresh model with no optional field set, owned by the caller. */
function freshRest(extra: Record<string, unknown>) {
  return {
    id: expect.any(Number),
    category: 'llm',
    base_url: null,
    temperature: null,
    dimension: null,
    abilities: null,
    description: null,
    created_at: expect.stringMatching(ISO_UTC),
    updated_at: expect.stringMatching(ISO_UTC),
    is_active: true,
    is_owner: true,
    can_edit: true,
    can_delete: true,
    is_shared: false,
    ...extra,
  };
}

/** A REST body and the GraphQL Model of the same model, compared field for field. */
function expectSameModel(rest: Record<string, unknown>, graph: Record<string, unknown>, version: number, hasApiKey: boolean) {
  expect(graph).toEqual({
    id: rest.id,
    modelId: rest.model_id,
    category: rest.category,
    modelProvider: rest.model_provider,
    modelName: rest.model_name,
    hasApiKey,
    baseUrl: rest.base_url,
    temperature: rest.temperature,
    dimension: rest.dimension,
    description: rest.description,
    abilities: rest.abilities,
    isShared: rest.is_shared,
    isActive: rest.is_active,
    createdAt: rest.created_at,
    updatedAt: rest.updated_at,
    isOwner: rest.is_owner,
    canEdit: rest.can_edit,
    canDelete: rest.can_delete,
    version,
  });
}

beforeAll(async () => {
  srv = await startServer();
  db = srv.db();
});

afterAll(async () => {
  db?.close();
  await srv?.stop();
});

describe('create over REST', () => {
  it('POST /api/models with every field → 200, the exact REST body, ETag "1", stored as sent', async () => {
    const res = await post(ALICE, {
      model_id: 'lc-full',
      category: 'embedding',
      model_provider: 'OpenAI',
      model_name: 'text-embedding-3-small',
      api_key: 'sk-lc-full-secret',
      base_url: 'https://api.openai.com/v1',
      temperature: 0.25,
      dimension: 1536,
      description: 'an embedding model',
      abilities: ['embedding'],
      share_with_users: false,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(Object.keys(res.body).sort()).toEqual(REST_KEYS);
    expect(res.body).toEqual({
      id: expect.any(Number),
      model_id: 'lc-full',
      category: 'embedding',
      model_provider: 'openai',
      model_name: 'text-embedding-3-small',
      base_url: 'https://api.openai.com/v1',
      temperature: 0.25,
      dimension: 1536,
      abilities: ['embedding'],
      description: 'an embedding model',
      created_at: expect.stringMatching(ISO_UTC),
      updated_at: expect.stringMatching(ISO_UTC),
      is_active: true,
      is_owner: true,
      can_edit: true,
      can_delete: true,
      is_shared: false,
    });
    expect(res.body.created_at).toBe(res.body.updated_at);
    expect(res.text).not.toContain('sk-lc-full-secret');

    const stored = row('lc-full')!;
    expect(stored).toMatchObject({
      id: res.body.id,
      owner_id: 'alice',
      category: 'embedding',
      model_provider: 'openai',
      model_name: 'text-embedding-3-small',
      base_url: 'https://api.openai.com/v1',
      temperature: 0.25,
      dimension: 1536,
      description: 'an embedding model',
      is_shared: 0,
      is_active: 1,
      version: 1,
    });
    expect(JSON.parse(stored.abilities)).toEqual(['embedding']);
    expect(typeof stored.api_key_encrypted).toBe('string');
    expect(stored.api_key_encrypted).not.toContain('sk-lc-full-secret');
  });

  it('POST /api/models with only the required fields → every other key present and null, base_url the provider default', async () => {
    const res = await post(ALICE, { model_id: 'lc-min', model_provider: 'ollama', model_name: 'llama3' });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(Object.keys(res.body).sort()).toEqual(REST_KEYS);
    expect(res.body).toEqual(freshRest({ model_id: 'lc-min', model_provider: 'ollama', model_name: 'llama3', base_url: OLLAMA_DEFAULT }));
    expect(row('lc-min')).toMatchObject({ api_key_encrypted: null, abilities: null, version: 1, is_shared: 0, is_active: 1 });
  });

  it('POST /api/models/register creates too, with the same answer', async () => {
    const res = await post(ALICE, { model_id: 'lc-register', model_provider: 'ollama', model_name: 'qwen' }, '/api/models/register');
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toEqual(
      freshRest({ model_id: 'lc-register', model_provider: 'ollama', model_name: 'qwen', base_url: OLLAMA_DEFAULT }),
    );
    expect(row('lc-register')).toMatchObject({ owner_id: 'alice', version: 1 });
    const get = await request(srv.url, 'GET', '/api/models/lc-register', { token: ALICE });
    expect(get.body).toEqual(res.body);
  });

  it('an admin may create a shared model', async () => {
    const res = await post(ADMIN, { model_id: 'lc-admin-shared', model_provider: 'openai', model_name: 'gpt', share_with_users: true });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      freshRest({ model_id: 'lc-admin-shared', model_provider: 'openai', model_name: 'gpt', is_shared: true, base_url: OPENAI_DEFAULT }),
    );
    expect(row('lc-admin-shared')).toMatchObject({ owner_id: 'root', is_shared: 1 });
  });
});

describe('create over GraphQL', () => {
  it('createModel with every field', async () => {
    const res = await gql(
      srv.url,
      CREATE_GQL,
      {
        input: {
          modelId: 'lc-gql-full',
          category: 'image',
          modelProvider: ' Stability ',
          modelName: ' sdxl ',
          apiKey: 'sk-gql-full-secret',
          baseUrl: 'http://localhost:8080/v1',
          temperature: 1.5,
          dimension: 64,
          description: '',
          abilities: ['generate', 'edit', 'generate'],
          shareWithUsers: false,
        },
      },
      ALICE,
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.createModel).toEqual({
      id: expect.any(Number),
      modelId: 'lc-gql-full',
      category: 'image',
      modelProvider: 'stability',
      modelName: 'sdxl',
      hasApiKey: true,
      baseUrl: 'http://localhost:8080/v1',
      temperature: 1.5,
      dimension: 64,
      description: '',
      abilities: ['generate', 'edit'],
      isShared: false,
      isActive: true,
      createdAt: expect.stringMatching(ISO_UTC),
      updatedAt: expect.stringMatching(ISO_UTC),
      isOwner: true,
      canEdit: true,
      canDelete: true,
      version: 1,
    });
    expect(res.text).not.toContain('sk-gql-full-secret');
    const stored = row('lc-gql-full')!;
    expect(stored).toMatchObject({ owner_id: 'alice', model_provider: 'stability', model_name: 'sdxl', description: '', version: 1 });
    expect(JSON.parse(stored.abilities)).toEqual(['generate', 'edit']);
    expect(stored.api_key_encrypted).not.toBeNull();
    expect(stored.api_key_encrypted).not.toContain('sk-gql-full-secret');
  });

  it('createModel with only the required fields', async () => {
    const res = await gql(srv.url, CREATE_GQL, { input: { modelId: 'lc-gql-min', modelProvider: 'ollama', modelName: 'phi' } }, BOB);
    expect(res.status).toBe(200);
    expect(res.body.data.createModel).toEqual({
      id: expect.any(Number),
      modelId: 'lc-gql-min',
      category: 'llm',
      modelProvider: 'ollama',
      modelName: 'phi',
      hasApiKey: false,
      baseUrl: OLLAMA_DEFAULT,
      temperature: null,
      dimension: null,
      description: null,
      abilities: null,
      isShared: false,
      isActive: true,
      createdAt: expect.stringMatching(ISO_UTC),
      updatedAt: expect.stringMatching(ISO_UTC),
      isOwner: true,
      canEdit: true,
      canDelete: true,
      version: 1,
    });
  });
});

describe('defaults on create', () => {
  it('category llm, not shared, active, version 1', async () => {
    const res = await post(ALICE, { model_id: 'lc-defaults', model_provider: 'openai', model_name: 'gpt-4o' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ category: 'llm', is_shared: false, is_active: true });
    expect(res.headers.get('etag')).toBe('"1"');
    expect(row('lc-defaults')).toMatchObject({ category: 'llm', is_shared: 0, is_active: 1, version: 1 });
  });

  it('model_id left out → a generated UUID (REST)', async () => {
    const res = await post(ALICE, { model_provider: 'openai', model_name: 'gen-rest' });
    expect(res.status).toBe(200);
    expect(res.body.model_id).toMatch(UUID);
    expect(row(res.body.model_id)).toMatchObject({ model_name: 'gen-rest', owner_id: 'alice' });
    const again = await post(ALICE, { model_provider: 'openai', model_name: 'gen-rest' });
    expect(again.body.model_id).toMatch(UUID);
    expect(again.body.model_id).not.toBe(res.body.model_id);
  });

  it('model_id left out → a generated UUID (GraphQL)', async () => {
    const res = await gql(srv.url, CREATE_GQL, { input: { modelProvider: 'openai', modelName: 'gen-gql' } }, ALICE);
    expect(res.status).toBe(200);
    expect(res.body.data.createModel.modelId).toMatch(UUID);
    expect(row(res.body.data.createModel.modelId)).toMatchObject({ model_name: 'gen-gql' });
  });

  it('model_id null → a generated UUID', async () => {
    const res = await post(ALICE, { model_id: null, model_provider: 'openai', model_name: 'gen-null' });
    expect(res.status).toBe(200);
    expect(res.body.model_id).toMatch(UUID);
  });

  it('model_id, model_name, base_url are trimmed; model_provider and category trimmed and lower-cased', async () => {
    const res = await post(ALICE, {
      model_id: '  lc-trimmed  ',
      category: ' LLM ',
      model_provider: '  OpenAI ',
      model_name: '  gpt-4o-mini  ',
      base_url: '  https://example.com/v1  ',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      freshRest({ model_id: 'lc-trimmed', model_provider: 'openai', model_name: 'gpt-4o-mini', base_url: 'https://example.com/v1' }),
    );
    expect(row('lc-trimmed')).toMatchObject({ model_id: 'lc-trimmed', category: 'llm', model_provider: 'openai' });
    expect(row('  lc-trimmed  ')).toBeUndefined();
    expect((await request(srv.url, 'GET', '/api/models/lc-trimmed', { token: ALICE })).status).toBe(200);
  });

  it('a blank api_key means no key', async () => {
    for (const [id, key] of [
      ['lc-blank-key-1', ''],
      ['lc-blank-key-2', '   '],
    ] as const) {
      const res = await post(ALICE, { model_id: id, model_provider: 'openai', model_name: 'gpt', api_key: key });
      expect(res.status).toBe(200);
      expect(row(id)!.api_key_encrypted).toBeNull();
      const graph = await gql(srv.url, GET_GQL, { id }, ALICE);
      expect(graph.body.data.model.hasApiKey).toBe(false);
    }
    const graph = await gql(
      srv.url,
      CREATE_GQL,
      { input: { modelId: 'lc-blank-key-3', modelProvider: 'x', modelName: 'y', apiKey: '' } },
      ALICE,
    );
    expect(graph.body.data.createModel.hasApiKey).toBe(false);
    expect(row('lc-blank-key-3')!.api_key_encrypted).toBeNull();
  });
});

describe('create rules', () => {
  const base = { model_provider: 'openai', model_name: 'gpt' };

  it.each([
    ['model_provider', 'string_type', 'Input should be a valid string'],
    ['model_name', 'string_type', 'Input should be a valid string'],
    ['category', 'string_type', 'Input should be a valid string'],
    ['share_with_users', 'bool_type', 'Input should be a valid boolean'],
  ])('null for %s → 422 and nothing is created', async (field, type, msg) => {
    const count = rowCount();
    const res = await post(ALICE, { ...base, model_id: `lc-null-${field}`, [field]: null });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ detail: [{ loc: ['body', field], msg, type }] });
    expect(rowCount()).toBe(count);
    expect(row(`lc-null-${field}`)).toBeUndefined();
  });

  it('null for modelProvider / category / shareWithUsers over GraphQL → BAD_USER_INPUT, nothing created', async () => {
    const count = rowCount();
    const cases: [string, Record<string, unknown>][] = [
      ['modelProvider', { modelProvider: null }],
      ['category', { category: null }],
      ['shareWithUsers', { shareWithUsers: null }],
    ];
    for (const [field, extra] of cases) {
      const res = await gql(
        srv.url,
        CREATE_GQL,
        { input: { modelId: 'lc-null-gql', modelProvider: 'p', modelName: 'n', ...extra } },
        ALICE,
      );
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [field] });
    }
    expect(rowCount()).toBe(count);
  });

  it('missing model_provider → 422 at ["body", "model_provider"], type "missing"', async () => {
    const count = rowCount();
    const res = await post(ALICE, { model_id: 'lc-missing', model_name: 'gpt' });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ detail: [{ loc: ['body', 'model_provider'], msg: 'Field required', type: 'missing' }] });
    expect(rowCount()).toBe(count);
  });

  it('missing model_name → 422 at ["body", "model_name"], type "missing"', async () => {
    const res = await post(ALICE, { model_id: 'lc-missing-2', model_provider: 'openai' });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ detail: [{ loc: ['body', 'model_name'], msg: 'Field required', type: 'missing' }] });
    expect(row('lc-missing-2')).toBeUndefined();
  });

  it('duplicate model_id → 400 "Model ID already exists", the existing model unchanged', async () => {
    await createModel(srv, { model_id: 'lc-dup', model_provider: 'openai', model_name: 'first' }, { token: ALICE });
    const before = row('lc-dup');
    const count = rowCount();
    for (const id of ['lc-dup', '  lc-dup  ']) {
      const res = await post(ALICE, { model_id: id, model_provider: 'ollama', model_name: 'second' });
      expect([res.status, res.body]).toEqual([400, { detail: 'Model ID already exists' }]);
    }
    // Ids are global: another user learns the id is taken, not what the model is.
    const bobRes = await post(BOB, { model_id: 'lc-dup', model_provider: 'ollama', model_name: 'third' });
    expect([bobRes.status, bobRes.body]).toEqual([400, { detail: 'Model ID already exists' }]);
    const graph = await gql(srv.url, CREATE_GQL, { input: { modelId: 'lc-dup', modelProvider: 'x', modelName: 'y' } }, BOB);
    expect(graph.status).toBe(200);
    expect(graph.body.data).toBeNull();
    expect(graph.body.errors).toEqual([
      expect.objectContaining({ message: 'Model ID already exists', extensions: { code: 'BAD_USER_INPUT', fields: ['modelId'] } }),
    ]);
    expect(row('lc-dup')).toEqual(before);
    expect(rowCount()).toBe(count);
  });

  it('unknown category → 400 "Invalid model category", nothing created', async () => {
    const count = rowCount();
    const res = await post(ALICE, { model_id: 'lc-badcat', model_provider: 'openai', model_name: 'gpt', category: 'chat' });
    expect([res.status, res.body]).toEqual([400, { detail: 'Invalid model category' }]);
    const graph = await gql(
      srv.url,
      CREATE_GQL,
      { input: { modelId: 'lc-badcat', modelProvider: 'x', modelName: 'y', category: 'chat' } },
      ALICE,
    );
    expect(graph.status).toBe(200);
    expect(graph.body.errors).toEqual([
      expect.objectContaining({ message: 'Invalid model category', extensions: { code: 'BAD_USER_INPUT', fields: ['category'] } }),
    ]);
    expect(row('lc-badcat')).toBeUndefined();
    expect(rowCount()).toBe(count);
  });

  it.each(['llm', 'embedding', 'rerank', 'image', 'speech', 'video'])('category %s is accepted', async (category) => {
    const res = await post(ALICE, { model_id: `lc-cat-${category}`, model_provider: 'p', model_name: 'n', category });
    expect(res.status).toBe(200);
    expect(res.body.category).toBe(category);
  });
});

describe('list with paging and filters', () => {
  const P = 'lc-page';
  const pageIds: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i++) {
      const id = `lc-page-${i}`;
      await createModel(
        srv,
        { model_id: id, model_provider: P, model_name: `n${i}`, category: i % 2 === 0 ? 'llm' : 'rerank' },
        { token: ALICE },
      );
      pageIds.push(id);
    }
  });

  const list = async (query: string, token = ALICE) => {
    const res = await request(srv.url, 'GET', `/api/models?${query}`, { token });
    return res;
  };
  const ids = (body: any[]) => body.map((m) => m.model_id);

  it('lists as an array of REST model bodies, without an ETag', async () => {
    const res = await list(`model_provider=${P}`);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(pageIds);
    for (const item of res.body) expect(Object.keys(item).sort()).toEqual(REST_KEYS);
    expect(res.body[0]).toEqual(freshRest({ model_id: 'lc-page-0', model_provider: P, model_name: 'n0' }));
    expect(res.headers.get('etag')).toBeNull();
  });

  it('skip and limit', async () => {
    expect(ids((await list(`model_provider=${P}&skip=1&limit=2`)).body)).toEqual(pageIds.slice(1, 3));
    expect(ids((await list(`model_provider=${P}&skip=4&limit=1`)).body)).toEqual(pageIds.slice(4));
    expect(ids((await list(`model_provider=${P}&skip=5`)).body)).toEqual([]);
    expect(ids((await list(`model_provider=${P}&limit=1000`)).body)).toEqual(pageIds);
    expect(ids((await list(`model_provider=${P}&skip=0&limit=100`)).body)).toEqual(pageIds);
  });

  it('GraphQL skip and limit', async () => {
    const res = await gql(srv.url, `{ models(modelProvider: "${P}", skip: 1, limit: 3) { modelId } }`, undefined, ALICE);
    expect(res.body).toEqual({ data: { models: pageIds.slice(1, 4).map((modelId) => ({ modelId })) } });
  });

  it.each([
    ['limit=0', 'limit', 'greater_than_equal', 'Input should be greater than or equal to 1'],
    ['limit=1001', 'limit', 'less_than_equal', 'Input should be less than or equal to 1000'],
    ['limit=-5', 'limit', 'greater_than_equal', 'Input should be greater than or equal to 1'],
    ['skip=-1', 'skip', 'greater_than_equal', 'Input should be greater than or equal to 0'],
  ])('%s → 422', async (query, field, type, msg) => {
    const res = await list(`model_provider=${P}&${query}`);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ detail: [{ loc: ['query', field], msg, type }] });
  });

  it('a non-integer limit → 422 at ["query", "limit"]', async () => {
    const res = await list('limit=ten');
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ detail: [{ loc: ['query', 'limit'], msg: expect.any(String), type: 'int_parsing' }] });
  });

  it('GraphQL limit 0 and 1001 → BAD_USER_INPUT', async () => {
    for (const limit of [0, 1001]) {
      const res = await gql(srv.url, `{ models(limit: ${limit}) { modelId } }`, undefined, ALICE);
      expect(res.status).toBe(200);
      expect(res.body.data).toBeNull();
      expect(res.body.errors).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', fields: ['limit'] }) }),
      ]);
    }
  });

  it('default limit is 100', async () => {
    for (let i = 0; i < 101; i++)
      await createModel(srv, { model_id: `lc-many-${i}`, model_provider: 'lc-many', model_name: 'n' }, { token: BOB });
    const res = await list('model_provider=lc-many', BOB);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(100);
    expect(res.body[0].model_id).toBe('lc-many-0');
    expect(res.body[99].model_id).toBe('lc-many-99');
    const rest = await list('model_provider=lc-many&skip=100', BOB);
    expect(ids(rest.body)).toEqual(['lc-many-100']);
    const graph = await gql(srv.url, `{ models(modelProvider: "lc-many") { modelId } }`, undefined, BOB);
    expect(graph.body.data.models).toHaveLength(100);
  });

  it('filter by category', async () => {
    expect(ids((await list(`model_provider=${P}&category=rerank`)).body)).toEqual(['lc-page-1', 'lc-page-3']);
    expect(ids((await list(`model_provider=${P}&category=llm`)).body)).toEqual(['lc-page-0', 'lc-page-2', 'lc-page-4']);
    expect(ids((await list(`model_provider=${P}&category=video`)).body)).toEqual([]);
    const graph = await gql(srv.url, `{ models(modelProvider: "${P}", category: "rerank") { modelId } }`, undefined, ALICE);
    expect(graph.body).toEqual({ data: { models: [{ modelId: 'lc-page-1' }, { modelId: 'lc-page-3' }] } });
  });

  it('filter by an unknown category → 400 "Invalid model category"', async () => {
    const res = await list('category=chat');
    expect([res.status, res.body]).toEqual([400, { detail: 'Invalid model category' }]);
  });

  it('filter by model_provider (case-insensitive); an empty value is no filter', async () => {
    expect(ids((await list(`model_provider=LC-PAGE`)).body)).toEqual(pageIds);
    expect(ids((await list(`model_provider=nobody`)).body)).toEqual([]);
    const all = await list('model_provider=&category=&limit=1000');
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(expect.arrayContaining([...pageIds, 'lc-min', 'lc-full']));
  });

  it('filter by is_active', async () => {
    const deact = await gql(srv.url, `mutation { setModelActive(modelId: "lc-page-2", active: false) { isActive } }`, undefined, ALICE);
    expect(deact.body).toEqual({ data: { setModelActive: { isActive: false } } });
    expect(ids((await list(`model_provider=${P}`)).body)).toEqual(['lc-page-0', 'lc-page-1', 'lc-page-3', 'lc-page-4']);
    for (const yes of ['true', '1', 'yes', 'on'])
      expect(ids((await list(`model_provider=${P}&is_active=${yes}`)).body)).toEqual(['lc-page-0', 'lc-page-1', 'lc-page-3', 'lc-page-4']);
    for (const no of ['false', '0', 'no', 'off'])
      expect(ids((await list(`model_provider=${P}&is_active=${no}`)).body)).toEqual(['lc-page-2']);
    const inactive = await list(`model_provider=${P}&is_active=false`);
    expect(inactive.body[0]).toMatchObject({ model_id: 'lc-page-2', is_active: false });
    const combined = await list(`model_provider=${P}&is_active=false&category=rerank`);
    expect(combined.body).toEqual([]);
  });
});

describe('get and delete', () => {
  it('GET /api/models/{id} → 200 with the body and ETag', async () => {
    const created = await createModel(
      srv,
      { model_id: 'lc-get', model_provider: 'openai', model_name: 'gpt', temperature: 0 },
      { token: ALICE },
    );
    const res = await request(srv.url, 'GET', '/api/models/lc-get', { token: ALICE });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toEqual(created);
    expect(res.body.temperature).toBe(0);
  });

  it('GET of an unknown id → 404', async () => {
    const res = await request(srv.url, 'GET', '/api/models/lc-nope', { token: ALICE });
    expect([res.status, res.body]).toEqual([404, NOT_FOUND]);
  });

  it('DELETE → 200 {"message": "Model deleted successfully"}, then 404', async () => {
    await createModel(srv, { model_id: 'lc-del', model_provider: 'openai', model_name: 'gpt' }, { token: ALICE });
    const res = await request(srv.url, 'DELETE', '/api/models/lc-del', { token: ALICE });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Model deleted successfully' });
    expect(row('lc-del')).toBeUndefined();
    const get = await request(srv.url, 'GET', '/api/models/lc-del', { token: ALICE });
    expect([get.status, get.body]).toEqual([404, NOT_FOUND]);
    const again = await request(srv.url, 'DELETE', '/api/models/lc-del', { token: ALICE });
    expect([again.status, again.body]).toEqual([404, NOT_FOUND]);
    const graph = await gql(srv.url, GET_GQL, { id: 'lc-del' }, ALICE);
    expect(graph.body).toEqual({ data: { model: null } });
  });

  it('a deleted model_id may be used again', async () => {
    await createModel(srv, { model_id: 'lc-reuse', model_provider: 'openai', model_name: 'one' }, { token: ALICE });
    expect((await request(srv.url, 'DELETE', '/api/models/lc-reuse', { token: ALICE })).status).toBe(200);
    const res = await post(ALICE, { model_id: 'lc-reuse', model_provider: 'openai', model_name: 'two' });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body.model_name).toBe('two');
  });

  it('deleteModel → true, then model() is null and deleteModel is NOT_FOUND', async () => {
    await createModel(srv, { model_id: 'lc-del-gql', model_provider: 'openai', model_name: 'gpt' }, { token: ALICE });
    const res = await gql(srv.url, `mutation { deleteModel(modelId: "lc-del-gql") }`, undefined, ALICE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { deleteModel: true } });
    expect(row('lc-del-gql')).toBeUndefined();
    expect((await gql(srv.url, GET_GQL, { id: 'lc-del-gql' }, ALICE)).body).toEqual({ data: { model: null } });
    const again = await gql(srv.url, `mutation { deleteModel(modelId: "lc-del-gql") }`, undefined, ALICE);
    expect(again.status).toBe(200);
    expect(again.body.data).toBeNull();
    expect(again.body.errors).toEqual([expect.objectContaining({ message: 'Model not found', extensions: { code: 'NOT_FOUND' } })]);
    const rest = await request(srv.url, 'GET', '/api/models/lc-del-gql', { token: ALICE });
    expect([rest.status, rest.body]).toEqual([404, NOT_FOUND]);
  });
});

describe('setModelActive', () => {
  const SET = `mutation($id: String!, $a: Boolean!) { setModelActive(modelId: $id, active: $a) { ${MODEL_FIELDS} } }`;

  it('deactivates and reactivates; each change bumps version and updated_at, a no-op does not', async () => {
    const created = await createModel(srv, { model_id: 'lc-active', model_provider: 'openai', model_name: 'gpt' }, { token: ALICE });
    await new Promise((r) => setTimeout(r, 5));

    const off = await gql(srv.url, SET, { id: 'lc-active', a: false }, ALICE);
    expect(off.status).toBe(200);
    const offModel = off.body.data.setModelActive;
    expect(offModel).toMatchObject({ modelId: 'lc-active', isActive: false, version: 2, createdAt: created.created_at });
    expect(offModel.updatedAt).toMatch(ISO_UTC);
    expect(offModel.updatedAt > created.updated_at).toBe(true);
    expect(row('lc-active')).toMatchObject({ is_active: 0, version: 2 });
    const rest = await request(srv.url, 'GET', '/api/models/lc-active', { token: ALICE });
    expect(rest.headers.get('etag')).toBe('"2"');
    expect(rest.body).toMatchObject({ is_active: false, updated_at: offModel.updatedAt });

    const before = row('lc-active');
    const again = await gql(srv.url, SET, { id: 'lc-active', a: false }, ALICE);
    expect(again.body.data.setModelActive).toEqual(offModel);
    expect(row('lc-active')).toEqual(before);

    await new Promise((r) => setTimeout(r, 5));
    const on = await gql(srv.url, SET, { id: 'lc-active', a: true }, ALICE);
    expect(on.body.data.setModelActive).toMatchObject({ isActive: true, version: 3 });
    expect(on.body.data.setModelActive.updatedAt > offModel.updatedAt).toBe(true);
    expect(row('lc-active')).toMatchObject({ is_active: 1, version: 3 });
    const rest2 = await request(srv.url, 'GET', '/api/models/lc-active', { token: ALICE });
    expect(rest2.headers.get('etag')).toBe('"3"');
    expect(rest2.body.is_active).toBe(true);
  });

  it('is_active is not an update field: PUT with is_active changes nothing', async () => {
    await createModel(srv, { model_id: 'lc-active-put', model_provider: 'openai', model_name: 'gpt' }, { token: ALICE });
    const before = row('lc-active-put');
    const res = await request(srv.url, 'PUT', '/api/models/lc-active-put', { token: ALICE, body: { is_active: false } });
    expect(res.status).toBe(200);
    expect(res.body.is_active).toBe(true);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(row('lc-active-put')).toEqual(before);
  });
});

describe('timestamps', () => {
  it('created_at and updated_at are ISO-8601 UTC ending in Z; an update moves only updated_at', async () => {
    const t0 = Date.now();
    const created = await createModel(srv, { model_id: 'lc-time', model_provider: 'openai', model_name: 'gpt' }, { token: ALICE });
    expect(created.created_at).toMatch(ISO_UTC);
    expect(created.updated_at).toMatch(ISO_UTC);
    expect(Math.abs(Date.parse(created.created_at) - t0)).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 5));
    const res = await request(srv.url, 'PUT', '/api/models/lc-time', { token: ALICE, body: { model_name: 'gpt-2' } });
    expect(res.status).toBe(200);
    expect(res.body.created_at).toBe(created.created_at);
    expect(res.body.updated_at).toMatch(ISO_UTC);
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    const graph = await gql(srv.url, GET_GQL, { id: 'lc-time' }, ALICE);
    expect(graph.body.data.model.createdAt).toBe(created.created_at);
    expect(graph.body.data.model.updatedAt).toBe(res.body.updated_at);
  });
});

describe('ids that contain a slash', () => {
  const ID = 'google/gemini-2.5-flash';

  it('create, then GET via /by-id/ and via %2F', async () => {
    const created = await post(ALICE, { model_id: ID, model_provider: 'google', model_name: 'gemini-2.5-flash' });
    expect(created.status).toBe(200);
    expect(created.body.model_id).toBe(ID);
    const byId = await request(srv.url, 'GET', `/api/models/by-id/${ID}`, { token: ALICE });
    expect(byId.status).toBe(200);
    expect(byId.headers.get('etag')).toBe('"1"');
    expect(byId.body).toEqual(created.body);
    const encoded = await request(srv.url, 'GET', '/api/models/google%2Fgemini-2.5-flash', { token: ALICE });
    expect(encoded.status).toBe(200);
    expect(encoded.body).toEqual(created.body);
    const graph = await gql(srv.url, GET_GQL, { id: ID }, ALICE);
    expect(graph.body.data.model.modelId).toBe(ID);
  });

  it('PUT via /by-id/ and via %2F', async () => {
    const put1 = await request(srv.url, 'PUT', `/api/models/by-id/${ID}`, { token: ALICE, body: { description: 'via by-id' } });
    expect(put1.status).toBe(200);
    expect(put1.body).toMatchObject({ model_id: ID, description: 'via by-id' });
    expect(put1.headers.get('etag')).toBe('"2"');
    const put2 = await request(srv.url, 'PUT', '/api/models/google%2Fgemini-2.5-flash', { token: ALICE, body: { temperature: 0.3 } });
    expect(put2.status).toBe(200);
    expect(put2.body).toMatchObject({ model_id: ID, description: 'via by-id', temperature: 0.3 });
    expect(put2.headers.get('etag')).toBe('"3"');
    expect(row(ID)).toMatchObject({ description: 'via by-id', temperature: 0.3, version: 3 });
  });

  it('a slash id that does not exist → 404 on both paths', async () => {
    const a = await request(srv.url, 'GET', '/api/models/by-id/google/nope', { token: ALICE });
    expect([a.status, a.body]).toEqual([404, NOT_FOUND]);
    const b = await request(srv.url, 'GET', '/api/models/google%2Fnope', { token: ALICE });
    expect([b.status, b.body]).toEqual([404, NOT_FOUND]);
    // Only part of the id is not the model.
    const c = await request(srv.url, 'GET', '/api/models/by-id/google', { token: ALICE });
    expect([c.status, c.body]).toEqual([404, NOT_FOUND]);
  });

  it('DELETE via /by-id/', async () => {
    const del = await request(srv.url, 'DELETE', `/api/models/by-id/${ID}`, { token: ALICE });
    expect([del.status, del.body]).toEqual([200, { message: 'Model deleted successfully' }]);
    expect(row(ID)).toBeUndefined();
    const get = await request(srv.url, 'GET', `/api/models/by-id/${ID}`, { token: ALICE });
    expect([get.status, get.body]).toEqual([404, NOT_FOUND]);
  });

  it('DELETE via %2F', async () => {
    await createModel(srv, { model_id: 'a/b/c', model_provider: 'x', model_name: 'y' }, { token: ALICE });
    const get = await request(srv.url, 'GET', '/api/models/by-id/a/b/c', { token: ALICE });
    expect(get.status).toBe(200);
    const del = await request(srv.url, 'DELETE', '/api/models/a%2Fb%2Fc', { token: ALICE });
    expect([del.status, del.body]).toEqual([200, { message: 'Model deleted successfully' }]);
    expect(row('a/b/c')).toBeUndefined();
  });
});

describe('both transports agree', () => {
  it('created over REST, read over GraphQL: the same values field for field', async () => {
    const res = await post(ALICE, {
      model_id: 'lc-agree-1',
      category: 'speech',
      model_provider: 'openai',
      model_name: 'whisper-1',
      api_key: 'sk-agree',
      base_url: 'https://api.openai.com/v1',
      temperature: 0.7,
      dimension: 12,
      description: 'asr',
      abilities: ['asr', 'tts'],
    });
    expect(res.status).toBe(200);
    const graph = await gql(srv.url, GET_GQL, { id: 'lc-agree-1' }, ALICE);
    expect(graph.status).toBe(200);
    expectSameModel(res.body, graph.body.data.model, 1, true);
    // And for another caller (admin): flags computed for them on both transports.
    const restAdmin = await request(srv.url, 'GET', '/api/models/lc-agree-1', { token: ADMIN });
    const graphAdmin = await gql(srv.url, GET_GQL, { id: 'lc-agree-1' }, ADMIN);
    expectSameModel(restAdmin.body, graphAdmin.body.data.model, 1, true);
    expect(restAdmin.body).toMatchObject({ is_owner: false, can_edit: true, can_delete: true });
  });

  it('created over GraphQL, read over REST: the same values field for field, ETag = version', async () => {
    const res = await gql(
      srv.url,
      CREATE_GQL,
      {
        input: {
          modelId: 'lc-agree-2',
          category: 'rerank',
          modelProvider: 'Cohere',
          modelName: 'rerank-3',
          abilities: ['rerank'],
          temperature: 2,
        },
      },
      ALICE,
    );
    const model = res.body.data.createModel;
    const rest = await request(srv.url, 'GET', '/api/models/lc-agree-2', { token: ALICE });
    expect(rest.status).toBe(200);
    expect(rest.headers.get('etag')).toBe(`"${model.version}"`);
    expectSameModel(rest.body, model, 1, false);
  });

  it('an update over REST is visible over GraphQL, and one over GraphQL over REST; version and ETag move together', async () => {
    await createModel(srv, { model_id: 'lc-agree-3', model_provider: 'openai', model_name: 'gpt' }, { token: ALICE });
    const put = await request(srv.url, 'PUT', '/api/models/lc-agree-3', {
      token: ALICE,
      body: { model_name: 'gpt-4.1', temperature: 1, api_key: 'sk-new', abilities: ['chat', 'tools'] },
      headers: { 'If-Match': '"1"' },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('"2"');
    const afterPut = await gql(srv.url, GET_GQL, { id: 'lc-agree-3' }, ALICE);
    expectSameModel(put.body, afterPut.body.data.model, 2, true);

    const upd = await gql(
      srv.url,
      `mutation { updateModel(modelId: "lc-agree-3", input: { description: "from graphql", apiKey: null, abilities: null }, expectedVersion: 2) { ${MODEL_FIELDS} } }`,
      undefined,
      ALICE,
    );
    expect(upd.status).toBe(200);
    const model = upd.body.data.updateModel;
    expect(model).toMatchObject({ description: 'from graphql', hasApiKey: false, abilities: null, version: 3 });
    const rest = await request(srv.url, 'GET', '/api/models/lc-agree-3', { token: ALICE });
    expect(rest.headers.get('etag')).toBe('"3"');
    expectSameModel(rest.body, model, 3, false);
    expect(row('lc-agree-3')).toMatchObject({ version: 3, api_key_encrypted: null, abilities: null, description: 'from graphql' });

    // The REST ETag works as GraphQL's expectedVersion and the other way round.
    const stale = await request(srv.url, 'PUT', '/api/models/lc-agree-3', {
      token: ALICE,
      body: { description: 'x' },
      headers: { 'If-Match': '"2"' },
    });
    expect([stale.status, stale.body]).toEqual([412, { detail: 'Precondition Failed' }]);
    const ok = await request(srv.url, 'PUT', '/api/models/lc-agree-3', {
      token: ALICE,
      body: { description: 'x' },
      headers: { 'If-Match': `"${model.version}"` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('"4"');
  });

  it('lists agree: REST GET /api/models and GraphQL models return the same models in the same order', async () => {
    const rest = await request(srv.url, 'GET', '/api/models?limit=1000&is_active=true', { token: ALICE });
    const graph = await gql(srv.url, `{ models(limit: 1000) { ${MODEL_FIELDS} } }`, undefined, ALICE);
    expect(rest.status).toBe(200);
    const models = graph.body.data.models as any[];
    expect(models.map((m) => m.modelId)).toEqual(rest.body.map((m: any) => m.model_id));
    rest.body.forEach((item: any, i: number) => {
      const stored = row(item.model_id)!;
      expectSameModel(item, models[i], stored.version, stored.api_key_encrypted !== null);
    });
  });
});
