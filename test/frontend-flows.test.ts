/**
 * The replaced service's web frontend, replayed over HTTP with exactly the requests it sends:
 * its model-management page and dialog load the provider catalog, list models at
 * `/api/models/` (trailing slash), create with the whole form (`default_config_types` included,
 * fields the form left empty dropped by JSON.stringify), then set each chosen default with a
 * separate `POST /api/models/user-default` naming the model by its NUMERIC id; edits PUT the
 * whole form to `/api/models/by-id/<encodeURIComponent(model_id)>` (`api_key: ""`, `base_url`
 * `""` when empty, `abilities: []` when none, `share_with_users` as shown, temperature and
 * dimension as the server answered them, null included); its defaults dialog sends the DELETEs
 * and POSTs of a change in parallel; deletes go to the by-id path and show `detail` on failure.
 *
 * Also the default-model 409s (delete, un-share, category/abilities change) with the stored rows
 * unchanged afterwards, their place in the contract's order, and the same refusals over GraphQL.
 * Real server, real JWTs, on SQLite or PostgreSQL (TEST_DATABASE_URL).
 */
import { gql, request, REST_KEYS } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { tokenFor } from './helpers/tokens';

const alice = tokenFor('alice');
const bob = tokenFor('bob');
const carol = tokenFor('carol');
const root = tokenFor('root', { admin: true });
const ops = tokenFor('ops', { admin: true });

const DELETE_REFUSED = 'Cannot delete: you have this model as your default. Change default first.';
const UNSHARE_REFUSED = 'Cannot un-share: you have this model as your default. Change default first.';
const categoryRefused = (types: string) => `Cannot change category or abilities: this model is a default (${types}). Change default first.`;

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

// ---------------------------------------------------------------------------------------------
// The frontend's requests, as it builds them.

type RestModel = Record<string, any>;

/** The detail URL the frontend builds for a model: by-id, the id percent-encoded as one segment. */
const detailPath = (modelId: string) => `/api/models/by-id/${encodeURIComponent(modelId)}`;

/** The form's create body: its state as the dialog holds it (`undefined` fields drop out of the JSON). */
function createForm(fields: {
  model_id: string;
  category: string;
  model_provider: string;
  model_name: string;
  api_key?: string;
  base_url?: string;
  abilities: string[];
  default_config_types: string[];
  share_with_users?: boolean;
}): Record<string, unknown> {
  return { temperature: undefined, dimension: undefined, api_key: '', ...fields };
}

/** The form's edit body, filled from the model as listed (what `handleEdit` puts in the form). */
function editForm(model: RestModel, defaultTypes: string[], change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_id: model.model_id,
    category: model.category,
    model_provider: model.model_provider,
    model_name: model.model_name,
    api_key: '',
    base_url: model.base_url || '',
    temperature: model.temperature,
    dimension: model.dimension,
    abilities: model.abilities || [],
    default_config_types: defaultTypes,
    share_with_users: model.is_shared,
    ...change,
  };
}

const send = (token: string, method: string, path: string, body?: unknown) =>
  request(server.url, method, path, body === undefined ? { token } : { token, body });

/** What the dialog's submit does on create: POST the form, then one POST per chosen default with the answer's numeric id. */
async function submitCreate(token: string, form: Record<string, unknown>): Promise<RestModel> {
  const created = await send(token, 'POST', '/api/models/', JSON.parse(JSON.stringify(form)));
  expect(created.status).toBe(200);
  for (const configType of form.default_config_types as string[]) {
    const set = await send(token, 'POST', '/api/models/user-default', { config_type: configType, model_id: created.body.id });
    expect(set.status).toBe(200);
  }
  return created.body;
}

/** The page's map of config type → model, as `loadDefaultModels` builds it from the list. */
async function defaultsMap(token: string): Promise<Record<string, RestModel>> {
  const res = await send(token, 'GET', '/api/models/user-default');
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body as { config_type: string; model: RestModel }[]).map((entry) => [entry.config_type, entry.model]));
}

/** The page's model list (`GET /api/models/`), by model_id. */
async function listed(token: string): Promise<Record<string, RestModel>> {
  const res = await send(token, 'GET', '/api/models/');
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body as RestModel[]).map((model) => [model.model_id, model]));
}

// ---------------------------------------------------------------------------------------------
// Stored state, read from the database itself.

interface Snapshot {
  models: Record<string, unknown>[];
  defaults: { user_id: string; config_type: string; model_id: number }[];
}

function snapshot(): Snapshot {
  const db = server.db();
  try {
    const models = db.prepare('SELECT * FROM models ORDER BY id').all() as Record<string, unknown>[];
    const defaults = (
      db.prepare('SELECT user_id, config_type, model_id FROM user_default_models ORDER BY id').all() as {
        user_id: string;
        config_type: string;
        model_id: number;
      }[]
    ).map((row) => ({ ...row, model_id: Number(row.model_id) }));
    return { models, defaults };
  } finally {
    db.close();
  }
}

function storedModel(modelId: string): Record<string, unknown> | undefined {
  return snapshot().models.find((row) => row.model_id === modelId);
}

function defaultsOf(userId: string): { config_type: string; model_id: number }[] {
  return snapshot()
    .defaults.filter((row) => row.user_id === userId)
    .map(({ config_type, model_id }) => ({ config_type, model_id }));
}

/** Runs a request that must be refused and asserts that neither table changed. */
async function refusedUnchanged<T>(act: () => Promise<T>): Promise<T> {
  const before = snapshot();
  const result = await act();
  expect(snapshot()).toEqual(before);
  return result;
}

let counter = 0;
const hex8 = () => (++counter).toString(16).padStart(8, '0');
/** The frontend's generated model_id: `<name>-<provider>-<user>-<8 hex digits>`. */
const generatedId = (name: string, provider: string, user: string) => `${name}-${provider}-${user}-${hex8()}`;

// ---------------------------------------------------------------------------------------------

describe('the models page loads', () => {
  it('the provider catalog, without a token, with what the page reads of each provider', async () => {
    const res = await request(server.url, 'GET', '/api/models/providers/supported');
    expect(res.status).toBe(200);
    const providers = res.body.providers as Record<string, unknown>[];
    expect(Array.isArray(providers)).toBe(true);
    const byId = Object.fromEntries(providers.map((provider) => [provider.id, provider]));
    for (const provider of providers) {
      expect(typeof provider.id).toBe('string');
      expect(typeof provider.name).toBe('string');
      expect(typeof provider.description).toBe('string');
      expect(typeof provider.requires_base_url).toBe('boolean');
    }
    expect(byId.openai).toMatchObject({ name: 'OpenAI', default_base_url: 'https://api.openai.com/v1', requires_base_url: false });
    expect(byId.xinference).toMatchObject({ requires_base_url: true });
    expect(byId.xinference!.default_base_url).toBeUndefined();
  });

  it('the model list at /api/models/ and the defaults list, empty for a new user', async () => {
    expect(await listed(tokenFor('newcomer'))).toEqual({});
    expect(await defaultsMap(tokenFor('newcomer'))).toEqual({});
    // The fallback the page asks for per type: JSON null, which it reads as "none".
    for (const type of ['general', 'small-fast', 'visual', 'compact', 'embedding']) {
      const res = await send(tokenFor('newcomer'), 'GET', `/api/models/default/${type}`);
      expect(res.status).toBe(200);
      expect(res.text).toBe('null');
    }
  });
});

describe('create with the whole form, then defaults by numeric id', () => {
  it('an llm with general as its default: stored as sent, listed, the default points at it', async () => {
    const form = createForm({
      model_id: generatedId('gpt-4o', 'openai', 'alice'),
      category: 'llm',
      model_provider: 'openai',
      model_name: 'gpt-4o',
      api_key: 'sk-alice-form-key',
      base_url: 'https://api.openai.com/v1',
      abilities: ['chat'],
      default_config_types: ['general'],
    });
    const model = await submitCreate(alice, form);
    expect(Object.keys(model).sort()).toEqual(REST_KEYS);
    expect(model).toMatchObject({
      model_id: form.model_id,
      category: 'llm',
      model_provider: 'openai',
      model_name: 'gpt-4o',
      base_url: 'https://api.openai.com/v1',
      temperature: null,
      dimension: null,
      abilities: ['chat'],
      is_shared: false,
      is_owner: true,
      can_edit: true,
      can_delete: true,
    });
    expect(JSON.stringify(model)).not.toContain('sk-alice-form-key');
    expect(storedModel(model.model_id)!.api_key_encrypted).toEqual(expect.any(String));

    const defaults = await defaultsMap(alice);
    expect(Object.keys(defaults)).toEqual(['general']);
    expect(defaults.general).toEqual((await listed(alice))[model.model_id]);
    expect(defaultsOf('alice')).toEqual([{ config_type: 'general', model_id: model.id }]);
  });

  it('a provider model with an empty base_url gets the catalog default; xinference speech without a key', async () => {
    const zhipu = await submitCreate(
      alice,
      createForm({
        model_id: generatedId('glm-4', 'zhipu', 'alice'),
        category: 'llm',
        model_provider: 'zhipu',
        model_name: 'glm-4',
        api_key: 'k',
        base_url: '',
        abilities: ['chat', 'tool_calling'],
        default_config_types: [],
      }),
    );
    expect(zhipu.base_url).toBe('https://open.bigmodel.cn/api/paas/v4');

    const speech = await submitCreate(
      alice,
      createForm({
        model_id: generatedId('whisper', 'xinference', 'alice'),
        category: 'speech',
        model_provider: 'xinference',
        model_name: 'whisper',
        base_url: 'http://localhost:9997',
        abilities: ['asr', 'tts'],
        default_config_types: ['asr', 'tts'],
      }),
    );
    expect(storedModel(speech.model_id)!.api_key_encrypted).toBeNull();
    const defaults = await defaultsMap(alice);
    expect(Object.keys(defaults)).toEqual(['general', 'asr', 'tts']);
    expect(defaults.asr!.id).toBe(speech.id);
    expect(defaults.tts!.id).toBe(speech.id);
  });

  it('a model_id with a slash is reached through by-id with the slash percent-encoded', async () => {
    const model = await submitCreate(
      alice,
      createForm({
        model_id: 'google/gemini-2.5-flash',
        category: 'llm',
        model_provider: 'gemini',
        model_name: 'gemini-2.5-flash',
        api_key: 'g',
        base_url: '',
        abilities: ['chat', 'vision'],
        default_config_types: ['visual'],
      }),
    );
    const res = await send(alice, 'GET', detailPath(model.model_id));
    expect(res.status).toBe(200);
    expect(res.body.model_id).toBe('google/gemini-2.5-flash');
    const edited = await send(alice, 'PUT', detailPath(model.model_id), editForm(model, ['visual']));
    expect(edited.status).toBe(200);
    expect(edited.headers.get('etag')).toBe('"1"');
  });
});

describe('edit with the whole form', () => {
  it('unchanged: 200, no new version, the stored key kept, the defaults as they were', async () => {
    const model = await submitCreate(
      alice,
      createForm({
        model_id: generatedId('gpt-4.1', 'openai', 'alice'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 'gpt-4.1',
        api_key: 'sk-kept',
        base_url: 'https://api.openai.com/v1',
        abilities: ['chat', 'vision'],
        default_config_types: ['small_fast'],
      }),
    );
    const before = snapshot();
    const res = await send(alice, 'PUT', detailPath(model.model_id), editForm(model, ['small_fast']));
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body.updated_at).toBe(model.updated_at);
    expect(snapshot()).toEqual(before);
  });

  it('a real change (name, temperature) on a default: 200, stored, still the default', async () => {
    const model = (await listed(alice))[Object.keys(await listed(alice)).find((id) => id.startsWith('gpt-4.1-'))!]!;
    const keyBefore = storedModel(model.model_id)!.api_key_encrypted;
    const res = await send(
      alice,
      'PUT',
      detailPath(model.model_id),
      editForm(model, ['small_fast'], { model_name: 'gpt-4.1-mini', temperature: 0.3 }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model_name: 'gpt-4.1-mini', temperature: 0.3 });
    expect(res.headers.get('etag')).toBe('"2"');
    expect(storedModel(model.model_id)!.api_key_encrypted).toBe(keyBefore);
    expect((await defaultsMap(alice)).small_fast!.model_name).toBe('gpt-4.1-mini');
  });

  it("an admin's shared model stored with null abilities: the form's [] is no change and trips no lock", async () => {
    const created = await send(root, 'POST', '/api/models/', {
      model_id: generatedId('qwen-max', 'dashscope', 'root'),
      model_provider: 'dashscope',
      model_name: 'qwen-max',
      share_with_users: true,
    });
    expect(created.status).toBe(200);
    expect(created.body.abilities).toBeNull();
    const before = snapshot();
    const res = await send(root, 'PUT', detailPath(created.body.model_id), editForm(created.body, []));
    expect(res.status).toBe(200);
    expect(res.body.abilities).toBeNull();
    expect(res.headers.get('etag')).toBe('"1"');
    expect(snapshot()).toEqual(before);
  });
});

describe('the defaults dialog sends its DELETEs and POSTs at once', () => {
  it('moving small_fast off one model and adding compact, in parallel: both land', async () => {
    const models = await listed(alice);
    const target = models[Object.keys(models).find((id) => id.startsWith('gpt-4o-'))!]!;
    const results = await Promise.all([
      send(alice, 'DELETE', '/api/models/user-default/small_fast'),
      send(alice, 'POST', '/api/models/user-default', { config_type: 'compact', model_id: target.id }),
      send(alice, 'POST', '/api/models/user-default', { config_type: 'small_fast', model_id: target.id }),
    ]);
    expect(results.map((res) => res.status)).toEqual([200, 200, 200]);
    const mine = defaultsOf('alice');
    expect(mine.filter((row) => row.config_type === 'compact')).toEqual([{ config_type: 'compact', model_id: target.id }]);
    // The DELETE and the POST of small_fast raced: one row or none, never two, never a 500.
    expect(mine.filter((row) => row.config_type === 'small_fast').length).toBeLessThanOrEqual(1);
  });

  it('two tabs setting one default to two models at once: one row, both answered 200', async () => {
    const a = await submitCreate(
      bob,
      createForm({
        model_id: generatedId('a', 'openai', 'bob'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 'a',
        abilities: ['chat'],
        default_config_types: [],
      }),
    );
    const b = await submitCreate(
      bob,
      createForm({
        model_id: generatedId('b', 'openai', 'bob'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 'b',
        abilities: ['chat'],
        default_config_types: [],
      }),
    );
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([
        send(bob, 'POST', '/api/models/user-default', { config_type: 'general', model_id: a.id }),
        send(bob, 'POST', '/api/models/user-default', { config_type: 'general', model_id: b.id }),
        send(bob, 'DELETE', '/api/models/user-default/general'),
      ]);
      expect(results[0]!.status).toBe(200);
      expect(results[1]!.status).toBe(200);
      expect([200, 404]).toContain(results[2]!.status);
      expect(defaultsOf('bob').filter((row) => row.config_type === 'general').length).toBeLessThanOrEqual(1);
    }
  });
});

describe('delete: refused while it is the caller’s default, allowed after changing it', () => {
  it('409 with the contract’s text and nothing changed; after the default moves, 200 and the model is gone', async () => {
    const models = await listed(alice);
    const current = models[Object.keys(models).find((id) => id.startsWith('gpt-4o-'))!]!;
    const other = models[Object.keys(models).find((id) => id.startsWith('glm-4-'))!]!;
    expect((await defaultsMap(alice)).general!.id).toBe(current.id);

    const refused = await refusedUnchanged(() => send(alice, 'DELETE', detailPath(current.model_id)));
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ detail: DELETE_REFUSED });

    // Every default of the model must move first: general, compact and whichever small_fast is.
    for (const [type, model] of Object.entries(await defaultsMap(alice))) {
      if (model.id === current.id)
        expect((await send(alice, 'POST', '/api/models/user-default', { config_type: type, model_id: other.id })).status).toBe(200);
    }
    const allowed = await send(alice, 'DELETE', detailPath(current.model_id));
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ message: 'Model deleted successfully' });
    expect(storedModel(current.model_id)).toBeUndefined();
    expect((await defaultsMap(alice)).general!.id).toBe(other.id);
  });

  it('the same 409 from GraphQL deleteModel (CONFLICT), and from the plain path', async () => {
    const model = (await listed(alice))[Object.keys(await listed(alice)).find((id) => id.startsWith('glm-4-'))!]!;
    const viaPlain = await refusedUnchanged(() => send(alice, 'DELETE', `/api/models/${encodeURIComponent(model.model_id)}`));
    expect(viaPlain.status).toBe(409);
    const res = await refusedUnchanged(() =>
      gql(server.url, 'mutation($id: String!) { deleteModel(modelId: $id) }', { id: model.model_id }, alice),
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({ message: DELETE_REFUSED, extensions: { code: 'CONFLICT' } });
  });

  it('another user’s default does not stop the owner: it goes with the model', async () => {
    const shared = await submitCreate(
      root,
      createForm({
        model_id: generatedId('shared-gone', 'openai', 'root'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 'x',
        abilities: ['chat'],
        default_config_types: [],
        share_with_users: true,
      }),
    );
    expect((await send(carol, 'POST', '/api/models/user-default', { config_type: 'compact', model_id: shared.id })).status).toBe(200);
    const res = await send(root, 'DELETE', detailPath(shared.model_id));
    expect(res.status).toBe(200);
    expect(defaultsOf('carol')).toEqual([]);
  });

  it('403 (may see, may not delete) comes before the 409', async () => {
    const shared = await submitCreate(
      root,
      createForm({
        model_id: generatedId('shared-403', 'openai', 'root'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 'x',
        abilities: ['chat'],
        default_config_types: ['general'],
        share_with_users: true,
      }),
    );
    expect((await send(carol, 'POST', '/api/models/user-default', { config_type: 'general', model_id: shared.id })).status).toBe(200);
    const res = await refusedUnchanged(() => send(carol, 'DELETE', detailPath(shared.model_id)));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'No permission to delete this model' });
  });
});

describe('un-share: refused while it is the owner’s default, otherwise other users’ defaults go', () => {
  async function sharedModel(name: string, ownerDefaults: string[]): Promise<RestModel> {
    return submitCreate(
      root,
      createForm({
        model_id: generatedId(name, 'openai', 'root'),
        category: 'llm',
        model_provider: 'openai',
        model_name: name,
        abilities: ['chat', 'vision'],
        default_config_types: ownerDefaults,
        share_with_users: true,
      }),
    );
  }

  it('the owner’s own default: 409 and nothing changed (the model stays shared, every default stays)', async () => {
    const model = await sharedModel('unshare-own', ['visual']);
    expect((await send(carol, 'POST', '/api/models/user-default', { config_type: 'visual', model_id: model.id })).status).toBe(200);
    const res = await refusedUnchanged(() =>
      send(root, 'PUT', detailPath(model.model_id), editForm(model, ['visual'], { share_with_users: false })),
    );
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: UNSHARE_REFUSED });
    // Another admin un-sharing it: still the owner's default, still refused.
    const byOps = await refusedUnchanged(() => send(ops, 'PUT', detailPath(model.model_id), { share_with_users: false }));
    expect(byOps.status).toBe(409);
    expect(byOps.body).toEqual({ detail: UNSHARE_REFUSED });
    // GraphQL: the same refusal, CONFLICT.
    const viaGraphql = await refusedUnchanged(() =>
      gql(
        server.url,
        'mutation($id: String!) { updateModel(modelId: $id, input: { shareWithUsers: false }) { isShared } }',
        { id: model.model_id },
        root,
      ),
    );
    expect(viaGraphql.body.errors![0]).toMatchObject({ message: UNSHARE_REFUSED, extensions: { code: 'CONFLICT' } });
  });

  it('once the owner’s default moves: 200, and every other user’s default of it is removed (admins’ too)', async () => {
    const model = (await listed(root))[Object.keys(await listed(root)).find((id) => id.startsWith('unshare-own-'))!]!;
    expect((await send(ops, 'POST', '/api/models/user-default', { config_type: 'general', model_id: model.id })).status).toBe(200);
    expect((await send(root, 'DELETE', '/api/models/user-default/visual')).status).toBe(200);
    const res = await send(root, 'PUT', detailPath(model.model_id), editForm(model, [], { share_with_users: false }));
    expect(res.status).toBe(200);
    expect(res.body.is_shared).toBe(false);
    expect(snapshot().defaults.filter((row) => row.model_id === model.id)).toEqual([]);
    expect(storedModel(model.model_id)!.version).toEqual(2);
  });

  it('an admin who is not the owner may un-share while they have it as a default: theirs is another user’s, removed', async () => {
    const model = await sharedModel('unshare-by-ops', []);
    expect((await send(ops, 'POST', '/api/models/user-default', { config_type: 'compact', model_id: model.id })).status).toBe(200);
    const res = await send(ops, 'PUT', detailPath(model.model_id), { share_with_users: false });
    expect(res.status).toBe(200);
    expect(defaultsOf('ops').filter((row) => row.model_id === model.id)).toEqual([]);
  });

  it('re-sending share_with_users: false for an unshared model is no un-share: the owner’s default stays', async () => {
    const model = await sharedModel('unshare-then-default', []);
    expect((await send(root, 'PUT', detailPath(model.model_id), { share_with_users: false })).status).toBe(200);
    expect((await send(root, 'POST', '/api/models/user-default', { config_type: 'compact', model_id: model.id })).status).toBe(200);
    // Re-sending share_with_users: false for an unshared model is no un-share.
    const res = await send(
      root,
      'PUT',
      detailPath(model.model_id),
      editForm({ ...model, is_shared: false }, ['compact'], { description: 'still mine' }),
    );
    expect(res.status).toBe(200);
    expect(defaultsOf('root')).toContainEqual({ config_type: 'compact', model_id: model.id });
  });
});

describe('category or abilities change that would break a default: 409', () => {
  let model: RestModel;
  beforeAll(async () => {
    model = await submitCreate(
      carol,
      createForm({
        model_id: generatedId('vision', 'openai', 'carol'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 'gpt-4o',
        abilities: ['chat', 'vision'],
        default_config_types: ['general', 'visual'],
      }),
    );
    // An admin's default of carol's private model counts as much as hers.
    expect((await send(root, 'POST', '/api/models/user-default', { config_type: 'compact', model_id: model.id })).status).toBe(200);
  });

  it('dropping vision while it is the visual default: 409 naming visual, nothing changed', async () => {
    const res = await refusedUnchanged(() =>
      send(carol, 'PUT', detailPath(model.model_id), editForm(model, ['general', 'visual'], { abilities: ['chat'] })),
    );
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: categoryRefused('visual') });
  });

  it('a new category: 409 naming every default it breaks, in the table’s order; also with a matching If-Match', async () => {
    const res = await refusedUnchanged(() =>
      request(server.url, 'PUT', detailPath(model.model_id), {
        token: carol,
        headers: { 'If-Match': '"1"' },
        body: editForm(model, [], { category: 'embedding', abilities: ['embedding'] }),
      }),
    );
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: categoryRefused('general, compact, visual') });
  });

  it('the 409 comes before the sharing 403', async () => {
    const own = await submitCreate(
      alice,
      createForm({
        model_id: generatedId('embed', 'openai', 'alice'),
        category: 'embedding',
        model_provider: 'openai',
        model_name: 'e',
        abilities: ['embedding'],
        default_config_types: ['embedding'],
      }),
    );
    // alice is no admin: share_with_users true alone would be 403; with the breaking change the 409 wins.
    const res = await refusedUnchanged(() =>
      send(
        alice,
        'PUT',
        detailPath(own.model_id),
        editForm(own, ['embedding'], { category: 'llm', abilities: ['chat'], share_with_users: true }),
      ),
    );
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ detail: categoryRefused('embedding') });
  });

  it('GraphQL updateModel: the same refusal, CONFLICT', async () => {
    const res = await refusedUnchanged(() =>
      gql(
        server.url,
        'mutation($id: String!) { updateModel(modelId: $id, input: { abilities: ["chat"] }, expectedVersion: 1) { version } }',
        { id: model.model_id },
        carol,
      ),
    );
    expect(res.body.errors![0]).toMatchObject({ message: categoryRefused('visual'), extensions: { code: 'CONFLICT' } });
  });

  it('changes that keep every default fitting are stored: a new ability, the same set reordered', async () => {
    const added = await send(
      carol,
      'PUT',
      detailPath(model.model_id),
      editForm(model, ['general', 'visual'], { abilities: ['chat', 'vision', 'tool_calling'] }),
    );
    expect(added.status).toBe(200);
    expect(added.body.abilities).toEqual(['chat', 'vision', 'tool_calling']);
    const reordered = await send(carol, 'PUT', detailPath(model.model_id), { abilities: ['vision', 'tool_calling', 'chat'] });
    expect(reordered.status).toBe(200);
    expect(reordered.body.abilities).toEqual(['vision', 'tool_calling', 'chat']);
  });

  it('once the visual default moves, dropping vision is allowed', async () => {
    expect((await send(carol, 'DELETE', '/api/models/user-default/visual')).status).toBe(200);
    const res = await send(carol, 'PUT', detailPath(model.model_id), { abilities: ['chat'] });
    expect(res.status).toBe(200);
    expect(res.body.abilities).toEqual(['chat']);
  });
});

describe('a default set while the model changes: never both', () => {
  it('setting visual while vision is dropped: either the default or the change is refused, never a default that does not fit', async () => {
    const model = await submitCreate(
      carol,
      createForm({
        model_id: generatedId('race-vision', 'openai', 'carol'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 'v',
        abilities: ['chat'],
        default_config_types: [],
      }),
    );
    for (let round = 0; round < 12; round++) {
      expect((await send(carol, 'PUT', detailPath(model.model_id), { abilities: ['chat', 'vision'] })).status).toBe(200);
      // Several sets around the one change, so that some of them straddle it.
      const answers = await Promise.all([
        ...Array.from({ length: 3 }, () => send(carol, 'POST', '/api/models/user-default', { config_type: 'visual', model_id: model.id })),
        send(carol, 'PUT', detailPath(model.model_id), { abilities: ['chat'] }),
        ...Array.from({ length: 3 }, () => send(carol, 'POST', '/api/models/user-default', { config_type: 'visual', model_id: model.id })),
      ]);
      const change = answers[3]!;
      const sets = answers.filter((_, i) => i !== 3);
      for (const set of sets) expect([200, 400]).toContain(set.status);
      expect([200, 409]).toContain(change.status);
      const hasVision = String(storedModel(model.model_id)!.abilities).includes('"vision"');
      const visual = defaultsOf('carol').filter((row) => row.config_type === 'visual' && row.model_id === model.id);
      // A stored visual default means the model kept vision (the change was refused).
      if (visual.length > 0) expect({ hasVision, change: change.status }).toEqual({ hasVision: true, change: 409 });
      // The change went through: no set left a visual default (one before it would have stopped it; one during or after it gives way).
      if (change.status === 200) expect(visual).toEqual([]);
      await send(carol, 'DELETE', '/api/models/user-default/visual');
    }
  });

  it('setting a default while deleting the model, in two tabs: never both (a 409, or a 404 for the set)', async () => {
    for (let round = 0; round < 8; round++) {
      const model = await submitCreate(
        carol,
        createForm({
          model_id: generatedId('race-delete', 'openai', 'carol'),
          category: 'llm',
          model_provider: 'openai',
          model_name: 'd',
          abilities: ['chat'],
          default_config_types: [],
        }),
      );
      const [set, del] = await Promise.all([
        send(carol, 'POST', '/api/models/user-default', { config_type: 'small_fast', model_id: model.id }),
        send(carol, 'DELETE', detailPath(model.model_id)),
      ]);
      expect([set.status, del.status].sort()).toEqual(set.status === 200 ? [200, 409] : [200, 404]);
      if (del.status === 200) expect(storedModel(model.model_id)).toBeUndefined();
      else expect(defaultsOf('carol')).toContainEqual({ config_type: 'small_fast', model_id: model.id });
      await send(carol, 'DELETE', '/api/models/user-default/small_fast');
    }
  });

  it('another user setting a default while the owner un-shares: no default left on a model they no longer see', async () => {
    const model = await submitCreate(
      root,
      createForm({
        model_id: generatedId('race-share', 'openai', 'root'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 's',
        abilities: ['chat'],
        default_config_types: [],
        share_with_users: true,
      }),
    );
    for (let round = 0; round < 12; round++) {
      if (round > 0) expect((await send(root, 'PUT', detailPath(model.model_id), { share_with_users: true })).status).toBe(200);
      const [set, unshare] = await Promise.all([
        send(bob, 'POST', '/api/models/user-default', { config_type: 'compact', model_id: model.id }),
        send(root, 'PUT', detailPath(model.model_id), { share_with_users: false }),
      ]);
      expect([200, 404]).toContain(set.status);
      expect(unshare.status).toBe(200);
      expect(defaultsOf('bob').filter((row) => row.model_id === model.id)).toEqual([]);
    }
  });
});

describe('organisation defaults, as the page shows them', () => {
  it('a user with none sees the admin’s shared default, marked inherited, with the model as they see it', async () => {
    const model = await submitCreate(
      root,
      createForm({
        model_id: generatedId('org-embed', 'openai', 'root'),
        category: 'embedding',
        model_provider: 'openai',
        model_name: 'text-embedding-3-small',
        abilities: ['embedding'],
        default_config_types: ['embedding'],
        share_with_users: true,
      }),
    );
    const dave = tokenFor('dave');
    const res = await send(dave, 'GET', '/api/models/user-default');
    expect(res.status).toBe(200);
    const entry = (res.body as Record<string, any>[]).find((item) => item.config_type === 'embedding')!;
    expect(entry).toMatchObject({ user_id: 'root', model_id: model.id, inherited: true });
    expect(entry.model).toMatchObject({ id: model.id, is_owner: false, can_edit: false, can_delete: false, is_shared: true });
    // Not dave's own: the per-type read is null and it cannot be deleted by dave.
    expect((await send(dave, 'GET', '/api/models/default/embedding')).text).toBe('null');
    expect((await send(dave, 'DELETE', '/api/models/user-default/embedding')).status).toBe(404);
  });
});

describe('bad inputs the page could send: the documented status, nothing stored', () => {
  it('a numeric id of a model the caller may not see: 404', async () => {
    const hidden = await submitCreate(
      bob,
      createForm({
        model_id: generatedId('hidden', 'openai', 'bob'),
        category: 'llm',
        model_provider: 'openai',
        model_name: 'h',
        abilities: ['chat'],
        default_config_types: [],
      }),
    );
    const res = await refusedUnchanged(() =>
      send(carol, 'POST', '/api/models/user-default', { config_type: 'general', model_id: hidden.id }),
    );
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Model not found' });
  });

  it('a numeric id of a model that does not fit: 400', async () => {
    const image = await submitCreate(
      carol,
      createForm({
        model_id: generatedId('img', 'dashscope', 'carol'),
        category: 'image',
        model_provider: 'dashscope',
        model_name: 'wanx',
        abilities: ['generate'],
        default_config_types: [],
      }),
    );
    const res = await refusedUnchanged(() =>
      send(carol, 'POST', '/api/models/user-default', { config_type: 'image_edit', model_id: image.id }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail: "Config type 'image_edit' is incompatible with model category 'image'" });
  });

  it('a config type the gateway does not know (an older or newer page): 422 in the body and on the path', async () => {
    const model = Object.values(await listed(carol))[0]!;
    const res = await refusedUnchanged(() => send(carol, 'POST', '/api/models/user-default', { config_type: 'fast', model_id: model.id }));
    expect(res.status).toBe(422);
    expect(res.body.detail[0]).toMatchObject({ loc: ['body', 'config_type'], type: 'value_error' });
    const del = await refusedUnchanged(() => send(carol, 'DELETE', '/api/models/user-default/fast'));
    expect(del.status).toBe(422);
    expect(del.body.detail[0]).toMatchObject({ loc: ['path', 'config_type'] });
  });

  it.each([
    ['the id as a numeric string names no model_id', '12', 404],
    ['a negative id', -3, 422],
    ['a fractional id', 2.5, 422],
    ['null', null, 422],
    ['a list of ids', [1], 422],
  ])('%s: %s', async (_name, modelId, status) => {
    const res = await refusedUnchanged(() =>
      send(carol, 'POST', '/api/models/user-default', { config_type: 'general', model_id: modelId }),
    );
    expect(res.status).toBe(status);
    if (status === 422) expect(res.body.detail[0].loc).toEqual(['body', 'model_id']);
  });
});
