import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { bodyIsUndecodable } from '../http/body';
import type { AuthResult, Caller } from '../lib/auth';
import { AppError, Errors, type FieldIssue } from '../lib/errors';
import { restValidation, toSnake } from '../models/model.rest';
import type { InputRecord } from '../models/model.validation';
import type { ConnectionTestResult, ProviderCallService, ProviderModelList } from './provider-call.service';

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

/** The body as an object of camelCase fields (the service's names); FastAPI's 422 when it is not JSON or not an object. */
function jsonObject(req: Request, emptyIsObject: boolean): InputRecord {
  if (bodyIsUndecodable(req)) throw restValidation([{ path: [], type: 'json_invalid', msg: 'JSON decode error' }], 'body');
  const text = typeof req.body === 'string' ? req.body : '';
  if (text.trim() === '') {
    if (emptyIsObject) return {};
    throw restValidation([{ path: [], type: 'missing', msg: 'Field required' }], 'body');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw restValidation([{ path: [], type: 'json_invalid', msg: 'JSON decode error' }], 'body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw restValidation(
      [{ path: [], type: 'model_attributes_type', msg: 'Input should be a valid dictionary or object to extract fields from' }],
      'body',
    );
  }
  const body = parsed as InputRecord;
  const input: InputRecord = {};
  // snake_case keys → the service's camelCase names; other keys are dropped here.
  for (const field of [
    'modelProvider',
    'modelName',
    'apiKey',
    'baseUrl',
    'category',
    'temperature',
    'dimension',
    'abilities',
    'modelId',
    'modelIds',
  ]) {
    const key = snake(field);
    if (Object.prototype.hasOwnProperty.call(body, key)) input[field] = body[key];
  }
  return input;
}

type Handler = (req: Request, res: Response, caller: Caller) => Promise<void>;

export function providerCallRoutes(calls: ProviderCallService): Router {
  const router = Router();

  const authed =
    (handler: Handler): RequestHandler =>
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const auth = res.locals.auth as AuthResult;
        if (!auth.caller) throw auth.error;
        await handler(req, res, auth.caller);
      } catch (err) {
        // The service names fields in camelCase; REST clients sent (and read) snake_case.
        if (err instanceof AppError && err.code === 'VALIDATION' && err.details.location === undefined) {
          const issues: FieldIssue[] = err.issues.map((issue) => ({
            ...issue,
            path: issue.path.map((part) => (typeof part === 'string' ? snake(part) : part)),
          }));
          next(new AppError('VALIDATION', 'Invalid input', [], issues, { location: 'body' }));
        } else next(err);
      }
    };

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
