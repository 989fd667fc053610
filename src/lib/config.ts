import { createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

export { PROJECT_ROOT } from './paths';

export type DbProvider = 'sqlite' | 'postgresql';
export type SharingPolicy = 'admins' | 'owners';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

/** Remote keys (JWT_JWKS_URI): what is cached, for how long, and how often the IdP may be asked. */
export interface JwksSettings {
  uri: URL;
  /** Keys older than this are fetched again before use. */
  cacheMaxAgeMs: number;
  /** Minimum time between fetches triggered by unknown `kid`s, and after a failed fetch. */
  cooldownMs: number;
  /** Bound on one fetch, connect to last byte. */
  timeoutMs: number;
}

/** Exactly one source of keys: a shared secret, a public key, or the IdP's JWKS endpoint. */
export type JwtConfig = {
  /** The allow-list, checked against the token header before any key is looked up. */
  algorithms: JwtAlgorithm[];
  issuer?: string;
  audience?: string;
  clockToleranceSec: number;
} & (
  | { source: 'secret'; /** HS256; also what `npm run token` signs with. */ key: KeyObject }
  | { source: 'public-key'; key: KeyObject }
  | { source: 'jwks'; jwks: JwksSettings }
);

export interface DatabaseConfig {
  provider: DbProvider;
  url: string;
  sqlitePath?: string;
  /** PostgreSQL connection pool, per gateway process. */
  pool: { max: number; connectTimeoutMs: number; idleTimeoutMs: number; statementTimeoutMs: number };
}

/** Bounds on one GraphQL operation, checked before anything runs. */
export interface GraphQLLimitsConfig {
  maxDepth: number;
  /** Estimated cost: 1 per field; a list field costs its `limit` times its selection. */
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
  /** Lexer tokens; parsing stops at the first token over this. */
  maxTokens: number;
  /** Bytes of the query string. */
  maxDocumentBytes: number;
}

export interface RateLimitConfig {
  /** Requests per window per caller (`sub` when signed in, else client IP); 0 turns limiting off. */
  max: number;
  windowMs: number;
  /** Set: counters live in Redis, shared by every replica. */
  redisUrl?: string;
  redisPrefix: string;
}

export interface HttpConfig {
  /**
   * Origins allowed cross-origin: exact origins (`https://app.example.com`), any port of a host
   * (`http://localhost:*`), or `*`. Empty: no cross-origin access.
   */
  corsOrigins: string[];
  /** Express `trust proxy`: false, a hop count, or trusted proxy addresses/subnets. */
  trustProxy: false | number | string[];
  rateLimit: RateLimitConfig;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  jwt: JwtConfig;
  /**
   * 32-byte AES-256-GCM keys for api_key at rest: the first seals new values, all of them open
   * (older keys stay until `npm run rotate-keys` has re-sealed everything with the first).
   */
  encryptionKeys: Buffer[];
  sharing: SharingPolicy;
  bodyLimitBytes: number;
  introspection: boolean;
  landingPage: boolean;
  limits: GraphQLLimitsConfig;
  http: HttpConfig;
  logLevel: LogLevel;
  metrics: MetricsConfig;
  /** After SIGTERM, how long /readyz answers 503 before the listener closes (load balancers notice). */
  shutdownDelayMs: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One METRICS_ALLOW entry: an address (prefix 32 / 128) or a subnet. */
export interface AddressRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Who may scrape GET /metrics; neither set: anyone who can reach the port. */
export interface MetricsConfig {
  /** Set: `Authorization: Bearer <token>` is required. */
  token?: string;
  /** Non-empty: only these client addresses (as Express sees them, so TRUST_PROXY applies). */
  allow: AddressRange[];
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
      // Never echo it: it may hold a password.
      problems.push('DATABASE_URL is not a valid postgresql:// URL (are special characters in the password percent-encoded?)');
    }
    return { provider: 'postgresql', url: raw, pool };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]{0,19}):/.exec(raw)?.[1];
  const choices = 'use file:<path> for SQLite (e.g. file:./data/models.db) or postgresql://user:password@host:5432/database';
  problems.push(
    scheme
      ? `DATABASE_URL: unsupported scheme "${scheme}:"; ${choices}`
      : `DATABASE_URL has no scheme (like file: or postgresql://); ${choices}`,
  );
  return { provider: 'sqlite', url: 'file:./data/models.db', pool };
}

/**
 * Problems found after the files were read: those about a variable whose file failed are echoes of
 * that failure (already reported) and are dropped; those about a value read from a file say so.
 */
function attributeToFiles(problems: string[], firstLater: number, fromFile: Map<string, string>, failed: Set<string>): string[] {
  const mentions = (problem: string, name: string) => new RegExp(`\\b${name}\\b`).test(problem);
  return problems.flatMap((problem, index) => {
    if (index < firstLater) return [problem];
    if ([...failed].some((name) => mentions(problem, name))) return [];
    for (const [name, fileVariable] of fromFile) {
      if (mentions(problem, name)) return [problem.replace(new RegExp(`\\b${name}\\b`), `${name} (from ${fileVariable})`)];
    }
    return [problem];
  });
}

const SUPPORTED_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'RS256', 'ES256'];

/**
 * JWT_ALGORITHMS narrows the algorithms the key source allows; it can never widen them, so `none`
 * and HS256 next to a public key (key confusion) cannot be configured in.
 */
function parseAlgorithms(env: Env, allowed: JwtAlgorithm[], source: string, problems: string[]): JwtAlgorithm[] {
  const raw = env.JWT_ALGORITHMS?.trim();
  if (!raw) return allowed;
  const chosen: JwtAlgorithm[] = [];
  for (const name of raw.split(/[\s,]+/).filter(Boolean)) {
    const alg = SUPPORTED_ALGORITHMS.find((candidate) => candidate === name);
    if (!alg) {
      problems.push(
        `JWT_ALGORITHMS: ${JSON.stringify(name.slice(0, 32))} is not supported (supported: ${SUPPORTED_ALGORITHMS.join(', ')})`,
      );
    } else if (!allowed.includes(alg)) {
      problems.push(`JWT_ALGORITHMS: ${alg} cannot be used with ${source} (allowed: ${allowed.join(', ')})`);
    } else if (!chosen.includes(alg)) {
      chosen.push(alg);
    }
  }
  return chosen.length > 0 ? chosen : allowed;
}

function parseJwksUri(raw: string, problems: string[]): URL {
  const fallback = new URL('https://jwks.invalid/');
  let uri: URL;
  try {
    uri = new URL(raw);
  } catch {
    problems.push('JWT_JWKS_URI must be an absolute http(s) URL, e.g. https://idp.example.com/.well-known/jwks.json');
    return fallback;
  }
  if (uri.protocol !== 'https:' && uri.protocol !== 'http:') {
    problems.push('JWT_JWKS_URI must be an http(s) URL');
    return fallback;
  }
  // fetch() refuses such URLs at the first token; better to say so at start-up.
  if (uri.username || uri.password) {
    problems.push('JWT_JWKS_URI must not contain credentials (user:password@)');
    return fallback;
  }
  return uri;
}

function parseJwt(env: Env, production: boolean, dataDir: string, problems: string[]): JwtConfig {
  const clockToleranceSec = Number(env.JWT_CLOCK_TOLERANCE_SEC || 5);
  if (!Number.isFinite(clockToleranceSec) || clockToleranceSec < 0 || clockToleranceSec > 300) {
    problems.push('JWT_CLOCK_TOLERANCE_SEC must be a number of seconds between 0 and 300');
  }
  const common = {
    issuer: env.JWT_ISSUER || undefined,
    audience: env.JWT_AUDIENCE || undefined,
    clockToleranceSec: Number.isFinite(clockToleranceSec) ? clockToleranceSec : 5,
  };
  if (env.JWT_JWKS_URI) {
    // Two sources of keys would make it unclear which tokens are trusted, and a stale secret
    // left beside the IdP would quietly keep minting valid tokens.
    for (const other of ['JWT_SECRET', 'JWT_PUBLIC_KEY']) {
      if (env[other]) problems.push(`JWT_JWKS_URI and ${other} are both set: configure one source of keys`);
    }
    const jwks: JwksSettings = {
      uri: parseJwksUri(env.JWT_JWKS_URI, problems),
      cacheMaxAgeMs: readInt(env, 'JWT_JWKS_CACHE_MAX_AGE_SEC', 600, 1, 86400, problems) * 1000,
      cooldownMs: readInt(env, 'JWT_JWKS_COOLDOWN_SEC', 30, 1, 3600, problems) * 1000,
      timeoutMs: readInt(env, 'JWT_JWKS_TIMEOUT_MS', 5000, 100, 60000, problems),
    };
    const algorithms = parseAlgorithms(env, ['RS256', 'ES256'], 'JWT_JWKS_URI', problems);
    return { ...common, source: 'jwks', jwks, algorithms };
  }
  if (env.JWT_PUBLIC_KEY) {
    try {
      const key = createPublicKey(env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n'));
      const type = key.asymmetricKeyType;
      if (type === 'rsa') {
        return { ...common, source: 'public-key', key, algorithms: parseAlgorithms(env, ['RS256'], 'an RSA JWT_PUBLIC_KEY', problems) };
      }
      if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
        return {
          ...common,
          source: 'public-key',
          key,
          algorithms: parseAlgorithms(env, ['ES256'], 'an EC P-256 JWT_PUBLIC_KEY', problems),
        };
      }
      const what = type === 'ec' ? `EC ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown curve'}` : (type ?? 'unknown');
      problems.push(`JWT_PUBLIC_KEY must be an RSA or EC P-256 public key, got ${what}`);
    } catch {
      problems.push('JWT_PUBLIC_KEY is not a readable PEM public key');
    }
    return { ...common, source: 'public-key', key: createSecretKey(randomBytes(32)), algorithms: ['RS256'] };
  }
  let secret = env.JWT_SECRET;
  if (!secret) {
    if (production) {
      problems.push('JWT_SECRET (at least 32 bytes), JWT_PUBLIC_KEY or JWT_JWKS_URI is required when NODE_ENV=production');
      secret = randomBytes(32).toString('base64url');
    } else {
      secret = devSecretFile(dataDir, 'jwt-secret', () => randomBytes(48).toString('base64url'));
    }
  } else if (production && Buffer.byteLength(secret) < 32) {
    problems.push('JWT_SECRET must be at least 32 bytes long when NODE_ENV=production');
  }
  // A KeyObject, not a string: jsonwebtoken re-imports string secrets on every verify.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return { ...common, source: 'secret', key, algorithms: parseAlgorithms(env, ['HS256'], 'JWT_SECRET', problems) };
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
function parseEncryptionKeys(env: Env, production: boolean, dataDir: string, problems: string[]): Buffer[] {
  const list = env.API_KEY_ENCRYPTION_KEYS?.trim() || undefined;
  const single = env.API_KEY_ENCRYPTION_KEY || undefined;
  if (list !== undefined && single !== undefined) {
    problems.push('set API_KEY_ENCRYPTION_KEYS (current key first, then older ones) or API_KEY_ENCRYPTION_KEY (one key), not both');
    return [randomBytes(32)];
  }
  if (list !== undefined) {
    const entries = list.split(',').map((entry) => entry.trim());
    const keys: Buffer[] = [];
    const seen = new Map<string, number>();
    for (const [index, entry] of entries.entries()) {
      const position = `API_KEY_ENCRYPTION_KEYS entry ${index + 1} of ${entries.length}${index === 0 ? ' (the current key)' : ''}`;
      if (entry === '') {
        problems.push(`${position} is empty; the list is comma-separated base64 keys, the current key first`);
        continue;
      }
      const key = decodeKey(entry);
      if (!key) {
        problems.push(`${position} must be ${KEY_FORMAT_HINT}`);
        continue;
      }
      const earlier = seen.get(key.toString('hex'));
      if (earlier !== undefined) {
        problems.push(`${position} is the same key as entry ${earlier}; list each key once`);
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
      problems.push(
        'API_KEY_ENCRYPTION_KEY (32 bytes, base64) or API_KEY_ENCRYPTION_KEYS (a comma-separated list of them) is required when NODE_ENV=production',
      );
      return [randomBytes(32)];
    }
    raw = devSecretFile(dataDir, 'encryption-key', () => randomBytes(32).toString('base64'));
  }
  const key = decodeKey(raw);
  if (!key) {
    problems.push(`API_KEY_ENCRYPTION_KEY must be ${KEY_FORMAT_HINT}`);
    return [randomBytes(32)];
  }
  return [key];
}

function parseGraphQLLimits(env: Env, problems: string[]): GraphQLLimitsConfig {
  return {
    maxDepth: readInt(env, 'GRAPHQL_MAX_DEPTH', 8, 1, 100, problems),
    // A full page, models(limit: 1000) with every field, costs about 19,000.
    maxCost: readInt(env, 'GRAPHQL_MAX_COST', 25000, 1, 10_000_000, problems),
    maxAliases: readInt(env, 'GRAPHQL_MAX_ALIASES', 15, 0, 1000, problems),
    maxDirectives: readInt(env, 'GRAPHQL_MAX_DIRECTIVES', 50, 0, 1000, problems),
    // Sandbox's introspection query is about 200 tokens.
    maxTokens: readInt(env, 'GRAPHQL_MAX_TOKENS', 1000, 100, 1_000_000, problems),
    maxDocumentBytes: readInt(env, 'GRAPHQL_MAX_DOCUMENT_BYTES', 64 * 1024, 1024, 100 * 1024 * 1024, problems),
  };
}

/** Apollo's hosted explorers and pages served from this machine, any port. */
const DEV_CORS_ORIGINS = [
  'https://studio.apollographql.com',
  'https://sandbox.embed.apollographql.com',
  ...['localhost', '127.0.0.1', '[::1]'].flatMap((host) => [`http://${host}:*`, `https://${host}:*`]),
];

const CORS_ORIGIN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:(\d{1,5}|\*))?$/;

function parseCorsOrigins(env: Env, production: boolean, problems: string[]): string[] {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw) return production ? [] : DEV_CORS_ORIGINS;
  if (raw.toLowerCase() === 'none') return [];
  const origins: string[] = [];
  for (const entry of raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const origin = entry.toLowerCase();
    if (origin !== '*' && !CORS_ORIGIN.test(origin)) {
      // A browser's Origin never has a path or a trailing slash: such an entry would never match.
      problems.push(`CORS_ORIGINS: ${JSON.stringify(entry.slice(0, 100))} is not an origin (scheme://host[:port], scheme://host:* or *)`);
      continue;
    }
    if (!origins.includes(origin)) origins.push(origin);
  }
  return origins;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(env: Env, problems: string[]): false | number | string[] {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^\d+$/.test(raw)) return readInt(env, 'TRUST_PROXY', 0, 0, 10, problems) || false;
  if (/^(true|yes|on)$/i.test(raw)) {
    // Trusting every hop lets any client pick its own address, and so its own rate-limit bucket.
    problems.push('TRUST_PROXY=true would trust X-Forwarded-For from anyone: give the number of proxies or their addresses');
    return false;
  }
  const entries = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const valid =
      PROXY_NAMES.has(entry) || (isIP(address ?? '') !== 0 && rest.length === 0 && (bits === undefined || /^\d{1,3}$/.test(bits)));
    if (!valid)
      problems.push(`TRUST_PROXY: ${JSON.stringify(entry.slice(0, 100))} is not an address, subnet or loopback/linklocal/uniquelocal`);
  }
  return entries;
}

function parseRateLimit(env: Env, nodeEnv: Config['env'], problems: string[]): RateLimitConfig {
  // Off by default under NODE_ENV=test: suites hammer one test server with one caller.
  const max = readInt(env, 'RATE_LIMIT_MAX', nodeEnv === 'test' ? 0 : 600, 0, 10_000_000, problems);
  const windowMs = readInt(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 24 * 3600 * 1000, problems);
  const redisPrefix = env.RATE_LIMIT_REDIS_PREFIX || 'model-gateway:rl:';
  if (!/^\S{1,100}$/.test(redisPrefix)) problems.push('RATE_LIMIT_REDIS_PREFIX must be 1 to 100 characters without spaces');
  const redisUrl = env.RATE_LIMIT_REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined) {
    let ok = false;
    try {
      ok = ['redis:', 'rediss:'].includes(new URL(redisUrl).protocol);
    } catch {
      ok = false;
    }
    // Never echo the URL: it may carry a password.
    if (!ok) problems.push('RATE_LIMIT_REDIS_URL must be a redis:// or rediss:// URL');
  }
  return { max, windowMs, redisUrl, redisPrefix };
}

/**
 * Secrets that may be given as files instead (`JWT_SECRET_FILE=/run/secrets/jwt`), the way Docker
 * and Kubernetes mount them, so they stay out of the environment (and out of `ps e`, crash dumps).
 */
export const SECRET_FILE_VARIABLES = ['JWT_SECRET', 'JWT_PUBLIC_KEY', 'API_KEY_ENCRYPTION_KEY', 'API_KEY_ENCRYPTION_KEYS', 'METRICS_TOKEN'];

/** A secret file larger than this is the wrong file (a key is well under 10 KiB). */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
};

/** What a variable's failed or missing file must not cause as well: a second, misleading problem. */
function placeholderFor(name: string): string {
  return name === 'JWT_PUBLIC_KEY' ? '' : randomBytes(32).toString('base64');
}

/**
 * Reads each `NAME_FILE` into NAME. Problems name the variable, the path and the error code, never
 * a byte of the content. Returns the variables read from files and those whose file failed.
 */
function readSecretFiles(env: Env, problems: string[]): { env: Env; fromFile: Map<string, string>; failed: Set<string> } {
  const merged: Env = { ...env };
  const fromFile = new Map<string, string>();
  const failed = new Set<string>();
  for (const name of SECRET_FILE_VARIABLES) {
    const fileVariable = `${name}_FILE`;
    const file = env[fileVariable];
    if (!file) continue;
    if (env[name]) {
      problems.push(`${name} and ${fileVariable} are both set: set one of them`);
      failed.add(name);
      continue;
    }
    const shown = JSON.stringify(file.slice(0, 200));
    let content: string | undefined;
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const stat = fs.fstatSync(fd);
        if (!stat.isFile()) problems.push(`${fileVariable}: ${shown} is not a regular file`);
        else if (stat.size > MAX_SECRET_FILE_BYTES) problems.push(`${fileVariable}: ${shown} is larger than 64 KiB, not a key file`);
        else content = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      const reason = FILE_ERRORS[code];
      problems.push(`${fileVariable}: cannot read ${shown} (${code}${reason ? `, ${reason}` : ''})`);
    }
    // Mounted secrets usually end with a newline the secret itself does not have.
    let value = content?.replace(/[\r\n]+$/, '');
    if (value !== undefined && value.trim() === '') {
      problems.push(`${fileVariable}: ${shown} is empty`);
      value = undefined;
    }
    if (value === undefined) {
      failed.add(name);
      merged[name] = placeholderFor(name);
      continue;
    }
    // One key per line reads naturally in a file; the variable's own form is comma-separated.
    merged[name] =
      name === 'API_KEY_ENCRYPTION_KEYS'
        ? value
            .trim()
            .split(/\s*[\r\n]+\s*/)
            .join(',')
        : value;
    fromFile.set(name, fileVariable);
  }
  return { env: merged, fromFile, failed };
}

function parseLogLevel(env: Env, nodeEnv: Config['env'], problems: string[]): LogLevel {
  const fallback: LogLevel = nodeEnv === 'test' ? 'warn' : 'info';
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return fallback;
  const level = LOG_LEVELS.find((candidate) => candidate === raw);
  if (!level) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL!.slice(0, 32))}`);
  return level ?? fallback;
}

function parseMetrics(env: Env, problems: string[]): MetricsConfig {
  const token = env.METRICS_TOKEN || undefined;
  // Never echo the token, even a refused one.
  if (token !== undefined && !/^[\x21-\x7e]{16,512}$/.test(token)) {
    problems.push('METRICS_TOKEN must be 16 to 512 printable characters without spaces (e.g. `openssl rand -hex 24`)');
  }
  const allow: AddressRange[] = [];
  for (const entry of (env.METRICS_ALLOW ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [address = '', bits, ...rest] = entry.split('/');
    const version = isIP(address);
    const max = version === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (version === 0 || rest.length > 0 || !(prefix >= 0 && prefix <= max)) {
      problems.push(`METRICS_ALLOW: ${JSON.stringify(entry.slice(0, 100))} is not an IP address or subnet (10.0.0.0/8, ::1)`);
      continue;
    }
    allow.push({ address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' });
  }
  return { token, allow };
}

export function loadConfig(rawEnv: Env = process.env): Config {
  const problems: string[] = [];
  const secrets = readSecretFiles(rawEnv, problems);
  const env = secrets.env;
  const fileProblems = problems.length;
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const production = nodeEnv === 'production';

  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`PORT must be an integer 0..65535, got "${env.PORT}"`);

  const dataDir = path.resolve(env.DATA_DIR ?? 'data');
  const database = parseDatabase(env, env.DATABASE_URL || `file:${path.join(dataDir, 'models.db')}`, problems);
  const jwt = parseJwt(env, production, dataDir, problems);
  const encryptionKeys = parseEncryptionKeys(env, production, dataDir, problems);

  const sharing = (env.SHARING ?? 'admins') as SharingPolicy;
  if (sharing !== 'admins' && sharing !== 'owners') problems.push(`SHARING must be "admins" or "owners", got "${env.SHARING}"`);

  const bodyLimitBytes = Number(env.BODY_LIMIT_BYTES ?? 1024 * 1024);
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1024) problems.push('BODY_LIMIT_BYTES must be an integer >= 1024');

  const introspection = readBool(env, 'GRAPHQL_INTROSPECTION', !production, problems);
  const landingPage = readBool(env, 'GRAPHQL_LANDING_PAGE', !production, problems);
  const limits = parseGraphQLLimits(env, problems);
  const http: HttpConfig = {
    corsOrigins: parseCorsOrigins(env, production, problems),
    trustProxy: parseTrustProxy(env, problems),
    rateLimit: parseRateLimit(env, nodeEnv, problems),
  };

  const shutdownDelayMs = readInt(env, 'SHUTDOWN_DELAY_MS', 0, 0, 120000, problems);
  const logLevel = parseLogLevel(env, nodeEnv, problems);
  const metrics = parseMetrics(env, problems);

  if (problems.length > 0) throw new ConfigError(attributeToFiles(problems, fileProblems, secrets.fromFile, secrets.failed));
  return {
    env: nodeEnv,
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir,
    database,
    jwt,
    encryptionKeys,
    sharing,
    bodyLimitBytes,
    introspection,
    landingPage,
    limits,
    http,
    logLevel,
    metrics,
    shutdownDelayMs,
  };
}
