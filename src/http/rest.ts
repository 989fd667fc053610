import type { Request, RequestHandler, Response } from 'express';
import type { AuthResult, Caller } from '../lib/auth';
import { AppError, type FieldIssue } from '../lib/errors';
import { bodyIsUndecodable } from './body';

/**
 * What every REST adapter shares: the signed-in caller, the JSON body, and FastAPI's 422 in the
 * adapter's own field names. One copy, so that the contract's order (413, then 401, then 422) and
 * the body rules cannot drift apart between features.
 */

export type RestHandler = (req: Request, res: Response, caller: Caller) => Promise<void>;

/**
 * A handler for a signed-in caller. The token was verified once per request by the authentication
 * step in app.ts; a missing or refused one answers its 401 here, after the body's size (413) and
 * before the body is parsed (422). `mapError` puts the service's errors in the route's terms
 * (snake_case field names, where a 422 points) before the error handler answers them.
 */
export function authed(handler: RestHandler, mapError: (err: unknown) => unknown = (err) => err): RequestHandler {
  return async (req, res, next) => {
    try {
      const auth = res.locals.auth as AuthResult;
      if (!auth.caller) throw auth.error;
      await handler(req, res, auth.caller);
    } catch (err) {
      next(mapError(err));
    }
  };
}

export type IssueLocation = NonNullable<AppError['details']['location']>;

/** A 422 in REST's terms: issue paths renamed by `rename` (camelCase → snake_case), `loc` starting at `where`. Never the input value. */
export function restValidation(issues: FieldIssue[], where: IssueLocation, rename: (field: string) => string): AppError {
  const restIssues = issues.map((issue) => ({
    ...issue,
    path: issue.path.map((part) => (typeof part === 'string' ? rename(part) : part)),
  }));
  return new AppError('VALIDATION', 'Invalid input', [], restIssues, { location: where });
}

/** For `authed`: the service's 422s (which name no location) as REST's, pointing at `where`. */
export function restValidationOf(where: IssueLocation, rename: (field: string) => string): (err: unknown) => unknown {
  return (err) =>
    err instanceof AppError && err.code === 'VALIDATION' && err.details.location === undefined
      ? restValidation(err.issues, where, rename)
      : err;
}

const bodyRefusal = (type: string, msg: string): AppError =>
  new AppError('VALIDATION', 'Invalid input', [], [{ path: [], type, msg }], { location: 'body' });

/**
 * The body as a JSON object. Its bytes were read as text (so its size was settled first, 413) and
 * are parsed only now, after authentication. FastAPI's 422s: `json_invalid` for bytes that are not
 * UTF-8 (never text with U+FFFD in it) or not JSON, `missing` for no body (or `{}` where the route
 * says an empty body means an empty object), `model_attributes_type` for JSON that is no object.
 */
export function jsonObjectBody(req: Request, options: { emptyIsObject?: boolean } = {}): Record<string, unknown> {
  if (bodyIsUndecodable(req)) throw bodyRefusal('json_invalid', 'JSON decode error');
  const text = typeof req.body === 'string' ? req.body : '';
  if (text.trim() === '') {
    if (options.emptyIsObject) return {};
    throw bodyRefusal('missing', 'Field required');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bodyRefusal('json_invalid', 'JSON decode error');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bodyRefusal('model_attributes_type', 'Input should be a valid dictionary or object to extract fields from');
  }
  return parsed as Record<string, unknown>;
}
