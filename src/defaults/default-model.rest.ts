import { Router, type Request, type RequestHandler } from 'express';
import { authed as authedRoute, jsonObjectBody, restValidationOf, type RestHandler } from '../http/rest';
import { Errors } from '../lib/errors';
import { toRestBody } from '../models/model.rest';
import { DefaultErrors, DefaultModelService, type DefaultEntry, type ListedDefault } from './default-model.service';

/**
 * The replaced service's default-model paths, FastAPI's shapes. Mounted before the model
 * routes: for the methods these paths serve, they win over a model whose id is `user-default`;
 * other methods fall through to the model routes (and `/by-id/user-default` always reaches it).
 */

const SNAKE: Record<string, string> = { configType: 'config_type', modelId: 'model_id' };

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

/** The paths, for the OpenAPI document. */
export const DEFAULT_PATHS = {
  list: '/api/models/user-default',
  one: '/api/models/user-default/{config_type}',
  modelOf: '/api/models/default/{type}',
} as const;

export function defaultModelRoutes(defaults: DefaultModelService): Router {
  const router = Router();

  /** `where`: whose fields a 422 of the service names (the body's, or the path's). */
  const authed = (where: 'body' | 'path', handler: RestHandler) =>
    authedRoute(
      handler,
      restValidationOf(where, (field) => SNAKE[field] ?? field),
    );

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
        const body = jsonObjectBody(req);
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
