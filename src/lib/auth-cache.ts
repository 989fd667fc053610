import jwt from 'jsonwebtoken';
import { hasTokenInQuery, type Authenticator, type AuthResult } from './auth';

/** How long an accepted token is taken on trust before its signature is checked again. */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
/** Distinct tokens remembered; the oldest is forgotten first. */
export const VERIFIED_TOKEN_LIMIT = 10_000;

/**
 * Remembers accepted tokens for a short while: a client sends the same token with every request,
 * and checking its signature and claims again was 4-6% of the gateway's CPU per request in the
 * profile (docs/benchmarks.md). Only the exact Authorization header of a token that passed every
 * check is kept, never past the token's own expiry (with the configured clock tolerance, as the
 * verifier allows) and never longer than {@link VERIFIED_TOKEN_TTL_MS}, so a key withdrawn from a
 * JWKS endpoint stops working within that bound. Refusals are not cached: they stay as cheap (and
 * as logged) as before, and a flood of bad tokens cannot evict good ones. The query-string check
 * runs on every request, as it must.
 */
export function withVerifiedTokenCache(
  authenticator: Authenticator,
  clockToleranceSec: number,
  now: () => number = Date.now,
): Authenticator {
  const verified = new Map<string, { result: AuthResult; until: number }>();
  return {
    authenticate: async (authorization, requestUrl) => {
      if (authorization === undefined || hasTokenInQuery(requestUrl)) return authenticator.authenticate(authorization, requestUrl);
      const cached = verified.get(authorization);
      if (cached) {
        if (now() < cached.until) return cached.result;
        verified.delete(authorization);
      }
      const result = await authenticator.authenticate(authorization, requestUrl);
      if (result.caller) {
        // The token was just verified: its `exp` is the signed one.
        const exp = (jwt.decode(authorization.replace(/^\S+\s+/, '').trim(), { json: true }) ?? {}).exp;
        if (typeof exp === 'number') {
          const until = Math.min((exp + clockToleranceSec) * 1000, now() + VERIFIED_TOKEN_TTL_MS);
          if (verified.size >= VERIFIED_TOKEN_LIMIT) verified.delete(verified.keys().next().value!);
          verified.set(authorization, { result, until });
        }
      }
      return result;
    },
  };
}
