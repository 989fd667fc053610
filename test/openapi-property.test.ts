/**
 * Schemathesis-style: the served OpenAPI document drives the requests. From each JSON request
 * schema fast-check (seeded, bounded runs) derives bodies that conform and bodies that break
 * exactly one constraint; the same for the query parameters of GET /api/models and for model ids
 * in both path styles. Over real HTTP with real JWTs:
 * - a conforming request is never answered 422. Statuses it may get for what a schema cannot
 *   express: create 400 when the generated model_id is taken already, 403 when it asks to share
 *   (alice is no admin); update 403 for the same reason, and 422 only when it sends one of category and abilities
 *   and the other, stored, does not fit it.
 * - a violating body is answered 422 (400 for an unknown category, as documented) and leaves
 *   the stored rows exactly as they were;
 * - every answer (status, declared headers, body) matches the document for that status.
 * A failure prints the seed and counterexample; `OAPROP_SEED=<seed>` replays it.
 */
import fc from 'fast-check';
import { request, type HttpResult } from './helpers/http';
import { storedRow, storedRows, createModel } from './helpers/models';
import { docValidator, type DocValidator } from './helpers/openapi';
import { startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';

type Json = any;

const SEED = Number(process.env.OAPROP_SEED ?? 1404);
const RUNS = 100;
const ALICE = alice();

let srv: RunningServer;
let dv: DocValidator;

jest.setTimeout(120_000);

beforeAll(async () => {
  srv = await startServer();
  const res = await request(srv.url, 'GET', '/openapi.json');
  expect(res.status).toBe(200);
  dv = docValidator(res.body);
});

afterAll(async () => {
  await srv?.stop();
});

/** Inlines component references of a schema (they only point at components here). */
function deref(schema: Json): Json {
  if (schema && typeof schema.$ref === 'string') return deref(dv.valueAt(schema.$ref.slice(1)));
  return schema;
}

/** The non-null branch of a nullable `anyOf`, and whether null is allowed. */
function nonNull(schema: Json): { schema: Json; nullable: boolean } {
  const s = deref(schema);
  if (Array.isArray(s.anyOf)) {
    const rest = s.anyOf.filter((b: Json) => b.type !== 'null');
    if (rest.length === 1) return { schema: { ...rest[0], ...(s.enum ? { enum: s.enum } : {}) }, nullable: rest.length < s.anyOf.length };
  }
  return { schema: s, nullable: s.type === 'null' };
}

/** A fast-check arbitrary of values meant to match `schema` (callers filter by the real validator). */
function arbitraryOf(schema: Json): fc.Arbitrary<Json> {
  const s = deref(schema);
  if (Array.isArray(s.anyOf)) return fc.oneof(...s.anyOf.map(arbitraryOf));
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1e6, max: Math.min(s.maximum ?? 1e6, Number.MAX_SAFE_INTEGER) });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'array':
      return fc.array(arbitraryOf(s.items ?? {}), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) });
    case 'object': {
      const props: Record<string, fc.Arbitrary<Json>> = {};
      for (const [name, sub] of Object.entries<Json>(s.properties ?? {})) props[name] = arbitraryOf(sub);
      return fc.record(props, { requiredKeys: s.required ?? [] });
    }
    case 'string': {
      const pattern = s.pattern ? new RegExp(s.pattern, 'u') : undefined;
      const max = s.maxLength ?? 64;
      let base: fc.Arbitrary<string>;
      if (s.format === 'uri') {
        base = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true });
      } else {
        const short = { minLength: s.minLength ?? 0, maxLength: Math.min(max, 24) };
        base = fc.oneof(
          fc.string(short),
          fc.string({ ...short, unit: 'grapheme' }),
          fc.string({ ...short, unit: 'binary' }),
          // Near the limit, where code units and code points differ for astral characters.
          fc.string({ minLength: Math.max(0, max - 2), maxLength: max, unit: fc.constantFrom('a', ' ', 'é', '😀') }),
        );
      }
      return base.filter((v) => (pattern ? pattern.test(v) : true));
    }
    default:
      return fc.jsonValue();
  }
}

/** Values that break one constraint of a property schema, with the statuses the server may answer. */
function violationsOf(name: string, schema: Json): { value: Json; why: string; statuses: number[] }[] {
  const { schema: s, nullable } = nonNull(schema);
  const out: { value: Json; why: string; statuses: number[] }[] = [];
  const add = (value: Json, why: string, statuses = [422]) => out.push({ value, why, statuses });
  if (!nullable) add(null, 'null for a non-nullable');
  if (Array.isArray(s.enum)) {
    // The document: an unknown category is 400 `Invalid model category`.
    add('no-such-value', 'not in the enum', name === 'category' ? [400] : [422]);
    add(7, 'wrong type');
    return out;
  }
  switch (s.type) {
    case 'string':
      add(123, 'wrong type (number)');
      add(true, 'wrong type (boolean)');
      add(['x'], 'wrong type (array)');
      if (s.maxLength !== undefined) add('x'.repeat(s.maxLength + 1), 'too long');
      if ((s.minLength ?? 0) >= 1) add('', 'too short');
      if (s.pattern) {
        for (const candidate of ['a\u0000b', '   ', 'a\u0007b', 'ftp://example.com/', 'http://', 'not a url'])
          if (!new RegExp(s.pattern, 'u').test(candidate)) add(candidate, `pattern mismatch ${JSON.stringify(candidate)}`);
      }
      break;
    case 'integer':
    case 'number':
      add('1', 'wrong type (string)');
      if (s.maximum !== undefined) add(s.maximum + 1, 'above maximum');
      if (s.minimum !== undefined) add(s.minimum - 1, 'below minimum');
      if (s.type === 'integer') add(1.5, 'not an integer');
      break;
    case 'boolean':
      add('true', 'wrong type (string)');
      add(1, 'wrong type (number)');
      break;
    case 'array':
      add('x', 'wrong type (string)');
      if (s.maxItems !== undefined)
        add(
          Array.from({ length: s.maxItems + 1 }, (_, i) => `a${i}`),
          'too many items',
        );
      if (s.items)
        for (const v of violationsOf(`${name}[]`, s.items)) if (v.value !== null) add([v.value], `an item: ${v.why}`, v.statuses);
      break;
  }
  return out;
}

/** A body conforming to the request schema of this operation. */
function conformingBody(method: string, path: string, extra: (b: Json) => boolean = () => true): fc.Arbitrary<Json> {
  const validate = dv.requestValidator(method, path);
  const schema = deref(
    dv.resolve(`/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/requestBody`).node.content['application/json'].schema,
  );
  return arbitraryOf(schema).filter((b) => validate(b) && extra(b));
}

/** A conforming body with one constraint broken (or one required key left out). */
function violatingBody(method: string, path: string): fc.Arbitrary<{ body: Json; why: string; statuses: number[] }> {
  const validate = dv.requestValidator(method, path);
  const schema = deref(
    dv.resolve(`/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/requestBody`).node.content['application/json'].schema,
  );
  const cases: { key: string; value?: Json; why: string; statuses: number[]; drop?: boolean }[] = [];
  for (const [key, sub] of Object.entries<Json>(schema.properties)) for (const v of violationsOf(key, sub)) cases.push({ key, ...v });
  for (const key of schema.required ?? []) cases.push({ key, why: 'a required key left out', statuses: [422], drop: true });
  return fc
    .tuple(conformingBody(method, path), fc.constantFrom(...cases))
    .map(([good, c]) => {
      const body = { ...good };
      if (c.drop) delete body[c.key];
      else body[c.key] = c.value;
      return { body, why: `${c.key}: ${c.why}`, statuses: c.statuses };
    })
    .filter(({ body }) => !validate(body));
}

/** Sends and checks the answer against the document; returns it. */
async function send(method: string, docPath: string, url: string, body?: Json, query = ''): Promise<HttpResult> {
  const res = await request(srv.url, method.toUpperCase(), url + query, { token: ALICE, body });
  dv.conforms(method, docPath, res);
  return res;
}

/** An id in the URL of the `{model_id}` style (a `/` as %2F) or the by-id style (as is). */
function urlOf(style: 'encoded' | 'by-id', id: string): string {
  if (style === 'encoded') return `/api/models/${encodeURIComponent(id)}`;
  const segments = id.split('/');
  // A `.` or `..` segment would be collapsed by the URL parser even when percent-encoded.
  if (segments.some((s) => s === '.' || s === '..' || s === '')) return `/api/models/by-id/${encodeURIComponent(id)}`;
  return `/api/models/by-id/${segments.map(encodeURIComponent).join('/')}`;
}

const check = (p: fc.IAsyncProperty<any>) => fc.assert(p, { seed: SEED, numRuns: RUNS, endOnFailure: true });

describe.each(['/api/models', '/api/models/register'])('POST %s', (path) => {
  test('a conforming body is never 422, and every answer matches the document', async () => {
    await check(
      fc.asyncProperty(conformingBody('post', path), async (body) => {
        const res = await send('post', path, path, body);
        if (res.status === 200) return;
        if (res.status === 400 && res.body?.detail === 'Model ID already exists') return;
        if (res.status === 403 && body.share_with_users === true) return;
        throw new Error(`conforming body answered ${res.status}: ${JSON.stringify(body)} -> ${res.text}`);
      }),
    );
  });

  test('a body breaking one constraint is refused as documented and stores nothing', async () => {
    await check(
      fc.asyncProperty(violatingBody('post', path), async ({ body, why, statuses }) => {
        const before = storedRows(srv);
        const res = await send('post', path, path, body);
        if (!statuses.includes(res.status))
          throw new Error(`${why}: expected ${statuses}, got ${res.status}: ${JSON.stringify(body)} -> ${res.text}`);
        expect(storedRows(srv)).toEqual(before);
      }),
    );
  });
});

describe.each([
  ['encoded', '/api/models/{model_id}', 'prop-target'],
  ['by-id', '/api/models/by-id/{model_id}', 'prop/target'],
] as const)('PUT, %s style', (style, docPath, id) => {
  beforeAll(async () => {
    await createModel(srv, { model_id: id, model_provider: 'openai', model_name: 'gpt-4o' });
  });

  test('a conforming body is never 422 (except abilities that do not fit the stored category, or the reverse)', async () => {
    await check(
      fc.asyncProperty(conformingBody('put', docPath), async (body) => {
        const res = await send('put', docPath, urlOf(style, id), body);
        if (res.status === 200) return;
        if (res.status === 403 && body.share_with_users === true) return;
        // The abilities are checked against the category the model will have: with only one of
        // the two in the body, the other comes from the stored row, which no schema can see.
        const againstStored = (body.category === undefined) !== (body.abilities === undefined);
        if (
          res.status === 422 &&
          againstStored &&
          res.body.detail.every((d: Json) => d.loc.join('.') === 'body.abilities' && d.type === 'value_error')
        )
          return;
        throw new Error(`conforming body answered ${res.status}: ${JSON.stringify(body)} -> ${res.text}`);
      }),
    );
  });

  test('a body breaking one constraint is refused as documented and leaves the row unchanged', async () => {
    await check(
      fc.asyncProperty(violatingBody('put', docPath), async ({ body, why, statuses }) => {
        const before = storedRow(srv, id);
        expect(before).toBeDefined();
        const res = await send('put', docPath, urlOf(style, id), body);
        if (!statuses.includes(res.status))
          throw new Error(`${why}: expected ${statuses}, got ${res.status}: ${JSON.stringify(body)} -> ${res.text}`);
        expect(storedRow(srv, id)).toEqual(before);
      }),
    );
  });
});

describe('GET /api/models query parameters', () => {
  const params = () => {
    const op = dv.valueAt('/paths/~1api~1models/get');
    return (op.parameters as Json[]).map((p) => dv.resolve(p.$ref.slice(1)).node).filter((p) => p.in === 'query');
  };
  /** A query value as a string, for a schema value. */
  const asQuery = (schema: Json): fc.Arbitrary<string> => {
    const s = deref(schema);
    if (s.type === 'boolean') return fc.constantFrom('true', 'false');
    if (s.type === 'integer') return fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 1000 }).map(String);
    return arbitraryOf(s);
  };

  test('conforming values are answered 200 with a body that matches the document', async () => {
    const record: Record<string, fc.Arbitrary<string>> = {};
    for (const p of params()) record[p.name] = asQuery(p.schema);
    await check(
      fc.asyncProperty(fc.record(record, { requiredKeys: [] }), async (query) => {
        const res = await send('get', '/api/models', '/api/models', undefined, `?${new URLSearchParams(query as Record<string, string>)}`);
        if (res.status !== 200) throw new Error(`${JSON.stringify(query)} answered ${res.status}: ${res.text}`);
      }),
    );
  });

  test('a value breaking its schema is 422 (400 for an unknown category)', async () => {
    const cases: [string, string, number][] = [];
    for (const p of params()) {
      const s = deref(p.schema);
      if (s.type === 'integer') {
        cases.push([p.name, 'abc', 422], [p.name, '1.5', 422]);
        if (s.minimum !== undefined) cases.push([p.name, String(s.minimum - 1), 422]);
        if (s.maximum !== undefined) cases.push([p.name, (BigInt(s.maximum) + 1n).toString(), 422]);
      } else if (s.type === 'boolean') {
        cases.push([p.name, 'maybe', 422]);
      } else if (Array.isArray(s.enum)) {
        cases.push([p.name, 'no-such-category', 400]);
      }
    }
    await check(
      fc.asyncProperty(fc.constantFrom(...cases), async ([name, value, status]) => {
        const res = await send('get', '/api/models', '/api/models', undefined, `?${new URLSearchParams({ [name]: value })}`);
        if (res.status !== status) throw new Error(`${name}=${value}: expected ${status}, got ${res.status}: ${res.text}`);
      }),
    );
  });
});

describe('model ids from the document pattern, in both path styles', () => {
  test('a created id is found at both URLs, a never-created one is 404 at both', async () => {
    const schema = dv.resolve('/components/schemas/ModelCreate').node.properties.model_id;
    const idArb = arbitraryOf(nonNull(schema).schema);
    const withSlash = fc
      .tuple(idArb, idArb)
      .map(([a, b]) => `${a}/${b}`)
      .filter((v) => v.length <= 256);
    await check(
      fc.asyncProperty(fc.oneof(idArb, withSlash), async (raw) => {
        const created = await send('post', '/api/models', '/api/models', { model_id: raw, model_provider: 'openai', model_name: 'gpt-4o' });
        if (created.status === 400 && created.body?.detail === 'Model ID already exists') return;
        if (created.status !== 200) throw new Error(`create ${JSON.stringify(raw)}: ${created.status} ${created.text}`);
        const id: string = created.body.model_id;
        for (const [style, docPath] of [
          ['encoded', '/api/models/{model_id}'],
          ['by-id', '/api/models/by-id/{model_id}'],
        ] as const) {
          const got = await send('get', docPath, urlOf(style, id));
          if (got.status !== 200 || got.body.model_id !== id) throw new Error(`GET ${urlOf(style, id)}: ${got.status} ${got.text}`);
          const missing = await send('get', docPath, urlOf(style, [...`${id}-never-created`].slice(-256).join('')));
          if (missing.status !== 404 && missing.status !== 200) throw new Error(`GET missing: ${missing.status} ${missing.text}`);
        }
      }),
    );
  });
});

describe('lengths are counted as the document counts them (code points)', () => {
  test('model_name of 256 astral characters is accepted, 257 is 422 and stores nothing', async () => {
    const ok = await send('post', '/api/models', '/api/models', { model_provider: 'openai', model_name: '😀'.repeat(256) });
    expect(ok.status).toBe(200);
    expect(ok.body.model_name).toBe('😀'.repeat(256));
    const before = storedRows(srv);
    const tooLong = await send('post', '/api/models', '/api/models', { model_provider: 'openai', model_name: '😀'.repeat(257) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.detail[0]).toMatchObject({ loc: ['body', 'model_name'], type: 'string_too_long' });
    expect(storedRows(srv)).toEqual(before);
  });
});
