/*
 * Recognizing database outages without importing Prisma (so pure modules and their unit tests
 * stay free of the generated client).
 */

/**
 * Prisma's codes for "the database cannot be reached right now" (server down, connection cut,
 * pool exhausted, timed out): the request should fail fast as 503 and the next one may succeed.
 */
const UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionAlreadyClosed',
]);
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  if ((err as { name?: unknown } | null)?.name === 'PrismaClientInitializationError') return true;
  for (let current: unknown = err, depth = 0; current && depth < 5; depth++) {
    const e = current as { code?: unknown; cause?: unknown; kind?: unknown; message?: unknown; name?: unknown };
    if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || UNAVAILABLE_ERRNOS.has(e.code))) return true;
    if (typeof e.kind === 'string' && UNAVAILABLE_KINDS.has(e.kind)) return true;
    if (
      typeof e.message === 'string' &&
      /Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|ECONNREFUSED|ECONNRESET|Client has encountered a connection error|terminating connection/i.test(
        e.message,
      )
    ) {
      return true;
    }
    current = e.cause;
  }
  return false;
}
