import { redactSecrets, type OutboundClient } from '../../outbound';
import { UpstreamError, type CallTarget, type ProviderHttp } from './types';

/** At most this much of a provider's error message goes into a result. */
const MAX_REASON = 300;

/** A run of 3+ masking characters: how providers echo a refused key (`sk-abc***...***wxyz`). */
const MASKED = /\S*(?:\*{3,}|•{3,})\S*/g;

/**
 * Removes a key from text a provider sent back. The whole key goes through the guard's
 * redactSecrets; what it cannot see are partial echoes: OpenAI's 401 quotes the key's first and
 * last characters around asterisks, so any word with a masked run, or with 8+ characters in
 * common with the key, is dropped as well.
 */
export function scrubKey(text: string, secrets: readonly string[]): string {
  let out = redactSecrets(text, secrets).replace(MASKED, '[redacted]');
  for (const secret of secrets) {
    if (secret.length < 8) continue;
    out = out.replace(/\S{8,}/g, (word) => (sharesRun(word, secret, 8) ? '[redacted]' : word));
  }
  return out;
}

function sharesRun(word: string, secret: string, run: number): boolean {
  for (let i = 0; i + run <= word.length; i++) if (secret.includes(word.slice(i, i + run))) return true;
  return false;
}

/** The provider's own message from an error body: OpenAI/Anthropic `error.message`, Gemini too, FastAPI `detail`. */
export function messageOf(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.replace(/\s+/g, ' ').trim();
  }
  const record = parsed as { error?: unknown; detail?: unknown; message?: unknown } | null;
  const error = record?.error;
  if (typeof error === 'string') return error;
  if (error && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  if (typeof record?.detail === 'string') return record.detail;
  if (typeof record?.message === 'string') return record.message;
  return text.replace(/\s+/g, ' ').trim();
}

const clip = (text: string): string => (text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text);

export function providerHttp(client: OutboundClient): ProviderHttp {
  return {
    async json(target: CallTarget, method, url, headers, body) {
      // The key is for the provider's base URL only; a protocol building a URL elsewhere is a bug.
      if (target.apiKey !== null && !url.startsWith(`${target.baseUrl}/`)) {
        throw new Error('provider call outside its base URL');
      }
      const secrets = target.apiKey !== null ? [target.apiKey] : [];
      const res = await client.request({
        url,
        method,
        headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        secrets,
        // The catalog id, never user text: the guard labels its metrics with it.
        provider: target.provider.id,
      });
      if (res.status < 200 || res.status > 299) {
        const message = clip(scrubKey(messageOf(res.text), secrets));
        throw new UpstreamError(message ? `HTTP ${res.status}: ${message}` : `HTTP ${res.status}`, res.status);
      }
      try {
        return JSON.parse(res.text) as unknown;
      } catch {
        throw new UpstreamError(`HTTP ${res.status}: the answer is not JSON`, res.status);
      }
    },
  };
}

/** `base` + `/v1` + path, without doubling a `/v1` the base already ends in. */
export function underV1(base: string, path: string): string {
  return `${/\/v1$/.test(base) ? base : `${base}/v1`}${path}`;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `data: [...]` of an OpenAI-style list answer; an answer without one is a protocol mismatch. */
export function dataList(answer: unknown, what: string): Record<string, unknown>[] {
  const data = isRecord(answer) ? answer.data : undefined;
  if (!Array.isArray(data)) throw new UpstreamError(`unexpected answer: no ${what} list`);
  return data.filter(isRecord);
}
