import { isDatabaseUnavailable } from './db-errors';

/**
 * One error vocabulary for both transports and for every refusal, from the service's rules to
 * the HTTP edge's (body size, rate limit, database down, malformed bodies, unknown routes).
 * Each code has one HTTP status and one GraphQL `extensions.code` (ERROR_CODES); `errorAnswer`
 * is the one place that turns an error into what a REST or a GraphQL client receives.
 * Anything that is not an AppError is unexpected and is masked by both.
 */

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'VALIDATION' // 422: wrong types, out-of-range values, null for a required field
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'PRECONDITION_FAILED' // 412: If-Match / expectedVersion does not match
  | 'BAD_REQUEST' // 400: duplicate model_id, unknown category
  | 'CONFLICT' // 409: shared model's category/abilities
  | 'MALFORMED' // 400: a body or request that cannot be read at all
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'BAD_GATEWAY' // 502: a provider the gateway called for the caller failed or refused
  | 'UNAVAILABLE' // 503: the database cannot be reached right now
  | 'INTERNAL'; // 500: unexpected; never says what happened

export const ERROR_CODES: Record<ErrorCode, { status: number; graphql: string }> = {
  UNAUTHENTICATED: { status: 401, graphql: 'UNAUTHENTICATED' },
  VALIDATION: { status: 422, graphql: 'BAD_USER_INPUT' },
  NOT_FOUND: { status: 404, graphql: 'NOT_FOUND' },
  FORBIDDEN: { status: 403, graphql: 'FORBIDDEN' },
  PRECONDITION_FAILED: { status: 412, graphql: 'CONFLICT' },
  BAD_REQUEST: { status: 400, graphql: 'BAD_USER_INPUT' },
  CONFLICT: { status: 409, graphql: 'CONFLICT' },
  MALFORMED: { status: 400, graphql: 'BAD_REQUEST' },
  METHOD_NOT_ALLOWED: { status: 405, graphql: 'METHOD_NOT_ALLOWED' },
  PAYLOAD_TOO_LARGE: { status: 413, graphql: 'PAYLOAD_TOO_LARGE' },
  RATE_LIMITED: { status: 429, graphql: 'RATE_LIMITED' },
  BAD_GATEWAY: { status: 502, graphql: 'BAD_GATEWAY' },
  UNAVAILABLE: { status: 503, graphql: 'SERVICE_UNAVAILABLE' },
  INTERNAL: { status: 500, graphql: 'INTERNAL_SERVER_ERROR' },
};

/** One refused input value, in pydantic's vocabulary (what FastAPI clients already parse). */
export interface FieldIssue {
  /** Path below the body (or query), in the transport's names: ['abilities', 3]. */
  path: (string | number)[];
  msg: string;
  type: string;
}

/** What some refusals carry besides their message; each ends up in a header or an extension. */
export interface ErrorDetails {
  /** REST's `detail` when it is not the message: FastAPI's fixed texts ("Too Many Requests"). */
  restDetail?: string;
  /** Where a REST 422's `loc` starts. */
  location?: 'body' | 'query' | 'path';
  /** The version the model is at now (412): REST `ETag`, GraphQL `extensions.currentVersion`. */
  currentVersion?: number;
  /** Seconds a client should wait (429, 503): `Retry-After`. */
  retryAfterSeconds?: number;
  /** The methods the path serves (405): `Allow`. */
  allow?: readonly string[];
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Input fields at fault (camelCase), for 400/422. */
    readonly fields: string[] = [],
    readonly issues: FieldIssue[] = [],
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * Texts of answers given outside the service's rules: the HTTP edge's refusals and the REST
 * delete's confirmation. Legacy clients match on them; the OpenAPI document quotes them from here.
 */
export const MESSAGES = {
  methodNotAllowed: 'Method Not Allowed',
  pathNotFound: 'Not Found',
  tooManyRequests: 'Too Many Requests',
  internal: 'Internal Server Error',
  unavailable: 'Service Unavailable',
  bodyTooLarge: (limitBytes: number) => `Request body too large (limit ${limitBytes} bytes)`,
  modelDeleted: 'Model deleted successfully',
  /** After many lost races in a row an update gives up instead of spinning (409). */
  tooManyWriters: 'The model is being changed by too many requests at once; retry',
} as const;

const jsonInvalid = (): FieldIssue => ({ path: [], type: 'json_invalid', msg: 'JSON decode error' });

export const Errors = {
  notAuthenticated: () => new AppError('UNAUTHENTICATED', 'Not authenticated'),
  badCredentials: () => new AppError('UNAUTHENTICATED', 'Could not validate credentials'),
  notFound: () => new AppError('NOT_FOUND', 'Model not found'),
  noEditPermission: () => new AppError('FORBIDDEN', 'No permission to edit this model'),
  noDeletePermission: () => new AppError('FORBIDDEN', 'No permission to delete this model'),
  sharingNotAllowed: () => new AppError('FORBIDDEN', 'Only administrators can enable global sharing', ['shareWithUsers']),
  // The replaced service answered create with its own text, and its clients match on both.
  sharingNotAllowedOnCreate: () => new AppError('FORBIDDEN', 'Only administrators can share models with all users', ['shareWithUsers']),
  /** `currentVersion`: the model's version now, so the client can retry without reading it again. */
  preconditionFailed: (currentVersion?: number) =>
    new AppError('PRECONDITION_FAILED', 'Precondition Failed', [], [], currentVersion === undefined ? {} : { currentVersion }),
  duplicateModelId: () => new AppError('BAD_REQUEST', 'Model ID already exists', ['modelId']),
  invalidCategory: () => new AppError('BAD_REQUEST', 'Invalid model category', ['category']),
  sharedLocked: (fields: ('category' | 'abilities')[]) =>
    new AppError('CONFLICT', `Cannot change ${fields.join(' and ')} of a shared model. Un-share first.`, fields),
  validation: (issues: FieldIssue[]) => {
    const fields = [...new Set(issues.map((issue) => String(issue.path[0] ?? 'input')))];
    const summary = issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.msg}`).join('; ');
    return new AppError('VALIDATION', `Invalid input: ${summary}`, fields, issues);
  },

  // The edge's refusals, before any feature runs.
  payloadTooLarge: (limitBytes: number) => new AppError('PAYLOAD_TOO_LARGE', MESSAGES.bodyTooLarge(limitBytes)),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError('RATE_LIMITED', `Too many requests; retry after ${retryAfterSeconds} seconds.`, [], [], {
      restDetail: MESSAGES.tooManyRequests,
      retryAfterSeconds,
    }),
  unavailable: () =>
    new AppError('UNAVAILABLE', 'Service temporarily unavailable; retry shortly', [], [], {
      restDetail: MESSAGES.unavailable,
      retryAfterSeconds: 1,
    }),
  internal: () => new AppError('INTERNAL', 'Internal server error', [], [], { restDetail: MESSAGES.internal }),
  malformedBody: () => new AppError('MALFORMED', 'Malformed request body', [], [], { restDetail: 'Bad Request' }),
  /** Bytes that are not text in the declared encoding cannot be JSON: FastAPI's 422 json_invalid (GraphQL: malformed). */
  undecodableBody: () => new AppError('VALIDATION', 'Malformed request body', [], [jsonInvalid()], { location: 'body' }),
  documentTooLarge: (maxBytes: number) => new AppError('MALFORMED', `The query document is larger than ${maxBytes} bytes.`),
  routeNotFound: () => new AppError('NOT_FOUND', MESSAGES.pathNotFound),
  methodNotAllowed: (allow: readonly string[]) =>
    new AppError('METHOD_NOT_ALLOWED', MESSAGES.methodNotAllowed, [], [], { allow: allow.includes('GET') ? withHead(allow) : allow }),
};

/** Express answers HEAD wherever it answers GET. */
function withHead(allow: readonly string[]): string[] {
  const methods = [...allow];
  if (!methods.includes('HEAD')) methods.splice(methods.indexOf('GET') + 1, 0, 'HEAD');
  return methods;
}

/** What went wrong when the error is not an AppError, if it is something the edge knows. */
export type Unexpected = { kind: 'unavailable' | 'internal'; error: unknown };

/**
 * Any error as an AppError: body-parser's refusals (size, encoding, unreadable body), the
 * database being out of reach, and everything else as a masked INTERNAL. `unexpected` is set
 * when the cause deserves an operator's attention (the caller logs it).
 */
export function toAppError(err: unknown, transport: Transport): { error: AppError; unexpected?: Unexpected } {
  if (err instanceof AppError) return { error: err };
  const e = err as { type?: unknown; status?: unknown; limit?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  if (e?.type === 'entity.too.large' || status === 413) {
    return { error: Errors.payloadTooLarge(typeof e?.limit === 'number' ? e.limit : 0) };
  }
  if (status !== undefined && status >= 400 && status < 500) {
    const undecodable = e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported';
    return { error: undecodable && transport === 'rest' ? Errors.undecodableBody() : Errors.malformedBody() };
  }
  return unexpectedError(err);
}

/** An error no rule or refusal threw: the database out of reach (503), or a masked 500. */
export function unexpectedError(err: unknown): { error: AppError; unexpected: Unexpected } {
  if (isDatabaseUnavailable(err)) return { error: Errors.unavailable(), unexpected: { kind: 'unavailable', error: err } };
  return { error: Errors.internal(), unexpected: { kind: 'internal', error: err } };
}

export type Transport = 'rest' | 'graphql';

export interface GraphQLErrorBody {
  message: string;
  extensions: Record<string, unknown>;
}

/** An AppError as one entry of a GraphQL response's `errors` (without locations and path). */
export function graphqlError(err: AppError): GraphQLErrorBody {
  const extensions: Record<string, unknown> = { code: ERROR_CODES[err.code].graphql };
  if (err.fields.length > 0) extensions.fields = err.fields;
  if (err.issues.length > 0) extensions.issues = err.issues.map((issue) => ({ path: issue.path, msg: issue.msg, type: issue.type }));
  if (err.details.currentVersion !== undefined) extensions.currentVersion = err.details.currentVersion;
  return { message: err.message, extensions };
}

/** FastAPI's body: `{"detail": "..."}`, or for a 422 `{"detail": [{"loc", "msg", "type"}]}` (never the input value). */
function restBody(err: AppError): unknown {
  if (err.code === 'VALIDATION') {
    const where = err.details.location ?? 'body';
    return { detail: err.issues.map((issue) => ({ loc: [where, ...issue.path], msg: issue.msg, type: issue.type })) };
  }
  return { detail: err.details.restDetail ?? err.message };
}

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** The GraphQL code of the refusal, for logs and metrics (whichever transport answered). */
  code: string;
}

/**
 * The HTTP answer to an error, for the transport that received the request. A GraphQL request
 * refused before any operation ran (body size, rate limit, no database) gets the status here
 * and a response with one error and no data.
 */
export function errorAnswer(err: AppError, transport: Transport): ErrorAnswer {
  const headers: Record<string, string> = {};
  const { details } = err;
  if (err.code === 'UNAUTHENTICATED') headers['WWW-Authenticate'] = 'Bearer';
  if (details.retryAfterSeconds !== undefined) headers['Retry-After'] = String(details.retryAfterSeconds);
  if (details.allow) headers.Allow = details.allow.join(', ');
  if (details.currentVersion !== undefined) headers.ETag = `"${details.currentVersion}"`;
  const body = transport === 'graphql' ? { errors: [graphqlError(err)] } : restBody(err);
  return { status: ERROR_CODES[err.code].status, headers, body, code: ERROR_CODES[err.code].graphql };
}
