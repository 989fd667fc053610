/**
 * Default models over REST (`/api/models/user-default`, `/api/models/default/{type}`): exact
 * bodies, texts and statuses, organisation defaults inherited from admins, every bad input with
 * nothing stored, and two requests racing on one default. Real server, real JWTs, on whichever
 * database the run uses (SQLite, or PostgreSQL with TEST_DATABASE_URL).
 */
import { request, REST_KEYS } from './helpers/http';
import { startServer, type RunningServer, type TestDb } from './helpers/server';
import { tokenFor } from './helpers/tokens';

const alice = tokenFor('alice');
const bob = tokenFor('bob');
const carol = tokenFor('carol');
const root = tokenFor('root', { admin: true });

const VALID_TYPES =
  'general, small_fast, compact, visual, embedding, image, image_edit, video, asr, tts, speech, rerank, music, sound_effect';
const ENTRY_KEYS = ['config_type', 'created_at', 'id', 'model_id', 'updated_at', 'user_id'];
const LISTED_KEYS = [...ENTRY_KEYS, 'inherited', 'model'].sort();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let server: RunningServer;
let db: TestDb;
/** Numeric id of each model created in beforeAll, by model_id. */
const ids: Record<string, number> = {};

async function create(token: string, modelId: string, body: Record<string, unknown> = {}): Promise<void> {
  const res = await request(server.url, 'POST', '/api/models', {
    token,
    body: { model_id: modelId, model_provider: 'openai', model_name: modelId, ...body },
  });
  expect(res.status).toBe(200);
  ids[modelId] = res.body.id;
}

const setDefault = (token: string, body: unknown) => request(server.url, 'POST', '/api/models/user-default', { token, body });
const listDefaults = (token: string) => request(server.url, 'GET', '/api/models/user-default', { token });

function storedDefaults(userId?: string): { user_id: string; config_type: string; model_id: number }[] {
  const sql = 'SELECT user_id, config_type, model_id FROM user_default_models';
  const rows = (userId ? db.prepare(`${sql} WHERE user_id = ? ORDER BY id`).all(userId) : db.prepare(`${sql} ORDER BY id`).all()) as {
    user_id: string;
    config_type: string;
    model_id: number;
  }[];
  return rows.map((row) => ({ ...row, model_id: Number(row.model_id) }));
}

beforeAll(async () => {
  server = await startServer();
  db = server.db();
  await create(alice, 'alice-llm');
  await create(alice, 'alice-llm-2');
  await create(alice, 'alice-vision', { abilities: ['chat', 'vision'] });
  await create(alice, 'alice-embed', { category: 'embedding', abilities: ['embedding'] });
  await create(alice, 'alice-asr', { category: 'speech', abilities: ['asr'] });
  await create(alice, 'alice-speech', { category: 'speech', abilities: ['tts', 'asr'] });
  await create(alice, 'alice-image', { category: 'image', abilities: ['generate'] });
  await create(alice, 'alice-image-edit', { category: 'image', abilities: ['generate', 'edit'] });
  await create(alice, 'alice-inactive');
  await create(bob, 'bob-private');
  await create(root, 'root-shared', { share_with_users: true });
  await create(root, 'root-private');
  const off = await request(server.url, 'POST', '/graphql', {
    token: alice,
    body: { query: 'mutation { setModelActive(modelId: "alice-inactive", active: false) { isActive } }' },
  });
  expect(off.body).toEqual({ data: { setModelActive: { isActive: false } } });
}, 60_000);

afterAll(async () => {
  db?.close();
  await server?.stop();
});

describe('setting and reading one default', () => {
  it('a signed-in caller with no defaults gets []', async () => {
    const res = await listDefaults(carol);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('POST with a numeric model_id sets the default: 200 with exactly the entry keys', async () => {
    const res = await setDefault(alice, { model_id: ids['alice-llm'], config_type: 'general' });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(ENTRY_KEYS);
    expect(res.body).toMatchObject({ user_id: 'alice', model_id: ids['alice-llm'], config_type: 'general' });
    expect(Number.isInteger(res.body.id)).toBe(true);
    expect(res.body.created_at).toMatch(ISO);
    expect(res.body.updated_at).toMatch(ISO);
    expect(storedDefaults('alice')).toEqual([{ user_id: 'alice', config_type: 'general', model_id: ids['alice-llm'] }]);
  });

  it('POST with a string model_id (the public id) replaces it: same row, new model, created_at kept', async () => {
    const before = (await listDefaults(alice)).body[0];
    const res = await setDefault(alice, { model_id: 'alice-llm-2', config_type: 'general' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: before.id, user_id: 'alice', model_id: ids['alice-llm-2'], config_type: 'general' });
    expect(res.body.created_at).toBe(before.created_at);
    expect(storedDefaults('alice')).toEqual([{ user_id: 'alice', config_type: 'general', model_id: ids['alice-llm-2'] }]);
  });

  it('GET /user-default/{config_type}: the entry with the REST model body', async () => {
    const res = await request(server.url, 'GET', '/api/models/user-default/general', { token: alice });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(LISTED_KEYS);
    expect(res.body).toMatchObject({ user_id: 'alice', model_id: ids['alice-llm-2'], config_type: 'general', inherited: false });
    expect(Object.keys(res.body.model).sort()).toEqual(REST_KEYS);
    expect(res.body.model).toMatchObject({ id: ids['alice-llm-2'], model_id: 'alice-llm-2', is_owner: true, can_edit: true });
    const none = await request(server.url, 'GET', '/api/models/user-default/compact', { token: alice });
    expect(none.status).toBe(200);
    expect(none.text).toBe('null');
  });

  it('the model body never carries the api_key', async () => {
    await create(alice, 'alice-keyed', { api_key: 'sk-secret-default-key' });
    expect((await setDefault(alice, { model_id: 'alice-keyed', config_type: 'compact' })).status).toBe(200);
    const one = await request(server.url, 'GET', '/api/models/user-default/compact', { token: alice });
    const all = await listDefaults(alice);
    expect(one.text + all.text).not.toContain('sk-secret-default-key');
    expect((await request(server.url, 'DELETE', '/api/models/user-default/compact', { token: alice })).status).toBe(200);
  });

  it('DELETE removes it (200 message), a second DELETE is 404', async () => {
    expect((await setDefault(alice, { model_id: 'alice-llm', config_type: 'compact' })).status).toBe(200);
    const res = await request(server.url, 'DELETE', '/api/models/user-default/compact', { token: alice });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Default configuration deleted successfully' });
    expect(storedDefaults('alice').map((row) => row.config_type)).toEqual(['general']);
    const again = await request(server.url, 'DELETE', '/api/models/user-default/compact', { token: alice });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ detail: 'Default configuration not found' });
  });

  it('a default of one user is not another user’s', async () => {
    const res = await request(server.url, 'GET', '/api/models/user-default/general', { token: bob });
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    expect((await request(server.url, 'DELETE', '/api/models/user-default/general', { token: bob })).status).toBe(404);
    expect(storedDefaults('alice').map((row) => row.config_type)).toEqual(['general']);
  });
});

describe('the compatibility table', () => {
  it.each([
    ['visual', 'alice-vision'],
    ['embedding', 'alice-embed'],
    ['asr', 'alice-asr'],
    ['asr', 'alice-speech'],
    ['tts', 'alice-speech'],
    ['speech', 'alice-speech'],
    ['image', 'alice-image'],
    ['image_edit', 'alice-image-edit'],
    ['small_fast', 'alice-vision'],
  ])('%s accepts %s', async (configType, modelId) => {
    const res = await setDefault(alice, { model_id: modelId, config_type: configType });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ config_type: configType, model_id: ids[modelId] });
  });

  it('GET lists one entry per type in the table’s order, whatever order they were set in', async () => {
    const res = await listDefaults(alice);
    expect(res.status).toBe(200);
    expect(res.body.map((entry: { config_type: string }) => entry.config_type)).toEqual([
      'general',
      'small_fast',
      'visual',
      'embedding',
      'image',
      'image_edit',
      'asr',
      'tts',
      'speech',
    ]);
    for (const entry of res.body) {
      expect(Object.keys(entry).sort()).toEqual(LISTED_KEYS);
      expect(entry.inherited).toBe(false);
      expect(entry.model.id).toBe(entry.model_id);
    }
  });

  it('/default/{type} answers each type’s own model; hyphen, underscore and llm aliases', async () => {
    const cases: [string, string | null][] = [
      ['general', 'alice-llm-2'],
      ['llm', 'alice-llm-2'],
      ['small-fast', 'alice-vision'],
      ['small_fast', 'alice-vision'],
      ['visual', 'alice-vision'],
      ['embedding', 'alice-embed'],
      ['image-edit', 'alice-image-edit'],
      ['image_edit', 'alice-image-edit'],
      ['asr', 'alice-speech'],
      ['speech', 'alice-speech'],
      ['compact', null],
      ['video', null],
      ['sound-effect', null],
    ];
    for (const [type, modelId] of cases) {
      const res = await request(server.url, 'GET', `/api/models/default/${type}`, { token: alice });
      expect([type, res.status]).toEqual([type, 200]);
      if (modelId === null) {
        expect([type, res.text]).toEqual([type, 'null']);
      } else {
        expect(Object.keys(res.body).sort()).toEqual(REST_KEYS);
        expect([type, res.body.model_id]).toEqual([type, modelId]);
      }
    }
  });

  it('/default/{type} and /user-default/{type} refuse an unknown type with 422 on the path', async () => {
    const res = await request(server.url, 'GET', '/api/models/default/nope', { token: alice });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [{ loc: ['path', 'type'], msg: `Invalid config_type: nope. Valid types are: ${VALID_TYPES}`, type: 'value_error' }],
    });
    for (const method of ['GET', 'DELETE']) {
      const one = await request(server.url, method, '/api/models/user-default/nope', { token: alice });
      expect(one.status).toBe(422);
      expect(one.body.detail[0].loc).toEqual(['path', 'config_type']);
    }
  });
});

describe('bad input: its status, and nothing stored', () => {
  const cases: [string, unknown, number, unknown][] = [
    [
      'an unknown config_type',
      { model_id: 'alice-llm', config_type: 'bogus' },
      422,
      {
        detail: [{ loc: ['body', 'config_type'], msg: `Invalid config_type: bogus. Valid types are: ${VALID_TYPES}`, type: 'value_error' }],
      },
    ],
    [
      'a hyphenated config_type (the body takes the names)',
      { model_id: 'alice-llm', config_type: 'small-fast' },
      422,
      {
        detail: [
          { loc: ['body', 'config_type'], msg: `Invalid config_type: small-fast. Valid types are: ${VALID_TYPES}`, type: 'value_error' },
        ],
      },
    ],
    [
      'config_type missing',
      { model_id: 'alice-llm' },
      422,
      { detail: [{ loc: ['body', 'config_type'], msg: 'Field required', type: 'missing' }] },
    ],
    [
      'config_type a number',
      { model_id: 'alice-llm', config_type: 3 },
      422,
      { detail: [{ loc: ['body', 'config_type'], msg: 'Input should be a valid string', type: 'string_type' }] },
    ],
    ["another user's private model, by id", { model_id: 'bob-private', config_type: 'compact' }, 404, { detail: 'Model not found' }],
    ['an admin’s unshared model', { model_id: 'root-private', config_type: 'compact' }, 404, { detail: 'Model not found' }],
    ['a model that does not exist', { model_id: 'no-such-model', config_type: 'compact' }, 404, { detail: 'Model not found' }],
    ['a numeric id no model has', { model_id: 987654, config_type: 'compact' }, 404, { detail: 'Model not found' }],
    ['a numeric id past any column', { model_id: 2 ** 40, config_type: 'compact' }, 404, { detail: 'Model not found' }],
    ['an empty string', { model_id: '', config_type: 'compact' }, 404, { detail: 'Model not found' }],
    ['a string with NUL', { model_id: 'alice\u0000llm', config_type: 'compact' }, 404, { detail: 'Model not found' }],
    [
      'an embedding model as general',
      { model_id: 'alice-embed', config_type: 'general' },
      400,
      { detail: "Config type 'general' is incompatible with model category 'embedding'" },
    ],
    [
      'an llm without vision as visual (only an ability missing)',
      { model_id: 'alice-llm', config_type: 'visual' },
      400,
      { detail: "Config type 'visual' is incompatible with model category 'llm'" },
    ],
    [
      'an asr-only model as speech',
      { model_id: 'alice-asr', config_type: 'speech' },
      400,
      { detail: "Config type 'speech' is incompatible with model category 'speech'" },
    ],
    [
      'an image model without edit as image_edit',
      { model_id: 'alice-image', config_type: 'image_edit' },
      400,
      { detail: "Config type 'image_edit' is incompatible with model category 'image'" },
    ],
    [
      'an llm as rerank',
      { model_id: 'alice-llm', config_type: 'rerank' },
      400,
      { detail: "Config type 'rerank' is incompatible with model category 'llm'" },
    ],
    [
      'a non-integer number',
      { model_id: 1.5, config_type: 'compact' },
      422,
      {
        detail: [
          {
            loc: ['body', 'model_id'],
            msg: 'Input should be a valid integer, got a number with a fractional part',
            type: 'int_from_float',
          },
        ],
      },
    ],
    [
      'a negative id',
      { model_id: -1, config_type: 'compact' },
      422,
      { detail: [{ loc: ['body', 'model_id'], msg: 'Input should be greater than 0', type: 'greater_than' }] },
    ],
    [
      'zero',
      { model_id: 0, config_type: 'compact' },
      422,
      { detail: [{ loc: ['body', 'model_id'], msg: 'Input should be greater than 0', type: 'greater_than' }] },
    ],
    ...[true, false, [1], null, { id: 1 }].map((value): [string, unknown, number, unknown] => [
      `model_id ${JSON.stringify(value)}`,
      { model_id: value, config_type: 'compact' },
      422,
      { detail: [{ loc: ['body', 'model_id'], msg: 'Input should be a valid integer or string', type: 'int_type' }] },
    ]),
    [
      'model_id missing',
      { config_type: 'compact' },
      422,
      { detail: [{ loc: ['body', 'model_id'], msg: 'Field required', type: 'missing' }] },
    ],
    [
      'both wrong: every issue at once',
      { model_id: true, config_type: 'x' },
      422,
      {
        detail: [
          { loc: ['body', 'config_type'], msg: `Invalid config_type: x. Valid types are: ${VALID_TYPES}`, type: 'value_error' },
          { loc: ['body', 'model_id'], msg: 'Input should be a valid integer or string', type: 'int_type' },
        ],
      },
    ],
    [
      'a JSON array body',
      [{ model_id: 1, config_type: 'general' }],
      422,
      {
        detail: [
          { loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' },
        ],
      },
    ],
  ];

  it.each(cases)('%s', async (_name, body, status, expected) => {
    const before = storedDefaults();
    const res = await setDefault(alice, body);
    expect(res.status).toBe(status);
    expect(res.body).toEqual(expected);
    expect(storedDefaults()).toEqual(before);
  });

  it('a body that is not JSON, or empty: 422', async () => {
    const before = storedDefaults();
    const broken = await request(server.url, 'POST', '/api/models/user-default', { token: alice, rawBody: '{"model_id": 1,' });
    expect(broken.status).toBe(422);
    expect(broken.body).toEqual({ detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
    const empty = await request(server.url, 'POST', '/api/models/user-default', { token: alice, rawBody: '' });
    expect(empty.status).toBe(422);
    expect(empty.body).toEqual({ detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] });
    expect(storedDefaults()).toEqual(before);
  });

  it('no token or a bad one: 401 on every path, before the body is looked at', async () => {
    const paths: [string, string][] = [
      ['GET', '/api/models/user-default'],
      ['POST', '/api/models/user-default'],
      ['GET', '/api/models/user-default/general'],
      ['DELETE', '/api/models/user-default/general'],
      ['GET', '/api/models/default/general'],
    ];
    for (const [method, path] of paths) {
      const none = await request(server.url, method, path, { rawBody: method === 'POST' ? '{broken' : undefined });
      expect([method, path, none.status]).toEqual([method, path, 401]);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(none.body).toEqual({ detail: 'Not authenticated' });
      const bad = await request(server.url, method, path, {
        token: tokenFor('alice', { secret: 'another-secret-another-secret-0123456789' }),
      });
      expect([method, path, bad.status]).toEqual([method, path, 401]);
    }
    expect(storedDefaults('alice').map((row) => row.config_type)).not.toContain('compact');
  });
});

describe('inactive models', () => {
  it('may be chosen, and are not reported while inactive', async () => {
    const res = await setDefault(alice, { model_id: ids['alice-inactive'], config_type: 'compact' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ config_type: 'compact', model_id: ids['alice-inactive'] });
    expect(storedDefaults('alice').map((row) => row.config_type)).toContain('compact');
    const list = await listDefaults(alice);
    expect(list.body.map((entry: { config_type: string }) => entry.config_type)).not.toContain('compact');
    expect((await request(server.url, 'GET', '/api/models/user-default/compact', { token: alice })).text).toBe('null');
    expect((await request(server.url, 'GET', '/api/models/default/compact', { token: alice })).text).toBe('null');
  });

  it('are reported again once active', async () => {
    const on = await request(server.url, 'POST', '/graphql', {
      token: alice,
      body: { query: 'mutation { setModelActive(modelId: "alice-inactive", active: true) { isActive } }' },
    });
    expect(on.body).toEqual({ data: { setModelActive: { isActive: true } } });
    const one = await request(server.url, 'GET', '/api/models/user-default/compact', { token: alice });
    expect(one.body).toMatchObject({ config_type: 'compact', model_id: ids['alice-inactive'], inherited: false });
    expect((await request(server.url, 'DELETE', '/api/models/user-default/compact', { token: alice })).status).toBe(200);
  });
});

describe('organisation defaults inherited from admins', () => {
  it('an admin’s default on a shared, active model is reported to users who have none of that type', async () => {
    const set = await setDefault(root, { model_id: 'root-shared', config_type: 'general' });
    expect(set.status).toBe(200);
    const setCompact = await setDefault(root, { model_id: ids['root-shared'], config_type: 'compact' });
    expect(setCompact.status).toBe(200);

    const res = await listDefaults(carol);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(2);
    expect(res.body.map((entry: { config_type: string }) => entry.config_type)).toEqual(['general', 'compact']);
    const [general] = res.body;
    expect(Object.keys(general).sort()).toEqual(LISTED_KEYS);
    expect(general).toMatchObject({
      id: set.body.id,
      user_id: 'root',
      model_id: ids['root-shared'],
      config_type: 'general',
      inherited: true,
    });
    // The model body is the caller's view: carol neither owns nor may edit it.
    expect(general.model).toMatchObject({ model_id: 'root-shared', is_owner: false, can_edit: false, can_delete: false, is_shared: true });
  });

  it('the caller’s own default of a type wins over the organisation’s', async () => {
    const res = await listDefaults(alice);
    const general = res.body.find((entry: { config_type: string }) => entry.config_type === 'general');
    expect(general).toMatchObject({ user_id: 'alice', inherited: false, model_id: ids['alice-llm-2'] });
    const compact = res.body.find((entry: { config_type: string }) => entry.config_type === 'compact');
    expect(compact).toMatchObject({ user_id: 'root', inherited: true });
  });

  it('inherited defaults are not the caller’s own: GET one and /default/{type} answer null, DELETE 404', async () => {
    expect((await request(server.url, 'GET', '/api/models/user-default/general', { token: carol })).text).toBe('null');
    expect((await request(server.url, 'GET', '/api/models/default/general', { token: carol })).text).toBe('null');
    expect((await request(server.url, 'DELETE', '/api/models/user-default/general', { token: carol })).status).toBe(404);
    expect(storedDefaults('root').map((row) => row.config_type)).toEqual(['general', 'compact']);
  });

  it('a non-admin’s default on a shared model, or an admin’s on an unshared one, is nobody else’s', async () => {
    expect((await setDefault(bob, { model_id: 'root-shared', config_type: 'small_fast' })).status).toBe(200);
    expect((await setDefault(root, { model_id: 'root-private', config_type: 'rerank' })).status).toBe(400);
    expect((await setDefault(root, { model_id: 'root-private', config_type: 'visual' })).status).toBe(400);
    await create(root, 'root-private-vision', { abilities: ['vision'] });
    expect((await setDefault(root, { model_id: 'root-private-vision', config_type: 'visual' })).status).toBe(200);
    const res = await listDefaults(carol);
    expect(res.body.map((entry: { config_type: string }) => entry.config_type)).toEqual(['general', 'compact']);
  });

  it('an admin may set a default on any model they see, including another user’s private one', async () => {
    const res = await setDefault(root, { model_id: 'bob-private', config_type: 'small_fast' });
    expect(res.status).toBe(200);
    // Not shared: not an organisation default.
    expect((await listDefaults(carol)).body.map((entry: { config_type: string }) => entry.config_type)).toEqual(['general', 'compact']);
  });
});

describe('fixed paths win over model ids', () => {
  it('GET /api/models/user-default lists defaults; PUT and /by-id reach the model named so', async () => {
    await create(alice, 'user-default');
    const list = await listDefaults(alice);
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    const put = await request(server.url, 'PUT', '/api/models/user-default', { token: alice, body: { description: 'a model' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ model_id: 'user-default', description: 'a model' });
    const byId = await request(server.url, 'GET', '/api/models/by-id/user-default', { token: alice });
    expect(byId.status).toBe(200);
    expect(byId.body.model_id).toBe('user-default');
    const del = await request(server.url, 'DELETE', '/api/models/user-default', { token: alice });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ message: 'Model deleted successfully' });
  });
});

describe('deleting a model removes the defaults that point at it', () => {
  it('another user’s default goes with the model (same statement: ON DELETE CASCADE)', async () => {
    await create(root, 'root-shared-gone', { share_with_users: true });
    expect((await setDefault(carol, { model_id: 'root-shared-gone', config_type: 'small_fast' })).status).toBe(200);
    expect(storedDefaults('carol')).toEqual([{ user_id: 'carol', config_type: 'small_fast', model_id: ids['root-shared-gone'] }]);
    const del = await request(server.url, 'DELETE', '/api/models/root-shared-gone', { token: root });
    expect(del.status).toBe(200);
    expect(storedDefaults('carol')).toEqual([]);
  });
});

describe('two requests setting one default at once', () => {
  it('end in one row and no 500, for a user with no row yet and for one replacing it', async () => {
    for (const user of ['dave', 'erin']) {
      const token = tokenFor(user);
      await create(token, `${user}-a`);
      await create(token, `${user}-b`);
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            setDefault(token, { model_id: i % 2 === 0 ? `${user}-a` : ids[`${user}-b`], config_type: 'general' }),
          ),
        );
        expect(results.map((res) => res.status)).toEqual(Array(8).fill(200));
        const rows = storedDefaults(user);
        expect(rows).toHaveLength(1);
        expect([ids[`${user}-a`], ids[`${user}-b`]]).toContain(rows[0]!.model_id);
        // Every answer names the one row.
        expect(new Set(results.map((res) => res.body.id)).size).toBe(1);
      }
    }
  });

  it('a set racing a clear ends with zero or one row, and no 500', async () => {
    const token = tokenFor('frank');
    await create(token, 'frank-a');
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([
        setDefault(token, { model_id: 'frank-a', config_type: 'general' }),
        request(server.url, 'DELETE', '/api/models/user-default/general', { token }),
        setDefault(token, { model_id: 'frank-a', config_type: 'general' }),
        request(server.url, 'DELETE', '/api/models/user-default/general', { token }),
      ]);
      for (const res of results) expect([200, 404]).toContain(res.status);
      expect(storedDefaults('frank').length).toBeLessThanOrEqual(1);
    }
  });
});
