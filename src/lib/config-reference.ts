/**
 * Every environment variable the service reads: the one table `--help` prints and
 * docs/config.md is generated from (`npm run docs:config`; test/config.test.ts fails when the
 * file no longer matches, or when src/lib/config.ts reads a variable this table lacks).
 */

export interface ConfigVariable {
  name: string;
  default: string;
  meaning: string;
  /** A secret that may be given as a file instead: `<name>_FILE`. */
  file?: true;
}

export interface ConfigGroup {
  title: string;
  variables: ConfigVariable[];
}

export const CONFIG_REFERENCE: ConfigGroup[] = [
  {
    title: 'Server',
    variables: [
      {
        name: 'NODE_ENV',
        default: '`development`',
        meaning:
          '`production` turns off introspection, the Sandbox and cross-origin access unless asked, and refuses to start without the keys below; `test` lowers the default log level and turns rate limiting off',
      },
      { name: 'PORT', default: '`4000`', meaning: 'HTTP port: GraphQL at `/graphql`, REST under `/api`' },
      { name: 'HOST', default: '`0.0.0.0`', meaning: 'interface to listen on' },
      { name: 'DATA_DIR', default: '`./data`', meaning: 'where development secrets (and the default SQLite database) are kept' },
      { name: 'BODY_LIMIT_BYTES', default: '`1048576`', meaning: 'request body limit on `/graphql` and `/api` (413 above it)' },
      {
        name: 'SHUTDOWN_DELAY_MS',
        default: '`0`',
        meaning: 'after SIGTERM/SIGINT, how long `/readyz` answers 503 (so load balancers stop routing) before the listener closes',
      },
      {
        name: 'SHARING',
        default: '`admins`',
        meaning: 'who may share models with every user: `admins`, or `owners` (owners share their own)',
      },
      {
        name: 'PUBLIC_CATALOG',
        default: 'on',
        meaning: 'the `/api/models/public/*` paths (shared, active models, no token); `off`: they answer 404',
      },
    ],
  },
  {
    title: 'Database',
    variables: [
      {
        name: 'DATABASE_URL',
        default: '`file:<DATA_DIR>/models.db`',
        meaning: '`file:<path>` selects SQLite; `postgresql://user:password@host:5432/db` (`?schema=name`) selects PostgreSQL',
      },
      { name: 'DATABASE_POOL_MAX', default: '`10`', meaning: 'PostgreSQL connections per process' },
      {
        name: 'DATABASE_CONNECT_TIMEOUT_MS',
        default: '`5000`',
        meaning: 'PostgreSQL: how long a request waits for a connection before failing with 503',
      },
      { name: 'DATABASE_IDLE_TIMEOUT_MS', default: '`30000`', meaning: 'PostgreSQL: idle connections are closed after this' },
      {
        name: 'DATABASE_STATEMENT_TIMEOUT_MS',
        default: '`10000`',
        meaning: "PostgreSQL `statement_timeout` of the service's sessions; `0` for none",
      },
    ],
  },
  {
    title: 'Authentication (one source of keys)',
    variables: [
      {
        name: 'JWT_SECRET',
        default: 'development: generated into `DATA_DIR/jwt-secret`; production: required unless `JWT_PUBLIC_KEY` or `JWT_JWKS_URI`',
        meaning: `HS256 verification secret, at least 32 bytes in production.`,
        file: true,
      },
      {
        name: 'JWT_PUBLIC_KEY',
        default: 'unset',
        meaning: `PEM public key (\`\\n\` escapes allowed): RSA → RS256 only, EC P-256 → ES256 only.`,
        file: true,
      },
      {
        name: 'JWT_JWKS_URI',
        default: 'unset',
        meaning:
          "the identity provider's JWKS endpoint (`https://…/.well-known/jwks.json`): RS256/ES256 keys looked up by the token's `kid`; not together with `JWT_SECRET` or `JWT_PUBLIC_KEY`",
      },
      {
        name: 'JWT_ALGORITHMS',
        default: 'every algorithm the key source allows',
        meaning: 'comma-separated allow-list that can only narrow what the key source allows',
      },
      { name: 'JWT_JWKS_CACHE_MAX_AGE_SEC', default: '`600`', meaning: 'the key set is fetched again after this' },
      {
        name: 'JWT_JWKS_COOLDOWN_SEC',
        default: '`30`',
        meaning: 'at most one fetch per cooldown for unknown `kid`s, and none for a cooldown after a failed fetch',
      },
      { name: 'JWT_JWKS_TIMEOUT_MS', default: '`5000`', meaning: 'bound on one JWKS fetch' },
      { name: 'JWT_ISSUER', default: 'unset', meaning: 'required `iss` claim when set' },
      { name: 'JWT_AUDIENCE', default: 'unset', meaning: 'required `aud` claim when set' },
      { name: 'JWT_CLOCK_TOLERANCE_SEC', default: '5', meaning: 'leeway for `exp` / `nbf`, 0 to 300' },
    ],
  },
  {
    title: 'Stored API keys',
    variables: [
      {
        name: 'API_KEY_ENCRYPTION_KEY',
        default: 'development: generated into `DATA_DIR/encryption-key`; production: this or `API_KEY_ENCRYPTION_KEYS` required',
        meaning: `32 bytes, base64 (\`openssl rand -base64 32\`): seals stored API keys (AES-256-GCM).`,
        file: true,
      },
      {
        name: 'API_KEY_ENCRYPTION_KEYS',
        default: 'unset',
        meaning: `key rotation: comma-separated keys (in a file: one per line also works), the first seals, all open; not together with \`API_KEY_ENCRYPTION_KEY\`.`,
        file: true,
      },
    ],
  },
  {
    title: 'GraphQL',
    variables: [
      { name: 'GRAPHQL_INTROSPECTION', default: 'on; off in production', meaning: 'schema introspection' },
      { name: 'GRAPHQL_LANDING_PAGE', default: 'on; off in production', meaning: 'Apollo Sandbox at `GET /graphql`' },
      { name: 'GRAPHQL_MAX_DEPTH', default: '`8`', meaning: 'deepest selection nesting' },
      {
        name: 'GRAPHQL_MAX_COST',
        default: '`25000`',
        meaning: 'estimated cost of one operation (each field 1, a list `limit` times its selection)',
      },
      { name: 'GRAPHQL_MAX_ALIASES', default: '`15`', meaning: 'aliased fields per operation' },
      { name: 'GRAPHQL_MAX_DIRECTIVES', default: '`50`', meaning: 'directives per operation' },
      { name: 'GRAPHQL_MAX_TOKENS', default: '`1000`', meaning: 'lexer tokens in the query; parsing stops past it' },
      { name: 'GRAPHQL_MAX_DOCUMENT_BYTES', default: '`65536`', meaning: 'bytes of the query string' },
    ],
  },
  {
    title: 'HTTP',
    variables: [
      {
        name: 'CORS_ORIGINS',
        default: 'development: Apollo Studio/Sandbox and localhost on any port; production: none',
        meaning: 'comma-separated origins allowed cross-origin (`https://app.example.com`, `http://localhost:*`, `*`), or `none`',
      },
      {
        name: 'TRUST_PROXY',
        default: '`off`',
        meaning:
          'the number of proxy hops in front, or their addresses/subnets (`10.0.0.0/8,loopback`), so the client address comes from `X-Forwarded-For`; `true` is refused',
      },
      {
        name: 'RATE_LIMIT_MAX',
        default: '`600`; `0` (off) when `NODE_ENV=test`',
        meaning: 'requests per window per caller (token `sub`, else client address), GraphQL and REST together; `0` turns limiting off',
      },
      { name: 'RATE_LIMIT_WINDOW_MS', default: '`60000`', meaning: 'the rate-limit window' },
      {
        name: 'RATE_LIMIT_REDIS_URL',
        default: 'unset (counters in memory, per process)',
        meaning: '`redis://` or `rediss://`: counters shared by every replica; Redis down means no limit (fail open) and a warning',
      },
      { name: 'RATE_LIMIT_REDIS_PREFIX', default: '`model-gateway:rl:`', meaning: 'key prefix in Redis' },
    ],
  },
  {
    title: 'Operations',
    variables: [
      {
        name: 'LOG_LEVEL',
        default: '`info`; `warn` when `NODE_ENV=test`',
        meaning:
          '`fatal`, `error`, `warn`, `info` (one line per request), `debug` (also health probes and scrapes), `trace` or `silent`. JSON lines on stdout; pretty in development at a terminal',
      },
      {
        name: 'METRICS_TOKEN',
        default: 'unset (no token needed)',
        meaning: `\`GET /metrics\` then requires \`Authorization: Bearer <token>\` (16 to 512 printable characters).`,
        file: true,
      },
      {
        name: 'METRICS_ALLOW',
        default: 'unset (any address)',
        meaning: 'comma-separated IP addresses or subnets (`10.0.0.0/8,::1`) that may scrape `GET /metrics`; others get 403',
      },
    ],
  },
];

export const ALL_VARIABLES: ConfigVariable[] = CONFIG_REFERENCE.flatMap((group) => group.variables);

/** What the reader sees: the meaning, and the file form where there is one. */
function meaningOf(variable: ConfigVariable): string {
  return variable.file ? `${variable.meaning} Or \`${variable.name}_FILE\`: the path of a file holding it.` : variable.meaning;
}

const FILE_VARIABLES = ALL_VARIABLES.filter((variable) => variable.file).map((variable) => variable.name);

const SECRET_FILES_TEXT = `Secrets as files: ${FILE_VARIABLES.join(', ')} can be read from a file instead, the way Docker and Kubernetes mount secrets: \`JWT_SECRET_FILE=/run/secrets/jwt_secret\`. A trailing newline is ignored. Setting both NAME and NAME_FILE is an error, and so is a file that cannot be read (the message names the file and the error code, never its content).`;

const ERRORS_TEXT =
  'Every variable is checked at start: each problem is reported on its own `config error: ...` line on stderr and the process exits with code 1 before touching the database. A port already in use (or a HOST that is not an address of the machine) is reported in one line as well, `model-gateway failed to start: port 4000 is already in use (set PORT)`, exit code 1.';

/** Markdown wants `|` escaped inside table cells. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderMarkdown(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/lib/config-reference.ts by `npm run docs:config`; edit the table there. -->',
    '',
    'model-gateway is configured with environment variables only. `npm start -- --help` (or `node dist/main.js --help`) prints this list.',
    '',
    ERRORS_TEXT,
    '',
  ];
  for (const group of CONFIG_REFERENCE) {
    lines.push(`## ${group.title}`, '', '| variable | default | meaning |', '|---|---|---|');
    for (const variable of group.variables) {
      lines.push(`| \`${variable.name}\` | ${cell(variable.default)} | ${cell(meaningOf(variable))} |`);
    }
    lines.push('');
  }
  lines.push('## Secrets as files', '', SECRET_FILES_TEXT.replace(/^Secrets as files: /, ''), '');
  return lines.join('\n');
}

/** Plain text for a terminal: backticks dropped, meanings wrapped under each name. */
function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(indent + line);
  return out;
}

export function renderHelp(): string {
  const plain = (text: string) => text.replace(/`/g, '');
  const lines = [
    'model-gateway: the GraphQL gateway and REST API of the model registry.',
    '',
    'Usage: npm start [-- --help]    or    node dist/main.js [--help]',
    '',
    'Configuration comes from environment variables (default in brackets):',
  ];
  for (const group of CONFIG_REFERENCE) {
    lines.push('', `${group.title}:`);
    for (const variable of group.variables) {
      lines.push(`  ${variable.name}  [${plain(variable.default)}]`, ...wrap(plain(meaningOf(variable)), 88, '      '));
    }
  }
  lines.push('', ...wrap(plain(SECRET_FILES_TEXT), 92, ''), '', ...wrap(plain(ERRORS_TEXT), 92, ''), '');
  return lines.join('\n');
}

// `node dist/lib/config-reference.js > docs/config.md` (npm run docs:config).
if (require.main === module) process.stdout.write(renderMarkdown());
