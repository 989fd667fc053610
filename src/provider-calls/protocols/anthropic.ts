import { dataList, isRecord, underV1 } from './provider-http';
import { UpstreamError, type CallTarget, type Protocol } from './types';

/**
 * Anthropic's Messages API and the providers that speak it (Kimi For Coding, MiniMax's coding
 * plans): `POST {base}/v1/messages`, `GET {base}/v1/models`, the key in `x-api-key`, the API
 * version pinned. A base URL that already ends in `/v1` is not doubled.
 */

export const ANTHROPIC_VERSION = '2023-06-01';

const headers = (target: CallTarget): Record<string, string> => ({
  'anthropic-version': ANTHROPIC_VERSION,
  ...(target.apiKey !== null ? { 'x-api-key': target.apiKey } : {}),
});

export const anthropic: Protocol = {
  async chat(http, target, model) {
    const answer = await http.json(target, 'POST', underV1(target.baseUrl, '/messages'), headers(target), {
      model,
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    if (!isRecord(answer) || !Array.isArray(answer.content)) throw new UpstreamError('unexpected answer: no content');
  },
  async listModels(http, target) {
    const answer = await http.json(target, 'GET', underV1(target.baseUrl, '/models?limit=1000'), headers(target));
    return dataList(answer, 'model')
      .filter((entry) => typeof entry.id === 'string')
      .map((entry) => ({
        id: entry.id as string,
        name: typeof entry.display_name === 'string' ? entry.display_name : null,
        category: 'llm',
        abilities: null,
      }));
  },
};
