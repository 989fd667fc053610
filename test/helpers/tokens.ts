import jwt from 'jsonwebtoken';

/** Test-only keys: never used outside test servers. */
export const TEST_JWT_SECRET = 'test-secret-for-model-gateway-tests-0123456789abcdef';
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TokenOptions {
  admin?: boolean;
  /** Overrides or removes (undefined) claims. */
  claims?: Record<string, unknown>;
  secret?: string;
  expiresInSec?: number;
}

export function tokenFor(sub: string, options: TokenOptions = {}): string {
  const payload: Record<string, unknown> = {
    sub,
    roles: options.admin ? ['admin'] : ['user'],
    exp: Math.floor(Date.now() / 1000) + (options.expiresInSec ?? 3600),
    ...options.claims,
  };
  for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key];
  return jwt.sign(payload, options.secret ?? TEST_JWT_SECRET, { algorithm: 'HS256', noTimestamp: false });
}

export const alice = () => tokenFor('alice');
export const bob = () => tokenFor('bob');
export const admin = () => tokenFor('root', { admin: true });
