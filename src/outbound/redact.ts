/**
 * Error texts from a provider (or from the network layer) go back to the user and into logs; a
 * provider that echoes the key it was sent ("Incorrect API key provided: sk-abc...") must not turn
 * the gateway into a key oracle. So every text this module produces passes through here.
 */

/** Long enough for a provider's reason, short enough that a reflected body cannot carry much. */
export const MAX_ERROR_TEXT = 300;

const REDACTED = '[redacted]';

/**
 * Shapes of credentials worth hiding even when the caller did not name them: OpenAI-style
 * `sk-...`, Anthropic `sk-ant-...`, Google `AIza...`, bearer tokens, JWTs, `key=` query values.
 */
const KEY_PATTERNS: RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
  /\b(api[_-]?key|key|token|access_token|secret|password)=[^&\s"']+/gi,
];

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first: a secret that contains another is hidden whole. Even a short secret is hidden:
  // a mangled message is better than a leaked key.
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  for (const pattern of KEY_PATTERNS) {
    out = out.replace(pattern, (match, word: string | undefined) => {
      if (/^(bearer|basic)$/i.test(word ?? '')) return `${word} ${REDACTED}`;
      if (match.includes('=')) return `${match.slice(0, match.indexOf('=') + 1)}${REDACTED}`;
      return REDACTED;
    });
  }
  // Cut after redacting: what is left holds no secret whole, and a cut never rebuilds one.
  if (out.length > MAX_ERROR_TEXT) out = `${out.slice(0, MAX_ERROR_TEXT)}…`;
  return out;
}
