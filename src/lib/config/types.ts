import type { KeyObject } from 'node:crypto';

export type NodeEnv = 'development' | 'production' | 'test';
export type DbProvider = 'sqlite' | 'postgresql';
export type SharingPolicy = 'admins' | 'owners';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';
export const SUPPORTED_ALGORITHMS: readonly JwtAlgorithm[] = ['HS256', 'RS256', 'ES256'];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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

/** Where DATABASE_URL points: the provider, the URL the driver gets, and SQLite's file. */
export interface DatabaseLocation {
  provider: DbProvider;
  url: string;
  sqlitePath?: string;
}

export interface DatabaseConfig extends DatabaseLocation {
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

/** Calls to providers on a user's behalf (src/outbound): where they may go, how long, how many. */
export interface OutboundConfig {
  /** OUTBOUND_ALLOW: hostnames, addresses or CIDRs reachable in production besides public addresses. */
  allow: string[];
  /** PROVIDER_TIMEOUT_MS: one whole call, redirects and body included. */
  timeoutMs: number;
  /** PROVIDER_CALLS_PER_MINUTE: per caller, per process; 0 turns the budget off. */
  callsPerMinute: number;
}

export interface Config {
  env: NodeEnv;
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
  /**
   * Files of secrets this process generated for development (or found from an earlier start)
   * because none was configured: the banner names them, so nobody mistakes them for real keys.
   */
  generatedSecretFiles?: string[];
  sharing: SharingPolicy;
  bodyLimitBytes: number;
  introspection: boolean;
  /** Compiled execution (graphql-jit): on or off, and after how many uses of a document. */
  jit: { enabled: boolean; compileAfter: number };
  landingPage: boolean;
  /** PUBLIC_CATALOG: false answers the `/api/models/public/*` paths 404. */
  publicCatalog: boolean;
  limits: GraphQLLimitsConfig;
  http: HttpConfig;
  logLevel: LogLevel;
  metrics: MetricsConfig;
  outbound: OutboundConfig;
  /** After SIGTERM, how long /readyz answers 503 before the listener closes (load balancers notice). */
  shutdownDelayMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}
