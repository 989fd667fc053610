import { openAiStyle } from './openai';
import { dataList, underV1 } from './provider-http';
import type { Protocol } from './types';

/**
 * A Xinference server: its OpenAI-style API under `{base}/v1` (chat, embeddings, rerank), and
 * `GET {base}/v1/models`, which tells each model's type and abilities in Xinference's words;
 * they are mapped to the contract's categories and abilities here.
 */

const CATEGORY_OF_TYPE: Record<string, string> = {
  llm: 'llm',
  embedding: 'embedding',
  rerank: 'rerank',
  image: 'image',
  audio: 'speech',
  video: 'video',
};

const ABILITY: Record<string, Record<string, string>> = {
  image: { text2image: 'generate', image2image: 'edit', inpainting: 'edit' },
  speech: { audio2text: 'asr', text2audio: 'tts' },
  video: { text2video: 'generate', image2video: 'generate' },
  embedding: {},
  rerank: {},
};

/** Xinference's abilities in the contract's words; LLM abilities (chat, vision, tools, ...) are free-form and kept. */
function abilitiesOf(category: string | null, raw: unknown): string[] | null {
  if (category === 'embedding') return ['embedding'];
  if (category === 'rerank') return ['rerank'];
  const list = Array.isArray(raw) ? raw.filter((a): a is string => typeof a === 'string') : typeof raw === 'string' ? [raw] : [];
  if (category === null) return list.length > 0 ? list : null;
  const map = ABILITY[category];
  const mapped = map ? list.map((a) => map[a.toLowerCase()]).filter((a): a is string => a !== undefined) : list;
  return [...new Set(mapped)];
}

const chatAndFriends = openAiStyle(underV1);

export const xinference: Protocol = {
  chat: chatAndFriends.chat!,
  embed: chatAndFriends.embed!,
  rerank: chatAndFriends.rerank!,
  async listModels(http, target) {
    const answer = await http.json(target, 'GET', underV1(target.baseUrl, '/models'), {
      ...(target.apiKey !== null ? { Authorization: `Bearer ${target.apiKey}` } : {}),
    });
    return dataList(answer, 'model')
      .filter((entry) => typeof entry.id === 'string')
      .map((entry) => {
        const type = typeof entry.model_type === 'string' ? entry.model_type.toLowerCase() : '';
        const category = CATEGORY_OF_TYPE[type] ?? null;
        return {
          id: entry.id as string,
          name: typeof entry.model_name === 'string' ? entry.model_name : null,
          category,
          abilities: abilitiesOf(category, entry.model_ability),
        };
      });
  },
};
