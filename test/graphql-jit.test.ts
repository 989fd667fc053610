/**
 * Compiled execution (graphql-jit) answers exactly as graphql-js does. The suite's servers
 * compile every document at its first use (test/helpers/server.ts); here the same operations go
 * to a server with GRAPHQL_JIT=off (graphql-js only), and the answers (status and body) must be
 * identical. graphql_executions_total shows which executor answered: graphql-js for a document's
 * first use (by default), for variables that were not sent or do not fit, and when the JIT is off.
 */
import { gql, MODEL_FIELDS, request, type HttpResult } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { alice, bob } from './helpers/tokens';

let compiled: RunningServer;
let interpreted: RunningServer;

async function executions(server: RunningServer): Promise<{ jit: number; 'graphql-js': number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const count = (executor: string) =>
    Number(new RegExp(`^graphql_executions_total\\{executor="${executor}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { jit: count('jit'), 'graphql-js': count('graphql-js') };
}

/** Timestamps differ between two servers' databases; everything else must not. */
function comparable(res: HttpResult): unknown {
  return { status: res.status, body: JSON.parse(res.text.replace(/"\d{4}-\d{2}-\d{2}T[0-9:.]+Z"/g, '"<time>"')) };
}

const SEED = [
  { model_id: 'jit/a', model_provider: 'openai', model_name: 'gpt-4o', temperature: 0.5, api_key: 'sk-seed-a-1234567890' },
  { model_id: 'jit/b', category: 'embedding', model_provider: 'openai', model_name: 'text-embedding-3-small', dimension: 1536 },
  { model_id: 'jit/c', model_provider: 'anthropic', model_name: 'claude', description: 'shared one', is_shared: true },
];

beforeAll(async () => {
  [compiled, interpreted] = await Promise.all([startServer(), startServer({ env: { GRAPHQL_JIT: 'off' } })]);
  for (const server of [compiled, interpreted]) {
    for (const body of SEED) expect((await request(server.url, 'POST', '/api/models', { token: alice(), body })).status).toBe(200);
  }
});

afterAll(async () => {
  await Promise.all([compiled?.stop(), interpreted?.stop()]);
});

const SECRET = 'sk-live-must-not-be-echoed-0123456789';

const CASES: [string, string, Record<string, unknown> | undefined, (() => string) | undefined][] = [
  [
    'a list with every field, __typename, aliases and fragments',
    `query L($n: Int) { models(limit: $n) { __typename ...F again: modelId } } fragment F on Model { ${MODEL_FIELDS} }`,
    { n: 10 },
    alice,
  ],
  [
    'one model, and one that does not exist (null)',
    `query { a: model(modelId: "jit/a") { modelId hasApiKey temperature } none: model(modelId: "nope") { modelId } }`,
    undefined,
    alice,
  ],
  ['another caller sees only the shared model', `{ models { modelId isOwner canEdit canDelete } }`, undefined, bob],
  ['no token: the authentication error, data null', `{ models { modelId } }`, undefined, undefined],
  [
    'a resolver error (NOT_FOUND) with path and locations',
    `mutation U($id: String!) { updateModel(modelId: $id, input: { temperature: 0.1 }) { modelId } }`,
    { id: 'missing' },
    alice,
  ],
  [
    'a service validation error (BAD_USER_INPUT) on a literal',
    `mutation { updateModel(modelId: "jit/a", input: { temperature: 99 }) { modelId } }`,
    undefined,
    alice,
  ],
  [
    'a variable that does not fit, holding a secret (redacted)',
    `mutation U($input: UpdateModelInput!) { updateModel(modelId: "jit/a", input: $input) { modelId } }`,
    { input: { apiKey: SECRET, temperature: 'hot' } },
    alice,
  ],
  [
    '@skip and @include bound to variables',
    `query S($s: Boolean!, $i: Boolean!) { models(limit: 2) { modelId @skip(if: $s) modelName @include(if: $i) category } }`,
    { s: true, i: false },
    alice,
  ],
  [
    'a variable that was not sent (the field is left out)',
    `query L($n: Int, $c: String) { models(limit: $n, category: $c) { modelId } }`,
    { n: 5 },
    alice,
  ],
  ['introspection', `{ __type(name: "Model") { name kind fields { name type { kind name ofType { name } } } } }`, undefined, alice],
  ['the summary and the defaults', `{ modelSummary { __typename } defaultModels { __typename } }`, undefined, alice],
];

describe('the compiled executor answers as graphql-js', () => {
  it.each(CASES)('%s', async (_name, query, variables, token) => {
    // Twice on the compiled server: the second answer comes from the cached compiled query.
    const first = await gql(compiled.url, query, variables, token?.());
    const second = await gql(compiled.url, query, variables, token?.());
    const reference = await gql(interpreted.url, query, variables, token?.());
    expect(comparable(first)).toEqual(comparable(reference));
    expect(comparable(second)).toEqual(comparable(reference));
    expect(first.text).not.toContain(SECRET);
  });

  it('the compiled server ran operations on graphql-jit; the one with GRAPHQL_JIT=off never did', async () => {
    const on = await executions(compiled);
    const off = await executions(interpreted);
    expect(on.jit).toBeGreaterThanOrEqual(12);
    expect(off.jit).toBe(0);
    expect(off['graphql-js']).toBeGreaterThanOrEqual(CASES.length);
  });

  it('variables that do not fit, and variables not sent, are executed by graphql-js', async () => {
    const before = await executions(compiled);
    const bad = await gql(compiled.url, CASES[6]![1], CASES[6]![2], alice());
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const unsent = await gql(compiled.url, CASES[8]![1], {}, alice());
    expect(unsent.status).toBe(200);
    expect(unsent.body.data.models.length).toBe(3);
    const after = await executions(compiled);
    // The refused variables never reach execution (Apollo's variable check answers 400 first
    // only when graphql-js refuses them during execution: either way graphql-js decided).
    expect(after['graphql-js'] - before['graphql-js']).toBe(2);
    expect(after.jit).toBe(before.jit);
  });
});

describe('by default a document is compiled at its second use', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ env: { GRAPHQL_JIT_COMPILE_AFTER: undefined } });
    expect((await request(server.url, 'POST', '/api/models', { token: alice(), body: SEED[0] })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('first use on graphql-js, then compiled; the same answer both times', async () => {
    const query = `query One { model(modelId: "jit/a") { ${MODEL_FIELDS} } }`;
    const start = await executions(server);
    const first = await gql(server.url, query, undefined, alice());
    const afterFirst = await executions(server);
    const second = await gql(server.url, query, undefined, alice());
    const third = await gql(server.url, query, undefined, alice());
    const afterThird = await executions(server);
    expect(first.status).toBe(200);
    expect(first.body.data.model.modelId).toBe('jit/a');
    expect(second.text).toBe(first.text);
    expect(third.text).toBe(first.text);
    expect(afterFirst['graphql-js'] - start['graphql-js']).toBe(1);
    expect(afterFirst.jit - start.jit).toBe(0);
    expect(afterThird.jit - afterFirst.jit).toBe(2);
  });
});
