/**
 * The OpenAPI document against the server it describes. The document is validated as OpenAPI
 * 3.1 (swagger-parser) and every schema in it compiled by a JSON Schema 2020-12 validator (ajv,
 * strict). Then, over real HTTP against a real server, every route is made to answer every
 * status it can give, and each real answer (body, and the headers declared for it) is checked
 * against what the document declares for that route and status. At the end every declared
 * (route, status) must have been provoked or be listed below as not provokable here, so the
 * document can neither promise what the server never does nor miss what it does.
 */
import fs from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { request, type HttpResult, type RequestOptions } from './helpers/http';
import { PROJECT_ROOT, startServer, type RunningServer } from './helpers/server';
import { GOOD_KEY, startStandIn, type StandIn } from './helpers/stand-in-provider';
import { admin, alice, bob, tokenFor } from './helpers/tokens';

type Json = any;
type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
type Route = { method: Method; path: string };

/** Statuses the document declares that no request from a test can cause on a healthy server. */
const NOT_PROVOKABLE: Record<string, string> = {
  '500': 'an unexpected error (a bug): nothing a client sends causes it',
  '503': 'the database is unreachable: needs an outage, not a request',
};

const DOC_ID = 'https://model-gateway.invalid/openapi.json';
const METHODS: Method[] = ['get', 'post', 'put', 'delete', 'patch'];
const OVER_LIMIT = 1024 * 1024 + 1024;

const ALICE = alice();
const BOB = bob();
const ADMIN = admin();
const WRONG_SIGNATURE = tokenFor('alice', { secret: 'not-the-server-secret-0123456789abcdef-0123' });

let srv: RunningServer;
let doc: Json;
let ajv: Ajv2020;
const provoked = new Set<string>();
const validators = new Map<string, ValidateFunction>();

const key = (route: Route, status: number | string) => `${route.method.toUpperCase()} ${route.path} ${status}`;

/** JSON pointer of a path inside the document. */
const pointer = (...parts: string[]) => '/' + parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function validatorAt(ptr: string): ValidateFunction {
  let validate = validators.get(ptr);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOC_ID}#${ptr}` });
    validators.set(ptr, validate);
  }
  return validate;
}

function valueAt(ptr: string): Json {
  return ptr
    .split('/')
    .slice(1)
    .reduce((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

/** Follows `$ref`s to components; returns the object and where it lives. */
function resolve(ptr: string): { node: Json; ptr: string } {
  let node = valueAt(ptr);
  while (node && typeof node.$ref === 'string' && node.$ref.startsWith('#/components/') && Object.keys(node).length === 1) {
    ptr = node.$ref.slice(1);
    node = valueAt(ptr);
  }
  return { node, ptr };
}

function explain(validate: ValidateFunction): string {
  return JSON.stringify(validate.errors?.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
}

/**
 * Checks a real answer against the document: the status is declared for the route, the body
 * matches the declared schema, declared headers are there and match theirs, and an ETag comes
 * only where one is declared.
 */
function conforms(route: Route, res: HttpResult): void {
  const opPtr = pointer('paths', route.path, route.method);
  const operation = valueAt(opPtr);
  if (!operation) throw new Error(`the document has no ${route.method.toUpperCase()} ${route.path}`);
  const status = String(res.status);
  if (!operation.responses[status]) {
    throw new Error(`${route.method.toUpperCase()} ${route.path} answered ${status}, which the document does not declare: ${res.text}`);
  }
  const response = resolve(`${opPtr}/responses/${status}`);
  const media = response.node.content?.['application/json'];
  if (media) {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const validate = validatorAt(`${response.ptr}/content/application~1json/schema`);
    if (!validate(res.body)) {
      throw new Error(`${key(route, status)}: body does not match the declared schema: ${explain(validate)}\n${res.text}`);
    }
  } else {
    expect(res.text).toBe('');
  }
  const headers: Record<string, Json> = response.node.headers ?? {};
  for (const name of Object.keys(headers)) {
    const header = resolve(`${response.ptr}/headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    const value = res.headers.get(name);
    if (value === null) {
      if (header.node.required) throw new Error(`${key(route, status)}: the declared header ${name} is missing`);
      continue;
    }
    const validate = validatorAt(`${header.ptr}/schema`);
    if (!validate(value)) throw new Error(`${key(route, status)}: header ${name}: ${value} does not match: ${explain(validate)}`);
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'etag')) {
    expect(res.headers.get('etag')).toBeNull();
  }
  provoked.add(key(route, status));
}

/** Sends a request, checks the answer against the document and that its status is the expected one. */
async function call(route: Route, url: string, expected: number, options: RequestOptions = {}, base = srv.url): Promise<HttpResult> {
  const res = await request(base, route.method.toUpperCase(), url, options);
  if (res.status !== expected)
    throw new Error(`${route.method.toUpperCase()} ${url}: expected ${expected}, got ${res.status}: ${res.text}`);
  conforms(route, res);
  return res;
}

/** The request-body schema of an operation, to hold the document's constraints to the server's. */
function requestValidator(route: Route): ValidateFunction {
  const body = resolve(`${pointer('paths', route.path, route.method)}/requestBody`);
  return validatorAt(`${body.ptr}/content/application~1json/schema`);
}

const oversized = () => ({ rawBody: JSON.stringify({ description: 'x'.repeat(OVER_LIMIT) }) });

beforeAll(async () => {
  srv = await startServer();
  const res = await request(srv.url, 'GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
  ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // The document's paths and components under one id; schemas are compiled one by one, by
  // JSON pointer, so their `#/components/...` references resolve as in the document.
  // Resolving a reference compiles the root: its two OpenAPI members are declared as keywords
  // that validate nothing, so strict mode accepts them.
  ajv.addKeyword({ keyword: 'paths' });
  ajv.addKeyword({ keyword: 'components' });
  ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components }, undefined, undefined, false);
});

afterAll(async () => {
  await srv?.stop();
});

describe('the document', () => {
  test('is served without authentication at /openapi.json and /api/openapi.json, the same', async () => {
    for (const url of ['/openapi.json', '/api/openapi.json']) {
      const res = await request(srv.url, 'GET', url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual(doc);
    }
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  test('is a valid OpenAPI 3.1 document (swagger-parser), and the validator does refuse a broken one', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    const broken = structuredClone(doc);
    delete broken.paths['/api/models'].get.responses['200'].description;
    await expect(SwaggerParser.validate(broken)).rejects.toThrow(/description/);
    const dangling = structuredClone(doc);
    dangling.paths['/api/models'].post.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nope' };
    await expect(SwaggerParser.validate(dangling)).rejects.toThrow(/Nope/);
  });

  test('every schema compiles as strict JSON Schema 2020-12, and every example matches its schema', () => {
    const schemaPointers: string[] = [];
    const examples: [string, unknown][] = [];
    const walk = (node: Json, ptr: string, inSchema: boolean) => {
      if (node === null || typeof node !== 'object') return;
      if (Array.isArray(node)) {
        node.forEach((item, i) => walk(item, `${ptr}/${i}`, inSchema));
        return;
      }
      for (const [name, value] of Object.entries(node)) {
        const child = `${ptr}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (!inSchema && name === 'schema') {
          schemaPointers.push(child);
          walk(value, child, true);
        } else if (!inSchema && name === 'example') {
          examples.push([`${ptr}/schema`, value]);
        } else if (inSchema && name === 'examples' && Array.isArray(value)) {
          for (const example of value) examples.push([ptr, example]);
        } else {
          walk(value, child, inSchema);
        }
      }
    };
    walk(doc.paths, '/paths', false);
    walk(doc.components.responses, '/components/responses', false);
    walk(doc.components.parameters, '/components/parameters', false);
    walk(doc.components.headers, '/components/headers', false);
    for (const name of Object.keys(doc.components.schemas)) {
      schemaPointers.push(`/components/schemas/${name}`);
      walk(doc.components.schemas[name], `/components/schemas/${name}`, true);
    }
    expect(schemaPointers.length).toBeGreaterThan(20);
    for (const ptr of schemaPointers) expect(() => validatorAt(ptr)).not.toThrow();
    expect(examples.length).toBeGreaterThan(5);
    for (const [ptr, example] of examples) {
      const validate = validatorAt(ptr);
      if (!validate(example)) throw new Error(`example at ${ptr} does not match: ${explain(validate)}`);
    }
  });

  test('names the schemas as the FastAPI service did', () => {
    const schemas = doc.components.schemas;
    expect(schemas.ModelUpdate.description).toMatch(/^Model update request schema/);
    expect(schemas.ModelCreate.description).toMatch(/^Model creation request schema/);
    expect(schemas.ModelResponse.description).toBe('Model response with user access information');
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['HTTPValidationError', 'ValidationError', 'HTTPError', 'MessageResponse']),
    );
    // The REST model body: exactly the contract's 17 keys, every one required.
    const keys = [
      'id',
      'model_id',
      'category',
      'model_provider',
      'model_name',
      'base_url',
      'temperature',
      'dimension',
      'abilities',
      'description',
      'created_at',
      'updated_at',
      'is_active',
      'is_owner',
      'can_edit',
      'can_delete',
      'is_shared',
    ];
    expect(Object.keys(schemas.ModelResponse.properties).sort()).toEqual([...keys].sort());
    expect([...schemas.ModelResponse.required].sort()).toEqual([...keys].sort());
    expect(schemas.ModelResponse.additionalProperties).toBe(false);
    expect(JSON.stringify(schemas.ModelResponse)).not.toContain('api_key');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const put = doc.paths['/api/models/{model_id}'].put;
    expect(put.parameters.map((p: Json) => resolve(p.$ref.slice(1)).node.name)).toContain('If-Match');
  });
});

describe('the reference page', () => {
  test('GET /docs renders the document with Swagger UI served from here, without authentication', async () => {
    const page = await request(srv.url, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    // Its own policy, in place of the global one (helmet's): scripts from here only, no inline script.
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self';/);
    const scripts = [...page.text.matchAll(/<script src="([^"]+)"><\/script>/g)].map((m) => m[1]!);
    expect(scripts).toEqual(['/docs/swagger-ui-bundle.js', '/docs/init.js']);
    // No inline script: the page works under a CSP without 'unsafe-inline'.
    expect(page.text).not.toMatch(/<script>/);
    for (const asset of [...scripts, '/docs/swagger-ui.css']) {
      const res = await fetch(`${srv.url}${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.css') ? /text\/css/ : /javascript/);
      await res.arrayBuffer();
    }
    const init = await request(srv.url, 'GET', '/docs/init.js');
    expect(init.text).toContain("url: '/openapi.json'");
    // Only the page's own assets: not the package's other files.
    expect((await request(srv.url, 'GET', '/docs/package.json')).status).toBe(404);
  });
});

describe('every route, every status', () => {
  const LIST: Route = { method: 'get', path: '/api/models' };
  const CREATE_ROUTES: [Route, string][] = [
    [{ method: 'post', path: '/api/models' }, '/api/models'],
    [{ method: 'post', path: '/api/models/register' }, '/api/models/register'],
  ];

  test('GET /api/models: 200, 400, 401, 422', async () => {
    const created = await call(CREATE_ROUTES[0]![0], '/api/models', 200, {
      token: ALICE,
      body: {
        model_id: 'openai/gpt-4o',
        model_provider: 'OpenAI',
        model_name: 'gpt-4o',
        api_key: 'sk-openapi-secret',
        base_url: 'https://api.openai.com/v1',
        temperature: 0.2,
        abilities: ['chat', 'vision'],
        description: 'the full body',
      },
    });
    expect(created.headers.get('etag')).toBe('"1"');
    const list = await call(LIST, '/api/models', 200, { token: ALICE });
    expect(list.body.length).toBeGreaterThan(0);
    await call(LIST, '/api/models?category=embedding&model_provider=openai&is_active=false&skip=0&limit=5', 200, { token: ALICE });
    await call(LIST, '/api/models?category=audio', 400, { token: ALICE });
    await call(LIST, '/api/models', 401);
    await call(LIST, '/api/models', 401, { token: WRONG_SIGNATURE });
    const invalid = await call(LIST, '/api/models?limit=abc&skip=-1', 422, { token: ALICE });
    expect(invalid.body.detail[0].loc[0]).toBe('query');
    await call(LIST, '/api/models?limit=1001', 422, { token: ALICE });
  });

  test.each(CREATE_ROUTES)('%j: 200, 400 (duplicate, category), 401, 403, 413, 422', async (route, url) => {
    const id = `create${url.replace(/\//g, '-')}`;
    const ok = await call(route, url, 200, { token: ALICE, body: { model_id: id, model_provider: 'ollama', model_name: 'llama3' } });
    expect(ok.body).toMatchObject({ model_id: id, category: 'llm', is_owner: true, is_shared: false });
    const generated = await call(route, url, 200, { token: BOB, body: { model_provider: 'ollama', model_name: 'llama3' } });
    expect(generated.body.model_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call(route, url, 400, { token: BOB, body: { model_id: id, model_provider: 'x', model_name: 'y' } })).body.detail).toBe(
      'Model ID already exists',
    );
    const category = await call(route, url, 400, { token: ALICE, body: { model_provider: 'x', model_name: 'y', category: 'audio' } });
    expect(category.body.detail).toBe('Invalid model category');
    await call(route, url, 401, { body: { model_provider: 'x', model_name: 'y' } });
    await call(route, url, 401, { token: WRONG_SIGNATURE, body: { model_provider: 'x', model_name: 'y' } });
    await call(route, url, 403, { token: ALICE, body: { model_provider: 'x', model_name: 'y', share_with_users: true } });
    await call(route, url, 413, { token: ALICE, ...oversized() });
    await call(route, url, 422, { token: ALICE, body: { model_provider: 'x' } });
    await call(route, url, 422, { token: ALICE, rawBody: '{"model_provider": ' });
    await call(route, url, 422, { token: ALICE, rawBody: '' });
    await call(route, url, 422, { token: ALICE, body: { model_provider: 'x', model_name: 'y', temperature: 3 } });
  });

  test('the provider catalog, without a token: 200', async () => {
    for (const path of ['/api/models/providers/supported', '/api/models/types/available']) {
      await call({ method: 'get', path }, path, 200);
    }
  });

  test('the aggregates: 200 for a caller, 401 without a token', async () => {
    for (const name of ['categories', 'providers', 'abilities', 'summary']) {
      const path = `/api/models/${name}`;
      await call({ method: 'get', path }, path, 200, { token: ALICE });
      await call({ method: 'get', path }, path, 401);
    }
  });

  test('the public catalog, without a token: 200, 400 and 422 on bad filters', async () => {
    for (const name of ['list', 'categories', 'providers', 'summary']) {
      const path = `/api/models/public/${name}`;
      await call({ method: 'get', path }, path, 200);
    }
    const list: Route = { method: 'get', path: '/api/models/public/list' };
    await call(list, '/api/models/public/list?category=llm&provider=openai&limit=5', 200);
    await call(list, '/api/models/public/list?category=audio', 400);
    await call(list, '/api/models/public/list?limit=0', 422);
  });

  test('the default models: every operation, every status', async () => {
    const LIST: Route = { method: 'get', path: '/api/models/user-default' };
    const SET: Route = { method: 'post', path: '/api/models/user-default' };
    const ONE = (method: Method): Route => ({ method, path: '/api/models/user-default/{config_type}' });
    const MODEL_OF: Route = { method: 'get', path: '/api/models/default/{type}' };
    const owner = tokenFor('defaults-owner');
    const created = await request(srv.url, 'POST', '/api/models', {
      token: owner,
      body: { model_id: 'defaults/llm', model_provider: 'openai', model_name: 'gpt-4o', abilities: ['chat'] },
    });
    expect(created.status).toBe(200);

    expect((await call(LIST, '/api/models/user-default', 200, { token: owner })).body).toEqual([]);
    await call(ONE('get'), '/api/models/user-default/general', 200, { token: owner });
    await call(MODEL_OF, '/api/models/default/small-fast', 200, { token: owner });
    const set = await call(SET, '/api/models/user-default', 200, {
      token: owner,
      body: { model_id: created.body.id, config_type: 'general' },
    });
    expect(set.body.model_id).toBe(created.body.id);
    await call(SET, '/api/models/user-default', 200, { token: owner, body: { model_id: 'defaults/llm', config_type: 'compact' } });
    expect((await call(LIST, '/api/models/user-default', 200, { token: owner })).body).toHaveLength(2);
    expect((await call(ONE('get'), '/api/models/user-default/general', 200, { token: owner })).body.model.model_id).toBe('defaults/llm');
    expect((await call(MODEL_OF, '/api/models/default/llm', 200, { token: owner })).body.model_id).toBe('defaults/llm');
    await call(SET, '/api/models/user-default', 400, { token: owner, body: { model_id: created.body.id, config_type: 'embedding' } });
    await call(SET, '/api/models/user-default', 404, { token: BOB, body: { model_id: created.body.id, config_type: 'general' } });
    await call(SET, '/api/models/user-default', 413, { token: owner, ...oversized() });
    await call(SET, '/api/models/user-default', 422, { token: owner, body: { model_id: true, config_type: 'fast' } });
    await call(SET, '/api/models/user-default', 422, { token: owner, rawBody: '{' });
    await call(ONE('get'), '/api/models/user-default/fast', 422, { token: owner });
    await call(ONE('delete'), '/api/models/user-default/small-fast', 422, { token: owner });
    await call(MODEL_OF, '/api/models/default/fast', 422, { token: owner });
    await call(ONE('delete'), '/api/models/user-default/compact', 200, { token: owner });
    await call(ONE('delete'), '/api/models/user-default/compact', 404, { token: owner });
    for (const [route, url] of [
      [LIST, '/api/models/user-default'],
      [SET, '/api/models/user-default'],
      [ONE('get'), '/api/models/user-default/general'],
      [ONE('delete'), '/api/models/user-default/general'],
      [MODEL_OF, '/api/models/default/general'],
    ] as [Route, string][]) {
      await call(route, url, 401, route.method === 'post' ? { body: {} } : {});
    }
  });

  test('the default-model paths answer other methods 405 with Allow, before authentication; the model named user-default stays reachable', async () => {
    for (const [method, url, allow] of [
      ['PATCH', '/api/models/user-default', 'GET, HEAD, POST, PUT, DELETE'],
      ['POST', '/api/models/user-default/general', 'GET, HEAD, DELETE'],
      ['PUT', '/api/models/user-default/general', 'GET, HEAD, DELETE'],
      ['PATCH', '/api/models/user-default/general', 'GET, HEAD, DELETE'],
      ['POST', '/api/models/default/general', 'GET, HEAD'],
      ['PUT', '/api/models/default/general', 'GET, HEAD'],
      ['DELETE', '/api/models/default/general', 'GET, HEAD'],
      ['PATCH', '/api/models/default/general', 'GET, HEAD'],
    ] as const) {
      const res = await request(srv.url, method, url, { body: {} });
      expect({ method, url, status: res.status, body: res.body, allow: res.headers.get('allow') }).toEqual({
        method,
        url,
        status: 405,
        body: { detail: 'Method Not Allowed' },
        allow,
      });
    }
    // PUT and DELETE on /api/models/user-default are the model routes': a model of that id (none here: 404).
    expect((await request(srv.url, 'PUT', '/api/models/user-default', { token: ALICE, body: {} })).status).toBe(404);
    expect((await request(srv.url, 'DELETE', '/api/models/user-default', { token: ALICE })).status).toBe(404);
  });

  const STYLES: [string, (id: string) => string][] = [
    ['/api/models/{model_id}', (id) => `/api/models/${encodeURIComponent(id)}`],
    ['/api/models/by-id/{model_id}', (id) => `/api/models/by-id/${id}`],
  ];

  describe.each(STYLES)('%s', (template, urlOf) => {
    const route = (method: Method): Route => ({ method, path: template });
    const tag = template.includes('by-id') ? 'by-id' : 'plain';
    const own = `acme/${tag}/own`;
    const shared = `acme/${tag}/shared`;

    beforeAll(async () => {
      for (const model_id of [own, shared]) {
        const res = await request(srv.url, 'POST', '/api/models', {
          token: ALICE,
          body: {
            model_id,
            model_provider: 'openai',
            model_name: 'text-embedding-3-small',
            category: 'embedding',
            abilities: ['embedding'],
          },
        });
        expect(res.status).toBe(200);
      }
    });

    test('GET: 200, 401, 404', async () => {
      const res = await call(route('get'), urlOf(own), 200, { token: ALICE });
      expect(res.body.model_id).toBe(own);
      expect(res.headers.get('etag')).toBe('"1"');
      await call(route('get'), urlOf(own), 401);
      await call(route('get'), urlOf(own), 401, { token: WRONG_SIGNATURE });
      await call(route('get'), urlOf(own), 404, { token: BOB }); // not shared: does not exist for bob
      await call(route('get'), urlOf('acme/nothing-here'), 404, { token: ALICE });
    });

    test('PUT: 200 (with ETag), 400, 401, 403 (edit, sharing), 404, 409 (shared lock, default models), 412, 413, 422', async () => {
      const put = route('put');
      const updated = await call(put, urlOf(own), 200, { token: ALICE, headers: { 'If-Match': '"1"' }, body: { dimension: 1536 } });
      expect(updated.headers.get('etag')).toBe('"2"');
      const unchanged = await call(put, urlOf(own), 200, { token: ALICE, body: { dimension: 1536 } });
      expect(unchanged.headers.get('etag')).toBe('"2"');
      await call(put, urlOf(own), 412, { token: ALICE, headers: { 'If-Match': '"1"' }, body: { dimension: 768 } });
      await call(put, urlOf(own), 400, { token: ALICE, body: { category: 'audio' } });
      await call(put, urlOf(own), 401, { body: { dimension: 1 } });
      await call(put, urlOf(own), 401, { token: WRONG_SIGNATURE, body: { dimension: 1 } });
      await call(put, urlOf(own), 404, { token: BOB, body: { dimension: 1 } });
      await call(put, urlOf('acme/nothing-here'), 404, { token: ALICE, body: { dimension: 1 } });
      const sharing = await call(put, urlOf(own), 403, { token: ALICE, body: { share_with_users: true } });
      expect(sharing.body.detail).toBe('Only administrators can enable global sharing');
      // An admin shares alice's model: bob may see it, not edit it; nobody may change its category.
      const byAdmin = await call(put, urlOf(shared), 200, { token: ADMIN, body: { share_with_users: true } });
      expect(byAdmin.body).toMatchObject({ is_shared: true, is_owner: false, can_edit: true });
      const edit = await call(put, urlOf(shared), 403, { token: BOB, body: { dimension: 1 } });
      expect(edit.body.detail).toBe('No permission to edit this model');
      await call(put, urlOf(shared), 409, { token: ALICE, body: { category: 'llm' } });
      await call(put, urlOf(shared), 409, { token: ALICE, body: { abilities: null } });
      // Default models: un-sharing the owner's default, and a category change that leaves a default unfit.
      const sharedId = (await request(srv.url, 'GET', urlOf(shared), { token: ALICE })).body.id;
      expect(
        (
          await request(srv.url, 'POST', '/api/models/user-default', {
            token: ALICE,
            body: { model_id: sharedId, config_type: 'embedding' },
          })
        ).status,
      ).toBe(200);
      const unshare = await call(put, urlOf(shared), 409, { token: ADMIN, body: { share_with_users: false } });
      expect(unshare.body.detail).toBe('Cannot un-share: you have this model as your default. Change default first.');
      const ownId = (await request(srv.url, 'GET', urlOf(own), { token: ALICE })).body.id;
      expect(
        (await request(srv.url, 'POST', '/api/models/user-default', { token: ALICE, body: { model_id: ownId, config_type: 'embedding' } }))
          .status,
      ).toBe(200);
      const category = await call(put, urlOf(own), 409, { token: ALICE, body: { category: 'llm', abilities: null } });
      expect(category.body.detail).toBe('Cannot change category or abilities: this model is a default (embedding). Change default first.');
      expect((await request(srv.url, 'DELETE', '/api/models/user-default/embedding', { token: ALICE })).status).toBe(200);
      await call(put, urlOf(own), 413, { token: ALICE, ...oversized() });
      await call(put, urlOf(own), 422, { token: ALICE, body: { temperature: '0.5' } });
      await call(put, urlOf(own), 422, { token: ALICE, body: { model_name: null } });
      await call(put, urlOf(own), 422, { token: ALICE, rawBody: 'not json' });
      await call(put, urlOf(own), 422, { token: ALICE, rawBody: '[1]' });
      const after = await call(route('get'), urlOf(own), 200, { token: ALICE });
      expect(after.headers.get('etag')).toBe('"2"');
    });

    test('DELETE: 200, 401, 403, 404, 409 (the caller’s default)', async () => {
      const del = route('delete');
      await call(del, urlOf(own), 401);
      await call(del, urlOf(own), 401, { token: WRONG_SIGNATURE });
      await call(del, urlOf(own), 404, { token: BOB });
      const forbidden = await call(del, urlOf(shared), 403, { token: BOB });
      expect(forbidden.body.detail).toBe('No permission to delete this model');
      const ownId = (await request(srv.url, 'GET', urlOf(own), { token: ALICE })).body.id;
      expect(
        (await request(srv.url, 'POST', '/api/models/user-default', { token: ALICE, body: { model_id: ownId, config_type: 'embedding' } }))
          .status,
      ).toBe(200);
      const refused = await call(del, urlOf(own), 409, { token: ALICE });
      expect(refused.body.detail).toBe('Cannot delete: you have this model as your default. Change default first.');
      expect((await request(srv.url, 'DELETE', '/api/models/user-default/embedding', { token: ALICE })).status).toBe(200);
      const deleted = await call(del, urlOf(own), 200, { token: ALICE });
      expect(deleted.body).toEqual({ message: 'Model deleted successfully' });
      await call(del, urlOf(own), 404, { token: ALICE });
      await call(route('get'), urlOf(own), 404, { token: ALICE });
    });
  });
});

describe('provider calls, against a stand-in provider on 127.0.0.1', () => {
  let stand: StandIn;
  beforeAll(async () => {
    stand = await startStandIn();
  });
  afterAll(async () => {
    await stand?.close();
  });

  test('POST /api/models/test-connection: 200 (passed and failed), 401, 413, 422', async () => {
    const route: Route = { method: 'post', path: '/api/models/test-connection' };
    const base = { model_provider: 'openai', model_name: 'gpt-4o', base_url: `${stand.url}/openai/v1` };
    const passed = await call(route, route.path, 200, { token: ALICE, body: { ...base, api_key: GOOD_KEY } });
    expect(passed.body.status).toBe('passed');
    const failed = await call(route, route.path, 200, { token: ALICE, body: { ...base, api_key: 'sk-wrong-0123456789' } });
    expect(failed.body.status).toBe('failed');
    await call(route, route.path, 200, { token: ALICE, body: { ...base, category: 'music' } });
    await call(route, route.path, 401, { body: base });
    await call(route, route.path, 413, { token: ALICE, ...oversized() });
    await call(route, route.path, 422, { token: ALICE, body: { model_provider: 'openai' } });
    await call(route, route.path, 422, { token: ALICE, rawBody: '' });
  });

  test('POST /api/models/test: 200, 401, 413, 422', async () => {
    const route: Route = { method: 'post', path: '/api/models/test' };
    await call({ method: 'post', path: '/api/models' }, '/api/models', 200, {
      token: BOB,
      body: {
        model_id: 'bob/stand-in',
        model_provider: 'openai',
        model_name: 'gpt-4o',
        api_key: GOOD_KEY,
        base_url: `${stand.url}/openai/v1`,
      },
    });
    const all = await call(route, route.path, 200, { token: BOB });
    expect(all.body.map((r: Json) => [r.model_id, r.status])).toContainEqual(['bob/stand-in', 'passed']);
    await call(route, route.path, 200, { token: BOB, body: { model_ids: ['bob/stand-in', 'nobody/such'] } });
    await call(route, route.path, 401, { body: {} });
    await call(route, route.path, 413, { token: BOB, ...oversized() });
    await call(route, route.path, 422, { token: BOB, body: { model_ids: [1] } });
  });

  test('POST /api/models/providers/{provider}/models: 200, 400, 401, 413, 422, 502', async () => {
    const route: Route = { method: 'post', path: '/api/models/providers/{provider}/models' };
    const url = (provider: string) => `/api/models/providers/${provider}/models`;
    const listed = await call(route, url('openai'), 200, { token: ALICE, body: { api_key: GOOD_KEY, base_url: `${stand.url}/openai/v1` } });
    expect(listed.body.count).toBe(listed.body.models.length);
    await call(route, url('xinference'), 200, { token: ALICE, body: { base_url: `${stand.url}/xinf`, category: 'image' } });
    await call(route, url('minimax-coding-plan'), 200, { token: ALICE, body: {} });
    await call(route, url('acme'), 400, { token: ALICE, body: { api_key: GOOD_KEY } });
    await call(route, url('xinference'), 400, { token: ALICE, body: {} });
    await call(route, url('openai'), 400, { token: ALICE, body: { api_key: GOOD_KEY, base_url: `${stand.url}/redirect/v1` } });
    await call(route, url('openai'), 401, { body: {} });
    await call(route, url('openai'), 413, { token: ALICE, ...oversized() });
    await call(route, url('openai'), 422, { token: ALICE, body: { api_key: 5 } });
    await call(route, url('openai'), 502, { token: ALICE, body: { api_key: GOOD_KEY, base_url: `${stand.url}/fail/v1` } });
    await call(route, url('openai'), 502, { token: ALICE, body: { api_key: 'sk-wrong-0123456789', base_url: `${stand.url}/openai/v1` } });
  });
});

describe("the document's field constraints are the server's", () => {
  const CREATE: Route = { method: 'post', path: '/api/models' };
  const UPDATE: Route = { method: 'put', path: '/api/models/{model_id}' };
  const base = { model_provider: 'p', model_name: 'n' };
  const distinct = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`);

  /** Bodies both the schema and the server refuse (422, naming the field); [field, body]. */
  const refused: [string, Json][] = [
    ['temperature', { temperature: -0.1 }],
    ['temperature', { temperature: 2.01 }],
    ['temperature', { temperature: '0.5' }],
    ['dimension', { dimension: 0 }],
    ['dimension', { dimension: 65537 }],
    ['dimension', { dimension: 1.5 }],
    ['model_provider', { model_provider: '' }],
    ['model_provider', { model_provider: '   ' }],
    ['model_provider', { model_provider: 'p'.repeat(129) }],
    ['model_provider', { model_provider: 5 }],
    ['model_provider', { model_provider: null }],
    ['model_name', { model_name: '' }],
    ['model_name', { model_name: 'n'.repeat(257) }],
    ['model_name', { model_name: null }],
    ['category', { category: null }],
    ['category', { category: 7 }],
    ['description', { description: 'd'.repeat(4001) }],
    ['base_url', { base_url: 'ftp://example.com/models' }],
    ['base_url', { base_url: 'not a url' }],
    ['base_url', { base_url: `https://${'a'.repeat(2048)}.com` }],
    ['abilities', { abilities: distinct(65) }],
    ['abilities', { abilities: [''] }],
    ['abilities', { abilities: ['x'.repeat(65)] }],
    ['abilities', { abilities: 'chat' }],
    ['abilities', { abilities: [1] }],
    ['abilities', { category: 'embedding', abilities: ['chat'] }],
    ['abilities', { category: 'rerank', abilities: [] }],
    ['abilities', { category: 'image', abilities: ['generate', 'tts'] }],
    ['api_key', { api_key: 'k'.repeat(4097) }],
    ['api_key', { api_key: 5 }],
    ['share_with_users', { share_with_users: 'true' }],
    ['share_with_users', { share_with_users: null }],
  ];
  const refusedOnCreate: [string, Json][] = [
    ['model_id', { model_id: '' }],
    ['model_id', { model_id: '   ' }],
    ['model_id', { model_id: 'i'.repeat(257) }],
    ['model_id', { model_id: 'a\u0001b' }],
    ['model_id', { model_id: 42 }],
    ['model_name', { model_provider: 'p', model_name: undefined }],
  ];

  /** Bodies both accept, at the limits. */
  const accepted: Json[] = [
    { temperature: 0 },
    { temperature: 2 },
    { dimension: 1 },
    { dimension: 65536 },
    { description: 'd'.repeat(4000) },
    { description: '' },
    { abilities: distinct(64) },
    { abilities: [] },
    { category: 'speech', abilities: ['asr', 'tts'] },
    { category: 'video', abilities: null },
    { base_url: 'http://localhost:11434' },
    { base_url: `https://${'a'.repeat(2030)}.com` },
    { model_provider: 'p'.repeat(128), model_name: 'n'.repeat(256) },
    { api_key: 'k'.repeat(4096) },
    { api_key: null, base_url: null, temperature: null, dimension: null, description: null, abilities: null },
    { share_with_users: false },
  ];

  test('create: the schema and the server refuse the same bodies, and accept the same', async () => {
    const schema = requestValidator(CREATE);
    for (const [field, patch] of [...refused, ...refusedOnCreate]) {
      const body = { ...base, ...patch };
      if (schema(body)) throw new Error(`the ModelCreate schema accepts ${JSON.stringify(body).slice(0, 200)}`);
      const res = await call(CREATE, '/api/models', 422, { token: ALICE, body });
      expect(res.body.detail.map((d: Json) => d.loc[1])).toContain(field);
    }
    let n = 0;
    for (const patch of [...accepted, { model_id: 'i'.repeat(256) }, { model_id: 'google/gemini-2.5-flash' }]) {
      const body = { ...base, ...patch };
      if (!schema(body)) throw new Error(`the ModelCreate schema refuses ${JSON.stringify(body).slice(0, 200)}: ${explain(schema)}`);
      await call(CREATE, '/api/models', 200, { token: ALICE, body });
      n++;
    }
    expect(n).toBe(accepted.length + 2);
  });

  test('update: the schema and the server refuse the same bodies, and accept the same; refusals change nothing', async () => {
    const schema = requestValidator(UPDATE);
    const target = 'constraints/update';
    await call(CREATE, '/api/models', 200, { token: ALICE, body: { ...base, model_id: target } });
    const url = `/api/models/${encodeURIComponent(target)}`;
    for (const [field, patch] of refused) {
      if (schema(patch)) throw new Error(`the ModelUpdate schema accepts ${JSON.stringify(patch).slice(0, 200)}`);
      const res = await call(UPDATE, url, 422, { token: ALICE, body: patch });
      expect(res.body.detail.map((d: Json) => d.loc[1])).toContain(field);
    }
    const before = await request(srv.url, 'GET', url, { token: ALICE });
    expect(before.headers.get('etag')).toBe('"1"');
    for (const patch of [{}, ...accepted]) {
      if (!schema(patch)) throw new Error(`the ModelUpdate schema refuses ${JSON.stringify(patch).slice(0, 200)}: ${explain(schema)}`);
      await call(UPDATE, url, 200, { token: ALICE, body: patch });
    }
  });
});

describe('rate limiting (a second server with a budget of one request per caller)', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startServer({ env: { RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_MS: '600000' } });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  test('every operation answers 429 once the caller has used its budget', async () => {
    const concrete = (template: string) =>
      template
        .replace('/by-id/{model_id}', '/by-id/rate/limited')
        .replace('{model_id}', 'rate-limited')
        .replace('{config_type}', 'general')
        .replace('{type}', 'general')
        // A fixed list: no call leaves the gateway.
        .replace('{provider}', 'minimax-coding-plan');
    let caller = 0;
    for (const [p, item] of Object.entries<Json>(doc.paths)) {
      for (const method of METHODS) {
        if (!item[method]) continue;
        // One caller per operation: its first request uses the budget, the second is refused.
        const options: RequestOptions = { token: tokenFor(`rate-${caller++}`), ...(method === 'get' ? {} : { body: {} }) };
        const first = await request(limited.url, method.toUpperCase(), concrete(p), options);
        expect(first.status).not.toBe(429);
        expect(first.headers.get('ratelimit')).toMatch(/^limit=1, remaining=0, reset=\d+$/);
        expect(first.headers.get('ratelimit-policy')).toBe('1;w=600');
        const refused = await call({ method, path: p }, concrete(p), 429, options, limited.url);
        expect(refused.body).toEqual({ detail: 'Too Many Requests' });
      }
    }
    // Every served operation: 2 on /api/models, 1 on /register, 3 on each of the two model paths,
    // 2 of the provider catalog, 4 aggregates, 4 public catalog paths, 3 provider calls and 5
    // default-model operations.
    expect(caller).toBe(27);
  });
});

describe('PUBLIC_CATALOG=off (a second server)', () => {
  let off: RunningServer;
  beforeAll(async () => {
    off = await startServer({ env: { PUBLIC_CATALOG: 'off' } });
  });
  afterAll(async () => {
    await off?.stop();
  });

  test('every method of the public paths answers 404', async () => {
    for (const name of ['list', 'categories', 'providers', 'summary']) {
      const path = `/api/models/public/${name}`;
      await call({ method: 'get', path }, path, 404, {}, off.url);
      // The other methods are not operations of the document (405 when the catalog is on): 404 too.
      for (const method of METHODS.filter((m) => m !== 'get')) {
        const res = await request(off.url, method.toUpperCase(), path, { body: {} });
        expect([method, res.status]).toEqual([method, 404]);
      }
    }
  });
});

describe('coverage', () => {
  test('every (route, status) the document declares was provoked above, or cannot be provoked by a request', () => {
    const declared: string[] = [];
    for (const [p, item] of Object.entries<Json>(doc.paths)) {
      for (const method of METHODS) {
        if (!item[method]) continue;
        for (const status of Object.keys(item[method].responses)) declared.push(key({ method, path: p }, status));
      }
    }
    const missing = declared.filter((k) => !provoked.has(k) && !(k.split(' ')[2]! in NOT_PROVOKABLE));
    expect(missing).toEqual([]);
    // Every provoked answer was checked against a declared one (conforms() throws otherwise).
    expect([...provoked].filter((k) => !declared.includes(k))).toEqual([]);
    expect([...provoked].filter((k) => k.split(' ')[2]! in NOT_PROVOKABLE)).toEqual([]);
    // Both not provokable statuses are declared where the server can answer them: every authenticated operation.
    const authenticated = declared.filter((k) => k.endsWith(' 401')).map((k) => k.replace(/ 401$/, ''));
    expect(authenticated.length).toBeGreaterThan(0);
    for (const op of authenticated) for (const status of Object.keys(NOT_PROVOKABLE)) expect(declared).toContain(`${op} ${status}`);
  });

  test('the documented API version is the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(doc.info.version).toBe(pkg.version);
  });
});
