import { isRecord } from './provider-http';
import { UpstreamError, type CallTarget, type Protocol } from './types';

/**
 * The Gemini API: `POST {base}/models/{model}:generateContent`, `GET {base}/models`. The key goes
 * in the `x-goog-api-key` header, never in the URL (`?key=` would land in every proxy's log).
 */

const headers = (target: CallTarget): Record<string, string> => (target.apiKey !== null ? { 'x-goog-api-key': target.apiKey } : {});

/** `models/gemini-2.5-flash` and `gemini-2.5-flash` name the same model. */
const bare = (model: string): string => model.replace(/^models\//, '');

export const gemini: Protocol = {
  async chat(http, target, model) {
    const answer = await http.json(
      target,
      'POST',
      `${target.baseUrl}/models/${encodeURIComponent(bare(model))}:generateContent`,
      headers(target),
      { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }], generationConfig: { maxOutputTokens: 16 } },
    );
    if (!isRecord(answer) || !Array.isArray(answer.candidates)) throw new UpstreamError('unexpected answer: no candidates');
  },
  async listModels(http, target) {
    const answer = await http.json(target, 'GET', `${target.baseUrl}/models?pageSize=1000`, headers(target));
    const models = isRecord(answer) ? answer.models : undefined;
    if (!Array.isArray(models)) throw new UpstreamError('unexpected answer: no model list');
    return models
      .filter(isRecord)
      .filter((entry) => typeof entry.name === 'string')
      .map((entry) => {
        const methods = Array.isArray(entry.supportedGenerationMethods) ? entry.supportedGenerationMethods : [];
        return {
          id: bare(entry.name as string),
          name: typeof entry.displayName === 'string' ? entry.displayName : null,
          category: methods.includes('embedContent') && !methods.includes('generateContent') ? 'embedding' : null,
          abilities: null,
        };
      });
  },
};
