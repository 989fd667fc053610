import jwt from 'jsonwebtoken';
import type { JwtConfig } from '../lib/config';

/** The JWT settings under which this service holds the signing key: a shared HS256 secret. */
export type SecretJwtConfig = Extract<JwtConfig, { source: 'secret' }>;

export interface DevTokenOptions {
  admin?: boolean;
  /** jsonwebtoken's `expiresIn`: seconds or a duration like `12h`. */
  ttl?: string;
}

/**
 * A development token, signed with the configured secret and carrying the configured issuer and
 * audience, so the running service accepts it. Shared by `npm run token` and `npm run seed`.
 */
export function signDevToken(config: SecretJwtConfig, sub: string, options: DevTokenOptions = {}): string {
  return jwt.sign({ sub, roles: options.admin ? ['admin'] : [] }, config.key, {
    algorithm: 'HS256',
    expiresIn: (options.ttl ?? '12h') as jwt.SignOptions['expiresIn'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  });
}
