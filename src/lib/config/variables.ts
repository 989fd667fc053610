/**
 * Every environment variable the service reads, declared once: its group, default (per
 * environment where it differs), parser (with its bounds), whether it may come from a file
 * (`NAME_FILE`), and what it means. The loader reads variables only through this table (a name
 * missing here does not compile), and `--help` and docs/config.md (`npm run docs:config`) are
 * rendered from it.
 */
import { randomBytes } from 'node:crypto';
import * as p from './parsers';
import type { Parser } from './parsers';
import type { NodeEnv } from './types';

export const GROUPS = [
  'Server',
  'Database',
  'Authentication (one source of keys)',
  'Stored API keys',
  'GraphQL',
  'HTTP',
  'Provider calls',
  'Operations',
] as const;
export type Group = (typeof GROUPS)[number];

/** A default that differs by NODE_ENV; test and production fall back to development's. */
export type PerEnvironment = { development: string } & Partial<Record<Exclude<NodeEnv, 'development'>, string>>;

/**
 * The text of a value, as it would be written in the environment, and parsed like one: a default
 * can never hold a value the variable itself would refuse.
 */
export type Default = string | PerEnvironment;

export interface SecretFile {
  /** Stands in when the file cannot be read, so the variable's own check adds no second problem. */
  placeholder?: () => string;
  /** From the file's form to the variable's own. */
  fromFile?: (content: string) => string;
}

export interface Variable<T = unknown> {
  group: Group;
  parser: Parser<T>;
  /** Unset (and without `default`): the value is undefined, and the loader decides. */
  default?: Default;
  /** The default as the reference states it, where the value alone would not say it. */
  defaultDoc?: string;
  /** Whitespace only counts as unset. */
  trim?: true;
  /** A secret that may be given as the path of a file instead: `NAME_FILE`. */
  secretFile?: SecretFile;
  doc: string;
}

const SECRET_FILE: SecretFile = {};

/** Apollo's hosted explorers and pages served from this machine, any port. */
const DEV_CORS_ORIGINS = [
  'https://studio.apollographql.com',
  'https://sandbox.embed.apollographql.com',
  ...['localhost', '127.0.0.1', '[::1]'].flatMap((host) => [`http://${host}:*`, `https://${host}:*`]),
].join(',');

export const VARIABLES = {
  NODE_ENV: {
    group: 'Server',
    parser: p.nodeEnv,
    default: 'development',
    doc: '`production` turns off introspection, the Sandbox and cross-origin access unless asked, listens on every interface and refuses to start without the keys below; `test` lowers the default log level and turns rate limiting off',
  },
  PORT: { group: 'Server', parser: p.port, default: '4000', doc: 'HTTP port: GraphQL at `/graphql`, REST under `/api`' },
  HOST: {
    group: 'Server',
    parser: p.text,
    // Development runs on secrets it generated itself: other machines have no business reaching it.
    default: { development: '127.0.0.1', production: '0.0.0.0' },
    doc: 'interface to listen on (`0.0.0.0`: every IPv4 interface, `::` every interface)',
  },
  DATA_DIR: {
    group: 'Server',
    parser: p.directory,
    default: './data',
    doc: 'where development secrets (and the default SQLite database) are kept',
  },
  BODY_LIMIT_BYTES: {
    group: 'Server',
    parser: p.intAtLeast(1024),
    default: '1048576',
    doc: 'request body limit on `/graphql` and `/api` (413 above it)',
  },
  SHUTDOWN_DELAY_MS: {
    group: 'Server',
    parser: p.int(0, 120000),
    default: '0',
    doc: 'after SIGTERM/SIGINT, how long `/readyz` answers 503 (so load balancers stop routing) before the listener closes',
  },
  SHARING: {
    group: 'Server',
    parser: p.sharing,
    default: 'admins',
    doc: 'who may share models with every user: `admins`, or `owners` (owners share their own)',
  },
  PUBLIC_CATALOG: {
    group: 'Server',
    parser: p.bool,
    default: 'on',
    doc: 'the `/api/models/public/*` paths (shared, active models, no token); `off`: they answer 404',
  },
  DATABASE_URL: {
    group: 'Database',
    parser: p.databaseUrl,
    defaultDoc: '`file:<DATA_DIR>/models.db`',
    doc: '`file:<path>` selects SQLite; `postgresql://user:password@host:5432/db` (`?schema=name`) selects PostgreSQL',
  },
  DATABASE_POOL_MAX: { group: 'Database', parser: p.int(1, 1000), default: '10', doc: 'PostgreSQL connections per process' },
  DATABASE_CONNECT_TIMEOUT_MS: {
    group: 'Database',
    parser: p.int(100, 600000),
    default: '5000',
    doc: 'PostgreSQL: how long a request waits for a connection before failing with 503',
  },
  DATABASE_IDLE_TIMEOUT_MS: {
    group: 'Database',
    parser: p.int(0, 3600000),
    default: '30000',
    doc: 'PostgreSQL: idle connections are closed after this',
  },
  DATABASE_STATEMENT_TIMEOUT_MS: {
    group: 'Database',
    parser: p.int(0, 3600000),
    default: '10000',
    doc: "PostgreSQL `statement_timeout` of the service's sessions; `0` for none",
  },
  JWT_SECRET: {
    group: 'Authentication (one source of keys)',
    parser: p.text,
    defaultDoc: 'development: generated into `DATA_DIR/jwt-secret`; production: required unless `JWT_PUBLIC_KEY` or `JWT_JWKS_URI`',
    secretFile: SECRET_FILE,
    doc: 'HS256 verification secret, at least 32 bytes in production.',
  },
  JWT_PUBLIC_KEY: {
    group: 'Authentication (one source of keys)',
    parser: p.text,
    defaultDoc: 'unset',
    // Empty: the secret branch then reports "a key is required", which names JWT_PUBLIC_KEY and is dropped.
    secretFile: { placeholder: () => '' },
    doc: 'PEM public key (`\\n` escapes allowed): RSA → RS256 only, EC P-256 → ES256 only.',
  },
  JWT_JWKS_URI: {
    group: 'Authentication (one source of keys)',
    parser: p.jwksUri,
    defaultDoc: 'unset',
    doc: "the identity provider's JWKS endpoint (`https://…/.well-known/jwks.json`): RS256/ES256 keys looked up by the token's `kid`; not together with `JWT_SECRET` or `JWT_PUBLIC_KEY`",
  },
  JWT_ALGORITHMS: {
    group: 'Authentication (one source of keys)',
    parser: p.words,
    trim: true,
    defaultDoc: 'every algorithm the key source allows',
    doc: 'comma-separated allow-list that can only narrow what the key source allows',
  },
  JWT_JWKS_CACHE_MAX_AGE_SEC: {
    group: 'Authentication (one source of keys)',
    parser: p.int(1, 86400),
    default: '600',
    doc: 'the key set is fetched again after this',
  },
  JWT_JWKS_COOLDOWN_SEC: {
    group: 'Authentication (one source of keys)',
    parser: p.int(1, 3600),
    default: '30',
    doc: 'at most one fetch per cooldown for unknown `kid`s, and none for a cooldown after a failed fetch',
  },
  JWT_JWKS_TIMEOUT_MS: {
    group: 'Authentication (one source of keys)',
    parser: p.int(100, 60000),
    default: '5000',
    doc: 'bound on one JWKS fetch',
  },
  JWT_ISSUER: { group: 'Authentication (one source of keys)', parser: p.text, defaultDoc: 'unset', doc: 'required `iss` claim when set' },
  JWT_AUDIENCE: { group: 'Authentication (one source of keys)', parser: p.text, defaultDoc: 'unset', doc: 'required `aud` claim when set' },
  JWT_CLOCK_TOLERANCE_SEC: {
    group: 'Authentication (one source of keys)',
    parser: p.seconds(0, 300),
    default: '5',
    doc: 'leeway for `exp` / `nbf`',
  },
  API_KEY_ENCRYPTION_KEY: {
    group: 'Stored API keys',
    parser: p.text,
    defaultDoc: 'development: generated into `DATA_DIR/encryption-key`; production: this or `API_KEY_ENCRYPTION_KEYS` required',
    secretFile: SECRET_FILE,
    doc: '32 bytes, base64 (`openssl rand -base64 32`): seals stored API keys (AES-256-GCM).',
  },
  API_KEY_ENCRYPTION_KEYS: {
    group: 'Stored API keys',
    parser: p.trimmed,
    trim: true,
    defaultDoc: 'unset',
    secretFile: {
      // One key per line reads naturally in a file; the variable's own form is comma-separated.
      fromFile: (content) =>
        content
          .trim()
          .split(/\s*[\r\n]+\s*/)
          .join(','),
    },
    doc: 'key rotation: comma-separated keys (in a file: one per line also works), the first seals, all open; not together with `API_KEY_ENCRYPTION_KEY`.',
  },
  GRAPHQL_INTROSPECTION: {
    group: 'GraphQL',
    parser: p.bool,
    default: { development: 'on', production: 'off' },
    doc: 'schema introspection',
  },
  GRAPHQL_LANDING_PAGE: {
    group: 'GraphQL',
    parser: p.bool,
    default: { development: 'on', production: 'off' },
    doc: 'Apollo Sandbox at `GET /graphql`',
  },
  GRAPHQL_MAX_DEPTH: { group: 'GraphQL', parser: p.int(1, 100), default: '8', doc: 'deepest selection nesting' },
  GRAPHQL_MAX_COST: {
    group: 'GraphQL',
    parser: p.int(1, 10_000_000),
    // A full page, models(limit: 1000) with every field, costs about 19,000.
    default: '25000',
    doc: 'estimated cost of one operation (each field 1, a list `limit` times its selection)',
  },
  GRAPHQL_MAX_ALIASES: { group: 'GraphQL', parser: p.int(0, 1000), default: '15', doc: 'aliased fields per operation' },
  GRAPHQL_MAX_DIRECTIVES: { group: 'GraphQL', parser: p.int(0, 1000), default: '50', doc: 'directives per operation' },
  GRAPHQL_MAX_TOKENS: {
    group: 'GraphQL',
    parser: p.int(100, 1_000_000),
    // Sandbox's introspection query is about 200 tokens.
    default: '1000',
    doc: 'lexer tokens in the query; parsing stops past it',
  },
  GRAPHQL_JIT: {
    group: 'GraphQL',
    parser: p.bool,
    default: 'on',
    doc: 'compiled execution (graphql-jit) of operations used more than once; `off` runs every operation on graphql-js',
  },
  GRAPHQL_JIT_COMPILE_AFTER: {
    group: 'GraphQL',
    parser: p.int(0, 1_000_000),
    // Compiling costs a few times what validating does: a document used once is not worth it.
    default: '1',
    doc: 'uses of a document that run on graphql-js before it is compiled (`0`: compiled at first use)',
  },
  GRAPHQL_MAX_DOCUMENT_BYTES: {
    group: 'GraphQL',
    parser: p.int(1024, 100 * 1024 * 1024),
    default: '65536',
    doc: 'bytes of the query string',
  },
  CORS_ORIGINS: {
    group: 'HTTP',
    parser: p.corsOrigins,
    trim: true,
    default: { development: DEV_CORS_ORIGINS, production: 'none' },
    defaultDoc: 'development: Apollo Studio/Sandbox and localhost on any port; production: none',
    doc: 'comma-separated origins allowed cross-origin (`https://app.example.com`, `http://localhost:*`, `*`), or `none`',
  },
  TRUST_PROXY: {
    group: 'HTTP',
    parser: p.trustProxy,
    trim: true,
    default: 'off',
    doc: 'the number of proxy hops in front (0 to 10), or their addresses/subnets (`10.0.0.0/8,loopback`), so the client address comes from `X-Forwarded-For`; `true` is refused',
  },
  RATE_LIMIT_MAX: {
    group: 'HTTP',
    parser: p.int(0, 10_000_000),
    // Off under NODE_ENV=test: suites hammer one test server with one caller.
    default: { development: '600', test: '0' },
    doc: 'requests per window per caller (token `sub`, else client address), GraphQL and REST together; `0` turns limiting off',
  },
  RATE_LIMIT_WINDOW_MS: { group: 'HTTP', parser: p.int(1000, 24 * 3600 * 1000), default: '60000', doc: 'the rate-limit window' },
  RATE_LIMIT_REDIS_URL: {
    group: 'HTTP',
    parser: p.redisUrl,
    trim: true,
    defaultDoc: 'unset (counters in memory, per process)',
    doc: '`redis://` or `rediss://`: counters shared by every replica; Redis down means no limit (fail open) and a warning',
  },
  RATE_LIMIT_REDIS_PREFIX: {
    group: 'HTTP',
    parser: p.redisPrefix,
    default: 'model-gateway:rl:',
    doc: 'key prefix in Redis (1 to 100 characters, no spaces)',
  },
  OUTBOUND_ALLOW: {
    group: 'Provider calls',
    parser: p.outboundAllow,
    trim: true,
    defaultDoc: 'unset (in production, public addresses only)',
    doc: 'comma-separated hostnames, addresses or CIDRs (`10.0.0.0/8,ollama.internal`) that provider calls may reach in production besides public addresses (loopback and private ranges are reachable in development and test); link-local/metadata, `0.0.0.0` and multicast are refused whatever this says',
  },
  PROVIDER_TIMEOUT_MS: {
    group: 'Provider calls',
    parser: p.int(100, 600000),
    default: '10000',
    doc: 'bound of one whole provider call: connect, redirects and the response body',
  },
  PROVIDER_CALLS_PER_MINUTE: {
    group: 'Provider calls',
    parser: p.int(0, 100000),
    default: '30',
    doc: 'outbound operations (connection tests, model lists) per caller per minute, per process, then 429 with `Retry-After`; `0` turns the budget off',
  },
  LOG_LEVEL: {
    group: 'Operations',
    parser: p.logLevel,
    trim: true,
    default: { development: 'info', test: 'warn' },
    doc: '`fatal`, `error`, `warn`, `info` (one line per request), `debug` (also health probes and scrapes), `trace` or `silent`. JSON lines on stdout; pretty in development at a terminal',
  },
  METRICS_TOKEN: {
    group: 'Operations',
    parser: p.metricsToken,
    defaultDoc: 'unset (no token needed)',
    secretFile: SECRET_FILE,
    doc: '`GET /metrics` then requires `Authorization: Bearer <token>` (16 to 512 printable characters).',
  },
  METRICS_ALLOW: {
    group: 'Operations',
    parser: p.addressRanges,
    defaultDoc: 'unset (any address)',
    doc: 'comma-separated IP addresses or subnets (`10.0.0.0/8,::1`) that may scrape `GET /metrics`; others get 403',
  },
} satisfies Record<string, Variable<unknown>>;

export type Variables = typeof VARIABLES;
export type VariableName = keyof Variables;

/** In the reference's order (the loader reads them in its own, which is the order of its problems). */
export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];

export function variable(name: VariableName): Variable {
  return VARIABLES[name] as Variable;
}

/** What a variable's value is once read: defaulted ones always have one. */
export type ValueOf<N extends VariableName> = Variables[N] extends { parser: Parser<infer T>; default: Default }
  ? T
  : Variables[N] extends { parser: Parser<infer T> }
    ? T | undefined
    : never;

/** The variables that may be given as files, in table order. */
export const SECRET_FILE_VARIABLES: VariableName[] = VARIABLE_NAMES.filter((name) => variable(name).secretFile);

/** What a failed secret file leaves in its variable: a value that raises no second problem. */
export function secretFilePlaceholder(name: VariableName): string {
  return variable(name).secretFile?.placeholder?.() ?? randomBytes(32).toString('base64');
}

export function defaultFor(name: VariableName, env: NodeEnv): string | undefined {
  const declared = variable(name).default;
  if (declared === undefined || typeof declared === 'string') return declared;
  return declared[env] ?? declared.development;
}
