import { Router, type Request, type RequestHandler, type Response } from 'express';
import {
  authed as authedRoute,
  jsonObjectBody,
  restValidation as restValidationIn,
  restValidationOf,
  type RestHandler,
} from '../http/rest';
import { AppError, Errors, MESSAGES, type FieldIssue } from '../lib/errors';
import type { ModelService } from './model.service';
import { REST_BODY_SPECS, REST_KEYS } from './model.fields';
import { CREATE_FIELDS, UPDATE_FIELDS, type InputRecord } from './model.validation';
import type { ModelView } from './model.view';

/**
 * The REST API of the FastAPI service this gateway replaces: snake_case bodies, FastAPI's error
 * shapes. A thin adapter: it parses the request, calls the service the GraphQL resolvers call,
 * and maps the answer.
 */

export const toSnake = (field: string): string => REST_KEYS[field] ?? field;

/** The REST model body: exactly the table's REST fields, in the contract's order, `null` where empty. */
export function toRestBody(view: ModelView): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of REST_BODY_SPECS) body[field.rest!] = view[field.name as keyof ModelView];
  return body;
}

/** A 422 in REST's terms: issue paths in the model's snake_case, `loc` starting at `where`. Never the input value. */
export const restValidation = (issues: FieldIssue[], where: 'body' | 'query'): AppError => restValidationIn(issues, where, toSnake);

/** snake_case body → the service's camelCase input; keys that are not input fields are dropped here. */
function pickFields(body: InputRecord, fields: readonly string[]): InputRecord {
  const input: InputRecord = {};
  for (const field of fields) {
    const key = toSnake(field);
    if (Object.prototype.hasOwnProperty.call(body, key)) input[field] = body[key];
  }
  return input;
}

/**
 * If-Match: `"3"`, `W/"3"`, a bare `3`, a list of those, or `*`. Returns the version to require,
 * null for none (absent or `*`), or NaN when no listed tag can ever match (a 412).
 */
export function parseIfMatch(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return null;
  const versions = header
    .split(',')
    .map((tag) => /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(tag)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  // Several tags: any may match; the service compares against one, so the caller gets the first.
  return versions.length > 0 ? versions[0]! : Number.NaN;
}

export function parseIntQuery(req: Request, name: string, issues: FieldIssue[]): number | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\s*[-+]?\d+\s*$/.test(raw)) {
    issues.push({ path: [name], type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer' });
    return undefined;
  }
  return Number(raw);
}

function parseBoolQuery(req: Request, name: string, issues: FieldIssue[]): boolean | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    if (/^(true|1|yes|on|t|y)$/i.test(raw.trim())) return true;
    if (/^(false|0|no|off|f|n)$/i.test(raw.trim())) return false;
  }
  issues.push({ path: [name], type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input' });
  return undefined;
}

function stringQuery(req: Request, name: string): string | undefined {
  const raw = req.query[name];
  return typeof raw === 'string' && raw.trim() !== '' ? raw : undefined;
}

function sendModel(res: Response, view: ModelView): void {
  res.setHeader('ETag', `"${view.version}"`);
  res.json(toRestBody(view));
}

export function modelRoutes(models: ModelService): Router {
  const router = Router();
  // The service names fields in camelCase; REST clients sent (and read) snake_case.
  const authed = (handler: RestHandler) => authedRoute(handler, restValidationOf('body', toSnake));

  /** `/by-id/*` hands the id as path segments; the plain route as one (with %2F decoded). */
  const idOf = (req: Request): string => {
    const param = (req.params as Record<string, string | string[]>).modelId ?? '';
    return Array.isArray(param) ? param.join('/') : param;
  };

  const list = authed(async (req, res, caller) => {
    const issues: FieldIssue[] = [];
    const skip = parseIntQuery(req, 'skip', issues);
    const limit = parseIntQuery(req, 'limit', issues);
    const isActive = parseBoolQuery(req, 'is_active', issues);
    if (issues.length > 0) throw restValidation(issues, 'query');
    try {
      const views = await models.list(caller, {
        skip,
        limit,
        isActive,
        category: stringQuery(req, 'category'),
        modelProvider: stringQuery(req, 'model_provider'),
      });
      res.json(views.map(toRestBody));
    } catch (err) {
      if (err instanceof AppError && err.code === 'VALIDATION') throw restValidation(err.issues, 'query');
      throw err;
    }
  });

  const create = authed(async (req, res, caller) => {
    sendModel(res, await models.create(caller, pickFields(jsonObjectBody(req), CREATE_FIELDS)));
  });

  const getOne = authed(async (req, res, caller) => {
    sendModel(res, await models.get(caller, idOf(req)));
  });

  const update = authed(async (req, res, caller) => {
    const input = pickFields(jsonObjectBody(req), UPDATE_FIELDS);
    const expected = parseIfMatch(req.header('if-match'));
    // An If-Match no version can satisfy still has to lose to 422/404/403 first: pass a
    // version that no row has.
    sendModel(res, await models.update(caller, idOf(req), input, Number.isNaN(expected) ? -1 : expected));
  });

  const remove = authed(async (req, res, caller) => {
    await models.delete(caller, idOf(req));
    res.json({ message: MESSAGES.modelDeleted });
  });

  const methodNotAllowed =
    (...allow: string[]): RequestHandler =>
    (_req, _res, next) =>
      next(Errors.methodNotAllowed(allow));

  router.route('/models').get(list).post(create).all(methodNotAllowed('GET', 'POST'));
  // The replaced service's second create path; GET/PUT/DELETE of a model named "register" still work below.
  router.post('/models/register', create);
  router
    .route('/models/by-id/*modelId')
    .get(getOne)
    .put(update)
    .delete(remove)
    .all(methodNotAllowed('GET', 'PUT', 'DELETE'));
  router
    .route('/models/:modelId')
    .get(getOne)
    .put(update)
    .delete(remove)
    .all(methodNotAllowed('GET', 'PUT', 'DELETE'));
  router.use((_req, _res, next) => next(Errors.routeNotFound()));
  return router;
}
