import { createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where the compiled service lives: dist/lib → project root. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export type DbProvider = 'sqlite' | 'postgresql';
export type SharingPolicy = 'admins' | 'owners';

export interface JwtConfig {
  /** The verification key: a secret (HS256) or a public key (RS256/ES256). */
  key: KeyObject;
  algorithms: ('HS256' | 'RS256' | 'ES256')[];
  issuer?: string;
  audience?: string;
  clockToleranceSec: number;
  /** Only set for HS256: what `npm run token` signs with. */
  signingSecret?: KeyObject;
}

export interface DatabaseConfig {
  provider: DbProvider;
  url: string;
  sqlitePath?: string;
  /** PostgreSQL connection pool, per gateway process. */
  pool: { max: number; connectTimeoutMs: number; idleTimeoutMs: number; statementTimeoutMs: number };
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  jwt: JwtConfig;
  /** 32-byte AES-256-GCM key for api_key at rest. */
  encryptionKey: Buffer;
  sharing: SharingPolicy;
  bodyLimitBytes: number;
  introspection: boolean;
  landingPage: boolean;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function readBool(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  problems.push(`${name} must be true or false, got "${raw}"`);
  return fallback;
}

/**
 * Development convenience: a secret generated once and kept in the data directory, so tokens
 * from `npm run token` keep working across restarts. Never used in production.
 */
function devSecretFile(dataDir: string, file: string, make: () => string): string {
  const full = path.join(dataDir, file);
  try {
    return fs.readFileSync(full, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const value = make();
  try {
    // 'wx': two processes starting together must not overwrite each other's secret.
    fs.writeFileSync(full, value + '\n', { mode: 0o600, flag: 'wx' });
    return value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(full, 'utf8').trim();
    throw err;
  }
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    return fallback;
  }
  return value;
}

function parseDatabase(env: Env, raw: string, problems: string[]): DatabaseConfig {
  const pool = {
    max: readInt(env, 'DATABASE_POOL_MAX', 10, 1, 1000, problems),
    connectTimeoutMs: readInt(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5000, 100, 600000, problems),
    idleTimeoutMs: readInt(env, 'DATABASE_IDLE_TIMEOUT_MS', 30000, 0, 3600000, problems),
    statementTimeoutMs: readInt(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10000, 0, 3600000, problems),
  };
  if (raw.startsWith('file:')) {
    const filePath = raw.slice('file:'.length).replace(/\?.*$/, '');
    if (!filePath) problems.push('DATABASE_URL "file:" needs a path, e.g. file:./data/models.db');
    return { provider: 'sqlite', url: `file:${filePath}`, sqlitePath: path.resolve(filePath), pool };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      problems.push('DATABASE_URL is not a valid postgresql:// URL');
    }
    return { provider: 'postgresql', url: raw, pool };
  }
  problems.push('DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL)');
  return { provider: 'sqlite', url: 'file:./data/models.db', pool };
}

function parseJwt(env: Env, production: boolean, dataDir: string, problems: string[]): JwtConfig {
  const clockToleranceSec = Number(env.JWT_CLOCK_TOLERANCE_SEC ?? 5);
  if (!Number.isFinite(clockToleranceSec) || clockToleranceSec < 0 || clockToleranceSec > 300) {
    problems.push('JWT_CLOCK_TOLERANCE_SEC must be a number of seconds between 0 and 300');
  }
  const common = {
    issuer: env.JWT_ISSUER || undefined,
    audience: env.JWT_AUDIENCE || undefined,
    clockToleranceSec: Number.isFinite(clockToleranceSec) ? clockToleranceSec : 5,
  };
  if (env.JWT_PUBLIC_KEY) {
    try {
      const key = createPublicKey(env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n'));
      const type = key.asymmetricKeyType;
      if (type === 'rsa') return { ...common, key, algorithms: ['RS256'] };
      if (type === 'ec') return { ...common, key, algorithms: ['ES256'] };
      problems.push(`JWT_PUBLIC_KEY must be an RSA or EC (P-256) public key, got ${type ?? 'unknown'}`);
    } catch {
      problems.push('JWT_PUBLIC_KEY is not a readable PEM public key');
    }
    return { ...common, key: createSecretKey(randomBytes(32)), algorithms: ['RS256'] };
  }
  let secret = env.JWT_SECRET;
  if (!secret) {
    if (production) {
      problems.push('JWT_SECRET (at least 32 bytes) or JWT_PUBLIC_KEY is required when NODE_ENV=production');
      secret = randomBytes(32).toString('base64url');
    } else {
      secret = devSecretFile(dataDir, 'jwt-secret', () => randomBytes(48).toString('base64url'));
    }
  } else if (production && Buffer.byteLength(secret) < 32) {
    problems.push('JWT_SECRET must be at least 32 bytes long when NODE_ENV=production');
  }
  // A KeyObject, not a string: jsonwebtoken re-imports string secrets on every verify.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return { ...common, key, algorithms: ['HS256'], signingSecret: key };
}

function parseEncryptionKey(env: Env, production: boolean, dataDir: string, problems: string[]): Buffer {
  let raw = env.API_KEY_ENCRYPTION_KEY;
  if (!raw) {
    if (production) {
      problems.push('API_KEY_ENCRYPTION_KEY (32 bytes, base64) is required when NODE_ENV=production');
      return randomBytes(32);
    }
    raw = devSecretFile(dataDir, 'encryption-key', () => randomBytes(32).toString('base64'));
  }
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) {
    problems.push('API_KEY_ENCRYPTION_KEY must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)');
    return randomBytes(32);
  }
  return key;
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const production = nodeEnv === 'production';

  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT must be an integer 0..65535, got "${env.PORT}"`);

  const dataDir = path.resolve(env.DATA_DIR ?? 'data');
  const database = parseDatabase(env, env.DATABASE_URL || `file:${path.join(dataDir, 'models.db')}`, problems);
  const jwt = parseJwt(env, production, dataDir, problems);
  const encryptionKey = parseEncryptionKey(env, production, dataDir, problems);

  const sharing = (env.SHARING ?? 'admins') as SharingPolicy;
  if (sharing !== 'admins' && sharing !== 'owners') problems.push(`SHARING must be "admins" or "owners", got "${env.SHARING}"`);

  const bodyLimitBytes = Number(env.BODY_LIMIT_BYTES ?? 1024 * 1024);
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1024) problems.push('BODY_LIMIT_BYTES must be an integer >= 1024');

  const introspection = readBool(env, 'GRAPHQL_INTROSPECTION', !production, problems);
  const landingPage = readBool(env, 'GRAPHQL_LANDING_PAGE', !production, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    env: nodeEnv,
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir,
    database,
    jwt,
    encryptionKey,
    sharing,
    bodyLimitBytes,
    introspection,
    landingPage,
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'warn' : 'info'),
  };
}
