import { KeyObject } from 'node:crypto';
import type { FetchImplementation, RemoteJWKSet } from 'jose';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { Logger } from 'pino';
import type { JwksSettings, JwtAlgorithm, JwtConfig } from './config';
import { AppError, Errors } from './errors';

export interface Caller {
  sub: string;
  isAdmin: boolean;
}

/**
 * What a request's credentials amount to: a caller, nobody (no credentials), or a refusal.
 * Built once per request; GraphQL operations declare that they need a caller (@Authorized).
 */
export type AuthResult = { caller: Caller } | { caller: null; error: AppError };

/** Finds the verification key for a token whose header already passed the algorithm allow-list. */
type KeyResolver = (header: { alg: JwtAlgorithm; kid: string | undefined }) => Promise<KeyObject>;

/** Query parameters that conventionally carry a bearer token (RFC 6750 §2.3 and common variants). */
const QUERY_TOKEN_PARAMS = new Set(['access_token', 'token', 'jwt']);

/** A JWKS document larger than this is not a key set but a misconfiguration (or an attack). */
const MAX_JWKS_BYTES = 1024 * 1024;

function hasAdminRole(payload: JwtPayload): boolean {
  const { roles, role } = payload as { roles?: unknown; role?: unknown };
  if (Array.isArray(roles) && roles.includes('admin')) return true;
  // `role` may be one role or a space/comma separated list of them.
  return typeof role === 'string' && role.split(/[\s,]+/).includes('admin');
}

/** Whether the query string of `url` (a request's path and query) names a token parameter. */
export function hasTokenInQuery(url: string | undefined): boolean {
  const start = url?.indexOf('?') ?? -1;
  if (start < 0) return false;
  for (const name of new URLSearchParams(url!.slice(start + 1)).keys()) {
    // `access_token[]=` and `Token=` are still attempts to pass a token in the URL.
    if (QUERY_TOKEN_PARAMS.has(name.toLowerCase().replace(/\[.*$/, ''))) return true;
  }
  return false;
}

async function verifyToken(token: string, config: JwtConfig, keyFor: KeyResolver): Promise<Caller> {
  let header: jwt.JwtHeader | undefined;
  try {
    header = jwt.decode(token, { complete: true })?.header;
  } catch {
    header = undefined;
  }
  // The allow-list is applied before any key lookup, so `none`, HS256 against a public key and
  // algorithms the IdP does not use are refused without ever reaching the JWKS endpoint.
  const alg = config.algorithms.find((allowed) => allowed === header?.alg);
  if (!header || !alg) throw Errors.badCredentials();
  const key = await keyFor({ alg, kid: typeof header.kid === 'string' ? header.kid : undefined });

  let payload: string | JwtPayload;
  try {
    payload = jwt.verify(token, key, {
      // Only the header's own algorithm: the key was chosen for it, and jsonwebtoken checks
      // that the key's type fits (an RSA key never verifies an HMAC).
      algorithms: [alg],
      issuer: config.issuer,
      audience: config.audience,
      clockTolerance: config.clockToleranceSec,
    });
  } catch {
    throw Errors.badCredentials();
  }
  if (typeof payload !== 'object' || payload === null) throw Errors.badCredentials();
  // A token that never expires is a standing credential nobody can revoke: refuse it.
  if (typeof payload.exp !== 'number') throw Errors.badCredentials();
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '') throw Errors.badCredentials();
  return { sub: payload.sub, isAdmin: hasAdminRole(payload) };
}

/** A failed JWKS fetch, already logged; the token is refused like any other unverifiable one. */
class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError';
}

async function readLimited(res: Response, limit: number): Promise<string> {
  if (Number(res.headers.get('content-length')) > limit) throw new JwksUnavailableError(`response larger than ${limit} bytes`);
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new JwksUnavailableError(`response larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof JwksUnavailableError) return err.message;
  const { name, cause } = (err ?? {}) as { name?: string; cause?: { code?: unknown } };
  if (name === 'TimeoutError' || name === 'AbortError') return `no complete answer within ${timeoutMs} ms`;
  if (name === 'SyntaxError') return 'response is not JSON';
  if (typeof cause?.code === 'string') return cause.code;
  return 'network error';
}

/**
 * Keys from the IdP's JWKS endpoint, through jose's remote key set: the whole set is cached for
 * `cacheMaxAgeMs`; a `kid` not in it triggers a refetch at most once per `cooldownMs`, so a flood
 * of made-up `kid`s costs the IdP one request per cooldown; every fetch is bounded by
 * `timeoutMs`. Every network attempt goes through `fetchKeySet` below, which also holds off
 * after a failure (jose's cooldown only starts after a success) and logs each failure once.
 */
function remoteKeyResolver(settings: JwksSettings, logger: Logger): KeyResolver {
  // Not the query string: some IdPs put an access key there.
  const jwksUri = `${settings.uri.origin}${settings.uri.pathname}`;
  let retryAfter = 0;
  let failing = false;

  const fetchKeySet: FetchImplementation = async (url, options) => {
    if (Date.now() < retryAfter) throw new JwksUnavailableError('holding off after a failed fetch');
    try {
      const res = await fetch(url, options);
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new JwksUnavailableError(`HTTP ${res.status}`);
      }
      const text = await readLimited(res, MAX_JWKS_BYTES);
      const set: unknown = JSON.parse(text);
      if (typeof set !== 'object' || set === null || !Array.isArray((set as { keys?: unknown }).keys)) {
        throw new JwksUnavailableError('response is not a JSON Web Key Set');
      }
      if (failing) logger.info({ jwksUri }, 'JWKS endpoint answers again');
      failing = false;
      logger.debug({ jwksUri, keys: (set as { keys: unknown[] }).keys.length }, 'JWKS fetched');
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (err) {
      failing = true;
      retryAfter = Date.now() + settings.cooldownMs;
      logger.warn(
        { jwksUri, reason: describeFailure(err, settings.timeoutMs), retryInSec: settings.cooldownMs / 1000 },
        'JWKS fetch failed: tokens whose key is not cached are refused',
      );
      throw new JwksUnavailableError('JWKS fetch failed');
    }
  };

  // Loaded only when JWKS is configured: jose is an ES module (require(esm), Node >= 20.19),
  // which deployments with a secret or a public key, and jest's module loader, never need.
  const keySet: Promise<RemoteJWKSet> = import('jose').then(({ createRemoteJWKSet, customFetch }) =>
    createRemoteJWKSet(settings.uri, {
      cacheMaxAge: settings.cacheMaxAgeMs,
      cooldownDuration: settings.cooldownMs,
      timeoutDuration: settings.timeoutMs,
      [customFetch]: fetchKeySet,
    }),
  );
  keySet.catch((err: unknown) =>
    logger.error({ err: { message: (err as Error)?.message } }, 'cannot load jose: every JWKS token is refused'),
  );

  return async ({ alg, kid }) => {
    // Keys are looked up by kid only: a token without one would make the gateway try keys the
    // IdP meant for something else.
    if (kid === undefined || kid === '' || kid.length > 256) throw Errors.badCredentials();
    try {
      const keys = await keySet;
      return KeyObject.from(await keys({ alg, kid }));
    } catch (err) {
      // Unknown kid, unusable key, or the endpoint is down (logged by fetchKeySet): all mean
      // this token cannot be verified now.
      if (!(err instanceof JwksUnavailableError)) logger.debug({ kid, reason: (err as Error)?.name }, 'no usable JWKS key for token');
      throw Errors.badCredentials();
    }
  };
}

/**
 * Verifies a request's credentials once; the result rides on the request (`res.locals.auth`)
 * so the rate limiter, the REST routes and the GraphQL context all use the same verdict.
 */
export interface Authenticator {
  /** `requestUrl` is the request's path and query: a token found in the query refuses the request. */
  authenticate(authorization: string | undefined, requestUrl?: string): Promise<AuthResult>;
}

export function createAuthenticator(config: JwtConfig, logger: Logger): Authenticator {
  const keyFor: KeyResolver = config.source === 'jwks' ? remoteKeyResolver(config.jwks, logger) : async () => config.key;
  return {
    authenticate: async (authorization, requestUrl) => {
      // Refused even beside a valid header: a token in a URL ends up in access logs, proxies,
      // browser history and Referer headers, and the client must learn to stop sending it.
      if (hasTokenInQuery(requestUrl)) return { caller: null, error: Errors.badCredentials() };
      if (!authorization) return { caller: null, error: Errors.notAuthenticated() };
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
      if (!match) return { caller: null, error: Errors.notAuthenticated() };
      try {
        return { caller: await verifyToken(match[1]!, config, keyFor) };
      } catch (err) {
        return { caller: null, error: err instanceof AppError ? err : Errors.badCredentials() };
      }
    },
  };
}
