/**
 * The contract's "Update" section over REST: `PUT /api/models/{model_id}` with snake_case bodies and
 * FastAPI's error shapes. The accepted and refused cases come from ./cases/update.cases, which
 * update.graphql.test.ts runs over GraphQL (camelCase).
 * Every success checks the answer, the ETag and the stored row; every refusal checks that the
 * stored row did not change at all (version and updated_at included).
 */
import {
  BASE as CASE_BASE,
  caseName,
  CHANGE_CASES as CASES,
  REFUSAL_CASES as REFUSALS,
  REST_KEY,
  restKeys,
  STORED_KEY,
  type Issue,
  type KeyEffect,
  type Outcome,
} from './cases/update.cases';
import { request, REST_KEYS, type HttpResult } from './helpers/http';
import { createModel, storedRow } from './helpers/models';
import { startServer, storedAtRest, type RunningServer } from './helpers/server';
import { admin, alice, bob } from './helpers/tokens';

type Body = Record<string, unknown>;
type Row = Record<string, any>;
const BASE: Body = restKeys(CASE_BASE);

const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const SHARED_LOCK = (fields: string) => ({ detail: `Cannot change ${fields} of a shared model. Un-share first.` });
const SHARING_FORBIDDEN = { detail: 'Only administrators can enable global sharing' };
const PRECONDITION_FAILED = { detail: 'Precondition Failed' };

let server: RunningServer;
let counter = 0;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newId = () => `rest-upd-${++counter}`;
const path = (modelId: string) => `/api/models/${encodeURIComponent(modelId)}`;

function issue(loc: (string | number)[], msg: string, type: string) {
  return { loc: ['body', ...loc], msg, type };
}

/** Alice's model from BASE (a fresh model_id), with the case's overrides. */
function createFromBase(overrides: Body = {}, token = alice(), srv = server): Promise<Body> {
  return createModel(srv, { model_id: newId(), ...BASE, ...overrides }, { token });
}

/** Alice's model, then shared by an admin (only admins may turn sharing on). */
async function createShared(overrides: Body = {}): Promise<Body> {
  const model = await createFromBase(overrides);
  const res = await put(model.model_id as string, { share_with_users: true }, { token: admin() });
  expect(res.status).toBe(200);
  expect(res.body.is_shared).toBe(true);
  return model;
}

function stored(modelId: string, srv = server): Row {
  return storedRow(srv, modelId)!;
}

interface PutOptions {
  token?: string;
  headers?: Record<string, string>;
  srv?: RunningServer;
}

function put(modelId: string, body: unknown, options: PutOptions = {}): Promise<HttpResult> {
  return request((options.srv ?? server).url, 'PUT', path(modelId), { token: options.token ?? alice(), body, headers: options.headers });
}

function get(modelId: string, token = alice(), srv = server): Promise<HttpResult> {
  return request(srv.url, 'GET', path(modelId), { token });
}

/** REST body changes → stored columns. */
function dbChanges(changes: Body): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'abilities') out.abilities = value === null ? null : JSON.stringify(value);
    else if (key === 'is_shared') out.is_shared = value ? 1 : 0;
    else out[key] = value;
  }
  return out;
}

function assertKey(before: Row, after: Row, key: KeyEffect): void {
  if (key === 'kept') expect(after.api_key_encrypted).toBe(before.api_key_encrypted);
  else if (key === 'removed') expect(after.api_key_encrypted).toBeNull();
  else {
    expect(typeof after.api_key_encrypted).toBe('string');
    expect(after.api_key_encrypted).not.toBe(before.api_key_encrypted);
    expect(after.api_key_encrypted).not.toContain(key.replacedWith);
  }
}

/** PUT applies exactly `changes` (REST body keys): version +1, updated_at moves, ETag follows. */
async function expectApplied(modelId: string, body: unknown, changes: Body, options: PutOptions & { key?: KeyEffect } = {}) {
  const srv = options.srv ?? server;
  const token = options.token ?? alice();
  const beforeBody = (await get(modelId, token, srv)).body;
  const beforeRow = stored(modelId, srv);
  await sleep(5); // updated_at has millisecond resolution
  const res = await put(modelId, body, { ...options, token });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ ...beforeBody, ...changes, updated_at: expect.stringMatching(ISO_Z) });
  expect(Object.keys(res.body).sort()).toEqual(REST_KEYS);
  expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(beforeBody.updated_at));
  expect(res.headers.get('etag')).toBe(`"${beforeRow.version + 1}"`);
  const afterRow = stored(modelId, srv);
  expect(afterRow).toEqual({
    ...beforeRow,
    ...dbChanges(changes),
    version: beforeRow.version + 1,
    updated_at: expect.any(String),
    api_key_encrypted: afterRow.api_key_encrypted,
  });
  expect(afterRow.updated_at).not.toBe(beforeRow.updated_at);
  assertKey(beforeRow, afterRow, options.key ?? 'kept');
  const again = await get(modelId, token, srv);
  expect(again.body).toEqual(res.body);
  expect(again.headers.get('etag')).toBe(res.headers.get('etag'));
  return res;
}

/** PUT answers 200 with the model as it is: nothing stored changes, not even version or updated_at. */
async function expectNoChange(modelId: string, body: unknown, options: PutOptions = {}) {
  const srv = options.srv ?? server;
  const token = options.token ?? alice();
  const before = await get(modelId, token, srv);
  const beforeRow = stored(modelId, srv);
  await sleep(5);
  const res = await put(modelId, body, { ...options, token });
  expect(res.status).toBe(200);
  expect(res.body).toEqual(before.body);
  expect(res.headers.get('etag')).toBe(before.headers.get('etag'));
  expect(res.headers.get('etag')).toBe(`"${beforeRow.version}"`);
  expect(stored(modelId, srv)).toEqual(beforeRow);
  return res;
}

/** PUT is refused with exactly this status and body, and the stored row is untouched. */
async function expectRefused(modelId: string, body: unknown, status: number, responseBody: unknown, options: PutOptions = {}) {
  const srv = options.srv ?? server;
  const beforeRow = stored(modelId, srv);
  const res = await put(modelId, body, options);
  expect({ status: res.status, body: res.body }).toEqual({ status, body: responseBody });
  expect(stored(modelId, srv)).toEqual(beforeRow);
  return res;
}

// ---------------------------------------------------------------------------------------------
// The accepted updates of ./cases/update.cases, as REST bodies.
// ---------------------------------------------------------------------------------------------

interface ChangeCase {
  name: string;
  /** Create-body overrides for the model the case starts from (default: BASE, an llm). */
  create?: Body;
  patch: Body;
  /** REST body fields that change; empty (and key kept) means the update is a no-op. */
  changes: Body;
  key?: KeyEffect;
}

const long = (n: number, ch = 'a') => ch.repeat(n);

/** REST answers no hasApiKey: the key's effect is checked on the stored ciphertext instead. */
const CHANGE_CASES: ChangeCase[] = CASES.filter((c) => c.only !== 'graphql').map(({ name, create, input, changes, key }) => {
  const { hasApiKey: _hasApiKey, ...restChanges } = changes;
  return { name: caseName(name, 'rest'), create: create && restKeys(create), patch: restKeys(input), changes: restKeys(restChanges), key };
});

describe('accepted updates (JSON Merge Patch)', () => {
  it.each(CHANGE_CASES)('$name', async ({ create, patch, changes, key }) => {
    const model = await createFromBase(create);
    const modelId = model.model_id as string;
    if (Object.keys(changes).length === 0 && (key ?? 'kept') === 'kept') await expectNoChange(modelId, patch);
    else await expectApplied(modelId, patch, changes, { key });
  });

  it('a new api_key is stored encrypted: the plaintext is in no column, no database file and no log line', async () => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    const secret = 'sk-PLAINTEXT-never-stored-4242';
    await expectApplied(modelId, { api_key: secret }, {}, { key: { replacedWith: secret } });
    const row = stored(modelId);
    for (const value of Object.values(row)) expect(String(value)).not.toContain(secret);
    // SQLite: the database file and its WAL; PostgreSQL: every row of every table, as text.
    for (const { place, bytes } of storedAtRest(server))
      expect({ place, found: bytes.includes(Buffer.from(secret)) }).toEqual({ place, found: false });
    expect(server.logs()).not.toContain(secret);
    // The same key again is now no change.
    await expectNoChange(modelId, { api_key: secret });
  });

  it('null api_key clears the key, and the model reports no key through GraphQL', async () => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    await expectApplied(modelId, { api_key: null }, {}, { key: 'removed' });
    const res = await request(server.url, 'POST', '/graphql', {
      token: alice(),
      body: { query: 'query($id: String!) { model(modelId: $id) { hasApiKey } }', variables: { id: modelId } },
    });
    expect(res.body).toEqual({ data: { model: { hasApiKey: false } } });
  });

  it('the stored key survives a blank api_key: setting the original key afterwards is still no change', async () => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    await expectNoChange(modelId, { api_key: '' });
    await expectNoChange(modelId, { api_key: STORED_KEY });
  });

  it('a no-op update after a real one keeps the bumped version and ETag', async () => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    const changed = await expectApplied(modelId, { temperature: 0.1 }, { temperature: 0.1 });
    expect(changed.headers.get('etag')).toBe('"2"');
    const same = await expectNoChange(modelId, { temperature: 0.1, model_name: 'gpt-4o' });
    expect(same.headers.get('etag')).toBe('"2"');
  });
});

// ---------------------------------------------------------------------------------------------
// The refused updates of ./cases/update.cases: status and body exactly, nothing stored changes.
// ---------------------------------------------------------------------------------------------

interface RefusalCase {
  name: string;
  create?: Body;
  patch: Body;
  status: number;
  body: unknown;
}

const detail = (...issues: unknown[]) => ({ detail: issues });
const restIssue = ({ path: [field, ...rest], msg, type }: Issue) => issue([REST_KEY[field!]!, ...rest], msg, type);
const too = (field: string | (string | number)[], max: number) =>
  issue(Array.isArray(field) ? field : [field], `String should have at most ${max} characters`, 'string_too_long');

function restOutcome(outcome: Outcome): { status: number; body: unknown } {
  if ('invalid' in outcome) return { status: 422, body: detail(...outcome.invalid.map(restIssue)) };
  if ('typeError' in outcome) return { status: 422, body: detail(restIssue(outcome.typeError)) };
  return { status: 400, body: { detail: outcome.badRequest } };
}

const REFUSAL_CASES: RefusalCase[] = REFUSALS.filter((c) => c.only !== 'graphql').map(({ name, create, input, outcome }) => ({
  name: caseName(name, 'rest'),
  create: create && restKeys(create),
  patch: restKeys(input),
  ...restOutcome(outcome),
}));

describe('refused updates change nothing', () => {
  it.each(REFUSAL_CASES)('$name', async ({ create, patch, status, body }) => {
    const model = await createFromBase(create);
    await expectRefused(model.model_id as string, patch, status, body);
  });

  it('a refused update never echoes the refused value (an over-long api_key)', async () => {
    const model = await createFromBase();
    const secret = `sk-${long(4100, 'S')}`;
    const res = await expectRefused(model.model_id as string, { api_key: secret }, 422, detail(too('api_key', 4096)));
    expect(res.text).not.toContain('SSSSSSSS');
  });
});

// ---------------------------------------------------------------------------------------------

describe('fields that are not input fields are ignored', () => {
  const NON_INPUT: Body = {
    id: 999999,
    model_id: 'hijacked-id',
    is_owner: false,
    owner: 'bob',
    owner_id: 'bob',
    version: 42,
    is_active: false,
    created_at: '2000-01-01T00:00:00Z',
    updated_at: '2000-01-01T00:00:00Z',
    can_edit: false,
    can_delete: false,
    is_shared: true,
    has_api_key: false,
    api_key_encrypted: 'v1.forged',
    unknown_field: 'x',
  };

  it('a body of only non-input fields is a no-op', async () => {
    const model = await createFromBase();
    await expectNoChange(model.model_id as string, NON_INPUT);
    expect((await get('hijacked-id')).status).toBe(404);
  });

  it.each(Object.entries(NON_INPUT))('%s alone changes nothing', async (field, value) => {
    const model = await createFromBase();
    await expectNoChange(model.model_id as string, { [field]: value });
  });

  it('beside a real change, only the real change is applied', async () => {
    const model = await createFromBase();
    await expectApplied(model.model_id as string, { ...NON_INPUT, description: 'only this' }, { description: 'only this' });
    expect(stored('hijacked-id')).toBeUndefined();
  });

  it('non-input fields do not excuse a refused input field', async () => {
    const model = await createFromBase();
    await expectRefused(model.model_id as string, { ...NON_INPUT, temperature: 9 }, 422, {
      detail: [issue(['temperature'], 'Input should be less than or equal to 2', 'less_than_equal')],
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('optimistic concurrency (If-Match)', () => {
  it.each([
    ['a quoted version', (v: number) => `"${v}"`],
    ['a weak tag', (v: number) => `W/"${v}"`],
    ['a bare number', (v: number) => `${v}`],
  ])('If-Match with %s that matches applies the update; ETag is the new version', async (_label, tag) => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    const res = await expectApplied(modelId, { temperature: 1.5 }, { temperature: 1.5 }, { headers: { 'If-Match': tag(1) } });
    expect(res.headers.get('etag')).toBe('"2"');
    const next = await expectApplied(modelId, { temperature: 1.6 }, { temperature: 1.6 }, { headers: { 'If-Match': tag(2) } });
    expect(next.headers.get('etag')).toBe('"3"');
  });

  it.each([
    ['a quoted version', '"1"'],
    ['a weak tag', 'W/"1"'],
    ['a bare number', '1'],
    ['a future version', '"3"'],
    ['a value that is no version', '"abc"'],
  ])('If-Match with a stale version (%s): 412 Precondition Failed, nothing changes', async (_label, tag) => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    await expectApplied(modelId, { description: 'v2' }, { description: 'v2' });
    await expectRefused(modelId, { description: 'lost?' }, 412, PRECONDITION_FAILED, { headers: { 'If-Match': tag } });
  });

  it('a stale If-Match on a no-op body is still 412', async () => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    await expectApplied(modelId, { description: 'v2' }, { description: 'v2' });
    await expectRefused(modelId, {}, 412, PRECONDITION_FAILED, { headers: { 'If-Match': '"1"' } });
  });

  it('a matching If-Match on a no-op body answers 200 without a bump', async () => {
    const model = await createFromBase();
    await expectNoChange(model.model_id as string, { description: 'A chat model' }, { headers: { 'If-Match': '"1"' } });
  });

  it('If-Match: * matches any existing model', async () => {
    const model = await createFromBase();
    await expectApplied(model.model_id as string, { dimension: 8 }, { dimension: 8 }, { headers: { 'If-Match': '*' } });
  });

  it('422 wins over 412: invalid input with a stale If-Match', async () => {
    const model = await createFromBase();
    await expectRefused(
      model.model_id as string,
      { temperature: -1 },
      422,
      detail(issue(['temperature'], 'Input should be greater than or equal to 0', 'greater_than_equal')),
      { headers: { 'If-Match': '"7"' } },
    );
  });

  it('412 wins over 400 and 409: stale If-Match with an unknown category, or on a shared model', async () => {
    const model = await createFromBase();
    await expectRefused(model.model_id as string, { category: 'audio' }, 412, PRECONDITION_FAILED, { headers: { 'If-Match': '"9"' } });
    const shared = await createShared({ abilities: null });
    await expectRefused(shared.model_id as string, { category: 'embedding' }, 412, PRECONDITION_FAILED, { headers: { 'If-Match': '"1"' } });
  });

  it('concurrent updates with the same If-Match: exactly one wins, the others get 412', async () => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put(modelId, { description: `writer ${i}` }, { headers: { 'If-Match': '"1"' } })),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((r) => r.status !== 200))
      expect({ status: loser.status, body: loser.body }).toEqual({ status: 412, body: PRECONDITION_FAILED });
    const row = stored(modelId);
    expect(row.version).toBe(2);
    expect(row.description).toBe(winners[0]!.body.description);
  });

  it('concurrent updates without If-Match never lose a write', async () => {
    const model = await createFromBase();
    const modelId = model.model_id as string;
    const patches: Body[] = [
      { temperature: 0.3 },
      { dimension: 64 },
      { description: 'concurrent' },
      { base_url: 'https://concurrent.example.com' },
      { model_name: 'concurrent-name' },
      { model_provider: 'concurrent-provider' },
      { abilities: ['x'] },
      { api_key: 'sk-concurrent-0003' },
    ];
    const results = await Promise.all(patches.map((patch) => put(modelId, patch)));
    expect(results.map((r) => r.status)).toEqual(patches.map(() => 200));
    expect(results.map((r) => r.headers.get('etag')).sort()).toEqual(['"2"', '"3"', '"4"', '"5"', '"6"', '"7"', '"8"', '"9"']);
    const row = stored(modelId);
    expect(row).toMatchObject({
      temperature: 0.3,
      dimension: 64,
      description: 'concurrent',
      base_url: 'https://concurrent.example.com',
      model_name: 'concurrent-name',
      model_provider: 'concurrent-provider',
      abilities: '["x"]',
      version: 9,
    });
    // The key was replaced, and it is now the stored one.
    await expectNoChange(modelId, { api_key: 'sk-concurrent-0003' });
  });

  it('If-Match also works on /api/models/by-id/ for ids with a slash', async () => {
    const model = await createFromBase({ model_id: `org/rest-slash-${++counter}` });
    const modelId = model.model_id as string;
    const res = await request(server.url, 'PUT', `/api/models/by-id/${modelId}`, {
      token: alice(),
      body: { temperature: 0.9 },
      headers: { 'If-Match': '"1"' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"2"');
    expect(res.body.temperature).toBe(0.9);
    const stale = await request(server.url, 'PUT', `/api/models/by-id/${modelId}`, {
      token: alice(),
      body: { temperature: 0.1 },
      headers: { 'If-Match': '"1"' },
    });
    expect({ status: stale.status, body: stale.body }).toEqual({ status: 412, body: PRECONDITION_FAILED });
    expect(stored(modelId)).toMatchObject({ temperature: 0.9, version: 2 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('shared-model lock', () => {
  it('changing category → 409 "category"', async () => {
    const model = await createShared({ abilities: null });
    await expectRefused(model.model_id as string, { category: 'embedding' }, 409, SHARED_LOCK('category'));
  });

  it('changing category where the stored abilities fit the new one → 409 "category"', async () => {
    const model = await createShared({ abilities: ['generate'] });
    await expectRefused(model.model_id as string, { category: 'image' }, 409, SHARED_LOCK('category'));
  });

  it('changing abilities → 409 "abilities"', async () => {
    const model = await createShared();
    await expectRefused(model.model_id as string, { abilities: ['chat'] }, 409, SHARED_LOCK('abilities'));
  });

  it('adding an ability → 409 "abilities"', async () => {
    const model = await createShared();
    await expectRefused(model.model_id as string, { abilities: ['chat', 'vision', 'tools'] }, 409, SHARED_LOCK('abilities'));
  });

  it('clearing abilities (null) → 409 "abilities"', async () => {
    const model = await createShared();
    await expectRefused(model.model_id as string, { abilities: null }, 409, SHARED_LOCK('abilities'));
  });

  it('changing both → 409 "category and abilities"', async () => {
    const model = await createShared();
    await expectRefused(
      model.model_id as string,
      { category: 'image', abilities: ['generate'] },
      409,
      SHARED_LOCK('category and abilities'),
    );
  });

  it('an admin is held to the lock too', async () => {
    const model = await createShared({ abilities: null });
    await expectRefused(model.model_id as string, { category: 'embedding' }, 409, SHARED_LOCK('category'), { token: admin() });
  });

  it('the lock refuses the whole request: other fields in it are not applied', async () => {
    const model = await createShared();
    await expectRefused(
      model.model_id as string,
      { abilities: ['chat'], temperature: 0.2, description: 'x' },
      409,
      SHARED_LOCK('abilities'),
    );
  });

  it('the same abilities in a new order are allowed and stored in the new order', async () => {
    const model = await createShared();
    await expectApplied(model.model_id as string, { abilities: ['vision', 'chat'] }, { abilities: ['vision', 'chat'] });
  });

  it('the same abilities with duplicates are the same set: no change', async () => {
    const model = await createShared();
    await expectNoChange(model.model_id as string, { abilities: ['chat', 'vision', 'chat', ' vision '] });
  });

  it('re-sending the same category (any case) and abilities is no change', async () => {
    const model = await createShared();
    await expectNoChange(model.model_id as string, { category: 'LLM', abilities: ['chat', 'vision'] });
  });

  it('other fields of a shared model may change', async () => {
    const model = await createShared();
    await expectApplied(
      model.model_id as string,
      { temperature: 0.2, description: 'still shared' },
      { temperature: 0.2, description: 'still shared' },
    );
  });

  it('un-share and change category in one request → 409 (the lock looks at the model as it was)', async () => {
    const model = await createShared({ abilities: null });
    await expectRefused(model.model_id as string, { share_with_users: false, category: 'embedding' }, 409, SHARED_LOCK('category'));
    expect(stored(model.model_id as string).is_shared).toBe(1);
  });

  it('un-share and change abilities in one request → 409', async () => {
    const model = await createShared();
    await expectRefused(model.model_id as string, { share_with_users: false, abilities: ['chat'] }, 409, SHARED_LOCK('abilities'));
  });

  it('un-share alone, then change category and abilities: both succeed', async () => {
    const model = await createShared();
    const modelId = model.model_id as string;
    await expectApplied(modelId, { share_with_users: false }, { is_shared: false });
    await expectApplied(modelId, { category: 'embedding', abilities: ['embedding'] }, { category: 'embedding', abilities: ['embedding'] });
  });

  it('abilities that do not fit the new category are a 422 before the lock', async () => {
    const model = await createShared();
    await expectRefused(
      model.model_id as string,
      { category: 'embedding' },
      422,
      detail(
        issue(
          ['abilities'],
          "Value error, abilities of category 'embedding' may only be 'embedding'; not allowed: 'chat', 'vision'",
          'value_error',
        ),
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('sharing permission', () => {
  it('a non-admin owner enabling sharing → 403, nothing changes', async () => {
    const model = await createFromBase();
    await expectRefused(model.model_id as string, { share_with_users: true }, 403, SHARING_FORBIDDEN);
  });

  it('a non-admin owner enabling sharing beside other changes → 403, none applied', async () => {
    const model = await createFromBase();
    await expectRefused(
      model.model_id as string,
      { share_with_users: true, temperature: 0.1, api_key: 'sk-other' },
      403,
      SHARING_FORBIDDEN,
    );
  });

  it('422 wins over the sharing 403', async () => {
    const model = await createFromBase();
    await expectRefused(
      model.model_id as string,
      { share_with_users: true, dimension: 0 },
      422,
      detail(issue(['dimension'], 'Input should be greater than or equal to 1', 'greater_than_equal')),
    );
  });

  it('an admin may enable sharing on a model of another user', async () => {
    const model = await createFromBase();
    const res = await expectApplied(model.model_id as string, { share_with_users: true }, { is_shared: true }, { token: admin() });
    expect(res.body).toMatchObject({ is_owner: false, can_edit: true, can_delete: true });
    // Other users now see it.
    expect((await get(model.model_id as string, bob())).status).toBe(200);
  });

  it('the owner may turn sharing off', async () => {
    const model = await createShared();
    await expectApplied(model.model_id as string, { share_with_users: false }, { is_shared: false });
  });

  it('the owner re-sending true for an already shared model is no change', async () => {
    const model = await createShared();
    await expectNoChange(model.model_id as string, { share_with_users: true });
  });

  it('a user who may see a shared model but not edit it gets 403 No permission, nothing changes', async () => {
    const model = await createShared();
    await expectRefused(
      model.model_id as string,
      { share_with_users: false },
      403,
      { detail: 'No permission to edit this model' },
      { token: bob() },
    );
  });

  describe('with SHARING=owners', () => {
    let owners: RunningServer;
    beforeAll(async () => {
      owners = await startServer({ env: { SHARING: 'owners' } });
    });
    afterAll(async () => {
      await owners?.stop();
    });

    it('the owner may share their own model', async () => {
      const model = await createFromBase({}, alice(), owners);
      await expectApplied(model.model_id as string, { share_with_users: true }, { is_shared: true }, { srv: owners });
    });

    it('the owner may turn it off again; the lock still holds while shared', async () => {
      const model = await createFromBase({ abilities: null }, alice(), owners);
      const modelId = model.model_id as string;
      await expectApplied(modelId, { share_with_users: true }, { is_shared: true }, { srv: owners });
      await expectRefused(modelId, { category: 'rerank' }, 409, SHARED_LOCK('category'), { srv: owners });
      await expectApplied(modelId, { share_with_users: false }, { is_shared: false }, { srv: owners });
    });

    it('another user still cannot touch it', async () => {
      const model = await createFromBase({}, alice(), owners);
      await expectRefused(
        model.model_id as string,
        { share_with_users: true },
        404,
        { detail: 'Model not found' },
        { srv: owners, token: bob() },
      );
    });
  });
});
