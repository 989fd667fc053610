/**
 * One error vocabulary for both transports. The service throws AppError; REST maps the code to
 * a status and FastAPI's `{"detail": ...}` body, GraphQL maps it to `extensions.code`.
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
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE';

/** One refused input value, in pydantic's vocabulary (what FastAPI clients already parse). */
export interface FieldIssue {
  /** Path below the body, in the service's camelCase names: ['abilities', 3]. */
  path: (string | number)[];
  msg: string;
  type: string;
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  VALIDATION: 422,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  PRECONDITION_FAILED: 412,
  BAD_REQUEST: 400,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
};

export const GRAPHQL_CODE: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  VALIDATION: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'FORBIDDEN',
  PRECONDITION_FAILED: 'CONFLICT',
  BAD_REQUEST: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Input fields at fault (camelCase), for 400/422. */
    readonly fields: string[] = [],
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const Errors = {
  notAuthenticated: () => new AppError('UNAUTHENTICATED', 'Not authenticated'),
  badCredentials: () => new AppError('UNAUTHENTICATED', 'Could not validate credentials'),
  notFound: () => new AppError('NOT_FOUND', 'Model not found'),
  noEditPermission: () => new AppError('FORBIDDEN', 'No permission to edit this model'),
  noDeletePermission: () => new AppError('FORBIDDEN', 'No permission to delete this model'),
  sharingNotAllowed: () => new AppError('FORBIDDEN', 'Only administrators can enable global sharing', ['shareWithUsers']),
  preconditionFailed: () => new AppError('PRECONDITION_FAILED', 'Precondition Failed'),
  duplicateModelId: () => new AppError('BAD_REQUEST', 'Model ID already exists', ['modelId']),
  invalidCategory: () => new AppError('BAD_REQUEST', 'Invalid model category', ['category']),
  sharedLocked: (fields: ('category' | 'abilities')[]) =>
    new AppError('CONFLICT', `Cannot change ${fields.join(' and ')} of a shared model. Un-share first.`, fields),
  validation: (issues: FieldIssue[]) => {
    const fields = [...new Set(issues.map((issue) => String(issue.path[0] ?? 'input')))];
    const summary = issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.msg}`).join('; ');
    return new AppError('VALIDATION', `Invalid input: ${summary}`, fields, issues);
  },
};

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
