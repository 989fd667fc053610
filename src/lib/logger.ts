import pino, { type Logger } from 'pino';

/**
 * Paths that can carry a credential or a provider key. pino replaces them before a line is
 * written, so a careless `logger.info({ req })` cannot leak one. The request lines themselves
 * (./request-log) never hold headers, bodies or query strings in the first place.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
  'token',
  'access_token',
  'apiKey',
  'api_key',
  '*.authorization',
  '*.cookie',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.access_token',
  'input.apiKey',
  'variables.input.apiKey',
  'body.api_key',
];

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON; falls back to JSON when it is not installed. */
  pretty?: boolean;
}

/** pino-pretty is a development dependency: production installs (`npm ci --omit=dev`) lack it. */
function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * Pretty only for a person at a terminal in development; JSON (one object per line) for
 * everything that collects logs, and always in production and tests.
 */
export function wantsPrettyLogs(env: 'development' | 'production' | 'test', stream: NodeJS.WriteStream = process.stdout): boolean {
  return env === 'development' && stream.isTTY === true && prettyAvailable();
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const pretty = options.pretty === true && prettyAvailable();
  return pino({
    level,
    base: { service: 'model-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'service,pid,hostname' },
          },
        }
      : {}),
  });
}
