import { parse as parseConnectionString } from 'pg-connection-string';
import type { Config, DatabaseConfig } from './config';

/** Provider and where: host, port, database (and schema), or the SQLite file. Never a user or password. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.provider === 'sqlite') return `SQLite ${database.sqlitePath}`;
  let host = 'localhost';
  let port = '5432';
  let name = '';
  let schema: string | null = null;
  try {
    const parsed = parseConnectionString(database.url);
    host = parsed.host || host;
    port = parsed.port || port;
    name = parsed.database ?? '';
    schema = new URL(database.url).searchParams.get('schema');
  } catch {
    // config.ts has refused unparsable URLs already; say nothing rather than echo the URL.
  }
  const where = host.startsWith('/') ? `socket ${host}/${name}` : `${host.includes(':') ? `[${host}]` : host}:${port}/${name}`;
  return `PostgreSQL ${where}${schema ? ` (schema ${schema})` : ''}`;
}

/** What a browser on this machine should open: a wildcard address means localhost. */
export function baseUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

export interface BannerUrls {
  graphql: string;
  rest: string;
  restDocs: string;
  healthz: string;
  readyz: string;
  metrics: string;
}

export function urlsOf(base: string): BannerUrls {
  return {
    graphql: `${base}/graphql`,
    rest: `${base}/api/models`,
    restDocs: `${base}/docs`,
    healthz: `${base}/healthz`,
    readyz: `${base}/readyz`,
    metrics: `${base}/metrics`,
  };
}

/** The lines a person starting the service reads first (stderr; stdout stays JSON log lines). */
export function renderBanner(config: Config, port: number, version: string): string {
  const urls = urlsOf(baseUrl(config.host, port));
  const guard = [config.metrics.token ? 'bearer token required' : '', config.metrics.allow.length > 0 ? 'METRICS_ALLOW only' : '']
    .filter(Boolean)
    .join(', ');
  const rows: [string, string][] = [
    ['GraphQL', `${urls.graphql}${config.landingPage ? '  (Apollo Sandbox: open it in a browser)' : ''}`],
    ...(config.landingPage
      ? [['GraphiQL', `${urls.graphql.replace(/\/graphql$/, '/graphiql')}  (offline IDE, served from here)`] as [string, string]]
      : []),
    ['REST', urls.rest],
    ['REST docs', urls.restDocs],
    ['Health', `${urls.healthz}  ${urls.readyz}`],
    ['Metrics', `${urls.metrics}${guard ? `  (${guard})` : ''}`],
    ['Database', describeDatabase(config.database)],
    // Paths only: the values stay in their files.
    ...(config.generatedSecretFiles?.length
      ? [['Secrets', `generated for development (not for production): ${config.generatedSecretFiles.join(', ')}`] as [string, string]]
      : []),
    ['Logs', `level ${config.logLevel}; stop with Ctrl-C or SIGTERM`],
  ];
  const lines = [`model-gateway ${version} ready (${config.env}, pid ${process.pid})`, ...rows.map(([k, v]) => `  ${k.padEnd(10)} ${v}`)];
  return lines.join('\n') + '\n';
}
