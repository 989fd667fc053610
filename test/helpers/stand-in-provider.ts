/**
 * A stand-in model provider on 127.0.0.1 (a random port) for the provider-call tests: the
 * OpenAI-style, Anthropic-style, Gemini-style and Xinference-style endpoints the gateway calls,
 * plus the misbehaviours the gateway must survive (a refused key echoed back as OpenAI does, a
 * model slower than the gateway's timeout, a failing list, a redirect to the cloud metadata
 * address). It records every request it receives, so tests can assert where a key went.
 *
 * Base URLs (append to `url`):
 *   /openai/v1     OpenAI-style: POST chat/completions, embeddings, rerank; GET models (Bearer GOOD_KEY)
 *   /anthropic     Anthropic-style: POST /v1/messages, GET /v1/models (x-api-key + anthropic-version)
 *   /gemini/v1beta Gemini-style: POST models/{m}:generateContent, GET models (x-goog-api-key)
 *   /xinf          Xinference-style: GET /v1/models (model_type, model_ability), POST /v1/chat/completions
 *   /fail/v1       every call answers 503
 *   /redirect/v1   every call answers 302 to http://169.254.169.254/latest/meta-data/
 * Model `slow-model` takes SLOW_MS to answer a chat completion.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const GOOD_KEY = 'sk-standin-good-0123456789abcdefghij';
export const ANTHROPIC_VERSION = '2023-06-01';
/** Longer than any timeout the tests give the gateway. */
export const SLOW_MS = 5000;
export const METADATA_URL = 'http://169.254.169.254/latest/meta-data/';

export interface Received {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface StandIn {
  url: string;
  received: Received[];
  /** Every request that carried `key` anywhere (headers, URL or body). */
  carrying(key: string): Received[];
  close(): Promise<void>;
}

const OPENAI_MODELS = ['gpt-4o', 'text-embedding-3-small', 'dall-e-3', 'whisper-1', 'slow-model'];

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** OpenAI's 401 quotes the refused key (here whole, and masked as OpenAI masks it). */
function openAiRefusal(res: http.ServerResponse, key: string): void {
  const masked = key.length > 8 ? `${key.slice(0, 6)}${'*'.repeat(key.length - 10)}${key.slice(-4)}` : key;
  send(res, 401, {
    error: {
      message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys. (got ${key})`,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    },
  });
}

function bearerOf(req: http.IncomingMessage): string {
  return /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
}

export async function startStandIn(): Promise<StandIn> {
  const received: Received[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const path = url.pathname;
      let json: Record<string, unknown> = {};
      try {
        json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        return send(res, 400, { error: { message: 'not JSON' } });
      }

      if (path.startsWith('/redirect/')) {
        res.writeHead(302, { Location: METADATA_URL });
        return res.end();
      }
      if (path.startsWith('/fail/')) return send(res, 503, { error: { message: 'The engine is currently overloaded' } });

      // OpenAI-style
      if (path.startsWith('/openai/v1/')) {
        const key = bearerOf(req);
        if (key !== GOOD_KEY) return openAiRefusal(res, key);
        const route = path.slice('/openai/v1'.length);
        if (route === '/models' && req.method === 'GET') {
          return send(res, 200, { object: 'list', data: OPENAI_MODELS.map((id) => ({ id, object: 'model', owned_by: 'stand-in' })) });
        }
        if (route === '/chat/completions' && req.method === 'POST') {
          if (json.model === 'slow-model') {
            const timer = setTimeout(() => {
              timers.delete(timer);
              if (!res.destroyed) send(res, 200, { choices: [{ message: { role: 'assistant', content: 'late' } }] });
            }, SLOW_MS);
            timers.add(timer);
            return;
          }
          if (!OPENAI_MODELS.includes(String(json.model))) {
            return send(res, 404, { error: { message: `The model \`${String(json.model)}\` does not exist` } });
          }
          return send(res, 200, { choices: [{ index: 0, message: { role: 'assistant', content: 'Hi!' } }] });
        }
        if (route === '/embeddings' && req.method === 'POST') return send(res, 200, { data: [{ embedding: [0.1, 0.2], index: 0 }] });
        if (route === '/rerank' && req.method === 'POST') {
          return send(res, 200, {
            results: [
              { index: 0, relevance_score: 0.9 },
              { index: 1, relevance_score: 0.1 },
            ],
          });
        }
        return send(res, 404, { error: { message: 'no such route' } });
      }

      // Anthropic-style
      if (path.startsWith('/anthropic/v1/')) {
        if (req.headers['x-api-key'] !== GOOD_KEY) {
          return send(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
        }
        if (req.headers['anthropic-version'] !== ANTHROPIC_VERSION) {
          return send(res, 400, {
            type: 'error',
            error: { type: 'invalid_request_error', message: 'anthropic-version header is required' },
          });
        }
        if (path === '/anthropic/v1/messages' && req.method === 'POST') {
          return send(res, 200, { id: 'msg_1', type: 'message', content: [{ type: 'text', text: 'Hi' }] });
        }
        if (path === '/anthropic/v1/models' && req.method === 'GET') {
          return send(res, 200, { data: [{ id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', type: 'model' }], has_more: false });
        }
        return send(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'no such route' } });
      }

      // Gemini-style: the key in x-goog-api-key; a key in the URL is refused (it would be logged everywhere).
      if (path.startsWith('/gemini/v1beta/')) {
        if (url.searchParams.has('key')) return send(res, 400, { error: { message: 'key in the URL' } });
        if (req.headers['x-goog-api-key'] !== GOOD_KEY) {
          return send(res, 400, {
            error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' },
          });
        }
        const generate = /^\/gemini\/v1beta\/models\/([^/:]+):generateContent$/.exec(path);
        if (generate && req.method === 'POST') {
          return send(res, 200, { candidates: [{ content: { parts: [{ text: 'Hi' }], role: 'model' } }] });
        }
        if (path === '/gemini/v1beta/models' && req.method === 'GET') {
          return send(res, 200, {
            models: [
              { name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash', supportedGenerationMethods: ['generateContent'] },
              { name: 'models/text-embedding-004', displayName: 'Text Embedding 004', supportedGenerationMethods: ['embedContent'] },
            ],
          });
        }
        return send(res, 404, { error: { message: 'no such route' } });
      }

      // Xinference-style (no key)
      if (path === '/xinf/v1/models' && req.method === 'GET') {
        return send(res, 200, {
          object: 'list',
          data: [
            { id: 'qwen2.5-instruct', object: 'model', model_type: 'LLM', model_ability: ['generate', 'chat'] },
            { id: 'bge-m3', object: 'model', model_type: 'embedding' },
            { id: 'bge-reranker-v2-m3', object: 'model', model_type: 'rerank' },
            { id: 'sd3-medium', object: 'model', model_type: 'image', model_ability: ['text2image', 'image2image'] },
            { id: 'whisper-large-v3', object: 'model', model_type: 'audio', model_ability: ['audio2text'] },
          ],
        });
      }
      if (path === '/xinf/v1/chat/completions' && req.method === 'POST') {
        return send(res, 200, { choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' } }] });
      }
      return send(res, 404, { error: { message: 'no such route' } });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    carrying: (key) => received.filter((r) => JSON.stringify(r).includes(key)),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
