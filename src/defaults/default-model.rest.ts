import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AuthResult, Caller } from '../lib/auth';
import { AppError, Errors, type FieldIssue } from '../lib/errors';
import { toRestBody } from '../models/model.rest';
import { DefaultErrors, DefaultModelService, type DefaultEntry, type ListedDefault } from './default-model.service';

/**
 * The replaced service's default-model paths, FastAPI's shapes. Mounted before the model
 * routes: for the methods these paths serve, they win over a model whose id is `user-default`;
 * other methods fall through to the model routes (and `/by-id/user-default` always reaches it).
 */

const SNAKE: Record<string, string> = { configType: 'config_type', modelId: 'model_id' };

/** A 422 whose `loc` starts with `path` rather than the error handler's `body`. */
function sendValidation(res: Response, issues: FieldIssue[], where: 'body' | 'path'): void {
  res.status(422).json({
    detail: issues.map((issue) => ({
      loc: [where, ...issue.path.map((part) => (typeof part === 'string' ? (SNAKE[part] ?? part) : part))],
      msg: issue.msg,
      type: issue.type,
    })),
  });
}

/** The body as an object; FastAPI's 422 when it is empty, not JSON, or not an object. */
function jsonObject(req: Request): Record<string, unknown> {
  const text = typeof req.body === 'string' ? req.body : '';
  if (text.trim() === '') throw Errors.validation([{ path: [], type: 'missing', msg: 'Field required' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw Errors.validation([{ path: [], type: 'json_invalid', msg: 'JSON decode error' }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw Errors.validation([
      { path: [], type: 'model_attributes_type', msg: 'Input should be a valid dictionary or object to extract fields from' },
    ]);
  }
  return parsed as Record<string, unknown>;
}

export function entryBody(entry: DefaultEntry) {
  return {
    id: entry.id,
    user_id: entry.userId,
    model_id: entry.modelDbId,
    config_type: entry.configType,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
  };
}

export function listedBody(entry: ListedDefault) {
  return { ...entryBody(entry), inherited: entry.inherited, model: toRestBody(entry.model) };
}

type Handler = (req: Request, res: Response, caller: Caller) => Promise<void>;

/** The paths, for the OpenAPI document. */
export const DEFAULT_PATHS = {
  list: '/api/models/user-default',
  one: '/api/models/user-default/{config_type}',
  modelOf: '/api/models/default/{type}',
} as const;

export function defaultModelRoutes(defaults: DefaultModelService): Router {
  const router = Router();

  /** `where`: whose fields a 422 of the service names (the body's, or the path's). */
  const authed =
    (where: 'body' | 'path', handler: Handler): RequestHandler =>
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        // Verified once per request by the authentication middleware in app.ts.
        const auth = res.locals.auth as AuthResult;
        if (!auth.caller) throw auth.error;
        await handler(req, res, auth.caller);
      } catch (err) {
        if (err instanceof AppError && err.code === 'VALIDATION') sendValidation(res, err.issues, where);
        else next(err);
      }
    };

  const param = (req: Request, name: string): string => String((req.params as Record<string, string>)[name] ?? '');

  /**
   * 405 with `Allow`, before authentication, for the methods a path serves not at all. `passOn`:
   * methods another router serves on the same path (the model routes, for a model of that id),
   * which must still reach it: fixed paths win only for the methods they serve.
   */
  const notServed =
    (allow: string[], passOn: string[] = []): RequestHandler =>
    (req, _res, next) => {
      if (passOn.includes(req.method)) next();
      else next(Errors.methodNotAllowed(allow));
    };

  router
    .route('/models/user-default')
    .get(
      authed('body', async (_req, res, caller) => {
        res.json((await defaults.list(caller)).map(listedBody));
      }),
    )
    .post(
      authed('body', async (req, res, caller) => {
        const body = jsonObject(req);
        res.json(entryBody(await defaults.set(caller, body.config_type, body.model_id)));
      }),
    )
    // PUT and DELETE reach a model whose id is `user-default`, so the path serves them too.
    .all(notServed(['GET', 'POST', 'PUT', 'DELETE'], ['PUT', 'DELETE']));

  router
    .route('/models/user-default/:configType')
    .get(
      authed('path', async (req, res, caller) => {
        const entry = await defaults.getOwn(caller, DefaultModelService.typeFromPath(param(req, 'configType'), 'configType', false));
        res.json(entry ? listedBody(entry) : null);
      }),
    )
    .delete(
      authed('path', async (req, res, caller) => {
        const type = DefaultModelService.typeFromPath(param(req, 'configType'), 'configType', false);
        if (!(await defaults.clear(caller, type))) throw DefaultErrors.notFound();
        res.json({ message: 'Default configuration deleted successfully' });
      }),
    )
    // Two segments: no model route matches them (a model id with `/` is reached through /by-id/).
    .all(notServed(['GET', 'DELETE']));

  router
    .route('/models/default/:type')
    .get(
      authed('path', async (req, res, caller) => {
        const model = await defaults.modelOf(caller, DefaultModelService.typeFromPath(param(req, 'type'), 'type', true));
        res.json(model ? toRestBody(model) : null);
      }),
    )
    .all(notServed(['GET']));

  return router;
}
