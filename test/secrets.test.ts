/**
 * The api_key never leaves: not in any response (bodies, headers, errors, lists, either transport),
 * not in the database file in plaintext, not in a log line; refused inputs that carry a key do not
 * echo it; a ciphertext that does not open (tampered, or copied from another row) is logged without
 * a value and replaced by the next update that supplies a key.
 */
import fs from 'node:fs';
import { admin, alice, bob } from './helpers/tokens';
import { gql, MODEL_FIELDS, REST_KEYS, request, type HttpResult, type RequestOptions } from './helpers/http';
import { itPostgresOnly, itSqliteOnly, startServer, storedAtRest, type RunningServer } from './helpers/server';
import { createModelAnswer } from './helpers/models';

let server: RunningServer;

/** Every plaintext key this file sends; checked against every response, the DB file and the logs. */
const KEYS: string[] = [];
/** Everything every response carried: status line, headers and body text. */
const RESPONSES: string[] = [];

let keyCounter = 0;
/** A distinctive key that appears nowhere else. */
function newKey(label: string): string {
  keyCounter += 1;
  const key = `sk-LEAKCHECK-${label}-${keyCounter}-Qx7vJ2mZp9`;
  KEYS.push(key);
  return key;
}

let idCounter = 0;
const newId = (label: string) => `secrets-${label}-${++idCounter}`;

function record(res: HttpResult): void {
  const headers: string[] = [];
  res.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
  RESPONSES.push(`${res.status}\n${headers.join('\n')}\n\n${res.text}`);
}

async function rest(method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const res = await request(server.url, method, path, options);
  record(res);
  return res;
}

async function graphql(query: string, variables: Record<string, unknown> | undefined, token: string | undefined): Promise<HttpResult> {
  const res = await gql(server.url, query, variables, token);
  record(res);
  return res;
}

/** The whole response (headers too) carries none of the given keys. */
function expectNoKeyIn(res: HttpResult, ...keys: string[]): void {
  const headers: string[] = [];
  res.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
  for (const key of keys) {
    expect(res.text).not.toContain(key);
    expect(headers.join('\n')).not.toContain(key);
  }
}

function expectNoKeyInLogs(...keys: string[]): void {
  const logs = server.logs();
  for (const key of keys) expect(logs).not.toContain(key);
}

type Row = Record<string, unknown>;

function rowOf(modelId: string): Row | undefined {
  const db = server.db();
  try {
    return db.prepare('SELECT * FROM models WHERE model_id = ?').get(modelId) as Row | undefined;
  } finally {
    db.close();
  }
}

function setCiphertext(modelId: string, value: string): void {
  const db = server.db();
  try {
    const info = db.prepare('UPDATE models SET api_key_encrypted = ? WHERE model_id = ?').run(value, modelId);
    expect(info.changes).toBe(1);
  } finally {
    db.close();
  }
}

/** Flips one character in the ciphertext part of `v1.<keyId>.<iv>.<tag>.<ciphertext>` (any part would do). */
function tamper(sealed: string): string {
  const parts = sealed.split('.');
  const last = parts[parts.length - 1]!;
  const flipped = last[0] === 'A' ? 'B' : 'A';
  parts[parts.length - 1] = flipped + last.slice(1);
  const result = parts.join('.');
  expect(result).not.toBe(sealed);
  return result;
}

/** An OpenAI model created over REST (shared createModel); its answer is recorded like every other. */
async function createRest(token: string, body: Record<string, unknown>): Promise<HttpResult> {
  const res = await createModelAnswer(server, { model_provider: 'openai', model_name: 'gpt-4o', ...body }, { token });
  record(res);
  return res;
}

const HAS_KEY = `query ($id: String!) { model(modelId: $id) { hasApiKey version } }`;

async function hasApiKey(modelId: string, token = alice()): Promise<boolean> {
  const res = await graphql(HAS_KEY, { id: modelId }, token);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.model.hasApiKey;
}

const CREATE = `mutation ($input: CreateModelInput!) { createModel(input: $input) { ${MODEL_FIELDS} } }`;
const UPDATE = `mutation ($id: String!, $input: UpdateModelInput!, $v: Int) { updateModel(modelId: $id, input: $input, expectedVersion: $v) { ${MODEL_FIELDS} } }`;

/** New log lines written while `fn` ran. */
async function logLinesDuring(fn: () => Promise<void>): Promise<Row[]> {
  const before = server.logs().length;
  await fn();
  await new Promise((resolve) => setTimeout(resolve, 200)); // pino writes asynchronously to the pipe
  return server
    .logs()
    .slice(before)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Row;
      } catch {
        return { unparsed: line };
      }
    });
}

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

describe('create and update never return the key', () => {
  it('REST create with a key: the body has exactly the REST keys and no key; the row holds a ciphertext', async () => {
    const id = newId('rest-create');
    const key = newKey('rest-create');
    const res = await createRest(alice(), { model_id: id, api_key: key });
    expect(Object.keys(res.body).sort()).toEqual(REST_KEYS);
    expectNoKeyIn(res, key);
    const row = rowOf(id)!;
    expect(typeof row.api_key_encrypted).toBe('string');
    expect(row.api_key_encrypted).not.toContain(key);
    expect(row.api_key_encrypted).not.toContain(Buffer.from(key).toString('base64'));
    expect(row.api_key_encrypted).not.toContain(Buffer.from(key).toString('base64url'));
    expect(await hasApiKey(id)).toBe(true);
  });

  it('REST create via /api/models/register with a key', async () => {
    const id = newId('rest-register');
    const key = newKey('rest-register');
    const res = await rest('POST', '/api/models/register', {
      token: alice(),
      body: { model_id: id, model_provider: 'openai', model_name: 'gpt-4o', api_key: key },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(REST_KEYS);
    expectNoKeyIn(res, key);
    expect(await hasApiKey(id)).toBe(true);
  });

  it('REST update with a new key: replaced, version bumped, nothing echoed (plain and by-id paths)', async () => {
    const id = newId('rest-update/with-slash');
    const first = newKey('rest-update-1');
    const second = newKey('rest-update-2');
    await createRest(alice(), { model_id: id, api_key: first });
    const before = rowOf(id)!;

    const res = await rest('PUT', `/api/models/by-id/${id}`, { token: alice(), body: { api_key: second } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(REST_KEYS);
    expect(res.headers.get('etag')).toBe('"2"');
    expectNoKeyIn(res, first, second);
    const after = rowOf(id)!;
    expect(after.version).toBe(2);
    expect(after.api_key_encrypted).not.toBe(before.api_key_encrypted);

    const third = newKey('rest-update-3');
    const plain = await rest('PUT', `/api/models/${encodeURIComponent(id)}`, { token: alice(), body: { api_key: third } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('etag')).toBe('"3"');
    expectNoKeyIn(plain, first, second, third);

    // The same key again is no change: proof the stored ciphertext opens to exactly that key.
    const same = await rest('PUT', `/api/models/by-id/${id}`, { token: alice(), body: { api_key: third } });
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe('"3"');
    expect(rowOf(id)!.version).toBe(3);
  });

  it('GraphQL create and update with a key: data and the whole response carry no key', async () => {
    const id = newId('gql');
    const first = newKey('gql-create');
    const created = await graphql(CREATE, { input: { modelId: id, modelProvider: 'openai', modelName: 'gpt-4o', apiKey: first } }, alice());
    expect(created.status).toBe(200);
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data.createModel).toEqual(expect.objectContaining({ modelId: id, hasApiKey: true, version: 1 }));
    expect(Object.keys(created.body.data.createModel)).not.toContain('apiKey');
    expectNoKeyIn(created, first);

    const second = newKey('gql-update');
    const updated = await graphql(UPDATE, { id, input: { apiKey: second }, v: 1 }, alice());
    expect(updated.status).toBe(200);
    expect(updated.body.errors).toBeUndefined();
    expect(updated.body.data.updateModel).toEqual(expect.objectContaining({ modelId: id, hasApiKey: true, version: 2 }));
    expectNoKeyIn(updated, first, second);
  });

  it('a key with surrounding blanks is stored trimmed: the trimmed key is then no change', async () => {
    const id = newId('trim');
    const key = newKey('trim');
    await createRest(alice(), { model_id: id, api_key: `  ${key}\t` });
    const res = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: key } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expectNoKeyIn(res, key);
  });
});

describe('hasApiKey tells whether a key is stored, never what it is', () => {
  it('false without a key, false for a blank key on create', async () => {
    const none = newId('nokey');
    await createRest(alice(), { model_id: none });
    expect(await hasApiKey(none)).toBe(false);
    const blank = newId('blankkey');
    await createRest(alice(), { model_id: blank, api_key: '   ' });
    expect(await hasApiKey(blank)).toBe(false);
    expect(rowOf(blank)!.api_key_encrypted).toBeNull();
  });

  it('"" keeps the stored key, null removes it, a new key sets it again', async () => {
    const id = newId('lifecycle');
    const key = newKey('lifecycle');
    await createRest(alice(), { model_id: id, api_key: key });
    const stored = rowOf(id)!;

    const keep = await graphql(UPDATE, { id, input: { apiKey: '' } }, alice());
    expect(keep.body.data.updateModel).toEqual(expect.objectContaining({ hasApiKey: true, version: 1 }));
    expect(rowOf(id)).toEqual(stored);

    const removed = await graphql(UPDATE, { id, input: { apiKey: null } }, alice());
    expect(removed.body.data.updateModel).toEqual(expect.objectContaining({ hasApiKey: false, version: 2 }));
    expect(rowOf(id)!.api_key_encrypted).toBeNull();

    const again = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: newKey('lifecycle-again') } });
    expect(again.status).toBe(200);
    expect(await hasApiKey(id)).toBe(true);
  });
});

describe('reads and lists', () => {
  it('REST GET, REST list, GraphQL model and models: no key for the owner, an admin, or a user of a shared model', async () => {
    const id = newId('shared');
    const key = newKey('shared');
    const created = await rest('POST', '/api/models', {
      token: admin(),
      body: { model_id: id, model_provider: 'openai', model_name: 'gpt-4o', api_key: key, share_with_users: true },
    });
    expect(created.status).toBe(200);
    for (const token of [admin(), bob(), alice()]) {
      const one = await rest('GET', `/api/models/${id}`, { token });
      expect(one.status).toBe(200);
      expect(Object.keys(one.body).sort()).toEqual(REST_KEYS);
      expectNoKeyIn(one, ...KEYS);
      const list = await rest('GET', '/api/models?limit=1000', { token });
      expect(list.status).toBe(200);
      expect(list.body.map((m: { model_id: string }) => m.model_id)).toContain(id);
      expectNoKeyIn(list, ...KEYS);
      const inactive = await rest('GET', '/api/models?limit=1000&is_active=false', { token });
      expect(inactive.status).toBe(200);
      expectNoKeyIn(inactive, ...KEYS);
      const g = await graphql(
        `query ($id: String!) { model(modelId: $id) { ${MODEL_FIELDS} } models(limit: 1000, isActive: null) { ${MODEL_FIELDS} } }`,
        { id },
        token,
      );
      expect(g.status).toBe(200);
      expect(g.body.errors).toBeUndefined();
      expect(g.body.data.model.hasApiKey).toBe(true);
      expectNoKeyIn(g, ...KEYS);
    }
  });

  it('the Model type has no field that could carry the key', async () => {
    const res = await graphql(
      `
        {
          __type(name: "Model") {
            fields {
              name
            }
          }
        }
      `,
      undefined,
      alice(),
    );
    expect(res.status).toBe(200);
    const names: string[] = res.body.data.__type.fields.map((f: { name: string }) => f.name);
    expect(names).toContain('hasApiKey');
    expect(names.filter((n) => /api_?key/i.test(n) && n !== 'hasApiKey')).toEqual([]);
    expect(names.filter((n) => /encrypt|secret|cipher/i.test(n))).toEqual([]);

    const asked = await graphql(
      `
        {
          models {
            modelId
            apiKey
          }
        }
      `,
      undefined,
      alice(),
    );
    expect(asked.status).toBe(400);
    expect(asked.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(asked.body.errors[0].message).toMatch(/^Cannot query field "apiKey" on type "Model"\./);
  });
});

describe('refused GraphQL inputs that carry an apiKey never echo it', () => {
  let id: string;
  beforeAll(async () => {
    id = newId('gql-refused');
    await createRest(alice(), { model_id: id, api_key: newKey('gql-refused-stored') });
  });

  async function expectRefused(
    query: string,
    variables: Record<string, unknown>,
    key: string,
    expected: { status: number; message: string | RegExp; code: string; fields?: string[] },
  ): Promise<void> {
    const before = rowOf(id);
    const res = await graphql(query, variables, alice());
    expect(res.status).toBe(expected.status);
    expect(res.body.errors).toHaveLength(1);
    if (typeof expected.message === 'string') expect(res.body.errors[0].message).toBe(expected.message);
    else expect(res.body.errors[0].message).toMatch(expected.message);
    expect(res.body.errors[0].extensions.code).toBe(expected.code);
    if (expected.fields) expect(res.body.errors[0].extensions.fields).toEqual(expected.fields);
    expectNoKeyIn(res, key);
    expect(rowOf(id)).toEqual(before);
    expectNoKeyInLogs(key);
  }

  it('an unknown field beside the apiKey', async () => {
    const key = newKey('gql-unknown-field');
    await expectRefused(UPDATE, { id, input: { apiKey: key, bogus: 1 } }, key, {
      status: 400,
      message: 'Variable "$input" got invalid value; Field "bogus" is not defined by type "UpdateModelInput".',
      code: 'BAD_USER_INPUT',
      fields: ['bogus'],
    });
  });

  it('a missing required field beside the apiKey (createModel)', async () => {
    const key = newKey('gql-missing-field');
    await expectRefused(CREATE, { input: { modelId: newId('never'), modelName: 'gpt-4o', apiKey: key } }, key, {
      status: 400,
      message: 'Variable "$input" got invalid value; Field "modelProvider" of required type "String!" was not provided.',
      code: 'BAD_USER_INPUT',
      fields: ['modelProvider'],
    });
  });

  it('a wrong-typed sibling field', async () => {
    const key = newKey('gql-wrong-sibling');
    await expectRefused(UPDATE, { id, input: { apiKey: key, temperature: 'hot' } }, key, {
      status: 400,
      message: 'Variable "$input" got invalid value at "input.temperature"; Float cannot represent non numeric value.',
      code: 'BAD_USER_INPUT',
      fields: ['temperature'],
    });
  });

  it('the apiKey given as a number', async () => {
    const numeric = 918273645546372;
    const key = String(numeric);
    KEYS.push(key);
    await expectRefused(UPDATE, { id, input: { apiKey: numeric } }, key, {
      status: 400,
      message: 'Variable "$input" got invalid value at "input.apiKey"; String cannot represent a non string value.',
      code: 'BAD_USER_INPUT',
      fields: ['apiKey'],
    });
  });

  it('the apiKey given as an object', async () => {
    const key = newKey('gql-object');
    await expectRefused(UPDATE, { id, input: { apiKey: { value: key } } }, key, {
      status: 400,
      message: 'Variable "$input" got invalid value at "input.apiKey"; String cannot represent a non string value.',
      code: 'BAD_USER_INPUT',
      fields: ['apiKey'],
    });
  });

  it('the apiKey as a list', async () => {
    const key = newKey('gql-list');
    const before = rowOf(id);
    const res = await graphql(UPDATE, { id, input: { apiKey: [key] } }, alice());
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expectNoKeyIn(res, key);
    expect(rowOf(id)).toEqual(before);
    expectNoKeyInLogs(key);
  });

  it('the whole input variable is the key string', async () => {
    const key = newKey('gql-whole-input');
    await expectRefused(UPDATE, { id, input: key }, key, {
      status: 400,
      message: 'Variable "$input" got invalid value; Expected type "UpdateModelInput" to be an object.',
      code: 'BAD_USER_INPUT',
    });
  });

  it('an unknown field whose name imitates the message grammar', async () => {
    const key = newKey('gql-crafted-name');
    await expectRefused(UPDATE, { id, input: { ' at "input"; ': 1, apiKey: key } }, key, {
      status: 400,
      message: 'Variable "$input" got invalid value; Field " at "input"; " is not defined by type "UpdateModelInput".',
      code: 'BAD_USER_INPUT',
    });
  });

  it('an out-of-range sibling refused by the service (HTTP 200, BAD_USER_INPUT)', async () => {
    const key = newKey('gql-range');
    await expectRefused(UPDATE, { id, input: { apiKey: key, temperature: 5 } }, key, {
      status: 200,
      message: /temperature/,
      code: 'BAD_USER_INPUT',
      fields: ['temperature'],
    });
  });

  it('a key over 4096 characters', async () => {
    const key = newKey('gql-too-long') + 'k'.repeat(4100);
    await expectRefused(UPDATE, { id, input: { apiKey: key } }, key.slice(0, 60), {
      status: 200,
      message: /apiKey/,
      code: 'BAD_USER_INPUT',
      fields: ['apiKey'],
    });
  });

  it('a stale expectedVersion, a model that does not exist, a model the caller may not edit', async () => {
    const key = newKey('gql-refused-rules');
    await expectRefused(UPDATE, { id, input: { apiKey: key }, v: 99 }, key, {
      status: 200,
      message: 'Precondition Failed',
      code: 'CONFLICT',
    });
    const missing = await graphql(UPDATE, { id: newId('missing'), input: { apiKey: key } }, alice());
    expect(missing.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expectNoKeyIn(missing, key);
    const before = rowOf(id);
    const other = await graphql(UPDATE, { id, input: { apiKey: key } }, bob());
    expect(other.body.errors[0]).toEqual(expect.objectContaining({ message: 'Model not found', extensions: { code: 'NOT_FOUND' } }));
    expectNoKeyIn(other, key);
    expect(rowOf(id)).toEqual(before);
    const anonymous = await graphql(UPDATE, { id, input: { apiKey: key } }, undefined);
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expectNoKeyIn(anonymous, key);
    expect(rowOf(id)).toEqual(before);
    expectNoKeyInLogs(key);
  });

  it('a key written as a literal in the operation text with a wrong-typed sibling', async () => {
    const key = newKey('gql-literal');
    const before = rowOf(id);
    const res = await graphql(
      `mutation { updateModel(modelId: "${id}", input: { apiKey: "${key}", temperature: "hot" }) { version } }`,
      undefined,
      alice(),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expectNoKeyIn(res, key);
    expect(rowOf(id)).toEqual(before);
    expectNoKeyInLogs(key);
  });
});

describe('refused REST inputs that carry an api_key never echo it', () => {
  let id: string;
  beforeAll(async () => {
    id = newId('rest-refused');
    await createRest(alice(), { model_id: id, api_key: newKey('rest-refused-stored') });
  });

  async function expectRest(
    method: string,
    path: string,
    options: RequestOptions,
    key: string,
    expected: { status: number; body: unknown },
  ): Promise<void> {
    const before = rowOf(id);
    const res = await rest(method, path, options);
    expect(res.status).toBe(expected.status);
    expect(res.body).toEqual(expected.body);
    expectNoKeyIn(res, key);
    expect(rowOf(id)).toEqual(before);
    expectNoKeyInLogs(key);
  }

  it('422: a wrong-typed sibling', async () => {
    const key = newKey('rest-422-sibling');
    await expectRest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: key, temperature: 'hot' } }, key, {
      status: 422,
      body: { detail: [{ loc: ['body', 'temperature'], msg: 'Input should be a valid number', type: 'float_type' }] },
    });
  });

  it('422: api_key as a number, an object, a list', async () => {
    const numeric = 827364554637281;
    KEYS.push(String(numeric));
    await expectRest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: numeric } }, String(numeric), {
      status: 422,
      body: { detail: [{ loc: ['body', 'api_key'], msg: 'Input should be a valid string', type: 'string_type' }] },
    });
    const key = newKey('rest-422-object');
    await expectRest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: { value: key } } }, key, {
      status: 422,
      body: { detail: [{ loc: ['body', 'api_key'], msg: 'Input should be a valid string', type: 'string_type' }] },
    });
    await expectRest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: [key] } }, key, {
      status: 422,
      body: { detail: [{ loc: ['body', 'api_key'], msg: 'Input should be a valid string', type: 'string_type' }] },
    });
  });

  it('422: a key over 4096 characters', async () => {
    const key = newKey('rest-422-long');
    await expectRest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: key + 'k'.repeat(4100) } }, key, {
      status: 422,
      body: { detail: [{ loc: ['body', 'api_key'], msg: 'String should have at most 4096 characters', type: 'string_too_long' }] },
    });
  });

  it('422: null for a required field on update, several problems at once', async () => {
    const key = newKey('rest-422-null');
    const before = rowOf(id);
    const res = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: key, model_name: null, dimension: 0 } });
    expect(res.status).toBe(422);
    expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toEqual(
      expect.arrayContaining([
        ['body', 'model_name'],
        ['body', 'dimension'],
      ]),
    );
    expectNoKeyIn(res, key);
    expect(rowOf(id)).toEqual(before);
  });

  it('422: create without model_provider, with a key', async () => {
    const key = newKey('rest-422-create');
    const res = await rest('POST', '/api/models', { token: alice(), body: { model_id: newId('never'), model_name: 'x', api_key: key } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ detail: [{ loc: ['body', 'model_provider'], msg: 'Field required', type: 'missing' }] });
    expectNoKeyIn(res, key);
    expectNoKeyInLogs(key);
  });

  it('422: malformed JSON that contains the key', async () => {
    const key = newKey('rest-422-json');
    await expectRest('PUT', `/api/models/${id}`, { token: alice(), rawBody: `{"api_key": "${key}", ` }, key, {
      status: 422,
      body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] },
    });
  });

  it('401, 404, 403, 412 and 409 with a key in the body', async () => {
    const key = newKey('rest-refusals');
    await expectRest('PUT', `/api/models/${id}`, { body: { api_key: key } }, key, { status: 401, body: { detail: 'Not authenticated' } });
    await expectRest('PUT', `/api/models/${id}`, { token: 'not-a-jwt', body: { api_key: key } }, key, {
      status: 401,
      body: { detail: 'Could not validate credentials' },
    });
    await expectRest('PUT', `/api/models/${id}`, { token: bob(), body: { api_key: key } }, key, {
      status: 404,
      body: { detail: 'Model not found' },
    });
    await expectRest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: key }, headers: { 'If-Match': '"77"' } }, key, {
      status: 412,
      body: { detail: 'Precondition Failed' },
    });
    await expectRest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: key, category: 'nope' } }, key, {
      status: 400,
      body: { detail: 'Invalid model category' },
    });

    // A shared model: 403 for a user who may see but not edit, 409 for a locked change.
    const shared = newId('rest-refusals-shared');
    const res = await rest('POST', '/api/models', {
      token: admin(),
      body: { model_id: shared, model_provider: 'openai', model_name: 'gpt-4o', share_with_users: true },
    });
    expect(res.status).toBe(200);
    const sharedBefore = rowOf(shared);
    const forbidden = await rest('PUT', `/api/models/${shared}`, { token: bob(), body: { api_key: key } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({ detail: 'No permission to edit this model' });
    expectNoKeyIn(forbidden, key);
    const locked = await rest('PUT', `/api/models/${shared}`, {
      token: admin(),
      body: { api_key: key, category: 'embedding', abilities: ['embedding'] },
    });
    expect(locked.status).toBe(409);
    expect(locked.body).toEqual({ detail: 'Cannot change category and abilities of a shared model. Un-share first.' });
    expectNoKeyIn(locked, key);
    expect(rowOf(shared)).toEqual(sharedBefore);
    expectNoKeyInLogs(key);
  });
});

describe('a stored ciphertext that does not open', () => {
  it('tampered in the DB: GET still works, the next update with a key replaces it, the error is logged without the key', async () => {
    const id = newId('tampered');
    const original = newKey('tampered-original');
    await createRest(alice(), { model_id: id, api_key: original });
    const sealed = rowOf(id)!.api_key_encrypted as string;
    const broken = tamper(sealed);
    setCiphertext(id, broken);

    const get = await rest('GET', `/api/models/${id}`, { token: alice() });
    expect(get.status).toBe(200);
    expect(get.headers.get('etag')).toBe('"1"');
    expect(await hasApiKey(id)).toBe(true);

    // An update that does not touch the key does not need to open it.
    const other = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { temperature: 0.4 } });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).toBe('"2"');
    expect(rowOf(id)!.api_key_encrypted).toBe(broken);

    // Even the key it once held is a change now: the stored one cannot be compared, so it is replaced.
    let res!: HttpResult;
    const lines = await logLinesDuring(async () => {
      res = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: original } });
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"3"');
    expect(res.body.temperature).toBe(0.4);
    expectNoKeyIn(res, original);
    const after = rowOf(id)!;
    expect(after.version).toBe(3);
    expect(after.api_key_encrypted).not.toBe(broken);
    expect(after.api_key_encrypted).not.toContain(original);

    const errors = lines.filter((line) => typeof line.level === 'number' && (line.level as number) >= 50);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.some((line) => JSON.stringify(line).includes(id))).toBe(true);
    for (const line of lines) {
      expect(JSON.stringify(line)).not.toContain(original);
      expect(JSON.stringify(line)).not.toContain(broken);
    }

    // The replacement opens: the same key again is no change.
    const same = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: original } });
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe('"3"');
    const get2 = await rest('GET', `/api/models/${id}`, { token: alice() });
    expect(get2.status).toBe(200);
    expect(get2.body.version).toBeUndefined();
    expect(get2.headers.get('etag')).toBe('"3"');
  });

  it('tampered, then replaced over GraphQL with a new key', async () => {
    const id = newId('tampered-gql');
    await createRest(alice(), { model_id: id, api_key: newKey('tampered-gql-original') });
    setCiphertext(id, tamper(rowOf(id)!.api_key_encrypted as string));
    const key = newKey('tampered-gql-new');
    let res!: HttpResult;
    const lines = await logLinesDuring(async () => {
      res = await graphql(UPDATE, { id, input: { apiKey: key } }, alice());
    });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.updateModel).toEqual(expect.objectContaining({ hasApiKey: true, version: 2 }));
    expectNoKeyIn(res, key);
    expect(lines.some((line) => (line.level as number) >= 50)).toBe(true);
    for (const line of lines) expect(JSON.stringify(line)).not.toContain(key);
    const same = await graphql(UPDATE, { id, input: { apiKey: key } }, alice());
    expect(same.body.data.updateModel.version).toBe(2);
  });

  it('tampered, then removed with null', async () => {
    const id = newId('tampered-null');
    await createRest(alice(), { model_id: id, api_key: newKey('tampered-null') });
    setCiphertext(id, tamper(rowOf(id)!.api_key_encrypted as string));
    const res = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: null } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"2"');
    expect(rowOf(id)!.api_key_encrypted).toBeNull();
    expect(await hasApiKey(id)).toBe(false);
  });

  it('garbage that is not a sealed value at all behaves the same', async () => {
    const id = newId('garbage');
    await createRest(alice(), { model_id: id, api_key: newKey('garbage-original') });
    setCiphertext(id, 'not-a-ciphertext');
    const key = newKey('garbage-new');
    const res = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: key } });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"2"');
    expect(rowOf(id)!.api_key_encrypted).not.toBe('not-a-ciphertext');
    const same = await rest('PUT', `/api/models/${id}`, { token: alice(), body: { api_key: key } });
    expect(same.headers.get('etag')).toBe('"2"');
  });

  it("a ciphertext copied from another row does not open there: the other row's key is a change, and it is logged", async () => {
    const source = newId('copy-source');
    const target = newId('copy-target');
    const sourceKey = newKey('copy-source');
    await createRest(alice(), { model_id: source, api_key: sourceKey });
    await createRest(alice(), { model_id: target, api_key: newKey('copy-target') });
    const copied = rowOf(source)!.api_key_encrypted as string;
    setCiphertext(target, copied);

    const get = await rest('GET', `/api/models/${target}`, { token: alice() });
    expect(get.status).toBe(200);

    let res!: HttpResult;
    const lines = await logLinesDuring(async () => {
      res = await rest('PUT', `/api/models/${target}`, { token: alice(), body: { api_key: sourceKey } });
    });
    expect(res.status).toBe(200);
    // Had the copy opened, sourceKey would equal the stored key and nothing would change (ETag "1").
    expect(res.headers.get('etag')).toBe('"2"');
    expectNoKeyIn(res, sourceKey);
    const after = rowOf(target)!;
    expect(after.version).toBe(2);
    expect(after.api_key_encrypted).not.toBe(copied);
    const errors = lines.filter((line) => (line.level as number) >= 50);
    expect(errors.some((line) => JSON.stringify(line).includes(target))).toBe(true);
    for (const line of lines) expect(JSON.stringify(line)).not.toContain(sourceKey);

    // The source row is untouched and still opens with its own key.
    const sourceSame = await rest('PUT', `/api/models/${source}`, { token: alice(), body: { api_key: sourceKey } });
    expect(sourceSame.headers.get('etag')).toBe('"1"');
  });
});

describe('nowhere at rest or in logs', () => {
  itSqliteOnly('the DB file and its WAL never contain a plaintext key (nor its base64)', () => {
    expect(KEYS.length).toBeGreaterThan(20);
    const files = [server.dbPath, `${server.dbPath}-wal`, `${server.dbPath}-journal`].filter((f) => fs.existsSync(f));
    expect(files).toContain(server.dbPath);
    expect(files).toContain(`${server.dbPath}-wal`);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const key of KEYS) {
        expect(bytes.includes(Buffer.from(key, 'utf8'))).toBe(false);
        expect(bytes.includes(Buffer.from(key, 'utf16le'))).toBe(false);
        expect(bytes.includes(Buffer.from(Buffer.from(key).toString('base64')))).toBe(false);
      }
    }
  });

  itPostgresOnly('no row of any table of the PostgreSQL database contains a plaintext key (nor its base64)', () => {
    expect(KEYS.length).toBeGreaterThan(20);
    const places = storedAtRest(server);
    expect(places.map((p) => p.place)).toEqual(expect.arrayContaining(['public.models', 'public._prisma_migrations']));
    // Not vacuous: the models of this file, every stored ciphertext included, are what was scanned.
    const models = places.find((p) => p.place === 'public.models')!.bytes;
    const db = server.db();
    let ciphertexts: string[];
    try {
      ciphertexts = (
        db.prepare('SELECT api_key_encrypted AS c FROM models WHERE api_key_encrypted IS NOT NULL').all() as { c: string }[]
      ).map((r) => r.c);
    } finally {
      db.close();
    }
    expect(ciphertexts.length).toBeGreaterThan(10);
    for (const ciphertext of ciphertexts) expect(models.includes(Buffer.from(ciphertext))).toBe(true);
    for (const { place, bytes } of places) {
      for (const key of KEYS) {
        expect({ place, plaintext: bytes.includes(Buffer.from(key, 'utf8')) }).toEqual({ place, plaintext: false });
        expect({ place, base64: bytes.includes(Buffer.from(Buffer.from(key).toString('base64'))) }).toEqual({ place, base64: false });
      }
    }
  });

  it('the server logs never contain a key', () => {
    expectNoKeyInLogs(...KEYS);
  });

  it('no response of this file contained a key', () => {
    expect(RESPONSES.length).toBeGreaterThan(50);
    for (const response of RESPONSES) for (const key of KEYS) expect(response).not.toContain(key);
  });
});
