/**
 * The configuration, assembled from the variables of ./variables.ts. What one variable means on
 * its own is its parser's business; here are the rules between variables (one source of JWT
 * keys, one form of encryption keys, what production requires) and the development secrets.
 * Problems are collected, in the order below, and reported together.
 */
import { createPublicKey, createSecretKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { VariableReader, attributeToFiles, readSecretFiles, type Env } from './read';
import {
  ConfigError,
  SUPPORTED_ALGORITHMS,
  type Config,
  type DatabaseConfig,
  type JwtAlgorithm,
  type JwtConfig,
  type JwksSettings,
} from './types';
import type { VariableName } from './variables';

/**
 * Development convenience: a secret generated once and kept in the data directory, so tokens
 * from `npm run token` keep working across restarts. Never used in production.
 */
function devSecretFile(dataDir: string, file: string, make: () => string, generated: string[]): string {
  const full = path.join(dataDir, file);
  generated.push(full);
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

function readDatabase(read: VariableReader, dataDir: string): DatabaseConfig {
  const pool = {
    max: read.get('DATABASE_POOL_MAX'),
    connectTimeoutMs: read.get('DATABASE_CONNECT_TIMEOUT_MS'),
    idleTimeoutMs: read.get('DATABASE_IDLE_TIMEOUT_MS'),
    statementTimeoutMs: read.get('DATABASE_STATEMENT_TIMEOUT_MS'),
  };
  const location = read.get('DATABASE_URL') ?? { provider: 'sqlite', ...sqliteIn(dataDir) };
  return { ...location, pool };
}

function sqliteIn(dataDir: string): { url: string; sqlitePath: string } {
  const file = path.join(dataDir, 'models.db');
  return { url: `file:${file}`, sqlitePath: path.resolve(file) };
}

/**
 * JWT_ALGORITHMS narrows the algorithms the key source allows; it can never widen them, so `none`
 * and HS256 next to a public key (key confusion) cannot be configured in.
 */
function narrowAlgorithms(read: VariableReader, allowed: JwtAlgorithm[], source: string): JwtAlgorithm[] {
  const names = read.get('JWT_ALGORITHMS');
  if (!names) return allowed;
  const chosen: JwtAlgorithm[] = [];
  for (const name of names) {
    const alg = SUPPORTED_ALGORITHMS.find((candidate) => candidate === name);
    if (!alg) {
      read.report(`JWT_ALGORITHMS: ${JSON.stringify(name.slice(0, 32))} is not supported (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`);
    } else if (!allowed.includes(alg)) {
      read.report(`JWT_ALGORITHMS: ${alg} cannot be used with ${source} (allowed: ${allowed.join(', ')})`);
    } else if (!chosen.includes(alg)) {
      chosen.push(alg);
    }
  }
  return chosen.length > 0 ? chosen : allowed;
}

function readJwt(read: VariableReader, production: boolean, dataDir: string, generated: string[]): JwtConfig {
  const common = {
    clockToleranceSec: read.get('JWT_CLOCK_TOLERANCE_SEC'),
    issuer: read.get('JWT_ISSUER'),
    audience: read.get('JWT_AUDIENCE'),
  };
  if (read.isSet('JWT_JWKS_URI')) {
    // Two sources of keys would make it unclear which tokens are trusted, and a stale secret
    // left beside the IdP would quietly keep minting valid tokens.
    for (const other of ['JWT_SECRET', 'JWT_PUBLIC_KEY'] as const) {
      if (read.isSet(other)) read.report(`JWT_JWKS_URI and ${other} are both set: configure one source of keys`);
    }
    const jwks: JwksSettings = {
      uri: read.get('JWT_JWKS_URI')!,
      cacheMaxAgeMs: read.get('JWT_JWKS_CACHE_MAX_AGE_SEC') * 1000,
      cooldownMs: read.get('JWT_JWKS_COOLDOWN_SEC') * 1000,
      timeoutMs: read.get('JWT_JWKS_TIMEOUT_MS'),
    };
    return { ...common, source: 'jwks', jwks, algorithms: narrowAlgorithms(read, ['RS256', 'ES256'], 'JWT_JWKS_URI') };
  }
  const pem = read.get('JWT_PUBLIC_KEY');
  if (pem) {
    try {
      const key = createPublicKey(pem.replace(/\\n/g, '\n'));
      const type = key.asymmetricKeyType;
      if (type === 'rsa') {
        return { ...common, source: 'public-key', key, algorithms: narrowAlgorithms(read, ['RS256'], 'an RSA JWT_PUBLIC_KEY') };
      }
      if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
        return { ...common, source: 'public-key', key, algorithms: narrowAlgorithms(read, ['ES256'], 'an EC P-256 JWT_PUBLIC_KEY') };
      }
      const what = type === 'ec' ? `EC ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown curve'}` : (type ?? 'unknown');
      read.report(`JWT_PUBLIC_KEY must be an RSA or EC P-256 public key, got ${what}`);
    } catch {
      read.report('JWT_PUBLIC_KEY is not a readable PEM public key');
    }
    return { ...common, source: 'public-key', key: createSecretKey(randomBytes(32)), algorithms: ['RS256'] };
  }
  let secret = read.get('JWT_SECRET');
  if (!secret) {
    if (production) {
      read.report('JWT_SECRET (at least 32 bytes), JWT_PUBLIC_KEY or JWT_JWKS_URI is required when NODE_ENV=production');
      secret = randomBytes(32).toString('base64url');
    } else {
      secret = devSecretFile(dataDir, 'jwt-secret', () => randomBytes(48).toString('base64url'), generated);
    }
  } else if (production && Buffer.byteLength(secret) < 32) {
    read.report('JWT_SECRET must be at least 32 bytes long when NODE_ENV=production');
  }
  // A KeyObject, not a string: jsonwebtoken re-imports string secrets on every verify.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return { ...common, source: 'secret', key, algorithms: narrowAlgorithms(read, ['HS256'], 'JWT_SECRET') };
}

const KEY_FORMAT_HINT = '32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)';

/** A 32-byte key in base64, or null. Callers report the problem by name and position, never the value. */
function decodeKey(raw: string): Buffer | null {
  const key = Buffer.from(raw, 'base64');
  return key.length === 32 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw) ? key : null;
}

/**
 * API_KEY_ENCRYPTION_KEYS="current,older,..." or API_KEY_ENCRYPTION_KEY="current" (a one-key
 * list). Every problem names the variable and the entry's position, never a key.
 */
function readEncryptionKeys(read: VariableReader, production: boolean, dataDir: string, generated: string[]): Buffer[] {
  const list = read.get('API_KEY_ENCRYPTION_KEYS');
  const single = read.get('API_KEY_ENCRYPTION_KEY');
  if (list !== undefined && single !== undefined) {
    read.report('set API_KEY_ENCRYPTION_KEYS (current key first, then older ones) or API_KEY_ENCRYPTION_KEY (one key), not both');
    return [randomBytes(32)];
  }
  if (list !== undefined) {
    const entries = list.split(',').map((entry) => entry.trim());
    const keys: Buffer[] = [];
    const seen = new Map<string, number>();
    for (const [index, entry] of entries.entries()) {
      const position = `API_KEY_ENCRYPTION_KEYS entry ${index + 1} of ${entries.length}${index === 0 ? ' (the current key)' : ''}`;
      if (entry === '') {
        read.report(`${position} is empty; the list is comma-separated base64 keys, the current key first`);
        continue;
      }
      const key = decodeKey(entry);
      if (!key) {
        read.report(`${position} must be ${KEY_FORMAT_HINT}`);
        continue;
      }
      const earlier = seen.get(key.toString('hex'));
      if (earlier !== undefined) {
        read.report(`${position} is the same key as entry ${earlier}; list each key once`);
        continue;
      }
      seen.set(key.toString('hex'), index + 1);
      keys.push(key);
    }
    return keys.length === entries.length ? keys : [randomBytes(32)];
  }
  let raw = single;
  if (raw === undefined) {
    if (production) {
      read.report(
        'API_KEY_ENCRYPTION_KEY (32 bytes, base64) or API_KEY_ENCRYPTION_KEYS (a comma-separated list of them) is required when NODE_ENV=production',
      );
      return [randomBytes(32)];
    }
    raw = devSecretFile(dataDir, 'encryption-key', () => randomBytes(32).toString('base64'), generated);
  }
  const key = decodeKey(raw);
  if (!key) {
    read.report(`API_KEY_ENCRYPTION_KEY must be ${KEY_FORMAT_HINT}`);
    return [randomBytes(32)];
  }
  return [key];
}

export interface ConfigReading {
  config: Config;
  /** Empty when the configuration is usable. */
  problems: string[];
  /** The variables the loader asked for under this environment. */
  read: Set<VariableName>;
}

/** The configuration and every problem with it, without throwing. */
export function readConfig(rawEnv: Env = process.env): ConfigReading {
  const problems: string[] = [];
  const secrets = readSecretFiles(rawEnv, problems);
  const fileProblems = problems.length;
  const read = new VariableReader(secrets.env, problems);
  const production = read.nodeEnv === 'production';

  const port = read.get('PORT');
  const dataDir = read.get('DATA_DIR');
  const generatedSecretFiles: string[] = [];
  const database = readDatabase(read, dataDir);
  const jwt = readJwt(read, production, dataDir, generatedSecretFiles);
  const encryptionKeys = readEncryptionKeys(read, production, dataDir, generatedSecretFiles);

  const config: Config = {
    env: read.nodeEnv,
    port,
    host: read.get('HOST'),
    dataDir,
    database,
    jwt,
    encryptionKeys,
    generatedSecretFiles,
    sharing: read.get('SHARING'),
    bodyLimitBytes: read.get('BODY_LIMIT_BYTES'),
    introspection: read.get('GRAPHQL_INTROSPECTION'),
    jit: { enabled: read.get('GRAPHQL_JIT'), compileAfter: read.get('GRAPHQL_JIT_COMPILE_AFTER') },
    landingPage: read.get('GRAPHQL_LANDING_PAGE'),
    publicCatalog: read.get('PUBLIC_CATALOG'),
    limits: {
      maxDepth: read.get('GRAPHQL_MAX_DEPTH'),
      maxCost: read.get('GRAPHQL_MAX_COST'),
      maxAliases: read.get('GRAPHQL_MAX_ALIASES'),
      maxDirectives: read.get('GRAPHQL_MAX_DIRECTIVES'),
      maxTokens: read.get('GRAPHQL_MAX_TOKENS'),
      maxDocumentBytes: read.get('GRAPHQL_MAX_DOCUMENT_BYTES'),
    },
    http: {
      corsOrigins: read.get('CORS_ORIGINS'),
      trustProxy: read.get('TRUST_PROXY'),
      rateLimit: {
        max: read.get('RATE_LIMIT_MAX'),
        windowMs: read.get('RATE_LIMIT_WINDOW_MS'),
        redisPrefix: read.get('RATE_LIMIT_REDIS_PREFIX'),
        redisUrl: read.get('RATE_LIMIT_REDIS_URL'),
      },
    },
    shutdownDelayMs: read.get('SHUTDOWN_DELAY_MS'),
    logLevel: read.get('LOG_LEVEL'),
    metrics: { token: read.get('METRICS_TOKEN'), allow: read.get('METRICS_ALLOW') ?? [] },
    outbound: {
      allow: read.get('OUTBOUND_ALLOW') ?? [],
      timeoutMs: read.get('PROVIDER_TIMEOUT_MS'),
      callsPerMinute: read.get('PROVIDER_CALLS_PER_MINUTE'),
    },
  };
  return { config, problems: problems.length > 0 ? attributeToFiles(problems, fileProblems, secrets) : [], read: read.read };
}

/** The configuration of `rawEnv`; every problem at once in a ConfigError. */
export function loadConfig(rawEnv: Env = process.env): Config {
  const { config, problems } = readConfig(rawEnv);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
