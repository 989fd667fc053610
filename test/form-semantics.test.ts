/**
 * The contract's form semantics (issue 11, item 2) over HTTP: canonical provider names, blank
 * base_url (catalog default on create, null on update), the two sharing 403 texts, the `music`
 * and `sound_effect` categories, all-dot ids, and the frontend's whole-form edit.
 */
import { gql, request } from './helpers/http';
import { storedRow, storedRows } from './helpers/models';
import { startServer, type RunningServer } from './helpers/server';
import { admin, alice } from './helpers/tokens';

let server: RunningServer;
let counter = 0;
const nextId = (): string => `form-${++counter}`;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

const post = (body: Record<string, unknown>, token = alice()) => request(server.url, 'POST', '/api/models', { token, body });
const put = (id: string, body: Record<string, unknown>, token = alice()) =>
  request(server.url, 'PUT', `/api/models/${encodeURIComponent(id)}`, { token, body });

describe('canonical provider names', () => {
  it.each([
    ['ark', 'volcengine-ark'],
    ['Volcengine_Ark', 'volcengine-ark'],
    ['byteplus', 'byteplus-ark'],
    ['zai_coding_plan', 'zai-coding-plan'],
  ])('%s → %s on create, update and in the list filter', async (alias, canonical) => {
    const id = nextId();
    const created = await post({ model_id: id, model_provider: alias, model_name: 'm' });
    expect(created.status).toBe(200);
    expect(created.body.model_provider).toBe(canonical);
    const other = await post({ model_id: nextId(), model_provider: 'openai', model_name: 'm' });
    const updated = await put(other.body.model_id, { model_provider: alias });
    expect(updated.status).toBe(200);
    expect(updated.body.model_provider).toBe(canonical);
    expect(storedRow(server, other.body.model_id)?.model_provider).toBe(canonical);
    const listed = await request(server.url, 'GET', `/api/models?model_provider=${alias}`, { token: alice() });
    expect(listed.body.map((m: any) => m.model_id)).toEqual(expect.arrayContaining([id, other.body.model_id]));
  });

  it('GraphQL createModel canonicalises too', async () => {
    const res = await gql(
      server.url,
      `mutation($i: CreateModelInput!) { createModel(input: $i) { modelProvider baseUrl } }`,
      {
        i: { modelId: nextId(), modelProvider: 'ARK', modelName: 'm', baseUrl: '  ' },
      },
      alice(),
    );
    expect(res.body.data?.createModel).toEqual({ modelProvider: 'volcengine-ark', baseUrl: 'https://ark.cn-beijing.volces.com/api/v3' });
  });
});

describe('blank base_url', () => {
  it.each([
    ['openai', '', 'https://api.openai.com/v1'],
    ['openai', undefined, 'https://api.openai.com/v1'],
    ['openai', '  ', 'https://api.openai.com/v1'],
    ['openai', null, null],
    ['xinference', '', null],
  ])('%s with %p on create → %p', async (provider, baseUrl, expected) => {
    const body: Record<string, unknown> = { model_id: nextId(), model_provider: provider, model_name: 'm' };
    if (baseUrl !== undefined) body.base_url = baseUrl;
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.body.base_url).toBe(expected);
  });

  it('blank on update → null', async () => {
    const id = nextId();
    await post({ model_id: id, model_provider: 'openai', model_name: 'm' });
    const res = await put(id, { base_url: '   ' });
    expect(res.status).toBe(200);
    expect(res.body.base_url).toBeNull();
    expect(storedRow(server, id)?.base_url).toBeNull();
  });
});

describe('sharing 403 texts', () => {
  it('create', async () => {
    const id = nextId();
    const res = await post({ model_id: id, model_provider: 'openai', model_name: 'm', share_with_users: true });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Only administrators can share models with all users' });
    expect(storedRow(server, id)).toBeUndefined();
  });
  it('update', async () => {
    const id = nextId();
    await post({ model_id: id, model_provider: 'openai', model_name: 'm' });
    const res = await put(id, { share_with_users: true });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'Only administrators can enable global sharing' });
  });
});

describe('music and sound_effect', () => {
  it.each(['music', 'sound_effect'])('%s: generate accepted, others and [] refused', async (category) => {
    const ok = await post({ model_id: nextId(), category, model_provider: 'openai', model_name: 'm', abilities: ['generate'] });
    expect(ok.status).toBe(200);
    expect(ok.body.category).toBe(category);
    for (const abilities of [['tts'], []]) {
      const id = nextId();
      const bad = await post({ model_id: id, category, model_provider: 'openai', model_name: 'm', abilities });
      expect(bad.status).toBe(422);
      expect(storedRow(server, id)).toBeUndefined();
    }
  });
});

describe('all-dot ids', () => {
  it.each(['.', '..', '...'])('%p → 422, nothing stored', async (modelId) => {
    const before = storedRows(server).length;
    const res = await post({ model_id: modelId, model_provider: 'openai', model_name: 'm' });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [{ loc: ['body', 'model_id'], msg: 'Value error, model_id cannot consist only of dots', type: 'value_error' }],
    });
    expect(storedRows(server).length).toBe(before);
  });
});

describe('whole-form edits', () => {
  const form = (id: string, extra: Record<string, unknown> = {}) => ({
    model_id: id,
    category: 'llm',
    model_provider: 'openai',
    model_name: 'm',
    api_key: '',
    base_url: '',
    temperature: null,
    dimension: null,
    abilities: [],
    default_config_types: [],
    share_with_users: false,
    ...extra,
  });

  it("an admin's shared model with null abilities: 200, lock not tripped", async () => {
    const id = nextId();
    await post({ model_id: id, model_provider: 'openai', model_name: 'm', share_with_users: true, base_url: null }, admin());
    const res = await put(id, form(id, { share_with_users: true }), admin());
    expect(res.status).toBe(200);
    expect(res.body.abilities).toBeNull();
  });

  it("a non-admin's own model, nothing changed: 200, no version bump", async () => {
    const id = nextId();
    await post({ model_id: id, model_provider: 'openai', model_name: 'm', api_key: 'sk-x' });
    await put(id, { base_url: null });
    const before = storedRow(server, id);
    const res = await put(id, form(id));
    expect(res.status).toBe(200);
    expect(storedRow(server, id)).toEqual(before);
  });
});
