/**
 * The provider catalog: its checked data and typed access (pure functions, no server), then
 * `GET /api/models/providers/supported`, `GET /api/models/types/available` and GraphQL
 * `providers` over HTTP against the real compiled server, without a token.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  canonicalProviderName,
  defaultBaseUrlFor,
  findProvider,
  listProviders,
  listProviderTypes,
  parseCatalog,
} from '../src/providers/provider.catalog';
import { gql, request } from './helpers/http';
import { PROJECT_ROOT, startServer, type RunningServer } from './helpers/server';
import { alice, tokenFor } from './helpers/tokens';

/** The contract's table: id, name, default_base_url (null: none), requires_base_url. */
const CONTRACT: [string, string, string | null, boolean][] = [
  ['openai', 'OpenAI', 'https://api.openai.com/v1', false],
  ['claude', 'Anthropic Claude', 'https://api.anthropic.com', false],
  ['gemini', 'Google Gemini', 'https://generativelanguage.googleapis.com/v1beta', false],
  ['xinference', 'Xinference', null, true],
  ['ollama', 'Ollama', 'http://localhost:11434/v1', false],
  ['deepseek', 'DeepSeek', 'https://api.deepseek.com', false],
  ['openrouter', 'OpenRouter', 'https://openrouter.ai/api/v1', false],
  ['dashscope', 'DashScope', 'https://dashscope.aliyuncs.com/compatible-mode/v1', false],
  ['volcengine-ark', 'Volcengine Ark', 'https://ark.cn-beijing.volces.com/api/v3', false],
  ['byteplus-ark', 'BytePlus Ark', 'https://ark.ap-southeast.bytepluses.com/api/v3', false],
  ['alibaba-coding-plan', 'Alibaba Coding Plan', 'https://coding-intl.dashscope.aliyuncs.com/v1', false],
  ['alibaba-coding-plan-cn', 'Alibaba Coding Plan (China)', 'https://coding.dashscope.aliyuncs.com/v1', false],
  ['zhipu', 'Zhipu AI', 'https://open.bigmodel.cn/api/paas/v4', false],
  ['zai-coding-plan', 'Z.AI Coding Plan', 'https://api.z.ai/api/coding/paas/v4', false],
  ['zhipuai-coding-plan', 'Zhipu AI Coding Plan', 'https://open.bigmodel.cn/api/coding/paas/v4', false],
  ['minimax-coding-plan', 'MiniMax Coding Plan (International)', 'https://api.minimax.io/anthropic', false],
  ['minimax-cn-coding-plan', 'MiniMax Coding Plan (China)', 'https://api.minimaxi.com/anthropic', false],
  ['kimi-for-coding', 'Kimi For Coding', 'https://api.kimi.com/coding', false],
];
const IDS = CONTRACT.map(([id]) => id);

const CATEGORIES = ['llm', 'embedding', 'rerank', 'image', 'speech', 'video', 'music', 'sound_effect'];

/** Three entries exactly as the REST API sends them: every optional key present, one without a default URL, one static. */
const OPENAI = {
  id: 'openai',
  name: 'OpenAI',
  description: "OpenAI's GPT, embedding and image models, or any other endpoint that speaks the OpenAI API",
  requires_base_url: false,
  categories: ['llm', 'embedding', 'image'],
  protocol: 'openai',
  compatibility: 'openai_compatible',
  default_base_url: 'https://api.openai.com/v1',
};
const XINFERENCE = {
  id: 'xinference',
  name: 'Xinference',
  description: 'A self-hosted Xinference server running local models of every kind; its base URL is required',
  requires_base_url: true,
  categories: ['llm', 'embedding', 'rerank', 'image', 'speech', 'video'],
  protocol: 'xinference',
  compatibility: 'openai_compatible',
};
const GEMINI = {
  id: 'gemini',
  name: 'Google Gemini',
  description: "Google's Gemini models for chat and image generation, through the Gemini API",
  requires_base_url: false,
  categories: ['llm', 'image'],
  protocol: 'gemini',
  default_base_url: 'https://generativelanguage.googleapis.com/v1beta',
};
const MINIMAX = {
  id: 'minimax-coding-plan',
  name: 'MiniMax Coding Plan (International)',
  description: 'The MiniMax coding plan on api.minimax.io, through its Anthropic-compatible API; a fixed list of models',
  requires_base_url: false,
  categories: ['llm'],
  protocol: 'static',
  compatibility: 'claude_compatible',
  default_base_url: 'https://api.minimax.io/anthropic',
};

const TYPES_AVAILABLE = {
  model_providers: [
    {
      type: 'openai',
      name: 'OpenAI',
      description: OPENAI.description,
      examples: ['gpt-4', 'gpt-4o', 'gpt-3.5-turbo'],
    },
    {
      type: 'deepseek',
      name: 'DeepSeek',
      description: "DeepSeek's chat models, with tool calling and a thinking mode",
      examples: ['deepseek-v4-flash', 'deepseek-v4-pro'],
    },
    {
      type: 'zhipu',
      name: 'Zhipu AI',
      description: "Zhipu AI's GLM models on the BigModel open platform",
      examples: ['glm-4', 'glm-4-air', 'glm-3-turbo'],
    },
  ],
};

const PATHS = ['/api/models/providers/supported', '/api/models/types/available'];
const PROVIDERS_QUERY = '{ providers { id name description requiresBaseUrl categories protocol compatibility defaultBaseUrl } }';
const WRONG_SIGNATURE = tokenFor('alice', { secret: 'not-the-server-secret-0123456789abcdef-0123' });

describe('the catalog data and its typed access', () => {
  test('listProviders: the 18 providers of the contract, in its order, with its names, default URLs and requires_base_url', () => {
    const providers = listProviders();
    expect(providers.map((p) => [p.id, p.name, p.defaultBaseUrl, p.requiresBaseUrl])).toEqual(CONTRACT);
    for (const p of providers) {
      expect(p.description.trim()).not.toBe('');
      expect(p.categories.length).toBeGreaterThan(0);
      for (const category of p.categories) expect(CATEGORIES).toContain(category);
      expect(['openai', 'anthropic', 'gemini', 'xinference', 'static']).toContain(p.protocol);
      // A static provider has no list endpoint: its models are the catalog's, its calls follow compatibility.
      if (p.protocol === 'static') {
        expect(p.models?.length).toBeGreaterThan(0);
        expect(p.compatibility).not.toBeNull();
      } else expect(p.models).toBeNull();
    }
    expect(Object.isFrozen(providers)).toBe(true);
    expect(Object.isFrozen(providers[0])).toBe(true);
  });

  test('findProvider: by id or by any accepted spelling; undefined for names the catalog does not know', () => {
    expect(findProvider('openai')?.name).toBe('OpenAI');
    expect(findProvider('  ARK ')?.id).toBe('volcengine-ark');
    expect(findProvider('kimi_for_coding')?.id).toBe('kimi-for-coding');
    expect(findProvider('azure_openai')).toBeUndefined();
    expect(findProvider('')).toBeUndefined();
  });

  test.each([
    ['ark', 'volcengine-ark'],
    ['ark-video', 'volcengine-ark'],
    ['modelark', 'volcengine-ark'],
    ['model_ark', 'volcengine-ark'],
    ['volcengine', 'volcengine-ark'],
    ['volcengine_ark', 'volcengine-ark'],
    ['  VolcEngine_Ark\t', 'volcengine-ark'],
    ['byteplus', 'byteplus-ark'],
    ['byteplus_ark', 'byteplus-ark'],
    ['BytePlus', 'byteplus-ark'],
    ['zai_coding_plan', 'zai-coding-plan'],
    ['zhipuai_coding_plan', 'zhipuai-coding-plan'],
    ['alibaba_coding_plan', 'alibaba-coding-plan'],
    ['alibaba_coding_plan_cn', 'alibaba-coding-plan-cn'],
    ['minimax_coding_plan', 'minimax-coding-plan'],
    ['MiniMax_CN_Coding_Plan', 'minimax-cn-coding-plan'],
    ['kimi_for_coding', 'kimi-for-coding'],
    [' OpenAI ', 'openai'],
    ['CLAUDE', 'claude'],
  ])('canonicalProviderName(%j) = %j', (raw, canonical) => {
    expect(canonicalProviderName(raw)).toBe(canonical);
  });

  test('canonicalProviderName: unknown names pass through trimmed and lower-cased, underscores kept; every id maps to itself', () => {
    expect(canonicalProviderName('  Azure_OpenAI ')).toBe('azure_openai');
    expect(canonicalProviderName('My-Provider')).toBe('my-provider');
    expect(canonicalProviderName('ark_video')).toBe('ark_video');
    expect(canonicalProviderName('')).toBe('');
    for (const id of IDS) expect(canonicalProviderName(id)).toBe(id);
  });

  test('defaultBaseUrlFor: the default of the provider any spelling means; null when it has none or is unknown', () => {
    for (const [id, , url] of CONTRACT) expect(defaultBaseUrlFor(id)).toBe(url);
    expect(defaultBaseUrlFor('ark')).toBe('https://ark.cn-beijing.volces.com/api/v3');
    expect(defaultBaseUrlFor(' BYTEPLUS_ARK ')).toBe('https://ark.ap-southeast.bytepluses.com/api/v3');
    expect(defaultBaseUrlFor('zai_coding_plan')).toBe('https://api.z.ai/api/coding/paas/v4');
    expect(defaultBaseUrlFor('xinference')).toBeNull();
    expect(defaultBaseUrlFor('azure_openai')).toBeNull();
  });

  test("docs/providers.md's table is the catalog", () => {
    const rows = fs
      .readFileSync(path.join(PROJECT_ROOT, 'docs', 'providers.md'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows).toEqual(
      listProviders().map((p) => [
        `\`${p.id}\``,
        p.name,
        p.categories.join(', '),
        p.protocol,
        p.compatibility ?? '—',
        p.defaultBaseUrl ?? '— (required)',
      ]),
    );
  });

  test('listProviderTypes: openai, deepseek and zhipu with their example models', () => {
    expect(JSON.parse(JSON.stringify({ model_providers: listProviderTypes() }))).toEqual(TYPES_AVAILABLE);
  });
});

describe('the catalog is checked when it is loaded', () => {
  type Doc = { providers: Record<string, unknown>[] };
  const valid = (): Doc => ({
    providers: [
      {
        id: 'one',
        name: 'One',
        description: 'The first',
        requires_base_url: false,
        categories: ['llm'],
        protocol: 'openai',
        compatibility: 'openai_compatible',
        default_base_url: 'https://one.example/v1',
        aliases: ['uno'],
      },
      {
        id: 'two-plan',
        name: 'Two',
        description: 'The second',
        requires_base_url: true,
        categories: ['video', 'music', 'sound_effect'],
        protocol: 'static',
        compatibility: 'claude_compatible',
        models: ['m-1'],
      },
    ],
  });
  const broken = (change: (doc: Doc) => void) => {
    const doc = valid();
    change(doc);
    return () => parseCatalog(doc);
  };

  test('a valid document parses, with its aliases and the underscore spelling of hyphenated ids', () => {
    const catalog = parseCatalog(valid());
    expect(catalog.providers.map((p) => p.id)).toEqual(['one', 'two-plan']);
    expect(catalog.byId.get('two-plan')).toMatchObject({ requiresBaseUrl: true, defaultBaseUrl: null, models: ['m-1'] });
    expect(catalog.aliases.get('uno')).toBe('one');
  });

  test.each<[string, (doc: Doc) => void, RegExp]>([
    ['no providers', (doc) => (doc.providers = []), /at least one provider/],
    ['a duplicate id', (doc) => (doc.providers[1]!.id = 'one'), /duplicate id/],
    ['an upper-case id', (doc) => (doc.providers[0]!.id = 'One'), /id must be lower-case/],
    ['an unknown protocol', (doc) => (doc.providers[0]!.protocol = 'grpc'), /protocol must be one of openai, anthropic/],
    ['an unknown compatibility', (doc) => (doc.providers[0]!.compatibility = 'soap'), /compatibility must be one of/],
    ['a relative default URL', (doc) => (doc.providers[0]!.default_base_url = '/v1'), /absolute http\(s\) URL/],
    ['an ftp default URL', (doc) => (doc.providers[0]!.default_base_url = 'ftp://one.example/'), /absolute http\(s\) URL/],
    ['a default URL with credentials', (doc) => (doc.providers[0]!.default_base_url = 'https://u:p@one.example/'), /without credentials/],
    ['an unknown category', (doc) => (doc.providers[0]!.categories = ['llm', 'audio']), /unknown category "audio"/],
    ['no categories', (doc) => (doc.providers[0]!.categories = []), /categories must be a non-empty list/],
    ['an unknown key (a typo)', (doc) => (doc.providers[0]!.default_base_uri = 'https://x.example'), /unknown key "default_base_uri"/],
    ['a blank name', (doc) => (doc.providers[0]!.name = ' '), /name must be/],
    ['a required base URL with a default', (doc) => (doc.providers[1]!.default_base_url = 'https://x.example'), /exclude each other/],
    ['neither a default nor a required base URL', (doc) => delete doc.providers[0]!.default_base_url, /requires_base_url must be true/],
    ['a static provider without models', (doc) => delete doc.providers[1]!.models, /fixed models list/],
    ['a static provider without compatibility', (doc) => delete doc.providers[1]!.compatibility, /needs compatibility/],
    ['models on a provider with a list endpoint', (doc) => (doc.providers[0]!.models = ['x']), /only for static providers/],
    [
      'an openai provider marked claude_compatible',
      (doc) => (doc.providers[0]!.compatibility = 'claude_compatible'),
      /means compatibility/,
    ],
    ['an alias that is another id', (doc) => (doc.providers[0]!.aliases = ['two-plan']), /is another provider's id/],
    ['an alias of two providers', (doc) => (doc.providers[1]!.aliases = ['uno']), /already means one/],
    ['an upper-case alias', (doc) => (doc.providers[0]!.aliases = ['Uno']), /must be lower-case/],
  ])('%s is refused', (_name, change, message) => {
    expect(broken(change)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    const failing = broken((doc) => {
      doc.providers[0]!.protocol = 'grpc';
      doc.providers[1]!.id = 'one';
    });
    expect(failing).toThrow(/protocol must be one of[\s\S]*duplicate id/);
  });
});

describe('over HTTP, without a token', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  test("GET /api/models/providers/supported: every provider, with the contract's ids, names and default URLs", async () => {
    const res = await request(srv.url, 'GET', '/api/models/providers/supported');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(['providers']);
    const providers: Record<string, unknown>[] = res.body.providers;
    expect(providers.map((p) => [p.id, p.name, p.default_base_url ?? null, p.requires_base_url])).toEqual(CONTRACT);
    const byId = new Map(providers.map((p) => [p.id, p]));
    expect(byId.get('openai')).toEqual(OPENAI);
    expect(byId.get('xinference')).toEqual(XINFERENCE);
    expect(byId.get('gemini')).toEqual(GEMINI);
    expect(byId.get('minimax-coding-plan')).toEqual(MINIMAX);
    // Key order as the replaced service sent it, optional keys left out rather than null, nothing internal.
    expect(Object.keys(byId.get('openai')!)).toEqual(Object.keys(OPENAI));
    for (const p of providers) {
      for (const key of Object.keys(p)) expect(Object.keys(OPENAI)).toContain(key);
      expect(Object.values(p)).not.toContain(null);
    }
  });

  test('GET /api/models/types/available: openai, deepseek and zhipu with example models', async () => {
    const res = await request(srv.url, 'GET', '/api/models/types/available');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(TYPES_AVAILABLE);
  });

  test('a signed-in caller, and one whose token is refused, get the same catalog (no 401 here)', async () => {
    const anonymous = await request(srv.url, 'GET', '/api/models/providers/supported');
    for (const token of [alice(), WRONG_SIGNATURE]) {
      const res = await request(srv.url, 'GET', '/api/models/providers/supported', { token });
      expect(res.status).toBe(200);
      expect(res.text).toBe(anonymous.text);
      expect(res.headers.get('www-authenticate')).toBeNull();
    }
  });

  test.each(PATHS)('%s: a browser frontend on another (allowed) origin may read it: preflight and CORS headers', async (path) => {
    const origin = 'http://localhost:3000';
    const preflight = await request(srv.url, 'OPTIONS', path, {
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const res = await request(srv.url, 'GET', path, { headers: { Origin: origin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const foreign = await request(srv.url, 'GET', path, { headers: { Origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  test.each(PATHS)('%s: HEAD answers like GET, without a body', async (path) => {
    const res = await request(srv.url, 'HEAD', path);
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });

  test.each(PATHS)('%s: POST, PUT, DELETE and PATCH answer 405 with Allow, before authentication', async (path) => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const token of [undefined, alice()]) {
        const res = await request(srv.url, method, path, { token, body: { model_provider: 'openai', model_name: 'x' } });
        expect([method, res.status]).toEqual([method, 405]);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
        expect(res.body).toEqual({ detail: 'Method Not Allowed' });
      }
    }
  });

  test('a model whose id is "providers/supported" is still reachable (%2F and by-id); the fixed path answers the catalog', async () => {
    const created = await request(srv.url, 'POST', '/api/models', {
      token: alice(),
      body: { model_id: 'providers/supported', model_provider: 'ollama', model_name: 'llama3' },
    });
    expect(created.status).toBe(200);
    for (const url of ['/api/models/providers%2Fsupported', '/api/models/by-id/providers/supported']) {
      const res = await request(srv.url, 'GET', url, { token: alice() });
      expect([url, res.status, res.body.model_id]).toEqual([url, 200, 'providers/supported']);
    }
    const catalog = await request(srv.url, 'GET', '/api/models/providers/supported', { token: alice() });
    expect(catalog.body.providers).toHaveLength(CONTRACT.length);
  });

  test('GraphQL providers: the same catalog in camelCase, nulls where REST leaves keys out', async () => {
    const rest = await request(srv.url, 'GET', '/api/models/providers/supported');
    const camel = (p: Record<string, unknown>) => ({
      id: p.id,
      name: p.name,
      description: p.description,
      requiresBaseUrl: p.requires_base_url,
      categories: p.categories,
      protocol: p.protocol,
      compatibility: p.compatibility ?? null,
      defaultBaseUrl: p.default_base_url ?? null,
    });
    for (const token of [undefined, WRONG_SIGNATURE]) {
      const res = await gql(srv.url, PROVIDERS_QUERY, undefined, token);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.providers).toEqual(rest.body.providers.map(camel));
    }
    const res = await gql(srv.url, PROVIDERS_QUERY);
    const gemini = res.body.data.providers.find((p: { id: string }) => p.id === 'gemini');
    expect(gemini).toMatchObject({ compatibility: null, defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta' });
    expect(res.body.data.providers.find((p: { id: string }) => p.id === 'xinference').defaultBaseUrl).toBeNull();
  });

  test('GraphQL: the model operations still need a token beside providers', async () => {
    const res = await gql(srv.url, '{ providers { id } models { modelId } }');
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('the catalog shares the request budget (RATE_LIMIT_MAX=1)', () => {
  let limited: RunningServer;
  beforeAll(async () => {
    limited = await startServer({ env: { RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_MS: '600000' } });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  // Keyed like every /api request: by the token's subject when one verifies, else by address.
  test("a caller's second request is 429, on either path", async () => {
    const token = tokenFor('catalog-budget');
    const first = await request(limited.url, 'GET', '/api/models/providers/supported', { token });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit')).toMatch(/^limit=1, remaining=0, reset=\d+$/);
    const second = await request(limited.url, 'GET', '/api/models/types/available', { token });
    expect(second.status).toBe(429);
    expect(second.body).toEqual({ detail: 'Too Many Requests' });
    expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
    // Anonymous callers share their address's budget: by the second request at the latest, it is spent.
    await request(limited.url, 'GET', '/api/models/providers/supported');
    const anonymous = await request(limited.url, 'GET', '/api/models/providers/supported');
    expect(anonymous.status).toBe(429);
  });
});
