import { dataList, isRecord } from './provider-http';
import { UpstreamError, type CallTarget, type Protocol, type ProviderHttp } from './types';

/**
 * OpenAI's REST API and everything compatible with it (Ollama, DeepSeek, OpenRouter, DashScope,
 * Zhipu, Ark, ...): `POST {base}/chat/completions`, `/embeddings`, `/rerank`, `GET {base}/models`,
 * the key as a Bearer token.
 */

export const bearer = (target: CallTarget): Record<string, string> =>
  target.apiKey !== null ? { Authorization: `Bearer ${target.apiKey}` } : {};

/** A completion answer has choices; an error page that says 200 does not. */
export function expectChoices(answer: unknown): void {
  if (!isRecord(answer) || !Array.isArray(answer.choices)) throw new UpstreamError('unexpected answer: no choices');
}

export function openAiStyle(prefix: (base: string, path: string) => string): Protocol {
  return {
    async chat(http: ProviderHttp, target: CallTarget, model: string) {
      const answer = await http.json(target, 'POST', prefix(target.baseUrl, '/chat/completions'), bearer(target), {
        model,
        messages: [{ role: 'user', content: 'Hello' }],
        max_tokens: 16,
      });
      expectChoices(answer);
    },
    async embed(http, target, model, dimension) {
      const answer = await http.json(target, 'POST', prefix(target.baseUrl, '/embeddings'), bearer(target), {
        model,
        input: 'hello',
        ...(dimension !== null ? { dimensions: dimension } : {}),
      });
      if (dataList(answer, 'embedding').length === 0) throw new UpstreamError('unexpected answer: no embedding');
    },
    async rerank(http, target, model) {
      const answer = await http.json(target, 'POST', prefix(target.baseUrl, '/rerank'), bearer(target), {
        model,
        query: 'hello',
        documents: ['hello', 'world'],
      });
      if (!isRecord(answer) || !Array.isArray(answer.results)) throw new UpstreamError('unexpected answer: no results');
    },
    async listModels(http, target) {
      const answer = await http.json(target, 'GET', prefix(target.baseUrl, '/models'), bearer(target));
      return dataList(answer, 'model')
        .filter((entry) => typeof entry.id === 'string')
        .map((entry) => ({
          id: entry.id as string,
          name: typeof entry.name === 'string' ? entry.name : null,
          category: null,
          abilities: null,
        }));
    },
  };
}

/** The base URL is the API root (`https://api.openai.com/v1`): paths go right under it. */
export const openai: Protocol = openAiStyle((base, path) => `${base}${path}`);
