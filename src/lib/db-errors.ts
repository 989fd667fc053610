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
  // query_canceled: statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS) fired on the server, e.g. a
  // write stuck behind a lock or a database too slow to answer: transient, so 503 and retry, not 500.
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

type ErrorLike = {
  code?: unknown;
  originalCode?: unknown;
  cause?: unknown;
  kind?: unknown;
  message?: unknown;
  name?: unknown;
  meta?: { driverAdapterError?: unknown } | null;
};

export function isDatabaseUnavailable(err: unknown): boolean {
  if ((err as { name?: unknown } | null)?.name === 'PrismaClientInitializationError') return true;
  for (let current: unknown = err, depth = 0; current && depth < 6; depth++) {
    const e = current as ErrorLike;
    for (const code of [e.code, e.originalCode]) {
      if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
    }
    if (typeof e.kind === 'string' && UNAVAILABLE_KINDS.has(e.kind)) return true;
    if (
      typeof e.message === 'string' &&
      // "Query read timeout": pg's client-side query_timeout (statement timeout + 1 s, see
      // openPostgres) gave up on a connection that went silent (network partition, frozen
      // server). pg throws it as a plain Error, not a driver error, so neither a code nor a
      // Prisma kind marks it: without this pattern such a request answered 500, not 503.
      /Query read timeout|Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|ECONNREFUSED|ECONNRESET|Client has encountered a connection error|terminating connection/i.test(
        e.message,
      )
    ) {
      return true;
    }
    // A PostgreSQL error without a Prisma code of its own (statement timeout 57014, "the
    // database system is starting up" 57P03, ...) reaches the service as a
    // PrismaClientKnownRequestError P2039 with no `cause`: the SQLSTATE is only on
    // meta.driverAdapterError.cause.originalCode. Without following it, those answered 500.
    current = e.cause ?? e.meta?.driverAdapterError;
  }
  return false;
}

/**
 * SQLite refused a statement because another connection holds the write lock (SQLITE_BUSY),
 * past every retry: the database is locked by another process, retry later (503).
 */
export class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError';
  /** The driver-adapter kind isDatabaseUnavailable recognizes, as Prisma reports SQLITE_BUSY itself. */
  readonly kind = 'SocketTimeout';
}

/**
 * SQLITE_BUSY, from better-sqlite3 directly (`code`), through Prisma's adapter (`originalCode` of
 * the driver error, reached through `cause` / `meta.driverAdapterError`), or already wrapped.
 */
export function isSqliteBusy(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current && depth < 6; depth++) {
    const e = current as ErrorLike;
    if (e instanceof DatabaseBusyError) return true;
    for (const code of [e.code, e.originalCode]) if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
    current = e.cause ?? e.meta?.driverAdapterError;
  }
  return false;
}
