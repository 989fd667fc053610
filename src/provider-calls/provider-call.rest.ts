import { Router, type Request } from 'express';
import { authed as authedRoute, jsonObjectBody, restValidationOf, type RestHandler } from '../http/rest';
import { Errors } from '../lib/errors';
import { toSnake } from '../models/model.rest';
import type { InputRecord } from '../models/model.validation';
import {
  TEST_CONNECTION_FIELDS,
  type ConnectionTestResult,
  type ProviderCallService,
  type ProviderModelList,
} from './provider-call.service';

/**
 * The replaced service's provider-call paths, FastAPI's shapes. Mounted before the model routes:
 * for POST these fixed paths win over model ids (POST is no method of a model path anyway), and
 * other methods fall through to the model routes as they would for any id.
 */

export const TEST_CONNECTION_PATH = '/api/models/test-connection';
export const TEST_MODELS_PATH = '/api/models/test';
export const PROVIDER_MODELS_PATH = '/api/models/providers/{provider}/models';

const SNAKE: Record<string, string> = { modelIds: 'model_ids' };
const snake = (field: string): string => SNAKE[field] ?? toSnake(field);

/** The REST result: the contract's keys, snake_case. */
export function toRestResult(result: ConnectionTestResult) {
  return {
    model_id: result.modelId,
    status: result.status,
    response_time: result.responseTime,
    message: result.message,
    error: result.error,
  };
}

export function toRestModelList(list: ProviderModelList) {
  return {
    provider: list.provider,
    models: list.models.map((model) => ({ id: model.id, name: model.name, category: model.category, abilities: model.abilities })),
    count: list.count,
  };
}

/** The fields a provider-call body may carry, camelCase (the service's names). */
const BODY_FIELDS = [...TEST_CONNECTION_FIELDS, 'modelIds'] as const;

/** The body as an object of camelCase fields (the service's names); keys that are no field are dropped here. */
function jsonObject(req: Request, emptyIsObject: boolean): InputRecord {
  const body = jsonObjectBody(req, { emptyIsObject });
  const input: InputRecord = {};
  for (const field of BODY_FIELDS) {
    const key = snake(field);
    if (Object.prototype.hasOwnProperty.call(body, key)) input[field] = body[key];
  }
  return input;
}

export function providerCallRoutes(calls: ProviderCallService): Router {
  const router = Router();

  // The service names fields in camelCase; REST clients sent (and read) snake_case.
  const authed = (handler: RestHandler) => authedRoute(handler, restValidationOf('body', snake));

  router.post(
    '/models/test-connection',
    authed(async (req, res, caller) => {
      res.json(toRestResult(await calls.testConnection(caller, jsonObject(req, false))));
    }),
  );

  router.post(
    '/models/test',
    authed(async (req, res, caller) => {
      // `{}` and no body at all both mean "every model I may see".
      const body = jsonObject(req, true);
      res.json((await calls.testModels(caller, body.modelIds)).map(toRestResult));
    }),
  );

  // Only POST is served; a model id cannot contain `/` on this path, so other methods are no model's: 405.
  router
    .route('/models/providers/:provider/models')
    .post(
      authed(async (req, res, caller) => {
        const provider = String((req.params as Record<string, string>).provider ?? '');
        res.json(toRestModelList(await calls.fetchModels(caller, provider, jsonObject(req, true))));
      }),
    )
    .all((_req, _res, next) => next(Errors.methodNotAllowed(['POST'])));

  return router;
}
