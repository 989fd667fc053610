/**
 * The contract's "Errors" section: every row of the REST table (status, body, headers), the
 * GraphQL mapping (extensions.code, HTTP status), the order of precedence when several cases
 * apply, and that no response carries internals or secrets. Every refused request is also
 * checked to have changed nothing in the database.
 */
import { gql, MODEL_FIELDS, request, type RequestOptions } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { admin, alice, bob, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, tokenFor } from './helpers/tokens';
import { createModelAnswer, expectUnchanged, storedRow } from './helpers/models';

let srv: RunningServer;

const ALICE = alice();
const BOB = bob();
const ADMIN = admin();

const NOT_AUTHENTICATED = { detail: 'Not authenticated' };
const BAD_CREDENTIALS = { detail: 'Could not validate credentials' };
const NOT_FOUND = { detail: 'Model not found' };
const NO_EDIT = { detail: 'No permission to edit this model' };
const NO_DELETE = { detail: 'No permission to delete this model' };
const NO_SHARING = { detail: 'Only administrators can enable global sharing' };
const PRECONDITION = { detail: 'Precondition Failed' };
const DUPLICATE = { detail: 'Model ID already exists' };
const BAD_CATEGORY = { detail: 'Invalid model category' };
const LOCK_CATEGORY = { detail: 'Cannot change category of a shared model. Un-share first.' };
const LOCK_ABILITIES = { detail: 'Cannot change abilities of a shared model. Un-share first.' };
const LOCK_BOTH = { detail: 'Cannot change category and abilities of a shared model. Un-share first.' };

/** Every api_key this file sends starts with this; none may ever come back. */
const KEY_PREFIX = 'sk-err-secret-';
const OVER_LIMIT = 1024 * 1024 + 1024;

/* ---------------------------------------------------------------- helpers */

let responsesChecked = 0;

/** No response body may carry a stack trace, SQL, database/ORM text, or a secret. */
function expectNoLeak(text: string) {
  responsesChecked++;
  expect(text).not.toMatch(/prisma/i);
  expect(text).not.toMatch(/sqlite/i);
  expect(text).not.toMatch(/postgres|\bpg_|violates|duplicate key/i);
  expect(text).not.toMatch(/\bSELECT\b/i);
  expect(text).not.toMatch(/\bat [^\s]+ \(?[^\s]*:\d+:\d+\)?/);
  expect(text).not.toMatch(/\.(?:js|ts):\d+/);
  expect(text).not.toMatch(/"stack"|stacktrace/i);
  expect(text).not.toContain(KEY_PREFIX);
  expect(text).not.toContain(TEST_JWT_SECRET);
  expect(text).not.toContain(TEST_ENCRYPTION_KEY);
}

async function call(method: string, path: string, options: RequestOptions = {}) {
  const res = await request(srv.url, method, path, options);
  expectNoLeak(res.text);
  return res;
}

async function q(query: string, variables?: Record<string, unknown>, token?: string) {
  const res = await gql(srv.url, query, variables, token);
  expectNoLeak(res.text);
  return res;
}

type Row = Record<string, any>;

const row = (modelId: string): Row | undefined => storedRow(srv, modelId);

/** Runs the refused request(s) and asserts the database is exactly as before (every row, every column). */
async function unchanged(fn: () => Promise<void>) {
  await expectUnchanged(srv, fn);
}

/** A fixture model (shared createModel), its answer checked for leaks like every other here. */
async function createFixture(token: string, body: Record<string, unknown>): Promise<void> {
  const res = await createModelAnswer(srv, body, { token });
  expectNoLeak(res.text);
}

function expectRest(res: { status: number; body: any; headers: Headers }, status: number, body: unknown) {
  expect({ status: res.status, body: res.body }).toEqual({ status, body });
  if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
  // A 412 names the version the model is at now (checked exactly in test/precondition-version.test.ts).
  if (status === 412) expect(res.headers.get('etag')).toMatch(/^"\d+"$/);
  else if (status >= 400) expect(res.headers.get('etag')).toBeNull();
}

/** An error raised while executing: HTTP 200, data null, exactly one error with this code. */
function expectGqlError(res: { status: number; body: any }, code: string, message?: string, fields?: string[]) {
  expect(res.status).toBe(200);
  // A nullable root field (model) comes back as null beside the error; a non-null one nulls data.
  const data = res.body.data;
  expect(data === null || (typeof data === 'object' && Object.values(data).every((value) => value === null))).toBe(true);
  expect(res.body.errors).toHaveLength(1);
  const error = res.body.errors![0];
  expect(error.extensions.code).toBe(code);
  if (message !== undefined) expect(error.message).toBe(message);
  if (fields !== undefined) expect(error.extensions.fields).toEqual(fields);
}

function issue(field: (string | number)[] | string, type: string, msg: string) {
  return { loc: ['body', ...(Array.isArray(field) ? field : [field])], msg, type };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

const UPDATE_GQL = `mutation($id: String!, $input: UpdateModelInput!, $v: Int) { updateModel(modelId: $id, input: $input, expectedVersion: $v) { modelId version } }`;
const CREATE_GQL = `mutation($input: CreateModelInput!) { createModel(input: $input) { ${MODEL_FIELDS} } }`;

/* ---------------------------------------------------------------- fixtures */

/** alice's private llm model. */
const PRIVATE = 'er-private';
/** alice's rerank model, shared by an admin. */
const SHARED = 'er-shared';

beforeAll(async () => {
  srv = await startServer();
  await createFixture(ALICE, { model_id: PRIVATE, model_provider: 'openai', model_name: 'gpt', api_key: `${KEY_PREFIX}fixture` });
  await createFixture(ALICE, {
    model_id: SHARED,
    model_provider: 'cohere',
    model_name: 'rerank-3',
    category: 'rerank',
    abilities: ['rerank'],
  });
  const shared = await call('PUT', `/api/models/${SHARED}`, { token: ADMIN, body: { share_with_users: true } });
  expect(shared.status).toBe(200);
  expect(row(SHARED)).toMatchObject({ is_shared: 1, version: 2 });
});

afterAll(async () => {
  await srv?.stop();
});

/* ---------------------------------------------------------------- 401 */

describe('401: no, malformed or refused token', () => {
  const createBody = { model_id: 'er-401', model_provider: 'openai', model_name: 'gpt', api_key: `${KEY_PREFIX}401` };
  const endpoints: [string, string, unknown?][] = [
    ['GET', '/api/models'],
    ['POST', '/api/models', createBody],
    ['POST', '/api/models/register', createBody],
    ['GET', `/api/models/${PRIVATE}`],
    ['PUT', `/api/models/${PRIVATE}`, { model_name: 'hijacked' }],
    ['DELETE', `/api/models/${PRIVATE}`],
    ['GET', `/api/models/by-id/${PRIVATE}`],
    ['PUT', `/api/models/by-id/${PRIVATE}`, { model_name: 'hijacked' }],
    ['DELETE', `/api/models/by-id/${PRIVATE}`],
  ];

  const cases: [string, Record<string, string>, typeof NOT_AUTHENTICATED][] = [
    ['no Authorization header', {}, NOT_AUTHENTICATED],
    ['an empty Authorization header', { Authorization: '' }, NOT_AUTHENTICATED],
    ['a non-Bearer scheme', { Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` }, NOT_AUTHENTICATED],
    ['"Bearer" without a token', { Authorization: 'Bearer' }, NOT_AUTHENTICATED],
    ['a garbage token', { Authorization: 'Bearer not-a-jwt' }, BAD_CREDENTIALS],
    ['a three-part garbage token', { Authorization: 'Bearer aaa.bbb.ccc' }, BAD_CREDENTIALS],
  ];
  for (const [name, headers, detail] of cases) {
    it(`${name} → 401 ${detail.detail}, WWW-Authenticate: Bearer, nothing changes`, async () => {
      await unchanged(async () => {
        for (const [method, path, body] of endpoints) {
          const res = await call(method, path, { headers, body });
          expectRest(res, 401, detail);
        }
      });
    });
  }

  const refused: [string, () => string][] = [
    ['an expired token', () => tokenFor('alice', { expiresInSec: -120 })],
    ['a token signed with another secret', () => tokenFor('alice', { secret: 'another-secret-that-is-long-enough-0123456789' })],
    [
      'an unsigned (alg: none) token',
      () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'alice', roles: ['admin'], exp: now() + 3600 })}.`,
    ],
    [
      'a token with a tampered payload',
      () => {
        const [h, , s] = ALICE.split('.');
        return `${h}.${b64url({ sub: 'alice', roles: ['admin'], exp: now() + 3600 })}.${s}`;
      },
    ],
    ['a not-yet-valid token', () => tokenFor('alice', { claims: { nbf: now() + 3600 } })],
    ['a token without exp', () => tokenFor('alice', { claims: { exp: undefined } })],
    ['a token with an empty sub', () => tokenFor('')],
    ['a token without sub', () => tokenFor('alice', { claims: { sub: undefined } })],
  ];
  for (const [name, token] of refused) {
    it(`${name} → 401 Could not validate credentials, nothing changes`, async () => {
      await unchanged(async () => {
        for (const [method, path, body] of endpoints) {
          const res = await call(method, path, { token: token(), body });
          expectRest(res, 401, BAD_CREDENTIALS);
        }
      });
    });
  }
});

/* ---------------------------------------------------------------- the other rows of the table */

describe('403: may see, may not edit / non-admin enables sharing', () => {
  it('PUT on a visible model of someone else → 403 No permission to edit this model', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${SHARED}`, { token: BOB, body: { description: 'x' } }), 403, NO_EDIT);
    });
  });

  it('DELETE on a visible model of someone else → 403 No permission to delete this model', async () => {
    await unchanged(async () => {
      expectRest(await call('DELETE', `/api/models/${SHARED}`, { token: BOB }), 403, NO_DELETE);
    });
  });

  it('a non-admin turning sharing on (update) → 403 Only administrators can enable global sharing', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { share_with_users: true } }), 403, NO_SHARING);
      expectRest(
        await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { share_with_users: true, description: 'and this' } }),
        403,
        NO_SHARING,
      );
    });
  });

  it('a non-admin creating a shared model → 403, nothing created', async () => {
    await unchanged(async () => {
      expectRest(
        await call('POST', '/api/models', {
          token: ALICE,
          body: { model_id: 'er-share-create', model_provider: 'p', model_name: 'n', share_with_users: true },
        }),
        403,
        // The contract gives create its own text (the replaced service's).
        { detail: 'Only administrators can share models with all users' },
      );
    });
  });
});

describe('404: no such model, or not visible', () => {
  it('GET, PUT, DELETE of an unknown id → 404 Model not found', async () => {
    await unchanged(async () => {
      expectRest(await call('GET', '/api/models/er-none', { token: ALICE }), 404, NOT_FOUND);
      expectRest(await call('PUT', '/api/models/er-none', { token: ALICE, body: { description: 'x' } }), 404, NOT_FOUND);
      expectRest(await call('DELETE', '/api/models/er-none', { token: ALICE }), 404, NOT_FOUND);
      expectRest(await call('GET', '/api/models/by-id/er/none', { token: ALICE }), 404, NOT_FOUND);
    });
  });

  it('GET, PUT, DELETE of a model the caller may not see → 404 Model not found', async () => {
    await unchanged(async () => {
      expectRest(await call('GET', `/api/models/${PRIVATE}`, { token: BOB }), 404, NOT_FOUND);
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: BOB, body: { description: 'x' } }), 404, NOT_FOUND);
      expectRest(await call('DELETE', `/api/models/${PRIVATE}`, { token: BOB }), 404, NOT_FOUND);
    });
  });
});

describe('400: duplicate model_id, unknown category', () => {
  it('duplicate model_id on create → 400 Model ID already exists', async () => {
    await unchanged(async () => {
      expectRest(
        await call('POST', '/api/models', { token: ALICE, body: { model_id: PRIVATE, model_provider: 'p', model_name: 'n' } }),
        400,
        DUPLICATE,
      );
      expectRest(
        await call('POST', '/api/models/register', { token: BOB, body: { model_id: PRIVATE, model_provider: 'p', model_name: 'n' } }),
        400,
        DUPLICATE,
      );
    });
  });

  it('unknown category on create, update and list filter → 400 Invalid model category', async () => {
    await unchanged(async () => {
      expectRest(
        await call('POST', '/api/models', {
          token: ALICE,
          body: { model_id: 'er-cat', model_provider: 'p', model_name: 'n', category: 'chat' },
        }),
        400,
        BAD_CATEGORY,
      );
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { category: 'chat' } }), 400, BAD_CATEGORY);
      expectRest(await call('GET', '/api/models?category=chat', { token: ALICE }), 400, BAD_CATEGORY);
    });
  });
});

describe('409: shared model, category/abilities change', () => {
  it('category → 409 Cannot change category of a shared model. Un-share first.', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${SHARED}`, { token: ALICE, body: { category: 'llm' } }), 409, LOCK_CATEGORY);
      // The lock reads the model as it was: un-sharing in the same request does not help.
      expectRest(
        await call('PUT', `/api/models/${SHARED}`, { token: ADMIN, body: { category: 'llm', share_with_users: false } }),
        409,
        LOCK_CATEGORY,
      );
    });
  });

  it('abilities → 409 Cannot change abilities of a shared model. Un-share first.', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${SHARED}`, { token: ALICE, body: { abilities: null } }), 409, LOCK_ABILITIES);
    });
  });

  it('both → 409 Cannot change category and abilities of a shared model. Un-share first.', async () => {
    await unchanged(async () => {
      expectRest(
        await call('PUT', `/api/models/${SHARED}`, { token: ALICE, body: { category: 'embedding', abilities: ['embedding'] } }),
        409,
        LOCK_BOTH,
      );
    });
  });
});

describe('412: If-Match does not match', () => {
  it.each(['"1"', 'W/"1"', '1', '"99"', '"abc"', '"1", "7"'])(
    'If-Match %s on a version-2 model → 412 Precondition Failed',
    async (ifMatch) => {
      expect(row(SHARED)!.version).toBe(2);
      await unchanged(async () => {
        expectRest(
          await call('PUT', `/api/models/${SHARED}`, { token: ALICE, body: { description: 'x' }, headers: { 'If-Match': ifMatch } }),
          412,
          PRECONDITION,
        );
      });
    },
  );
});

describe('413: body over the limit (1 MiB)', () => {
  const huge = JSON.stringify({ model_id: 'er-huge', model_provider: 'p', model_name: 'n', description: 'x'.repeat(OVER_LIMIT) });

  it('POST /api/models → 413 {"detail": "..."}, nothing created', async () => {
    await unchanged(async () => {
      const res = await call('POST', '/api/models', { token: ALICE, rawBody: huge });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ detail: expect.any(String) });
    });
  });

  it('PUT /api/models/{id} → 413, nothing changes', async () => {
    await unchanged(async () => {
      const res = await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, rawBody: huge });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ detail: expect.any(String) });
    });
  });

  it('POST /graphql → 413', async () => {
    await unchanged(async () => {
      const res = await call('POST', '/graphql', {
        token: ALICE,
        body: {
          query: CREATE_GQL,
          variables: { input: { modelId: 'er-huge', modelProvider: 'p', modelName: 'n', description: 'x'.repeat(OVER_LIMIT) } },
        },
      });
      expect(res.status).toBe(413);
    });
  });

  it('a body just under the limit is read (and refused as too long a description: 422, not 413)', async () => {
    await unchanged(async () => {
      const body = JSON.stringify({ description: 'x'.repeat(1024 * 1024 - 1024) });
      const res = await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, rawBody: body });
      expectRest(res, 422, { detail: [issue('description', 'string_too_long', 'String should have at most 4000 characters')] });
    });
  });
});

describe('422: malformed JSON, wrong types, out-of-range values, null for a required field', () => {
  it.each([
    ['POST', '/api/models'],
    ['PUT', `/api/models/${PRIVATE}`],
  ])('malformed JSON on %s %s → 422 json_invalid', async (method, path) => {
    await unchanged(async () => {
      for (const raw of ['{bad', '{"model_name": "x",}', "{'a': 1}", '{"a": 1']) {
        const res = await call(method, path, { token: ALICE, rawBody: raw });
        expect(res.status).toBe(422);
        expect(res.body).toEqual({ detail: [{ loc: expect.arrayContaining(['body']), msg: 'JSON decode error', type: 'json_invalid' }] });
        expect(res.body.detail[0].loc[0]).toBe('body');
      }
    });
  });

  it('an empty body → 422 missing at ["body"]', async () => {
    await unchanged(async () => {
      for (const [method, path] of [
        ['POST', '/api/models'],
        ['PUT', `/api/models/${PRIVATE}`],
      ]) {
        const res = await call(method, path, { token: ALICE, rawBody: '' });
        expectRest(res, 422, { detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] });
      }
    });
  });

  it('a JSON body that is not an object → 422 model_attributes_type', async () => {
    await unchanged(async () => {
      for (const raw of ['[]', '"text"', '42', 'null', 'true']) {
        const res = await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, rawBody: raw });
        expectRest(res, 422, {
          detail: [
            { loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' },
          ],
        });
      }
    });
  });

  const wrong: [string, Record<string, unknown>, ReturnType<typeof issue>][] = [
    ['temperature as a string', { temperature: '0.5' }, issue('temperature', 'float_type', 'Input should be a valid number')],
    [
      'share_with_users as a string',
      { share_with_users: 'true' },
      issue('share_with_users', 'bool_type', 'Input should be a valid boolean'),
    ],
    ['model_name as a number', { model_name: 1 }, issue('model_name', 'string_type', 'Input should be a valid string')],
    ['model_provider as an object', { model_provider: { a: 1 } }, issue('model_provider', 'string_type', 'Input should be a valid string')],
    [
      'dimension with a fraction',
      { dimension: 1.5 },
      issue('dimension', 'int_from_float', 'Input should be a valid integer, got a number with a fractional part'),
    ],
    ['dimension as a string', { dimension: '12' }, issue('dimension', 'int_type', 'Input should be a valid integer')],
    ['abilities as a string', { abilities: 'chat' }, issue('abilities', 'list_type', 'Input should be a valid list')],
    [
      'an ability that is not a string',
      { abilities: ['chat', 1] },
      issue(['abilities', 1], 'string_type', 'Input should be a valid string'),
    ],
    ['api_key as a number', { api_key: 12345 }, issue('api_key', 'string_type', 'Input should be a valid string')],
    ['temperature above 2', { temperature: 2.01 }, issue('temperature', 'less_than_equal', 'Input should be less than or equal to 2')],
    [
      'temperature below 0',
      { temperature: -0.1 },
      issue('temperature', 'greater_than_equal', 'Input should be greater than or equal to 0'),
    ],
    ['dimension 0', { dimension: 0 }, issue('dimension', 'greater_than_equal', 'Input should be greater than or equal to 1')],
    ['dimension 65537', { dimension: 65537 }, issue('dimension', 'less_than_equal', 'Input should be less than or equal to 65536')],
    ['an empty model_name', { model_name: '   ' }, issue('model_name', 'string_too_short', 'String should have at least 1 character')],
    [
      'a model_provider over 128',
      { model_provider: 'p'.repeat(129) },
      issue('model_provider', 'string_too_long', 'String should have at most 128 characters'),
    ],
    [
      'a model_name over 256',
      { model_name: 'n'.repeat(257) },
      issue('model_name', 'string_too_long', 'String should have at most 256 characters'),
    ],
    [
      'a description over 4000',
      { description: 'd'.repeat(4001) },
      issue('description', 'string_too_long', 'String should have at most 4000 characters'),
    ],
    [
      '65 abilities',
      { abilities: Array.from({ length: 65 }, (_, i) => `a${i}`) },
      issue('abilities', 'too_long', 'List should have at most 64 items after validation, not 65'),
    ],
    [
      'an ability over 64',
      { abilities: ['x'.repeat(65)] },
      issue(['abilities', 0], 'string_too_long', 'String should have at most 64 characters'),
    ],
    ['an empty ability', { abilities: [' '] }, issue(['abilities', 0], 'string_too_short', 'String should have at least 1 character')],
    ['null model_provider', { model_provider: null }, issue('model_provider', 'string_type', 'Input should be a valid string')],
    ['null model_name', { model_name: null }, issue('model_name', 'string_type', 'Input should be a valid string')],
    ['null category', { category: null }, issue('category', 'string_type', 'Input should be a valid string')],
    ['null share_with_users', { share_with_users: null }, issue('share_with_users', 'bool_type', 'Input should be a valid boolean')],
  ];
  for (const [name, body, expected] of wrong) {
    it(`PUT with ${name} → 422 ${expected.type} at ${JSON.stringify(expected.loc)}`, async () => {
      await unchanged(async () => {
        expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body }), 422, { detail: [expected] });
      });
    });
  }

  it('POST with a wrong type → 422 too, nothing created', async () => {
    await unchanged(async () => {
      const res = await call('POST', '/api/models', {
        token: ALICE,
        body: { model_id: 'er-422', model_provider: 'p', model_name: 'n', temperature: '0.5' },
      });
      expectRest(res, 422, { detail: [issue('temperature', 'float_type', 'Input should be a valid number')] });
    });
  });

  it('base_url that is not an absolute http(s) URL → 422 at ["body", "base_url"]', async () => {
    await unchanged(async () => {
      for (const url of ['not a url', 'ftp://example.com', '/relative/path', 'https://' + 'a'.repeat(2048)]) {
        const res = await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { base_url: url } });
        expect(res.status).toBe(422);
        expect(res.body).toEqual({ detail: [{ loc: ['body', 'base_url'], msg: expect.any(String), type: expect.any(String) }] });
      }
    });
  });

  it('a model_id over 256 characters on create → 422 at ["body", "model_id"]', async () => {
    await unchanged(async () => {
      const res = await call('POST', '/api/models', {
        token: ALICE,
        body: { model_id: 'm'.repeat(257), model_provider: 'p', model_name: 'n' },
      });
      expectRest(res, 422, { detail: [issue('model_id', 'string_too_long', 'String should have at most 256 characters')] });
    });
  });

  it('every problem of a body is listed', async () => {
    await unchanged(async () => {
      const res = await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { temperature: 3, dimension: 0, model_name: null } });
      expect(res.status).toBe(422);
      expect(res.body.detail).toHaveLength(3);
      expect(res.body.detail).toEqual(
        expect.arrayContaining([
          issue('temperature', 'less_than_equal', 'Input should be less than or equal to 2'),
          issue('dimension', 'greater_than_equal', 'Input should be greater than or equal to 1'),
          issue('model_name', 'string_type', 'Input should be a valid string'),
        ]),
      );
    });
  });

  it('a 422 never echoes the refused value (an api_key that is too long)', async () => {
    const key = `${KEY_PREFIX}${'k'.repeat(5000)}`;
    await unchanged(async () => {
      const res = await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { api_key: key, temperature: 'hot' } });
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ loc: ['body', 'api_key'] }),
          expect.objectContaining({ loc: ['body', 'temperature'] }),
        ]),
      );
    });
  });
});

describe('500: anything unexpected', () => {
  // No request from outside can provoke an unexpected error in a correct service; the masking of
  // unexpected errors is covered by the no-leak check on every response in this file.
  it.todo('500 {"detail": "Internal Server Error"}: not provokable through the API');

  // The contract bounds limit (1..1000) but not skip: a skip past every model is an empty page,
  // or (if the service bounds it) a 422 on skip; it is never an unexpected error.
  it.each(['99999999999999999999', '9223372036854775808'])('GET /api/models?skip=%s is not a 500', async (skip) => {
    const res = await call('GET', `/api/models?skip=${skip}`, { token: ALICE });
    expect(res.status).not.toBe(500);
    if (res.status === 200) {
      expect(res.body).toEqual([]);
    } else {
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ detail: [{ loc: ['query', 'skip'], msg: expect.any(String), type: expect.any(String) }] });
    }
  });
});

describe('unknown routes and methods (docs/api.md)', () => {
  it('an unknown REST route → 404 {"detail": "Not Found"}', async () => {
    const res = await call('GET', '/api/nothing-here', { token: ALICE });
    expectRest(res, 404, { detail: 'Not Found' });
  });

  it('a known path with another method → 405 {"detail": "Method Not Allowed"}', async () => {
    await unchanged(async () => {
      expectRest(await call('PATCH', `/api/models/${PRIVATE}`, { token: ALICE, body: { description: 'x' } }), 405, {
        detail: 'Method Not Allowed',
      });
      expectRest(await call('DELETE', '/api/models', { token: ALICE }), 405, { detail: 'Method Not Allowed' });
    });
  });
});

/* ---------------------------------------------------------------- GraphQL */

describe('GraphQL error mapping', () => {
  it('UNAUTHENTICATED for every operation without a token or with a refused one (HTTP 200), nothing changes', async () => {
    const ops: [string, Record<string, unknown>][] = [
      ['{ models { modelId } }', {}],
      ['query($id: String!) { model(modelId: $id) { modelId } }', { id: PRIVATE }],
      [CREATE_GQL, { input: { modelId: 'er-gql-401', modelProvider: 'p', modelName: 'n', apiKey: `${KEY_PREFIX}gql` } }],
      [UPDATE_GQL, { id: PRIVATE, input: { modelName: 'hijacked' } }],
      ['mutation($id: String!) { deleteModel(modelId: $id) }', { id: PRIVATE }],
      ['mutation($id: String!) { setModelActive(modelId: $id, active: false) { modelId } }', { id: PRIVATE }],
    ];
    await unchanged(async () => {
      for (const [query, variables] of ops) {
        expectGqlError(await q(query, variables), 'UNAUTHENTICATED', 'Not authenticated');
        expectGqlError(await q(query, variables, 'garbage'), 'UNAUTHENTICATED', 'Could not validate credentials');
        expectGqlError(
          await q(query, variables, tokenFor('alice', { expiresInSec: -120 })),
          'UNAUTHENTICATED',
          'Could not validate credentials',
        );
      }
    });
  });

  it('a query without model operations works without a token (Sandbox loads the schema)', async () => {
    const res = await q('{ __typename }');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('FORBIDDEN: may see, may not edit / delete / enable sharing', async () => {
    await unchanged(async () => {
      expectGqlError(
        await q(UPDATE_GQL, { id: SHARED, input: { description: 'x' } }, BOB),
        'FORBIDDEN',
        'No permission to edit this model',
      );
      expectGqlError(
        await q(`mutation { deleteModel(modelId: "${SHARED}") }`, undefined, BOB),
        'FORBIDDEN',
        'No permission to delete this model',
      );
      expectGqlError(
        await q(UPDATE_GQL, { id: PRIVATE, input: { shareWithUsers: true } }, ALICE),
        'FORBIDDEN',
        'Only administrators can enable global sharing',
      );
      expectGqlError(
        await q(CREATE_GQL, { input: { modelId: 'er-gql-share', modelProvider: 'p', modelName: 'n', shareWithUsers: true } }, ALICE),
        'FORBIDDEN',
      );
    });
  });

  it('NOT_FOUND: no such model, or not visible', async () => {
    await unchanged(async () => {
      expectGqlError(await q(UPDATE_GQL, { id: 'er-none', input: { description: 'x' } }, ALICE), 'NOT_FOUND', 'Model not found');
      expectGqlError(await q(UPDATE_GQL, { id: PRIVATE, input: { description: 'x' } }, BOB), 'NOT_FOUND', 'Model not found');
      expectGqlError(await q(`mutation { deleteModel(modelId: "${PRIVATE}") }`, undefined, BOB), 'NOT_FOUND', 'Model not found');
    });
  });

  it('BAD_USER_INPUT with extensions.fields for 422 (out of range) and 400 (category, duplicate)', async () => {
    await unchanged(async () => {
      expectGqlError(await q(UPDATE_GQL, { id: PRIVATE, input: { temperature: 2.5 } }, ALICE), 'BAD_USER_INPUT', undefined, [
        'temperature',
      ]);
      expectGqlError(await q(UPDATE_GQL, { id: PRIVATE, input: { temperature: 2.5, dimension: 0 } }, ALICE), 'BAD_USER_INPUT', undefined, [
        'temperature',
        'dimension',
      ]);
      expectGqlError(await q(UPDATE_GQL, { id: PRIVATE, input: { modelName: null } }, ALICE), 'BAD_USER_INPUT', undefined, ['modelName']);
      expectGqlError(await q(UPDATE_GQL, { id: PRIVATE, input: { category: 'chat' } }, ALICE), 'BAD_USER_INPUT', 'Invalid model category', [
        'category',
      ]);
      expectGqlError(
        await q(CREATE_GQL, { input: { modelId: PRIVATE, modelProvider: 'p', modelName: 'n' } }, BOB),
        'BAD_USER_INPUT',
        'Model ID already exists',
        ['modelId'],
      );
      expectGqlError(await q(UPDATE_GQL, { id: SHARED, input: { abilities: ['chat'] } }, ALICE), 'BAD_USER_INPUT', undefined, [
        'abilities',
      ]);
    });
  });

  it('CONFLICT: shared-model lock and stale expectedVersion', async () => {
    await unchanged(async () => {
      expectGqlError(await q(UPDATE_GQL, { id: SHARED, input: { category: 'llm' } }, ALICE), 'CONFLICT', LOCK_CATEGORY.detail);
      expectGqlError(await q(UPDATE_GQL, { id: SHARED, input: { abilities: [] } }, ALICE), 'BAD_USER_INPUT');
      expectGqlError(await q(UPDATE_GQL, { id: SHARED, input: { description: 'x' }, v: 1 }, ALICE), 'CONFLICT');
    });
  });

  it('a refused variable value → BAD_USER_INPUT naming the field; the apiKey inside is not echoed', async () => {
    await unchanged(async () => {
      const res = await q(
        CREATE_GQL,
        { input: { modelId: 'er-var', modelProvider: 'p', modelName: 'n', apiKey: `${KEY_PREFIX}var`, temperature: 'hot' } },
        ALICE,
      );
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', fields: ['temperature'] });
      const upd = await q(UPDATE_GQL, { id: PRIVATE, input: { apiKey: `${KEY_PREFIX}var2`, bogusField: 1 } }, ALICE);
      expect(upd.status).toBe(400);
      expect(upd.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    });
  });

  it('no shape of refused GraphQL value echoes an apiKey (variables and inline literals)', async () => {
    const secret = `${KEY_PREFIX}shape`;
    const attempts: [string, Record<string, unknown> | undefined, string][] = [
      [CREATE_GQL, { input: { modelProvider: 'p', modelName: 'n', apiKey: [secret] } }, 'apiKey'],
      [CREATE_GQL, { input: { modelProvider: 'p', modelName: 'n', apiKey: { value: secret } } }, 'apiKey'],
      [CREATE_GQL, { input: { modelProvider: 'p', modelName: 'n', apiKey: secret, temperature: secret } }, 'temperature'],
      [CREATE_GQL, { input: { modelProvider: 'p', apiKey: secret } }, 'modelName'],
      [CREATE_GQL, { input: { modelProvider: 'p', modelName: 'n', apiKey: secret, dimension: 1.5 } }, 'dimension'],
      [CREATE_GQL, { input: secret }, ''],
      [UPDATE_GQL, { id: { secret }, input: {} }, ''],
      [`mutation { createModel(input: { modelProvider: "p", modelName: "n", apiKey: ["${secret}"] }) { modelId } }`, undefined, ''],
      [`mutation { createModel(input: { modelProvider: "p", modelName: "n", apiKey: { v: "${secret}" } }) { modelId } }`, undefined, ''],
      [`mutation { createModel(input: { modelProvider: "p", modelName: "n", temperature: "${secret}" }) { modelId } }`, undefined, ''],
    ];
    await unchanged(async () => {
      for (const [query, variables, field] of attempts) {
        const res = await q(query, variables, ALICE);
        expect(res.status).toBe(400);
        expect(res.body.errors).toHaveLength(1);
        expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']).toContain(res.body.errors![0].extensions.code);
        if (field) expect(res.body.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', fields: [field] });
      }
    });
  });

  it('malformed or invalid operations → HTTP 400', async () => {
    const parse = await q('{ models { modelId }', undefined, ALICE);
    expect(parse.status).toBe(400);
    expect(parse.body.errors![0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await q('{ models { noSuchField } }', undefined, ALICE);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors![0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const wrongArg = await q('{ model(modelId: 5) { modelId } }', undefined, ALICE);
    expect(wrongArg.status).toBe(400);
    expect(wrongArg.body.errors![0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const badJson = await call('POST', '/graphql', { token: ALICE, rawBody: '{"query": ' });
    expect(badJson.status).toBe(400);
    const noQuery = await call('POST', '/graphql', { token: ALICE, body: { variables: {} } });
    expect(noQuery.status).toBe(400);
  });
});

/* ---------------------------------------------------------------- precedence */

describe('precedence: 413, 401, 422, 404, 403 (edit/delete), 412, 400, 409, 403 (sharing)', () => {
  const big = JSON.stringify({ description: 'x'.repeat(OVER_LIMIT) });

  it('413 before 401: an oversized body without or with a refused token', async () => {
    await unchanged(async () => {
      for (const token of [undefined, 'garbage']) {
        const res = await call('PUT', `/api/models/${PRIVATE}`, { token, rawBody: big });
        expect(res.status).toBe(413);
        const post = await call('POST', '/api/models', { token, rawBody: big });
        expect(post.status).toBe(413);
      }
    });
  });

  it('413 before 422: an oversized malformed body', async () => {
    await unchanged(async () => {
      const res = await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, rawBody: `{${'x'.repeat(OVER_LIMIT)}` });
      expect(res.status).toBe(413);
    });
  });

  it('401 before 422: malformed JSON or invalid values without a valid token', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { rawBody: '{bad' }), 401, NOT_AUTHENTICATED);
      expectRest(await call('POST', '/api/models', { rawBody: '{bad' }), 401, NOT_AUTHENTICATED);
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: 'garbage', rawBody: '{bad' }), 401, BAD_CREDENTIALS);
      expectRest(
        await call('PUT', `/api/models/${PRIVATE}`, { token: tokenFor('alice', { expiresInSec: -120 }), body: { temperature: 9 } }),
        401,
        BAD_CREDENTIALS,
      );
      expectRest(await call('GET', '/api/models?limit=0', {}), 401, NOT_AUTHENTICATED);
    });
  });

  it('401 before 404: an unknown model without a token', async () => {
    expectRest(await call('GET', '/api/models/er-none', {}), 401, NOT_AUTHENTICATED);
    expectRest(await call('DELETE', '/api/models/er-none', {}), 401, NOT_AUTHENTICATED);
  });

  it('422 before 404: an invalid body for an unknown or invisible model', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', '/api/models/er-none', { token: ALICE, body: { temperature: 5 } }), 422, {
        detail: [issue('temperature', 'less_than_equal', 'Input should be less than or equal to 2')],
      });
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: BOB, body: { temperature: 5 } }), 422, {
        detail: [issue('temperature', 'less_than_equal', 'Input should be less than or equal to 2')],
      });
      const malformed = await call('PUT', '/api/models/er-none', { token: ALICE, rawBody: '{bad' });
      expect(malformed.status).toBe(422);
      expect(malformed.body.detail[0].type).toBe('json_invalid');
    });
  });

  it('422 before 403 (edit): an invalid body for a visible model of someone else', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${SHARED}`, { token: BOB, body: { model_name: null } }), 422, {
        detail: [issue('model_name', 'string_type', 'Input should be a valid string')],
      });
    });
  });

  it('404 before 412 / 400 / 403 (sharing): an invisible model with a stale If-Match, bad category or sharing', async () => {
    await unchanged(async () => {
      const stale = { 'If-Match': '"99"' };
      expectRest(await call('PUT', '/api/models/er-none', { token: ALICE, body: { description: 'x' }, headers: stale }), 404, NOT_FOUND);
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: BOB, body: { description: 'x' }, headers: stale }), 404, NOT_FOUND);
      expectRest(
        await call('PUT', `/api/models/${PRIVATE}`, { token: BOB, body: { description: 'x' }, headers: { 'If-Match': '"abc"' } }),
        404,
        NOT_FOUND,
      );
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: BOB, body: { category: 'chat' } }), 404, NOT_FOUND);
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: BOB, body: { share_with_users: true } }), 404, NOT_FOUND);
    });
  });

  it('404 before the abilities-against-category 422 (it needs the stored category; docs/api.md)', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${PRIVATE}`, { token: BOB, body: { category: 'rerank' } }), 404, NOT_FOUND);
    });
  });

  it('403 (edit) before 412: a visible model of someone else with a stale If-Match', async () => {
    await unchanged(async () => {
      expectRest(
        await call('PUT', `/api/models/${SHARED}`, { token: BOB, body: { description: 'x' }, headers: { 'If-Match': '"99"' } }),
        403,
        NO_EDIT,
      );
      expectGqlError(await q(UPDATE_GQL, { id: SHARED, input: { description: 'x' }, v: 99 }, BOB), 'FORBIDDEN', NO_EDIT.detail);
    });
  });

  it('403 (edit) before 400 and 409: a visible model of someone else with a bad or locked category', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${SHARED}`, { token: BOB, body: { category: 'chat' } }), 403, NO_EDIT);
      expectRest(await call('PUT', `/api/models/${SHARED}`, { token: BOB, body: { category: 'llm' } }), 403, NO_EDIT);
      expectRest(await call('PUT', `/api/models/${SHARED}`, { token: BOB, body: { share_with_users: true } }), 403, NO_EDIT);
    });
  });

  it('412 before 400: a stale If-Match with an unknown category', async () => {
    await unchanged(async () => {
      expectRest(
        await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { category: 'chat' }, headers: { 'If-Match': '"99"' } }),
        412,
        PRECONDITION,
      );
      expectGqlError(await q(UPDATE_GQL, { id: PRIVATE, input: { category: 'chat' }, v: 99 }, ALICE), 'CONFLICT');
    });
  });

  it('412 before 409 and 403 (sharing)', async () => {
    await unchanged(async () => {
      expectRest(
        await call('PUT', `/api/models/${SHARED}`, { token: ALICE, body: { category: 'llm' }, headers: { 'If-Match': '"1"' } }),
        412,
        PRECONDITION,
      );
      expectRest(
        await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { share_with_users: true }, headers: { 'If-Match': '"99"' } }),
        412,
        PRECONDITION,
      );
    });
  });

  it('400 before 409: an unknown category for a shared model', async () => {
    await unchanged(async () => {
      expectRest(await call('PUT', `/api/models/${SHARED}`, { token: ALICE, body: { category: 'chat' } }), 400, BAD_CATEGORY);
      expectRest(
        await call('PUT', `/api/models/${SHARED}`, { token: ADMIN, body: { category: 'chat', abilities: ['x'] } }),
        400,
        BAD_CATEGORY,
      );
    });
  });

  it('400 before 403 (sharing): unknown category or duplicate id with a non-admin enabling sharing', async () => {
    await unchanged(async () => {
      expectRest(
        await call('PUT', `/api/models/${PRIVATE}`, { token: ALICE, body: { category: 'chat', share_with_users: true } }),
        400,
        BAD_CATEGORY,
      );
      expectRest(
        await call('POST', '/api/models', {
          token: ALICE,
          body: { model_id: 'er-prec', model_provider: 'p', model_name: 'n', category: 'chat', share_with_users: true },
        }),
        400,
        BAD_CATEGORY,
      );
      expectRest(
        await call('POST', '/api/models', {
          token: ALICE,
          body: { model_id: PRIVATE, model_provider: 'p', model_name: 'n', share_with_users: true },
        }),
        400,
        DUPLICATE,
      );
    });
  });

  it('422 before 409: abilities that do not fit the new category of a shared model', async () => {
    await unchanged(async () => {
      const res = await call('PUT', `/api/models/${SHARED}`, { token: ALICE, body: { category: 'embedding', abilities: ['chat'] } });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ detail: [{ loc: ['body', 'abilities'], msg: expect.any(String), type: expect.any(String) }] });
    });
  });

  it('409 before 403 (sharing): a non-admin owner sends share_with_users: true with a locked change', async () => {
    await unchanged(async () => {
      expectRest(
        await call('PUT', `/api/models/${SHARED}`, { token: ALICE, body: { category: 'llm', share_with_users: true } }),
        409,
        LOCK_CATEGORY,
      );
      expectGqlError(
        await q(UPDATE_GQL, { id: SHARED, input: { category: 'llm', shareWithUsers: true } }, ALICE),
        'CONFLICT',
        LOCK_CATEGORY.detail,
      );
    });
  });

  it('GraphQL follows the same order: UNAUTHENTICATED before input errors, NOT_FOUND before CONFLICT', async () => {
    await unchanged(async () => {
      expectGqlError(await q(UPDATE_GQL, { id: PRIVATE, input: { temperature: 9 } }), 'UNAUTHENTICATED');
      expectGqlError(await q(UPDATE_GQL, { id: 'er-none', input: { temperature: 9 } }, ALICE), 'BAD_USER_INPUT', undefined, [
        'temperature',
      ]);
      expectGqlError(await q(UPDATE_GQL, { id: PRIVATE, input: { description: 'x' }, v: 99 }, BOB), 'NOT_FOUND');
    });
  });
});

describe('no internals, no secrets', () => {
  it('no response in this file carried a stack trace, SQL, database text or a secret', () => {
    expect(responsesChecked).toBeGreaterThan(200);
  });

  it('no api_key sent in this file reached the server log', () => {
    expect(srv.logs()).not.toContain(KEY_PREFIX);
  });
});
