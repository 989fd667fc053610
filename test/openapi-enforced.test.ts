/**
 * The OpenAPI document says what the server enforces, and only what it serves: no operation for a
 * method a path refuses (405s are in the path's description, and the server does answer them), NUL
 * characters refused in stored strings, `skip` bounded by the largest exact integer, and a base_url
 * without a host refused. Each case is put both to the document's schema (ajv, strict) and to the
 * real server over HTTP, and the two must agree; refusals leave the stored model unchanged.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { request } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';

type Json = any;
const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;
type Method = (typeof METHODS)[number];

const DOC_ID = 'https://model-gateway.invalid/openapi.json';
const ALICE = alice();

/** Methods each path refuses with 405 (the register path's GET/PUT/DELETE address a model named "register"). */
const NOT_SERVED: Record<string, Method[]> = {
  '/api/models': ['put', 'delete', 'patch'],
  '/api/models/register': ['patch'],
  '/api/models/{model_id}': ['post', 'patch'],
  '/api/models/by-id/{model_id}': ['post', 'patch'],
  '/api/models/providers/supported': ['post', 'put', 'delete', 'patch'],
  '/api/models/types/available': ['post', 'put', 'delete', 'patch'],
  '/api/models/categories': ['post', 'patch'],
  '/api/models/providers': ['post', 'patch'],
  '/api/models/abilities': ['post', 'patch'],
  '/api/models/summary': ['post', 'patch'],
  '/api/models/public/list': ['post', 'put', 'delete', 'patch'],
  '/api/models/public/categories': ['post', 'put', 'delete', 'patch'],
  '/api/models/public/providers': ['post', 'put', 'delete', 'patch'],
  '/api/models/public/summary': ['post', 'put', 'delete', 'patch'],
  '/api/models/test-connection': ['patch'],
  '/api/models/test': ['patch'],
  '/api/models/providers/{provider}/models': ['get', 'put', 'delete', 'patch'],
  '/api/models/user-default': ['patch'],
  '/api/models/user-default/{config_type}': ['post', 'put', 'patch'],
  '/api/models/default/{type}': ['post', 'put', 'delete', 'patch'],
};
/** Fixed paths serve GET; their other methods reach the model of that id (`/api/models/{model_id}`). */
const SERVED_ELSEWHERE: Record<string, Method[]> = {
  '/api/models/register': ['get', 'put', 'delete'],
  '/api/models/categories': ['put', 'delete'],
  '/api/models/providers': ['put', 'delete'],
  '/api/models/abilities': ['put', 'delete'],
  '/api/models/summary': ['put', 'delete'],
  '/api/models/test-connection': ['get', 'put', 'delete'],
  '/api/models/test': ['get', 'put', 'delete'],
  '/api/models/user-default': ['put', 'delete'],
};
const TAGS = ['models', 'providers', 'aggregates', 'public catalog', 'provider calls', 'default models'];

let srv: RunningServer;
let doc: Json;
let ajv: Ajv2020;

const validator = (ptr: string): ValidateFunction => ajv.compile({ $ref: `${DOC_ID}#${ptr}` });

beforeAll(async () => {
  srv = await startServer();
  const res = await request(srv.url, 'GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
  ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'paths' });
  ajv.addKeyword({ keyword: 'components' });
  ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components }, undefined, undefined, false);
});

afterAll(async () => {
  await srv?.stop();
});

const concrete = (template: string) =>
  template
    .replace('{model_id}', 'enforced-405')
    .replace('{provider}', 'openai')
    .replace('{config_type}', 'general')
    .replace('{type}', 'general');

describe('only served operations', () => {
  test('every operation has a 2xx answer; none declares 405', () => {
    let operations = 0;
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        operations++;
        const statuses = Object.keys(operation.responses);
        expect(statuses.some((status) => /^2\d\d$/.test(status))).toBe(true);
        expect([path, method, statuses.includes('405')]).toEqual([path, method, false]);
        expect(operation.operationId).not.toMatch(/notallowed/i);
        expect(operation.tags).toHaveLength(1);
        expect(TAGS).toContain(operation.tags[0]);
      }
    }
    expect(operations).toBe(27);
    expect(doc.tags.map((tag: Json) => tag.name)).toEqual(TAGS);
    expect(doc.components.responses.MethodNotAllowed).toBeUndefined();
  });

  test('the paths and methods above are all there is: each method of each path is described, refused or served elsewhere', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(NOT_SERVED).sort());
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      const described = METHODS.filter((method) => item[method]);
      const accounted = [...described, ...NOT_SERVED[path]!, ...(SERVED_ELSEWHERE[path] ?? [])].sort();
      expect([path, accounted]).toEqual([path, [...METHODS].sort()]);
      for (const method of NOT_SERVED[path]!) expect([path, method, item[method]]).toEqual([path, method, undefined]);
    }
  });

  test.each(Object.entries(NOT_SERVED))('%s: the refused methods are named in its description and answer 405', async (path, methods) => {
    const description: string = doc.paths[path].description;
    expect(description).toContain('405 `{"detail": "Method Not Allowed"}`');
    for (const method of methods) {
      expect(description).toContain(method.toUpperCase());
      // Before authentication: no token.
      const res = await request(srv.url, method.toUpperCase(), concrete(path), method === 'get' ? {} : { body: {} });
      expect([method, res.status, res.body]).toEqual([method, 405, { detail: 'Method Not Allowed' }]);
    }
  });

  test('the document says 405 in general', () => {
    expect(doc.info.description).toContain('405');
  });
});

describe('the schema states what the server enforces', () => {
  const base = { model_provider: 'p', model_name: 'n' };
  const createSchema = () => validator('/components/schemas/ModelCreate');
  const updateSchema = () => validator('/components/schemas/ModelUpdate');

  /** A string property's schema, through `anyOf` for nullable ones. */
  const isString = (schema: Json): boolean =>
    schema.type === 'string' || (Array.isArray(schema.anyOf) && schema.anyOf.some((s: Json) => isString(s)));
  const isList = (schema: Json): boolean =>
    schema.type === 'array' || (Array.isArray(schema.anyOf) && schema.anyOf.some((s: Json) => s.type === 'array'));

  /** A value with a NUL in it that is otherwise valid for the field. */
  const NUL_VALUES: Record<string, unknown> = {
    model_id: 'a\u0000b',
    category: 'l\u0000lm',
    model_provider: 'p\u0000q',
    model_name: 'n\u0000m',
    base_url: 'https://example.com/a\u0000b',
    description: 'd\u0000e',
    abilities: ['a\u0000b'],
  };

  test('NUL (U+0000): refused in every stored string by the schema and by the server (422, nothing stored)', async () => {
    const create = createSchema();
    const update = updateSchema();
    const stringKeys = Object.entries<Json>(doc.components.schemas.ModelCreate.properties)
      .filter(([, schema]) => isString(schema) || isList(schema))
      .map(([key]) => key)
      .filter((key) => key !== 'api_key');
    // Every string field of the body is covered here (the check is not vacuous).
    expect(stringKeys.sort()).toEqual(Object.keys(NUL_VALUES).sort());

    const target = 'enforced/nul';
    expect((await request(srv.url, 'POST', '/api/models', { token: ALICE, body: { ...base, model_id: target } })).status).toBe(200);
    const url = `/api/models/${encodeURIComponent(target)}`;
    const before = await request(srv.url, 'GET', url, { token: ALICE });

    for (const [key, value] of Object.entries(NUL_VALUES)) {
      const body = { ...base, [key]: value };
      expect([key, create(body)]).toEqual([key, false]);
      const created = await request(srv.url, 'POST', '/api/models', { token: ALICE, body });
      expect([key, created.status]).toEqual([key, 422]);
      const loc = Array.isArray(value) ? ['body', key, 0] : ['body', key];
      expect(created.body.detail).toContainEqual({ loc, msg: 'String should not contain NUL characters', type: 'string_pattern_mismatch' });
      if (key === 'model_id') continue;
      expect([key, update({ [key]: value })]).toEqual([key, false]);
      const updated = await request(srv.url, 'PUT', url, { token: ALICE, body: { [key]: value } });
      expect([key, updated.status]).toEqual([key, 422]);
    }
    const after = await request(srv.url, 'GET', url, { token: ALICE });
    expect(after.body).toEqual(before.body);
    expect(after.headers.get('etag')).toBe('"1"');
    const list = await request(srv.url, 'GET', '/api/models?limit=1000', { token: ALICE });
    expect(list.body.map((m: Json) => m.model_id)).toEqual([target]);
  });

  test('NUL in api_key (sealed, never stored as text) and other control characters outside model_id: accepted by both', async () => {
    const create = createSchema();
    const accepted = [
      { api_key: 'sk-\u0000-key' },
      { description: 'tab\there, newline\nthere, bell\u0007' },
      { model_name: 'n\u0001m' },
      { abilities: ['x\u001fy'] },
    ];
    for (const patch of accepted) {
      const body = { ...base, ...patch };
      expect([patch, create(body)]).toEqual([patch, true]);
      const res = await request(srv.url, 'POST', '/api/models', { token: ALICE, body });
      expect([patch, res.status]).toEqual([patch, 200]);
    }
    // model_id refuses every control character, in both.
    const body = { ...base, model_id: 'a\u0007b' };
    expect(create(body)).toBe(false);
    expect((await request(srv.url, 'POST', '/api/models', { token: ALICE, body })).status).toBe(422);
  });

  test('skip: at most Number.MAX_SAFE_INTEGER, in the schema and on the server', async () => {
    const skip = validator('/components/parameters/Skip/schema');
    expect(doc.components.parameters.Skip.schema.maximum).toBe(Number.MAX_SAFE_INTEGER);
    expect(skip(Number.MAX_SAFE_INTEGER)).toBe(true);
    const ok = await request(srv.url, 'GET', `/api/models?skip=${Number.MAX_SAFE_INTEGER}`, { token: ALICE });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual([]);
    expect(skip(Number.MAX_SAFE_INTEGER + 1)).toBe(false);
    const over = await request(srv.url, 'GET', '/api/models?skip=9007199254740992', { token: ALICE });
    expect(over.status).toBe(422);
    expect(over.body.detail).toEqual([
      { loc: ['query', 'skip'], msg: `Input should be less than or equal to ${Number.MAX_SAFE_INTEGER}`, type: 'less_than_equal' },
    ]);
    expect(skip(-1)).toBe(false);
    expect((await request(srv.url, 'GET', '/api/models?skip=-1', { token: ALICE })).status).toBe(422);
  });

  test('base_url: a host is required, as the server requires it; extra slashes and any case are fine for both', async () => {
    const create = createSchema();
    const refused = ['http://', 'https://', 'http://?q=1', 'http://#top', 'http://:8080', 'https:///', 'ftp://example.com'];
    const accepted = ['http:///example.com', 'HTTPS://Example.com', 'http://[::1]:8080/v1', 'http://localhost'];
    for (const baseUrl of refused) {
      const body = { ...base, base_url: baseUrl };
      expect([baseUrl, create(body)]).toEqual([baseUrl, false]);
      const res = await request(srv.url, 'POST', '/api/models', { token: ALICE, body });
      expect([baseUrl, res.status, res.body.detail?.[0]?.loc]).toEqual([baseUrl, 422, ['body', 'base_url']]);
    }
    for (const baseUrl of accepted) {
      const body = { ...base, base_url: baseUrl };
      expect([baseUrl, create(body)]).toEqual([baseUrl, true]);
      const res = await request(srv.url, 'POST', '/api/models', { token: ALICE, body });
      expect([baseUrl, res.status]).toEqual([baseUrl, 200]);
      expect(res.body.base_url).toBe(baseUrl.trim());
    }
  });
});
