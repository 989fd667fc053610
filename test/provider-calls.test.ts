/**
 * Connection tests, stored-model tests and provider model lists (contract: "Using the stored
 * keys"), over real HTTP against real gateway processes that call a stand-in provider on
 * 127.0.0.1 (test/helpers/stand-in-provider.ts) through the outbound guard. The stand-in records
 * what it received, so the tests assert where a key went, and only there.
 */
import { gql, request, type HttpResult } from './helpers/http';
import { createModel } from './helpers/models';
import { startServer, type RunningServer } from './helpers/server';
import { GOOD_KEY, SLOW_MS, startStandIn, type StandIn } from './helpers/stand-in-provider';
import { admin, alice, bob, tokenFor } from './helpers/tokens';

const TIMEOUT_MS = 1000;
const WRONG_KEY = 'sk-wrong-key-9876543210zyxwvutsrq';
const ALICE = alice();
const BOB = bob();
const ADMIN = admin();

let stand: StandIn;
let srv: RunningServer;
/** Every answer the gateways gave in this file: none may contain a key. */
const answers: string[] = [];

const TEST_CONNECTION = `mutation($input: ModelConnectionTestInput!) {
  testModelConnection(input: $input) { modelId status responseTime message error }
}`;
const TEST_MODELS = `mutation($ids: [String!]) { testModels(modelIds: $ids) { modelId status responseTime message error } }`;
const FETCH_MODELS = `mutation($provider: String!, $apiKey: String, $baseUrl: String, $category: String) {
  fetchProviderModels(provider: $provider, apiKey: $apiKey, baseUrl: $baseUrl, category: $category) { id name category abilities }
}`;

/** `token` null: no Authorization header. */
async function post(path: string, body: unknown, token: string | null = ALICE, base = srv.url): Promise<HttpResult> {
  const res = await request(base, 'POST', path, { token: token ?? undefined, body });
  answers.push(res.text);
  return res;
}

async function graphql(query: string, variables: Record<string, unknown>, token: string | null = ALICE, base = srv.url) {
  const res = await gql(base, query, variables, token ?? undefined);
  answers.push(res.text);
  return res;
}

const testConnection = (body: Record<string, unknown>, token?: string | null, base?: string) =>
  post('/api/models/test-connection', body, token, base);

const openaiBase = () => `${stand.url}/openai/v1`;

/** The REST result's exact shape, with the measured time checked apart. */
function expectResult(body: any, expected: { model_id: string; status: string; message: string; error: string | null | RegExp }): void {
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'model_id', 'response_time', 'status']);
  expect(typeof body.response_time).toBe('number');
  expect(body.response_time).toBeGreaterThanOrEqual(0);
  const { error, ...rest } = expected;
  expect({ model_id: body.model_id, status: body.status, message: body.message }).toEqual(rest);
  if (error instanceof RegExp) expect(body.error).toMatch(error);
  else expect(body.error).toBe(error);
}

beforeAll(async () => {
  stand = await startStandIn();
  srv = await startServer({ env: { PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS), PROVIDER_CALLS_PER_MINUTE: '1000' } });
}, 60000);

afterAll(async () => {
  await srv?.stop();
  await stand?.close();
});

describe('test-connection: what is called, per protocol and category', () => {
  test('OpenAI-style llm: one chat completion (`Hello`, 16 tokens) with the key as Bearer, to the base URL only; passed', async () => {
    const before = stand.received.length;
    const res = await testConnection({ model_provider: 'openai', model_name: 'gpt-4o', api_key: GOOD_KEY, base_url: openaiBase() });
    expect(res.status).toBe(200);
    expectResult(res.body, { model_id: 'gpt-4o', status: 'passed', message: 'Connection successful', error: null });
    const calls = stand.received.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/openai/v1/chat/completions' });
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${GOOD_KEY}`);
    expect(JSON.parse(calls[0]!.body)).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 16 });
  });

  test('GraphQL testModelConnection: the same call and result, camelCase', async () => {
    const res = await graphql(TEST_CONNECTION, {
      input: { modelProvider: 'OpenAI', modelName: 'gpt-4o', apiKey: GOOD_KEY, baseUrl: openaiBase() },
    });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.testModelConnection).toMatchObject({
      modelId: 'gpt-4o',
      status: 'passed',
      message: 'Connection successful',
      error: null,
    });
    expect(typeof res.body.data.testModelConnection.responseTime).toBe('number');
  });

  test('embedding: one embedding of `hello`; rerank: one rerank of ["hello","world"] for `hello`', async () => {
    let before = stand.received.length;
    const embedding = await testConnection({
      model_provider: 'openai',
      model_name: 'text-embedding-3-small',
      category: 'embedding',
      api_key: GOOD_KEY,
      base_url: openaiBase(),
    });
    expectResult(embedding.body, { model_id: 'text-embedding-3-small', status: 'passed', message: 'Connection successful', error: null });
    expect(stand.received.slice(before).map((r) => [r.url, JSON.parse(r.body)])).toEqual([
      ['/openai/v1/embeddings', { model: 'text-embedding-3-small', input: 'hello' }],
    ]);

    before = stand.received.length;
    const rerank = await testConnection({
      model_provider: 'dashscope',
      model_name: 'gte-rerank',
      category: 'rerank',
      api_key: GOOD_KEY,
      base_url: openaiBase(),
    });
    expectResult(rerank.body, { model_id: 'gte-rerank', status: 'passed', message: 'Connection successful', error: null });
    expect(stand.received.slice(before).map((r) => [r.url, JSON.parse(r.body)])).toEqual([
      ['/openai/v1/rerank', { model: 'gte-rerank', query: 'hello', documents: ['hello', 'world'] }],
    ]);
  });

  test('image and speech: the model list must hold the model and, where it says, the abilities', async () => {
    const image = await testConnection({
      model_provider: 'openai',
      model_name: 'dall-e-3',
      category: 'image',
      api_key: GOOD_KEY,
      base_url: openaiBase(),
    });
    expectResult(image.body, { model_id: 'dall-e-3', status: 'passed', message: 'Connection successful', error: null });
    const missing = await testConnection({
      model_provider: 'openai',
      model_name: 'dall-e-9',
      category: 'image',
      api_key: GOOD_KEY,
      base_url: openaiBase(),
    });
    expectResult(missing.body, {
      model_id: 'dall-e-9',
      status: 'failed',
      message: 'Connection failed',
      error: "model 'dall-e-9' is not in the provider's model list",
    });
    const xinf = `${stand.url}/xinf`;
    const asr = await testConnection({
      model_provider: 'xinference',
      model_name: 'whisper-large-v3',
      category: 'speech',
      abilities: ['asr'],
      base_url: xinf,
    });
    expectResult(asr.body, { model_id: 'whisper-large-v3', status: 'passed', message: 'Connection successful', error: null });
    const tts = await testConnection({
      model_provider: 'xinference',
      model_name: 'whisper-large-v3',
      category: 'speech',
      abilities: ['tts'],
      base_url: xinf,
    });
    expectResult(tts.body, {
      model_id: 'whisper-large-v3',
      status: 'failed',
      message: 'Connection failed',
      error: "model 'whisper-large-v3' lacks the abilities: tts",
    });
  });

  test('Xinference llm: chat through its OpenAI-style API under /v1', async () => {
    const before = stand.received.length;
    const res = await testConnection({ model_provider: 'xinference', model_name: 'qwen2.5-instruct', base_url: `${stand.url}/xinf` });
    expectResult(res.body, { model_id: 'qwen2.5-instruct', status: 'passed', message: 'Connection successful', error: null });
    expect(stand.received.slice(before).map((r) => r.url)).toEqual(['/xinf/v1/chat/completions']);
  });

  test('Anthropic: POST {base}/v1/messages with x-api-key and anthropic-version; a base ending in /v1 is not doubled', async () => {
    for (const base of [`${stand.url}/anthropic`, `${stand.url}/anthropic/v1`, `${stand.url}/anthropic/`]) {
      const before = stand.received.length;
      const res = await testConnection({ model_provider: 'claude', model_name: 'claude-sonnet-4-5', api_key: GOOD_KEY, base_url: base });
      expectResult(res.body, { model_id: 'claude-sonnet-4-5', status: 'passed', message: 'Connection successful', error: null });
      const calls = stand.received.slice(before);
      expect(calls.map((r) => [r.method, r.url])).toEqual([['POST', '/anthropic/v1/messages']]);
      expect(calls[0]!.headers['x-api-key']).toBe(GOOD_KEY);
      expect(calls[0]!.headers['anthropic-version']).toBe('2023-06-01');
      expect(calls[0]!.headers.authorization).toBeUndefined();
      expect(JSON.parse(calls[0]!.body)).toEqual({
        model: 'claude-sonnet-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'Hello' }],
      });
    }
  });

  test('Gemini: models/{m}:generateContent with the key in x-goog-api-key, never in the URL', async () => {
    const before = stand.received.length;
    const res = await testConnection({
      model_provider: 'gemini',
      model_name: 'gemini-2.5-flash',
      api_key: GOOD_KEY,
      base_url: `${stand.url}/gemini/v1beta`,
    });
    expectResult(res.body, { model_id: 'gemini-2.5-flash', status: 'passed', message: 'Connection successful', error: null });
    const calls = stand.received.slice(before);
    expect(calls.map((r) => r.url)).toEqual(['/gemini/v1beta/models/gemini-2.5-flash:generateContent']);
    expect(calls[0]!.headers['x-goog-api-key']).toBe(GOOD_KEY);
  });

  test('video: no call, the configuration is checked; unsupported pairs fail with the contract texts', async () => {
    const before = stand.received.length;
    const video = await testConnection({
      model_provider: 'volcengine-ark',
      model_name: 'seedance-1',
      category: 'video',
      api_key: GOOD_KEY,
      base_url: openaiBase(),
    });
    expectResult(video.body, { model_id: 'seedance-1', status: 'passed', message: 'Connection successful', error: null });
    const music = await testConnection({
      model_provider: 'openai',
      model_name: 'm',
      category: 'music',
      api_key: GOOD_KEY,
      base_url: openaiBase(),
    });
    expectResult(music.body, {
      model_id: 'm',
      status: 'failed',
      message: 'Connection failed',
      error: 'Unsupported category for testing: music',
    });
    const pair = await testConnection({ model_provider: 'claude', model_name: 'c', category: 'embedding', api_key: GOOD_KEY });
    expectResult(pair.body, {
      model_id: 'c',
      status: 'failed',
      message: 'Connection failed',
      error: "Connection test is not supported for provider 'claude' in this category yet",
    });
    const unknown = await testConnection({ model_provider: 'acme', model_name: 'x', api_key: GOOD_KEY, base_url: openaiBase() });
    expect(unknown.body.error).toBe("Connection test is not supported for provider 'acme' in this category yet");
    const noBase = await testConnection({ model_provider: 'xinference', model_name: 'x' });
    expect(noBase.body).toMatchObject({ status: 'failed', error: "A base URL is required for provider 'xinference'" });
    expect(stand.received.length).toBe(before);
  });
});

describe('test-connection: failures', () => {
  test('a refused key: failed with the provider status and message, the echoed key redacted', async () => {
    const res = await testConnection({ model_provider: 'openai', model_name: 'gpt-4o', api_key: WRONG_KEY, base_url: openaiBase() });
    expect(res.status).toBe(200);
    expectResult(res.body, {
      model_id: 'gpt-4o',
      status: 'failed',
      message: 'Connection failed',
      error: /^HTTP 401: Incorrect API key provided: /,
    });
    expect(res.text).not.toContain(WRONG_KEY);
    // Nor the fragments OpenAI quotes (first six and last four characters around asterisks).
    expect(res.text).not.toContain(WRONG_KEY.slice(0, 10));
    expect(res.text).not.toContain('*****');
    expect(stand.carrying(WRONG_KEY).map((r) => r.url)).toEqual(['/openai/v1/chat/completions']);
  });

  test('GraphQL: the same failure, redacted', async () => {
    const res = await graphql(TEST_CONNECTION, {
      input: { modelProvider: 'openai', modelName: 'gpt-4o', apiKey: WRONG_KEY, baseUrl: openaiBase() },
    });
    expect(res.body.data.testModelConnection).toMatchObject({ status: 'failed', message: 'Connection failed' });
    expect(res.body.data.testModelConnection.error).toMatch(/^HTTP 401: /);
    expect(res.text).not.toContain(WRONG_KEY);
  });

  test('a provider failing: failed with its status and message', async () => {
    const res = await testConnection({
      model_provider: 'openai',
      model_name: 'gpt-4o',
      api_key: GOOD_KEY,
      base_url: `${stand.url}/fail/v1`,
    });
    expectResult(res.body, {
      model_id: 'gpt-4o',
      status: 'failed',
      message: 'Connection failed',
      error: 'HTTP 503: The engine is currently overloaded',
    });
  });

  test('a model slower than PROVIDER_TIMEOUT_MS: timed out, answered within the bound', async () => {
    const started = Date.now();
    const res = await testConnection({ model_provider: 'openai', model_name: 'slow-model', api_key: GOOD_KEY, base_url: openaiBase() });
    const elapsed = Date.now() - started;
    expectResult(res.body, {
      model_id: 'slow-model',
      status: 'failed',
      message: 'Connection timed out',
      error: 'Connection timed out after 1 seconds. Please check your network connection and provider status.',
    });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(SLOW_MS - 1000);
    expect(res.body.response_time).toBeLessThan(SLOW_MS / 1000 - 1);
    const g = await graphql(TEST_CONNECTION, {
      input: { modelProvider: 'openai', modelName: 'slow-model', apiKey: GOOD_KEY, baseUrl: openaiBase() },
    });
    expect(g.body.data.testModelConnection).toMatchObject({
      status: 'failed',
      message: 'Connection timed out',
      error: 'Connection timed out after 1 seconds. Please check your network connection and provider status.',
    });
  });

  test('a redirect to the metadata address: refused, failed, saying which address and how to allow it', async () => {
    const res = await testConnection({
      model_provider: 'openai',
      model_name: 'gpt-4o',
      api_key: GOOD_KEY,
      base_url: `${stand.url}/redirect/v1`,
    });
    expect(res.body).toMatchObject({ status: 'failed', message: 'Connection failed' });
    expect(res.body.error).toContain('169.254.169.254');
    expect(res.body.error).toContain('OUTBOUND_ALLOW');
  });
});

describe('stored keys', () => {
  let aliceModel: any;
  let sharedModel: any;

  beforeAll(async () => {
    aliceModel = await createModel(srv, {
      model_id: 'alice/gpt',
      model_provider: 'openai',
      model_name: 'gpt-4o',
      api_key: GOOD_KEY,
      base_url: openaiBase(),
    });
    sharedModel = await createModel(
      srv,
      {
        model_id: 'org/gpt',
        model_provider: 'openai',
        model_name: 'gpt-4o',
        api_key: GOOD_KEY,
        base_url: openaiBase(),
        share_with_users: true,
      },
      { token: ADMIN },
    );
  });

  test('model_id of a model the caller may edit and a blank key: the stored key is used', async () => {
    const before = stand.received.length;
    const res = await testConnection({
      model_provider: 'openai',
      model_name: 'gpt-4o',
      api_key: '',
      base_url: openaiBase(),
      model_id: aliceModel.model_id,
    });
    expectResult(res.body, { model_id: 'gpt-4o', status: 'passed', message: 'Connection successful', error: null });
    expect(stand.received.slice(before).map((r) => r.headers.authorization)).toEqual([`Bearer ${GOOD_KEY}`]);
    // GraphQL, key left out.
    const gres = await graphql(TEST_CONNECTION, {
      input: { modelProvider: 'openai', modelName: 'gpt-4o', baseUrl: openaiBase(), modelId: 'alice/gpt' },
    });
    expect(gres.body.data.testModelConnection).toMatchObject({ status: 'passed' });
  });

  test('the stored key goes only to the base URL stored with it', async () => {
    const before = stand.received.length;
    const res = await testConnection({
      model_provider: 'openai',
      model_name: 'gpt-4o',
      base_url: `${stand.url}/anthropic`,
      model_id: 'alice/gpt',
    });
    expectResult(res.body, {
      model_id: 'gpt-4o',
      status: 'failed',
      message: 'Connection failed',
      error: "The stored API key is only sent to the model's own base URL; enter the key to test another base URL.",
    });
    expect(stand.received.length).toBe(before);
  });

  test('a model the caller may see but not edit does not lend its key; one they may not see neither (and says nothing of it)', async () => {
    const before = stand.received.length;
    const shared = await testConnection(
      { model_provider: 'openai', model_name: 'gpt-4o', base_url: openaiBase(), model_id: sharedModel.model_id },
      BOB,
    );
    expect(shared.body).toMatchObject({ status: 'failed', message: 'Connection failed' });
    expect(shared.body.error).toMatch(/^HTTP 401: /);
    const hidden = await testConnection(
      { model_provider: 'openai', model_name: 'gpt-4o', base_url: openaiBase(), model_id: aliceModel.model_id },
      BOB,
    );
    const nothing = await testConnection(
      { model_provider: 'openai', model_name: 'gpt-4o', base_url: openaiBase(), model_id: 'no-such-model' },
      BOB,
    );
    expect({ ...hidden.body, response_time: 0 }).toEqual({ ...nothing.body, response_time: 0 });
    const calls = stand.received.slice(before);
    expect(calls).toHaveLength(3);
    for (const call of calls) expect(call.headers.authorization ?? '').not.toContain(GOOD_KEY);
  });

  test('POST /api/models/test: stored models with their stored keys; model_id is the stored one', async () => {
    const res = await post('/api/models/test', { model_ids: ['alice/gpt', 'no-such-model', 'org/gpt'] });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    expectResult(res.body[0], { model_id: 'alice/gpt', status: 'passed', message: 'Model test successful', error: null });
    expectResult(res.body[1], { model_id: 'no-such-model', status: 'failed', message: 'Model test failed', error: 'Model not found' });
    // A shared model is tested with its own key, sent to its own base URL.
    expectResult(res.body[2], { model_id: 'org/gpt', status: 'passed', message: 'Model test successful', error: null });
  });

  test("POST /api/models/test without model_ids: every model the caller may see; another user's private model is not found", async () => {
    const all = await request(srv.url, 'POST', '/api/models/test', { token: BOB });
    answers.push(all.text);
    expect(all.status).toBe(200);
    expect(all.body.map((r: any) => r.model_id)).toEqual(['org/gpt']);
    const hidden = await post('/api/models/test', { model_ids: ['alice/gpt'] }, BOB);
    expectResult(hidden.body[0], { model_id: 'alice/gpt', status: 'failed', message: 'Model test failed', error: 'Model not found' });
  });

  test('GraphQL testModels: the same', async () => {
    const res = await graphql(TEST_MODELS, { ids: ['alice/gpt'] });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.testModels).toEqual([
      { modelId: 'alice/gpt', status: 'passed', responseTime: expect.any(Number), message: 'Model test successful', error: null },
    ]);
    const all = await graphql(TEST_MODELS, {}, BOB);
    expect(all.body.data.testModels.map((r: any) => r.modelId)).toEqual(['org/gpt']);
  });

  test('a stored model slower than the timeout: failed, bounded', async () => {
    await createModel(srv, {
      model_id: 'alice/slow',
      model_provider: 'openai',
      model_name: 'slow-model',
      api_key: GOOD_KEY,
      base_url: openaiBase(),
    });
    const started = Date.now();
    const res = await post('/api/models/test', { model_ids: ['alice/slow'] });
    expect(Date.now() - started).toBeLessThan(SLOW_MS - 1000);
    expectResult(res.body[0], {
      model_id: 'alice/slow',
      status: 'failed',
      message: 'Model test failed',
      error: 'Connection timed out after 1 seconds. Please check your network connection and provider status.',
    });
  });
});

describe('provider model lists', () => {
  const list = (provider: string, body: unknown, token: string | null = ALICE, base?: string) =>
    post(`/api/models/providers/${provider}/models`, body, token, base);

  test('OpenAI-style: GET {base}/models with Bearer', async () => {
    const before = stand.received.length;
    const res = await list('openai', { api_key: GOOD_KEY, base_url: openaiBase() });
    expect(res.status).toBe(200);
    expect(res.body.provider).toBe('openai');
    expect(res.body.count).toBe(5);
    expect(res.body.models[0]).toEqual({ id: 'gpt-4o', name: null, category: null, abilities: null });
    const calls = stand.received.slice(before);
    expect(calls.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([['GET', '/openai/v1/models', `Bearer ${GOOD_KEY}`]]);
  });

  test('Anthropic (/v1/models with x-api-key and anthropic-version), Gemini (ids without models/), Xinference (types and abilities)', async () => {
    const claude = await list('claude', { api_key: GOOD_KEY, base_url: `${stand.url}/anthropic` });
    expect(claude.body).toEqual({
      provider: 'claude',
      models: [{ id: 'claude-sonnet-4-5', name: 'Claude Sonnet 4.5', category: 'llm', abilities: null }],
      count: 1,
    });
    const gemini = await list('gemini', { api_key: GOOD_KEY, base_url: `${stand.url}/gemini/v1beta` });
    expect(gemini.body.models.map((m: any) => m.id)).toEqual(['gemini-2.5-flash', 'text-embedding-004']);
    expect(stand.received.filter((r) => r.url.startsWith('/gemini/')).every((r) => !/[?&]key=/.test(r.url))).toBe(true);
    const xinf = await list('xinference', { base_url: `${stand.url}/xinf`, category: 'speech' });
    expect(xinf.body).toEqual({
      provider: 'xinference',
      models: [{ id: 'whisper-large-v3', name: null, category: 'speech', abilities: ['asr'] }],
      count: 1,
    });
    const images = await list('xinference', { base_url: `${stand.url}/xinf`, category: 'image' });
    expect(images.body.models).toEqual([{ id: 'sd3-medium', name: null, category: 'image', abilities: ['generate', 'edit'] }]);
  });

  test('a provider without a list endpoint: its fixed list, no call', async () => {
    const before = stand.received.length;
    const res = await list('minimax-coding-plan', { api_key: GOOD_KEY });
    expect(res.status).toBe(200);
    expect(res.body.models.map((m: any) => m.id)).toEqual(['MiniMax-M2', 'MiniMax-M2.1', 'MiniMax-M2.5']);
    expect(res.body.count).toBe(3);
    expect(stand.received.length).toBe(before);
  });

  test('GraphQL fetchProviderModels', async () => {
    const res = await graphql(FETCH_MODELS, { provider: 'openai', apiKey: GOOD_KEY, baseUrl: openaiBase() });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.fetchProviderModels[0]).toEqual({ id: 'gpt-4o', name: null, category: null, abilities: null });
  });

  test('unknown provider: 400 with the supported ids; GraphQL BAD_USER_INPUT', async () => {
    const res = await list('acme', { api_key: GOOD_KEY });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/^Unsupported provider: acme\. Supported providers: openai, claude, gemini, xinference, ollama, /);
    const g = await graphql(FETCH_MODELS, { provider: 'acme' });
    expect(g.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(g.body.errors![0].message).toBe(res.body.detail);
  });

  test('upstream failure or refusal: 502, never an empty list; the key redacted; GraphQL BAD_GATEWAY', async () => {
    const failing = await list('openai', { api_key: GOOD_KEY, base_url: `${stand.url}/fail/v1` });
    expect(failing.status).toBe(502);
    expect(failing.body).toEqual({ detail: 'Failed to fetch models from openai: HTTP 503: The engine is currently overloaded' });
    const refused = await list('openai', { api_key: WRONG_KEY, base_url: openaiBase() });
    expect(refused.status).toBe(502);
    expect(refused.body.detail).toMatch(/^Failed to fetch models from openai: HTTP 401: Incorrect API key provided: /);
    expect(refused.text).not.toContain(WRONG_KEY);
    expect(refused.text).not.toContain(WRONG_KEY.slice(0, 10));
    const g = await graphql(FETCH_MODELS, { provider: 'openai', apiKey: WRONG_KEY, baseUrl: openaiBase() });
    expect(g.status).toBe(200);
    expect(g.body.data).toBeNull();
    expect(g.body.errors![0].extensions.code).toBe('BAD_GATEWAY');
    expect(g.body.errors![0].message).toBe(refused.body.detail);
  });

  test('a redirect to the metadata address: 400 saying which address and how to allow it', async () => {
    const res = await list('openai', { api_key: GOOD_KEY, base_url: `${stand.url}/redirect/v1` });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/^Failed to fetch models from openai: /);
    expect(res.body.detail).toContain('169.254.169.254');
    expect(res.body.detail).toContain('OUTBOUND_ALLOW');
  });
});

describe('refusals before any call', () => {
  test('no token: 401 on all three paths; GraphQL UNAUTHENTICATED', async () => {
    for (const path of ['/api/models/test-connection', '/api/models/test', '/api/models/providers/openai/models']) {
      const res = await post(path, { model_provider: 'openai', model_name: 'x' }, null);
      expect([path, res.status, res.body]).toEqual([path, 401, { detail: 'Not authenticated' }]);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    const g = await graphql(TEST_CONNECTION, { input: { modelProvider: 'openai', modelName: 'x' } }, null);
    expect(g.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
  });

  test('bad bodies: 422 with pydantic-style items, nothing called', async () => {
    const before = stand.received.length;
    const missing = await testConnection({ model_provider: 'openai', api_key: GOOD_KEY });
    expect(missing.status).toBe(422);
    expect(missing.body).toEqual({ detail: [{ loc: ['body', 'model_name'], msg: 'Field required', type: 'missing' }] });
    const types = await testConnection({ model_provider: 'openai', model_name: 'x', temperature: 3, base_url: 'ftp://x', api_key: 5 });
    expect(types.status).toBe(422);
    expect(types.body.detail.map((d: any) => d.loc)).toEqual(
      expect.arrayContaining([
        ['body', 'temperature'],
        ['body', 'base_url'],
        ['body', 'api_key'],
      ]),
    );
    const malformed = await request(srv.url, 'POST', '/api/models/test-connection', { token: ALICE, rawBody: '{"model_provider": ' });
    expect(malformed.status).toBe(422);
    expect(malformed.body.detail[0]).toEqual({ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' });
    const ids = await post('/api/models/test', { model_ids: 'alice/gpt' });
    expect(ids.status).toBe(422);
    expect(ids.body.detail).toEqual([{ loc: ['body', 'model_ids'], msg: 'Input should be a valid list', type: 'list_type' }]);
    const listBody = await post('/api/models/providers/openai/models', { api_key: 5 });
    expect(listBody.status).toBe(422);
    expect(listBody.body.detail[0].loc).toEqual(['body', 'api_key']);
    const category = await post('/api/models/providers/openai/models', { category: 'audio' });
    expect([category.status, category.body]).toEqual([400, { detail: 'Invalid model category' }]);
    const g = await graphql(TEST_CONNECTION, { input: { modelProvider: 'openai', modelName: 'x', temperature: 3 } });
    expect(g.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['temperature'] });
    expect(stand.received.length).toBe(before);
  });

  test('the fixed POST paths win over model ids; other methods still reach the model of that id', async () => {
    await createModel(srv, { model_id: 'test', model_provider: 'ollama', model_name: 'llama3' });
    const get = await request(srv.url, 'GET', '/api/models/test', { token: ALICE });
    expect([get.status, get.body.model_id]).toEqual([200, 'test']);
    const put = await request(srv.url, 'PUT', '/api/models/test-connection', { token: ALICE, body: {} });
    expect([put.status, put.body]).toEqual([404, { detail: 'Model not found' }]);
  });
});

describe('secrets', () => {
  test('no key in any answer or server log line; the key went only to the stand-in', () => {
    for (const text of answers) {
      expect(text).not.toContain(GOOD_KEY);
      expect(text).not.toContain(WRONG_KEY);
    }
    const logs = srv.logs();
    expect(logs).not.toContain(GOOD_KEY);
    expect(logs).not.toContain(WRONG_KEY);
    expect(logs).not.toContain(WRONG_KEY.slice(0, 10));
    expect(logs).toContain('provider call');
    // Only under the base URLs the tests named (including the failing and redirecting ones).
    const bases = ['/openai/v1/', '/anthropic/v1/', '/gemini/v1beta/', '/fail/v1/', '/redirect/v1/'];
    for (const r of stand.carrying(GOOD_KEY)) {
      expect([r.url, bases.some((base) => r.url.startsWith(base))]).toEqual([r.url, true]);
      expect(r.url).not.toContain(GOOD_KEY);
    }
  });

  test('metrics count operations by catalog provider id and outcome', async () => {
    const res = await request(srv.url, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/provider_operations_total\{provider="openai",operation="test",outcome="passed"\} \d+/);
    expect(res.text).toMatch(/provider_operations_total\{provider="openai",operation="test",outcome="timeout"\} \d+/);
    expect(res.text).not.toContain('acme');
    expect(res.text).not.toContain(GOOD_KEY);
  });
});

describe('production: loopback targets are refused unless OUTBOUND_ALLOW lists them', () => {
  let prod: RunningServer;
  let allowed: RunningServer;
  beforeAll(async () => {
    [prod, allowed] = await Promise.all([
      startServer({ env: { NODE_ENV: 'production', PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS) } }),
      startServer({ env: { NODE_ENV: 'production', PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS), OUTBOUND_ALLOW: '127.0.0.0/8' } }),
    ]);
  }, 60000);
  afterAll(async () => {
    await Promise.all([prod?.stop(), allowed?.stop()]);
  });

  test('refused: a failed test naming the address and how to allow it; a 400 for lists; nothing reaches the target', async () => {
    const before = stand.received.length;
    const res = await testConnection(
      { model_provider: 'openai', model_name: 'gpt-4o', api_key: GOOD_KEY, base_url: openaiBase() },
      ALICE,
      prod.url,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model_id: 'gpt-4o', status: 'failed', message: 'Connection failed' });
    expect(res.body.error).toContain('127.0.0.1');
    expect(res.body.error).toContain('OUTBOUND_ALLOW');
    const listed = await post('/api/models/providers/openai/models', { api_key: GOOD_KEY, base_url: openaiBase() }, ALICE, prod.url);
    expect(listed.status).toBe(400);
    expect(listed.body.detail).toMatch(/^Failed to fetch models from openai: .*127\.0\.0\.1.*OUTBOUND_ALLOW/);
    const g = await graphql(FETCH_MODELS, { provider: 'openai', apiKey: GOOD_KEY, baseUrl: openaiBase() }, ALICE, prod.url);
    expect(g.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(g.body.errors![0].message).toBe(listed.body.detail);
    expect(stand.received.length).toBe(before);
    expect(prod.logs()).not.toContain(GOOD_KEY);
  });

  test('allowed by OUTBOUND_ALLOW=127.0.0.0/8: passed', async () => {
    const res = await testConnection(
      { model_provider: 'openai', model_name: 'gpt-4o', api_key: GOOD_KEY, base_url: openaiBase() },
      ALICE,
      allowed.url,
    );
    expectResult(res.body, { model_id: 'gpt-4o', status: 'passed', message: 'Connection successful', error: null });
  });
});

describe('PROVIDER_CALLS_PER_MINUTE: the per-caller budget of outbound operations', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startServer({ env: { PROVIDER_CALLS_PER_MINUTE: '2' } });
  }, 60000);
  afterAll(async () => {
    await limited?.stop();
  });

  test('the third call is 429 with Retry-After (REST Too Many Requests, GraphQL RATE_LIMITED); another caller is unaffected', async () => {
    const body = { model_provider: 'openai', model_name: 'gpt-4o', api_key: GOOD_KEY, base_url: openaiBase() };
    const carol = tokenFor('carol');
    expect((await testConnection(body, carol, limited.url)).body.status).toBe('passed');
    expect(
      (await post('/api/models/providers/openai/models', { api_key: GOOD_KEY, base_url: openaiBase() }, carol, limited.url)).status,
    ).toBe(200);
    const third = await testConnection(body, carol, limited.url);
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ detail: 'Too Many Requests' });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    const g = await graphql(
      TEST_CONNECTION,
      { input: { modelProvider: 'openai', modelName: 'gpt-4o', apiKey: GOOD_KEY, baseUrl: openaiBase() } },
      carol,
      limited.url,
    );
    expect(g.status).toBe(200);
    expect(g.body.errors![0].extensions.code).toBe('RATE_LIMITED');
    // Lists without a call (fixed lists) spend nothing.
    expect((await post('/api/models/providers/minimax-coding-plan/models', {}, carol, limited.url)).status).toBe(200);
    const dave = tokenFor('dave');
    expect((await testConnection(body, dave, limited.url)).body.status).toBe('passed');
  });

  test('/test over more models than a whole budget: the first ones are tested, the rest reported untested; then 429', async () => {
    const erin = tokenFor('erin');
    for (const n of [1, 2, 3]) {
      await createModel(
        limited,
        { model_id: `erin/${n}`, model_provider: 'openai', model_name: 'gpt-4o', api_key: GOOD_KEY, base_url: openaiBase() },
        { token: erin },
      );
    }
    const res = await post('/api/models/test', {}, erin, limited.url);
    expect(res.status).toBe(200);
    expect(res.body.map((r: any) => [r.model_id, r.status])).toEqual([
      ['erin/1', 'passed'],
      ['erin/2', 'passed'],
      ['erin/3', 'failed'],
    ]);
    expect(res.body[2].error).toBe(
      'Not tested: more models than PROVIDER_CALLS_PER_MINUTE (2) allows in one request; test the rest with model_ids in a minute.',
    );
    const again = await post('/api/models/test', { model_ids: ['erin/3'] }, erin, limited.url);
    expect([again.status, again.body]).toEqual([429, { detail: 'Too Many Requests' }]);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.logs()).not.toContain(GOOD_KEY);
  });
});
