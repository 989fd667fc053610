/**
 * The contract's "Update" section over GraphQL: `updateModel(modelId, input, expectedVersion)` with
 * camelCase input. The accepted and refused cases are the ones update.rest.test.ts runs, from
 * ./cases/update.cases; every case of those tables runs twice: with the input passed as a variable and written inline as a literal, since
 * "left out" and "null" must mean the same in both.
 */
import {
  BASE,
  caseName,
  CHANGE_CASES as CASES,
  REFUSAL_CASES as REFUSALS,
  issue,
  NOT_NUMBER,
  type Input,
  type Issue,
  type KeyEffect,
  type Outcome,
} from './cases/update.cases';
import { gql, MODEL_FIELDS, type HttpResult } from './helpers/http';
import { createModel, storedRow } from './helpers/models';
import { startServer, storedAtRest, type RunningServer } from './helpers/server';
import { admin, alice, bob } from './helpers/tokens';

type Row = Record<string, any>;
type Mode = 'variables' | 'inline';

const MODES: Mode[] = ['variables', 'inline'];
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let server: RunningServer;
let counter = 0;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newId = () => `gql-upd-${++counter}`;

/** A JS value written as a GraphQL literal (JSON string escapes are valid GraphQL escapes). */
function literal(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value as Input)
      .map(([key, item]) => `${key}: ${literal(item)}`)
      .join(', ')}}`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

const UPDATE = `mutation Update($modelId: String!, $input: UpdateModelInput!, $expectedVersion: Int) {
  updateModel(modelId: $modelId, input: $input, expectedVersion: $expectedVersion) { ${MODEL_FIELDS} }
}`;

interface UpdateOptions {
  token?: string;
  mode?: Mode;
  /** Left out: the argument is not sent at all. */
  expectedVersion?: number | null;
  srv?: RunningServer;
}

function update(modelId: string, input: Input, options: UpdateOptions = {}): Promise<HttpResult> {
  const srv = options.srv ?? server;
  const token = options.token ?? alice();
  if ((options.mode ?? 'variables') === 'variables') {
    const variables: Input = { modelId, input };
    if (options.expectedVersion !== undefined) variables.expectedVersion = options.expectedVersion;
    return gql(srv.url, UPDATE, variables, token);
  }
  const expected = options.expectedVersion !== undefined ? `, expectedVersion: ${literal(options.expectedVersion)}` : '';
  const query = `mutation { updateModel(modelId: ${literal(modelId)}, input: ${literal(input)}${expected}) { ${MODEL_FIELDS} } }`;
  return gql(srv.url, query, undefined, token);
}

/** Alice's model from BASE (a fresh modelId), with the case's overrides, created over GraphQL. */
function createFromBase(overrides: Input = {}, token = alice(), srv = server): Promise<any> {
  return createModel(srv, { modelId: newId(), ...BASE, ...overrides }, { token, via: 'graphql' });
}
async function createShared(overrides: Input = {}): Promise<any> {
  const model = await createFromBase(overrides);
  const res = await update(model.modelId, { shareWithUsers: true }, { token: admin() });
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data.updateModel.isShared).toBe(true);
  return model;
}

async function view(modelId: string, token = alice(), srv = server): Promise<any> {
  const res = await gql(srv.url, `query($id: String!) { model(modelId: $id) { ${MODEL_FIELDS} } }`, { id: modelId }, token);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.model;
}

function stored(modelId: string, srv = server): Row {
  return storedRow(srv, modelId)!;
}

const COLUMN: Record<string, string> = {
  category: 'category',
  modelProvider: 'model_provider',
  modelName: 'model_name',
  baseUrl: 'base_url',
  temperature: 'temperature',
  dimension: 'dimension',
  description: 'description',
  abilities: 'abilities',
  isShared: 'is_shared',
};

/** GraphQL field changes → stored columns (hasApiKey is checked on the ciphertext instead). */
function dbChanges(changes: Input): Row {
  const out: Row = {};
  for (const [field, value] of Object.entries(changes)) {
    if (field === 'hasApiKey') continue;
    const column = COLUMN[field];
    if (!column) throw new Error(`no column for ${field}`);
    if (field === 'abilities') out.abilities = value === null ? null : JSON.stringify(value);
    else if (field === 'isShared') out.is_shared = value ? 1 : 0;
    else out[column] = value;
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

async function expectApplied(modelId: string, input: Input, changes: Input, options: UpdateOptions & { key?: KeyEffect } = {}) {
  const srv = options.srv ?? server;
  const token = options.token ?? alice();
  const before = await view(modelId, token, srv);
  const beforeRow = stored(modelId, srv);
  await sleep(5); // updatedAt has millisecond resolution
  const res = await update(modelId, input, { ...options, token });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    data: { updateModel: { ...before, ...changes, version: before.version + 1, updatedAt: expect.stringMatching(ISO_Z) } },
  });
  const after = res.body.data.updateModel;
  expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
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
  expect(await view(modelId, token, srv)).toEqual(after);
  return after;
}

async function expectNoChange(modelId: string, input: Input, options: UpdateOptions = {}) {
  const srv = options.srv ?? server;
  const token = options.token ?? alice();
  const before = await view(modelId, token, srv);
  const beforeRow = stored(modelId, srv);
  await sleep(5);
  const res = await update(modelId, input, { ...options, token });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ data: { updateModel: before } });
  expect(stored(modelId, srv)).toEqual(beforeRow);
}

interface Expected {
  status: number;
  body: unknown;
}

/** Error locations depend on how the operation was written; everything else is compared. */
function withoutLocations(body: any): unknown {
  if (!body || !Array.isArray(body.errors)) return body;
  return { ...body, errors: body.errors.map(({ locations: _locations, ...error }: any) => error) };
}

async function expectRefused(modelId: string, input: Input, expected: Expected, options: UpdateOptions = {}) {
  const srv = options.srv ?? server;
  const beforeRow = stored(modelId, srv);
  const res = await update(modelId, input, options);
  expect({ status: res.status, body: withoutLocations(res.body) }).toEqual(expected);
  expect(stored(modelId, srv)).toEqual(beforeRow);
  return res;
}

/** An error raised while executing updateModel: HTTP 200, data null. */
function executionError(message: string, extensions: unknown): Expected {
  return { status: 200, body: { data: null, errors: [{ message, path: ['updateModel'], extensions }] } };
}

/** A 422 of the contract: BAD_USER_INPUT naming the fields at fault. */
function invalid(...issues: Issue[]): Expected {
  const fields = [...new Set(issues.map((i) => String(i.path[0])))];
  const message = `Invalid input: ${issues.map((i) => `${i.path.join('.')}: ${i.msg}`).join('; ')}`;
  return executionError(message, { code: 'BAD_USER_INPUT', fields, issues });
}

/** A variable graphql-js refuses before execution: HTTP 400, BAD_USER_INPUT naming the field, no value echoed. */
function coercion(field: string, reason: string, at: string = field): Expected {
  return {
    status: 400,
    body: {
      errors: [
        {
          message: `Variable "$input" got invalid value at "input.${at}"; ${reason}`,
          extensions: { code: 'BAD_USER_INPUT', fields: [field] },
        },
      ],
    },
  };
}

/** 403 / 409 / stale version: the contract fixes the code (and our texts match REST's detail). */
const refusedWith = (code: string, message: string): Expected => executionError(message, expect.objectContaining({ code }));
const sharedLock = (fields: string) => refusedWith('CONFLICT', `Cannot change ${fields} of a shared model. Un-share first.`);
const SHARING_FORBIDDEN = refusedWith('FORBIDDEN', 'Only administrators can enable global sharing');
const STALE = refusedWith('CONFLICT', 'Precondition Failed');

// ---------------------------------------------------------------------------------------------
// The accepted updates of ./cases/update.cases, in camelCase
// ---------------------------------------------------------------------------------------------

interface ChangeCase {
  name: string;
  create?: Input;
  input: Input;
  /** Model fields that change; empty (and key kept) means a no-op. */
  changes: Input;
  key?: KeyEffect;
}

const CHANGE_CASES: ChangeCase[] = CASES.filter((c) => c.only !== 'rest').map(({ name, create, input, changes, key }) => ({
  name: caseName(name, 'graphql'),
  create,
  input,
  changes,
  key,
}));

describe.each(MODES)('accepted updates, input as %s', (mode) => {
  it.each(CHANGE_CASES)('$name', async ({ create, input, changes, key }) => {
    const model = await createFromBase(create);
    if (Object.keys(changes).length === 0 && (key ?? 'kept') === 'kept') await expectNoChange(model.modelId, input, { mode });
    else await expectApplied(model.modelId, input, changes, { mode, key });
  });
});

describe('omitted versus explicit null', () => {
  const PARTIAL = `mutation($id: String!, $b: String, $t: Float) {
    updateModel(modelId: $id, input: { baseUrl: $b, temperature: $t }) { ${MODEL_FIELDS} }
  }`;

  it('an input field bound to a variable that is not provided is left out (unchanged)', async () => {
    const model = await createFromBase();
    const before = await view(model.modelId);
    const beforeRow = stored(model.modelId);
    const res = await gql(server.url, PARTIAL, { id: model.modelId }, alice());
    expect(res.body).toEqual({ data: { updateModel: before } });
    expect(stored(model.modelId)).toEqual(beforeRow);
  });

  it('the same field bound to a variable that is null is cleared; the other one stays', async () => {
    const model = await createFromBase();
    const before = await view(model.modelId);
    await sleep(5);
    const res = await gql(server.url, PARTIAL, { id: model.modelId, b: null }, alice());
    expect(res.body).toEqual({ data: { updateModel: { ...before, baseUrl: null, version: 2, updatedAt: expect.stringMatching(ISO_Z) } } });
    expect(stored(model.modelId)).toMatchObject({ base_url: null, temperature: 0.7, version: 2 });
  });

  it('a variable with a value applies it', async () => {
    const model = await createFromBase();
    const res = await gql(server.url, PARTIAL, { id: model.modelId, t: 1.1 }, alice());
    expect(res.body.data.updateModel).toMatchObject({ baseUrl: 'https://api.example.com/v1', temperature: 1.1, version: 2 });
  });

  it.each(MODES)('input as %s: {} leaves everything, {temperature: null} clears only temperature', async (mode) => {
    const model = await createFromBase();
    await expectNoChange(model.modelId, {}, { mode });
    await expectApplied(model.modelId, { temperature: null }, { temperature: null }, { mode });
    expect(stored(model.modelId)).toMatchObject({ base_url: 'https://api.example.com/v1', dimension: 1536, description: 'A chat model' });
  });

  it('a new apiKey is stored encrypted: the plaintext is in no column, no database file and no log line', async () => {
    const model = await createFromBase();
    const secret = 'sk-PLAINTEXT-never-stored-gql-4242';
    await expectApplied(model.modelId, { apiKey: secret }, {}, { key: { replacedWith: secret } });
    for (const value of Object.values(stored(model.modelId))) expect(String(value)).not.toContain(secret);
    // SQLite: the database file and its WAL; PostgreSQL: every row of every table, as text.
    for (const { place, bytes } of storedAtRest(server))
      expect({ place, found: bytes.includes(Buffer.from(secret)) }).toEqual({ place, found: false });
    expect(server.logs()).not.toContain(secret);
    await expectNoChange(model.modelId, { apiKey: secret });
  });
});

// ---------------------------------------------------------------------------------------------
// Refused updates
// ---------------------------------------------------------------------------------------------

interface RefusalCase {
  name: string;
  create?: Input;
  input: Input;
  expected: Expected;
  /** Refused by graphql-js's variable coercion; the same value inline is an invalid document. */
  variablesOnly?: boolean;
}

function graphqlOutcome(outcome: Outcome): { expected: Expected; variablesOnly?: boolean } {
  if ('invalid' in outcome) return { expected: invalid(...outcome.invalid) };
  if ('typeError' in outcome) {
    const [field, index] = outcome.typeError.path;
    const at = index === undefined ? String(field) : `${field}[${index}]`;
    return { expected: coercion(String(field), outcome.graphqlReason, at), variablesOnly: true };
  }
  return { expected: executionError(outcome.badRequest, { code: 'BAD_USER_INPUT', fields: [outcome.field] }) };
}

const REFUSAL_CASES: RefusalCase[] = REFUSALS.filter((c) => c.only !== 'rest').map(({ name, create, input, outcome }) => ({
  name: caseName(name, 'graphql'),
  create,
  input,
  ...graphqlOutcome(outcome),
}));

describe.each(MODES)('refused updates change nothing, input as %s', (mode) => {
  const cases = REFUSAL_CASES.filter((c) => mode === 'variables' || !c.variablesOnly);
  it.each(cases)('$name', async ({ create, input, expected }) => {
    const model = await createFromBase(create);
    await expectRefused(model.modelId, input, expected, { mode });
  });
});

describe('a refused variable never echoes its value', () => {
  it('an apiKey beside a wrongly typed field stays out of the error', async () => {
    const model = await createFromBase();
    const secret = 'sk-ECHO-CHECK-31337';
    const res = await expectRefused(model.modelId, { apiKey: secret, temperature: 'hot' }, coercion('temperature', NOT_NUMBER));
    expect(res.text).not.toContain(secret);
  });
});

// ---------------------------------------------------------------------------------------------

describe('fields that are not input fields are rejected at validation', () => {
  const NON_INPUT: Input = {
    id: 999999,
    modelId: 'hijacked-id',
    isOwner: false,
    owner: 'bob',
    version: 42,
    isActive: false,
    createdAt: '2000-01-01T00:00:00Z',
    updatedAt: '2000-01-01T00:00:00Z',
    canEdit: false,
    canDelete: false,
    isShared: true,
    hasApiKey: false,
  };

  it.each(Object.entries(NON_INPUT))(
    '%s in the input variable: HTTP 400 BAD_USER_INPUT naming it, nothing changes',
    async (field, value) => {
      const model = await createFromBase();
      const beforeRow = stored(model.modelId);
      const res = await update(model.modelId, { description: 'not applied', [field]: value });
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors).toHaveLength(1);
      const [error] = res.body.errors;
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: [field] });
      expect(error.message).toMatch(
        new RegExp(`^Variable "\\$input" got invalid value; Field "${field}" is not defined by type "UpdateModelInput"\\.`),
      );
      expect(stored(model.modelId)).toEqual(beforeRow);
    },
  );

  it('an unknown field beside an apiKey: the key is not echoed', async () => {
    const model = await createFromBase();
    const secret = 'sk-ECHO-CHECK-unknown-field';
    const res = await expectRefused(
      model.modelId,
      { apiKey: secret, version: 7 },
      {
        status: 400,
        body: {
          errors: [
            {
              message: 'Variable "$input" got invalid value; Field "version" is not defined by type "UpdateModelInput".',
              extensions: { code: 'BAD_USER_INPUT', fields: ['version'] },
            },
          ],
        },
      },
    );
    expect(res.text).not.toContain(secret);
  });

  it('written inline: HTTP 400 BAD_USER_INPUT naming each field, nothing changes', async () => {
    const model = await createFromBase();
    const beforeRow = stored(model.modelId);
    const seen: unknown[] = [];
    for (const [field, value] of Object.entries(NON_INPUT)) {
      const res = await update(model.modelId, { description: 'not applied', [field]: value }, { mode: 'inline' });
      seen.push({ field, status: res.status, data: res.body.data, codes: res.body.errors?.map((e: any) => e.extensions) });
    }
    expect(seen).toEqual(
      Object.keys(NON_INPUT).map((field) => ({
        field,
        status: 400,
        data: undefined,
        codes: [{ code: 'BAD_USER_INPUT', fields: [field] }],
      })),
    );
    expect(stored(model.modelId)).toEqual(beforeRow);
  });
});

// ---------------------------------------------------------------------------------------------

describe('optimistic concurrency (expectedVersion)', () => {
  it.each(MODES)('input as %s: a matching expectedVersion applies the update, version +1', async (mode) => {
    const model = await createFromBase();
    const after = await expectApplied(model.modelId, { temperature: 1.5 }, { temperature: 1.5 }, { mode, expectedVersion: 1 });
    expect(after.version).toBe(2);
    const next = await expectApplied(model.modelId, { temperature: 1.6 }, { temperature: 1.6 }, { mode, expectedVersion: 2 });
    expect(next.version).toBe(3);
  });

  it.each(MODES)('input as %s: a stale expectedVersion is CONFLICT and changes nothing', async (mode) => {
    const model = await createFromBase();
    await expectApplied(model.modelId, { description: 'v2' }, { description: 'v2' });
    await expectRefused(model.modelId, { description: 'lost?' }, STALE, { mode, expectedVersion: 1 });
    await expectRefused(model.modelId, { description: 'lost?' }, STALE, { mode, expectedVersion: 3 });
  });

  it('a stale expectedVersion on a no-op input is still CONFLICT', async () => {
    const model = await createFromBase();
    await expectApplied(model.modelId, { description: 'v2' }, { description: 'v2' });
    await expectRefused(model.modelId, {}, STALE, { expectedVersion: 1 });
  });

  it('a matching expectedVersion on a no-op input answers the model without a bump', async () => {
    const model = await createFromBase();
    await expectNoChange(model.modelId, { description: 'A chat model' }, { expectedVersion: 1 });
  });

  it('expectedVersion: null applies the update without a check', async () => {
    const model = await createFromBase();
    await expectApplied(model.modelId, { description: 'v2' }, { description: 'v2' });
    await expectApplied(model.modelId, { description: 'v3' }, { description: 'v3' }, { expectedVersion: null });
    await expectApplied(model.modelId, { description: 'v4' }, { description: 'v4' }, { expectedVersion: null, mode: 'inline' });
  });

  it('invalid input wins over a stale expectedVersion (BAD_USER_INPUT)', async () => {
    const model = await createFromBase();
    await expectRefused(
      model.modelId,
      { temperature: -1 },
      invalid(issue(['temperature'], 'Input should be greater than or equal to 0', 'greater_than_equal')),
      { expectedVersion: 7 },
    );
  });

  it('concurrent updates with the same expectedVersion: exactly one wins, the others get CONFLICT', async () => {
    const model = await createFromBase();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => update(model.modelId, { description: `writer ${i}` }, { expectedVersion: 1 })),
    );
    const winners = results.filter((r) => !r.body.errors);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((r) => r.body.errors))
      expect({ status: loser.status, body: withoutLocations(loser.body) }).toEqual(STALE);
    expect(stored(model.modelId)).toMatchObject({ version: 2, description: winners[0]!.body.data.updateModel.description });
  });

  it('concurrent updates without expectedVersion never lose a write', async () => {
    const model = await createFromBase();
    const inputs: Input[] = [
      { temperature: 0.3 },
      { dimension: 64 },
      { description: 'concurrent' },
      { baseUrl: 'https://concurrent.example.com' },
      { modelName: 'concurrent-name' },
      { modelProvider: 'concurrent-provider' },
      { abilities: ['x'] },
      { apiKey: 'sk-concurrent-0003' },
    ];
    const results = await Promise.all(inputs.map((input) => update(model.modelId, input)));
    expect(results.map((r) => r.body.errors)).toEqual(inputs.map(() => undefined));
    expect(results.map((r) => r.body.data.updateModel.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(stored(model.modelId)).toMatchObject({
      temperature: 0.3,
      dimension: 64,
      description: 'concurrent',
      base_url: 'https://concurrent.example.com',
      model_name: 'concurrent-name',
      model_provider: 'concurrent-provider',
      abilities: '["x"]',
      version: 9,
    });
    await expectNoChange(model.modelId, { apiKey: 'sk-concurrent-0003' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('shared-model lock', () => {
  it('changing category → CONFLICT "category"', async () => {
    const model = await createShared({ abilities: null });
    await expectRefused(model.modelId, { category: 'embedding' }, sharedLock('category'));
  });

  it('changing category where the stored abilities fit the new one → CONFLICT "category"', async () => {
    const model = await createShared({ abilities: ['generate'] });
    await expectRefused(model.modelId, { category: 'image' }, sharedLock('category'));
  });

  it('changing abilities → CONFLICT "abilities"', async () => {
    const model = await createShared();
    await expectRefused(model.modelId, { abilities: ['chat'] }, sharedLock('abilities'));
  });

  it('clearing abilities (null) → CONFLICT "abilities"', async () => {
    const model = await createShared();
    await expectRefused(model.modelId, { abilities: null }, sharedLock('abilities'), { mode: 'inline' });
  });

  it('changing both → CONFLICT "category and abilities"', async () => {
    const model = await createShared();
    await expectRefused(model.modelId, { category: 'image', abilities: ['generate'] }, sharedLock('category and abilities'));
  });

  it('an admin is held to the lock too', async () => {
    const model = await createShared({ abilities: null });
    await expectRefused(model.modelId, { category: 'embedding' }, sharedLock('category'), { token: admin() });
  });

  it('the lock refuses the whole request: other fields in it are not applied', async () => {
    const model = await createShared();
    await expectRefused(model.modelId, { abilities: ['chat'], temperature: 0.2, description: 'x' }, sharedLock('abilities'));
  });

  it('the same abilities in a new order are allowed and stored in the new order', async () => {
    const model = await createShared();
    await expectApplied(model.modelId, { abilities: ['vision', 'chat'] }, { abilities: ['vision', 'chat'] });
  });

  it('the same abilities with duplicates are the same set: no change', async () => {
    const model = await createShared();
    await expectNoChange(model.modelId, { abilities: ['chat', 'vision', 'chat', ' vision '] });
  });

  it('re-sending the same category (any case) and abilities is no change', async () => {
    const model = await createShared();
    await expectNoChange(model.modelId, { category: 'LLM', abilities: ['chat', 'vision'] });
  });

  it('other fields of a shared model may change', async () => {
    const model = await createShared();
    await expectApplied(
      model.modelId,
      { temperature: 0.2, description: 'still shared' },
      { temperature: 0.2, description: 'still shared' },
    );
  });

  it('un-share and change category in one request → CONFLICT (the lock looks at the model as it was)', async () => {
    const model = await createShared({ abilities: null });
    await expectRefused(model.modelId, { shareWithUsers: false, category: 'embedding' }, sharedLock('category'));
    expect(stored(model.modelId).is_shared).toBe(1);
  });

  it('un-share alone, then change category and abilities: both succeed', async () => {
    const model = await createShared();
    await expectApplied(model.modelId, { shareWithUsers: false }, { isShared: false });
    await expectApplied(
      model.modelId,
      { category: 'embedding', abilities: ['embedding'] },
      { category: 'embedding', abilities: ['embedding'] },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('sharing permission', () => {
  it.each(MODES)('input as %s: a non-admin owner enabling sharing → FORBIDDEN, nothing changes', async (mode) => {
    const model = await createFromBase();
    await expectRefused(model.modelId, { shareWithUsers: true, temperature: 0.1 }, SHARING_FORBIDDEN, { mode });
  });

  it('an admin may enable sharing on a model of another user', async () => {
    const model = await createFromBase();
    const after = await expectApplied(model.modelId, { shareWithUsers: true }, { isShared: true }, { token: admin() });
    expect(after).toMatchObject({ isOwner: false, canEdit: true, canDelete: true });
    expect((await view(model.modelId, bob())).modelId).toBe(model.modelId);
  });

  it('the owner may turn sharing off', async () => {
    const model = await createShared();
    await expectApplied(model.modelId, { shareWithUsers: false }, { isShared: false });
  });

  it('the owner re-sending true for an already shared model is no change', async () => {
    const model = await createShared();
    await expectNoChange(model.modelId, { shareWithUsers: true });
  });

  it('a user who may see a shared model but not edit it gets FORBIDDEN, nothing changes', async () => {
    const model = await createShared();
    await expectRefused(model.modelId, { shareWithUsers: false }, refusedWith('FORBIDDEN', 'No permission to edit this model'), {
      token: bob(),
    });
  });

  describe('with SHARING=owners', () => {
    let owners: RunningServer;
    beforeAll(async () => {
      owners = await startServer({ env: { SHARING: 'owners' } });
    });
    afterAll(async () => {
      await owners?.stop();
    });

    it('the owner may share their own model, and turn it off again', async () => {
      const model = await createFromBase({}, alice(), owners);
      await expectApplied(model.modelId, { shareWithUsers: true }, { isShared: true }, { srv: owners });
      await expectRefused(model.modelId, { abilities: ['chat'] }, sharedLock('abilities'), { srv: owners });
      await expectApplied(model.modelId, { shareWithUsers: false }, { isShared: false }, { srv: owners });
    });
  });
});
