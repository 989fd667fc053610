/**
 * GraphQL operation limits (depth, cost by `limit`, aliases, directives, tokens, document size),
 * one operation per request, CSRF prevention, and what production hides (introspection, the
 * landing page, "Did you mean" suggestions). Every refusal is a clean 400 with a code, nothing
 * runs, and nothing changes.
 */
import { getIntrospectionQuery, Lexer, Source, TokenKind } from 'graphql';
import { gql, MODEL_FIELDS, request, type GraphQLResult } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';

const servers: RunningServer[] = [];
async function start(env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startServer({ env });
  servers.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

/** A refusal: HTTP 400, exactly one error with this code and message, no data, no internals. */
function expectRefused(res: GraphQLResult, code: string, message: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors).toHaveLength(1);
  const [error] = res.body.errors!;
  expect(error.extensions).toEqual({ code });
  expect(error.message).toMatch(message);
  expect(res.text).not.toMatch(/stack|stacktrace|at [\w.]+ \(|node_modules|dist\//i);
}

/** A selection `depth` levels deep: `__type` (1) > fields (2) > type (3) > ofType (4) > ... > name. */
function depthQuery(depth: number): string {
  const levels = ['__type(name: "Model")', 'fields', 'type'].slice(0, depth - 1);
  while (levels.length < depth - 1) levels.push('ofType');
  return `{ ${levels.join(' { ')} { name }${' }'.repeat(levels.length - 1)} }`;
}

/** Tokens as graphql-js's parser counts them for `maxTokens` (comments and commas are not tokens). */
function countTokens(document: string): number {
  const lexer = new Lexer(new Source(document));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

/** A createModel mutation of exactly `tokens` tokens (the abilities list takes up the rest). */
function mutationOfTokens(tokens: number): string {
  const build = (n: number) =>
    `mutation { createModel(input: { modelProvider: "p", modelName: "n", abilities: [${' "a"'.repeat(n)} ] }) { id } }`;
  const base = countTokens(build(0));
  const document = build(tokens - base);
  expect(countTokens(document)).toBe(tokens);
  return document;
}

describe('default limits (no overrides)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start();
  });

  it('depth: 8 levels are served, 9 are refused before anything runs', async () => {
    const ok = await gql(server.url, depthQuery(8));
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.__type.fields.length).toBeGreaterThan(0);

    const deep = await gql(server.url, depthQuery(9));
    expectRefused(deep, 'GRAPHQL_VALIDATION_FAILED', /^Query depth limit of 8 exceeded, found 9\.$/);
  });

  it('depth through fragments counts too', async () => {
    const query = `
      query { __type(name: "Model") { ...F } }
      fragment F on __Type { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } }`;
    const res = await gql(server.url, query);
    expectRefused(res, 'GRAPHQL_VALIDATION_FAILED', /^Query depth limit of 8 exceeded/);
  });

  it("Sandbox's full introspection query passes every default limit", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    const res = await gql(server.url, query);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.__schema.queryType.name).toBe('Query');
  });

  it('aliases: 15 are served, 16 are refused', async () => {
    // Aliased __typename is free (graphql-armor's allow-list); an aliased field is not.
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __type(name: "Model") { name }`).join(' ')} }`;
    const ok = await gql(server.url, aliased(15));
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body.data)).toHaveLength(15);
    expectRefused(await gql(server.url, aliased(16)), 'GRAPHQL_VALIDATION_FAILED', /^Aliases limit of 15 exceeded, found 16\.$/);
  });

  it('directives: 50 are served, 51 are refused', async () => {
    const directed = (n: number) => `{ ${Array.from({ length: n }, () => '__typename @include(if: true)').join(' ')} }`;
    const ok = await gql(server.url, directed(50));
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ __typename: 'Query' });
    expectRefused(await gql(server.url, directed(51)), 'GRAPHQL_VALIDATION_FAILED', /^Directives limit of 50 exceeded, found 51\.$/);
  });

  it('tokens: 1000 are parsed, parsing stops at the 1001st', async () => {
    // Without a token the operation is parsed, validated and run: it fails only in the resolver.
    const ok = await gql(server.url, mutationOfTokens(1000));
    expect(ok.status).toBe(200);
    expect(ok.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
    expectRefused(await gql(server.url, mutationOfTokens(1001)), 'GRAPHQL_PARSE_FAILED', /contains more th\w+ 1000 tokens/);
  });

  it('document size: 64 KiB of query text is served, one byte more is refused (comments are not tokens)', async () => {
    const sized = (bytes: number) => {
      const body = '\n{ __typename }';
      return `#${'x'.repeat(bytes - body.length - 1)}${body}`;
    };
    expect(Buffer.byteLength(sized(65536))).toBe(65536);
    const ok = await gql(server.url, sized(65536));
    expect(ok.status).toBe(200);
    expect(ok.body.data).toEqual({ __typename: 'Query' });
    expectRefused(await gql(server.url, sized(65537)), 'BAD_REQUEST', /^The query document is larger than 65536 bytes\.$/);
  });

  it('cost: one full page of 1000 models with every field is served; two are refused, before any resolver runs', async () => {
    const page = `models(limit: 1000) { ${MODEL_FIELDS} }`;
    const one = await gql(server.url, `{ ${page} }`, undefined, alice());
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ data: { models: [] } });

    // Without a token every resolver would fail with UNAUTHENTICATED: the 400 shows none ran.
    const two = await gql(server.url, `{ a: ${page} b: ${page} }`);
    expectRefused(two, 'GRAPHQL_VALIDATION_FAILED', /^Query cost 38002 exceeds the maximum of 25000; /);
  });

  it('cost counts `limit` given in variables', async () => {
    const query = `query Pages($n: Int) { a: models(limit: $n) { ${MODEL_FIELDS} } b: models(limit: $n) { ${MODEL_FIELDS} } }`;
    const small = await gql(server.url, query, { n: 10 }, alice());
    expect(small.status).toBe(200);
    expect(small.body).toEqual({ data: { a: [], b: [] } });
    expectRefused(await gql(server.url, query, { n: 1000 }, alice()), 'GRAPHQL_VALIDATION_FAILED', /^Query cost 38002 exceeds/);
  });

  it('an out-of-range limit is the service\u2019s own validation error, not a cost error', async () => {
    const res = await gql(server.url, `{ models(limit: 5000) { modelId } }`, undefined, alice());
    expect(res.status).toBe(200);
    expect(res.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('batched operations (a JSON array) are refused with 400 and none of them runs', async () => {
    const create = (modelId: string) => ({
      query: `mutation { createModel(input: { modelId: "${modelId}", modelProvider: "openai", modelName: "gpt-4o" }) { modelId } }`,
    });
    const res = await request(server.url, 'POST', '/graphql', { token: alice(), body: [create('batch-1'), create('batch-2')] });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions.code).toBe('BAD_REQUEST');
    expect(res.body.errors![0].message).toMatch(/batching/i);
    for (const id of ['batch-1', 'batch-2']) {
      expect((await request(server.url, 'GET', `/api/models/${id}`, { token: alice() })).status).toBe(404);
    }
  });

  describe('CSRF prevention', () => {
    const mutation = `mutation { createModel(input: { modelId: "csrf-1", modelProvider: "openai", modelName: "gpt-4o" }) { modelId } }`;

    it('a POST with Content-Type: text/plain (what a cross-site form can send) is refused and does not run', async () => {
      const res = await request(server.url, 'POST', '/graphql', {
        token: alice(),
        rawBody: JSON.stringify({ query: mutation }),
        headers: { 'Content-Type': 'text/plain' },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors![0].extensions.code).toBe('BAD_REQUEST');
      expect(res.body.errors![0].message).toMatch(/Cross-Site Request Forgery/);
      expect((await request(server.url, 'GET', '/api/models/csrf-1', { token: alice() })).status).toBe(404);
    });

    it('a GET operation needs Apollo-Require-Preflight (or a non-simple Content-Type)', async () => {
      const path = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
      const bare = await request(server.url, 'GET', path);
      expect(bare.status).toBe(400);
      expect(bare.body.errors![0].message).toMatch(/Cross-Site Request Forgery/);

      const preflighted = await request(server.url, 'GET', path, { headers: { 'Apollo-Require-Preflight': 'true' } });
      expect(preflighted.status).toBe(200);
      expect(preflighted.body).toEqual({ data: { __typename: 'Query' } });
    });
  });

  it('outside production, validation errors suggest field names', async () => {
    const res = await gql(server.url, '{ modelz { modelId } }');
    expect(res.status).toBe(400);
    expect(res.body.errors![0].message).toMatch(/Did you mean "model" or "models"\?/);
  });
});

describe('limits from the environment', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await start({
      GRAPHQL_MAX_DEPTH: '3',
      GRAPHQL_MAX_COST: '50',
      GRAPHQL_MAX_ALIASES: '3',
      GRAPHQL_MAX_DIRECTIVES: '1',
      GRAPHQL_MAX_TOKENS: '300',
      GRAPHQL_MAX_DOCUMENT_BYTES: '2048',
    });
  });

  it('each limit follows its variable', async () => {
    expectRefused(await gql(server.url, depthQuery(4)), 'GRAPHQL_VALIDATION_FAILED', /^Query depth limit of 3 exceeded, found 4\.$/);
    expect((await gql(server.url, depthQuery(3))).status).toBe(200);

    expectRefused(
      await gql(
        server.url,
        '{ a: __schema { __typename } b: __schema { __typename } c: __schema { __typename } d: __schema { __typename } }',
      ),
      'GRAPHQL_VALIDATION_FAILED',
      /Aliases limit of 3 exceeded, found 4/,
    );
    expectRefused(
      await gql(server.url, '{ __typename @include(if: true) __typename @include(if: true) }'),
      'GRAPHQL_VALIDATION_FAILED',
      /Directives limit of 1 exceeded, found 2/,
    );
    expectRefused(await gql(server.url, mutationOfTokens(301)), 'GRAPHQL_PARSE_FAILED', /contains more th\w+ 300 tokens/);
    expectRefused(await gql(server.url, `#${'x'.repeat(2048)}\n{ __typename }`), 'BAD_REQUEST', /larger than 2048 bytes/);
  });

  it('the document size limit applies to GET operations too', async () => {
    const query = `#${'x'.repeat(2100)}\n{ __typename }`;
    const res = await request(server.url, 'GET', `/graphql?query=${encodeURIComponent(query)}`, {
      headers: { 'Apollo-Require-Preflight': 'true' },
    });
    expectRefused(res as GraphQLResult, 'BAD_REQUEST', /larger than 2048 bytes/);
  });

  it('a list costs its limit (100 when left out) times its selection', async () => {
    // models { modelId } with the default limit: 1 + 100 x 1 = 101.
    expectRefused(
      await gql(server.url, '{ models { modelId } }'),
      'GRAPHQL_VALIDATION_FAILED',
      /^Query cost 101 exceeds the maximum of 50;/,
    );
    // 1 + 24 x 2 = 49; 1 + 25 x 2 = 51.
    expect((await gql(server.url, '{ models(limit: 24) { id modelId } }', undefined, alice())).body).toEqual({ data: { models: [] } });
    expectRefused(await gql(server.url, '{ models(limit: 25) { id modelId } }'), 'GRAPHQL_VALIDATION_FAILED', /^Query cost 51 exceeds/);
  });

  it('the same document is costed again for each value of the variables its cost depends on (the cost is remembered per value)', async () => {
    // $n sets the list's size; $d (the default value of $m applies when $m is not sent) too;
    // @include on a list with its own $flag; $other changes nothing.
    const query = `query Q($n: Int, $m: Int = 30, $flag: Boolean!, $other: String) {
      a: models(limit: $n, modelProvider: $other) { id modelId }
      b: models(limit: $m) @include(if: $flag) { id }
    }`;
    const cost = async (variables: Record<string, unknown>) => {
      const res = await gql(server.url, query, variables, alice());
      if (res.status === 200) return 'ok';
      expect(res.status).toBe(400);
      return /^Query cost (\d+) exceeds/.exec(res.body.errors![0].message)?.[1];
    };
    // 1 + 10 x 2 = 21 (a), plus b: 1 + 30 = 31 when included.
    expect(await cost({ n: 10, flag: false })).toBe('ok');
    expect(await cost({ n: 10, flag: true })).toBe('52');
    expect(await cost({ n: 10, flag: false, other: 'x' })).toBe('ok');
    expect(await cost({ n: 24, flag: false })).toBe('ok');
    expect(await cost({ n: 25, flag: false })).toBe('51');
    expect(await cost({ n: 10, m: 5, flag: true })).toBe('ok');
    expect(await cost({ n: 10, m: null, flag: true })).toBe('122');
    expect(await cost({ n: 10, flag: true })).toBe('52');
    expect(await cost({ n: 10, flag: false })).toBe('ok');
    // A variable that does not fit is still execution's refusal (redacted), whatever was remembered.
    const bad = await gql(server.url, query, { n: 'ten', flag: false }, alice());
    expect(bad.status).toBe(400);
    expect(bad.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('a refused costly mutation changes nothing', async () => {
    const creates = (ids: string[]) =>
      `mutation { ${ids
        .map((id, i) => `c${i}: createModel(input: { modelId: "${id}", modelProvider: "openai", modelName: "gpt-4o" }) { ${MODEL_FIELDS} }`)
        .join(' ')} }`;
    // Each createModel with every field costs 1 + 19 = 20: two fit in 50, three do not.
    const refused = await gql(server.url, creates(['costly-1', 'costly-2', 'costly-3']), undefined, alice());
    expectRefused(refused, 'GRAPHQL_VALIDATION_FAILED', /^Query cost 60 exceeds the maximum of 50;/);
    for (const id of ['costly-1', 'costly-2', 'costly-3']) {
      expect((await request(server.url, 'GET', `/api/models/${id}`, { token: alice() })).status).toBe(404);
    }
    const ok = await gql(server.url, creates(['costly-4', 'costly-5']), undefined, alice());
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.c1.modelId).toBe('costly-5');
  });
});

describe('production', () => {
  it('hides field suggestions, introspection and the landing page', async () => {
    const server = await start({ NODE_ENV: 'production' });
    const typo = await gql(server.url, '{ modelz { modelId } }', undefined, alice());
    expect(typo.status).toBe(400);
    expect(typo.body.errors![0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.text).not.toMatch(/Did you mean/);
    expect(typo.text).not.toMatch(/"models"/);

    const schema = await gql(server.url, '{ __schema { types { name } } }');
    expect(schema.status).toBe(400);
    expect(schema.body.errors![0].message).toMatch(/introspection/i);

    const page = await request(server.url, 'GET', '/graphql', { headers: { Accept: 'text/html' } });
    expect(page.status).not.toBe(200);
    expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
  });

  it('GRAPHQL_INTROSPECTION and GRAPHQL_LANDING_PAGE turn them back on; suggestions stay hidden', async () => {
    const server = await start({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', GRAPHQL_LANDING_PAGE: 'true' });
    const schema = await gql(server.url, '{ __schema { queryType { name } } }');
    expect(schema.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });

    const page = await request(server.url, 'GET', '/graphql', { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/embeddable-sandbox/);

    const typo = await gql(server.url, '{ modelz { modelId } }');
    expect(typo.text).not.toMatch(/Did you mean/);
  });
});

describe('configuration', () => {
  it('refuses out-of-range limits at start-up, one line per problem', async () => {
    const server = await startServer({
      expectExit: true,
      env: { GRAPHQL_MAX_DEPTH: '0', GRAPHQL_MAX_COST: 'lots', GRAPHQL_MAX_TOKENS: '5', GRAPHQL_MAX_DOCUMENT_BYTES: '-1' },
    });
    expect(server.process.exitCode).toBe(1);
    const logs = server.logs();
    expect(logs).toMatch(/config error: GRAPHQL_MAX_DEPTH must be an integer from 1 to 100, got "0"/);
    expect(logs).toMatch(/config error: GRAPHQL_MAX_COST must be an integer/);
    expect(logs).toMatch(/config error: GRAPHQL_MAX_TOKENS must be an integer from 100/);
    expect(logs).toMatch(/config error: GRAPHQL_MAX_DOCUMENT_BYTES must be an integer/);
  });
});
