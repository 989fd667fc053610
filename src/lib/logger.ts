import pino, { type Logger } from 'pino';

/**
 * Paths that can carry a credential or a provider key. pino replaces them before a line is
 * written, so a careless `logger.info({ req })` cannot leak one.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'apiKey',
  'api_key',
  '*.apiKey',
  '*.api_key',
  '*.token',
  'input.apiKey',
  'variables.input.apiKey',
  'body.api_key',
];

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'model-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  });
}
