import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { JwtConfig } from './config';
import { AppError, Errors } from './errors';

export interface Caller {
  sub: string;
  isAdmin: boolean;
}

/**
 * What a request's credentials amount to: a caller, nobody (no credentials), or a refusal.
 * Built once per request; operations that need a caller call `requireCaller`.
 */
export type AuthResult = { caller: Caller } | { caller: null; error: AppError };

function hasAdminRole(payload: JwtPayload): boolean {
  const { roles, role } = payload as { roles?: unknown; role?: unknown };
  if (Array.isArray(roles) && roles.includes('admin')) return true;
  // `role` may be one role or a space/comma separated list of them.
  return typeof role === 'string' && role.split(/[\s,]+/).includes('admin');
}

export function verifyToken(token: string, config: JwtConfig): Caller {
  let payload: string | JwtPayload;
  try {
    payload = jwt.verify(token, config.key, {
      // An explicit allow-list: `none` and key-confusion (HS256 signed with a public key) fail here.
      algorithms: config.algorithms,
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

export function authenticate(authorization: string | undefined, config: JwtConfig): AuthResult {
  if (!authorization) return { caller: null, error: Errors.notAuthenticated() };
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!match) return { caller: null, error: Errors.notAuthenticated() };
  try {
    return { caller: verifyToken(match[1]!, config) };
  } catch (err) {
    return { caller: null, error: err instanceof AppError ? err : Errors.badCredentials() };
  }
}

/**
 * Verifies a request's credentials once; the result rides on the request (`res.locals.auth`)
 * so the rate limiter, the REST routes and the GraphQL context all use the same verdict.
 */
export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<AuthResult>;
}

export function createAuthenticator(config: JwtConfig): Authenticator {
  return { authenticate: async (authorization) => authenticate(authorization, config) };
}

export function requireCaller(auth: AuthResult): Caller {
  if (auth.caller) return auth.caller;
  throw auth.error;
}
