import { Router, type Request, type RequestHandler } from 'express';
import { authed } from '../http/rest';
import type { Caller } from '../lib/auth';
import { AppError, Errors, type FieldIssue } from '../lib/errors';
import { parseIntQuery, restValidation } from '../models/model.rest';
import { ModelAggregates, type KeyCount, type ModelSummary, type PublicModel } from './aggregate.service';

/**
 * Aggregates over REST, in the replaced service's shapes.
 *
 * With a token, over the active models the caller may see (mounted inside /api, after its
 * authentication):
 *   GET /api/models/categories  {"categories": [...]}
 *   GET /api/models/providers   {"providers": [...]}
 *   GET /api/models/abilities   {"abilities": [...]}
 *   GET /api/models/summary     {"total_models", "by_category", "by_provider"}
 * Only GET (and HEAD) is served here: PUT and DELETE on these paths go on to the model routes
 * and reach the model whose id is `summary` (etc.), as the replaced service's routes did.
 *
 * Without a token, over shared, active models only (mounted before /api's authentication):
 *   GET /api/models/public/list        {"models": [...], "count"}
 *   GET /api/models/public/categories  {"categories": [...]}
 *   GET /api/models/public/providers   {"providers": [...]}
 *   GET /api/models/public/summary     {"total_models", "by_category"}
 * With PUBLIC_CATALOG=off these answer 404 for every method, as if they did not exist.
 */

/** Under /api: the aggregate router is mounted there. */
const API = '/api';

export const AGGREGATE_PATHS = {
  categories: '/api/models/categories',
  providers: '/api/models/providers',
  abilities: '/api/models/abilities',
  summary: '/api/models/summary',
} as const;

export const PUBLIC_PATHS = {
  list: '/api/models/public/list',
  categories: '/api/models/public/categories',
  providers: '/api/models/public/providers',
  summary: '/api/models/public/summary',
} as const;

/** A count keyed by value (`{"llm": 2}`), keys in the order given (sorted). */
export const countsObject = (counts: readonly KeyCount[]): Record<string, number> =>
  Object.fromEntries(counts.map((entry) => [entry.key, entry.count]));

export const toRestSummary = (summary: ModelSummary) => ({
  total_models: summary.totalModels,
  by_category: countsObject(summary.byCategory),
  by_provider: countsObject(summary.byProvider),
});

/** The replaced service's public summary: total and per category (every category of the contract, 0 where none); no providers. */
export const toRestPublicSummary = (summary: ModelSummary) => ({
  total_models: summary.totalModels,
  by_category: countsObject(ModelAggregates.everyCategory(summary)),
});

/** A public entry: exactly these keys, `null` where empty. */
export const toRestPublicModel = (model: PublicModel) => ({
  id: model.id,
  model_id: model.modelId,
  category: model.category,
  model_provider: model.modelProvider,
  model_name: model.modelName,
  abilities: model.abilities,
  description: model.description,
});

const relative = (path: string): string => path.slice(API.length);

/** A query parameter given once, or nothing; given twice it is refused (as an integer parameter given twice is). */
function stringQuery(req: Request, name: string, issues: FieldIssue[]): string | undefined {
  const raw = req.query[name];
  if (raw === undefined || typeof raw === 'string') return raw;
  issues.push({ path: [name], type: 'string_type', msg: 'Input should be a valid string' });
  return undefined;
}

/** Mount inside /api after authentication and before the model routes (whose `/models/:modelId` would take these paths). */
export function aggregateRoutes(aggregates: ModelAggregates): Router {
  const router = Router();
  const answer = (body: (caller: Caller) => Promise<unknown>): RequestHandler =>
    authed(async (_req, res, caller) => {
      res.json(await body(caller));
    });

  router.get(
    relative(AGGREGATE_PATHS.categories),
    answer(async (caller) => ({ categories: await aggregates.categories(caller) })),
  );
  router.get(
    relative(AGGREGATE_PATHS.providers),
    answer(async (caller) => ({ providers: await aggregates.providers(caller) })),
  );
  router.get(
    relative(AGGREGATE_PATHS.abilities),
    answer(async (caller) => ({ abilities: await aggregates.abilities(caller) })),
  );
  router.get(
    relative(AGGREGATE_PATHS.summary),
    answer(async (caller) => toRestSummary(await aggregates.summary(caller))),
  );
  return router;
}

/**
 * Mount before the /api authentication, which would refuse anonymous callers. `before` runs on
 * these paths only (CORS, then whatever keys the rate limit), as for the provider catalog.
 * `enabled` false (PUBLIC_CATALOG=off): 404 `Not Found` for every method, and nothing read.
 */
export function publicCatalogRoutes(aggregates: ModelAggregates, enabled: boolean, ...before: RequestHandler[]): Router {
  const router = Router();
  const answer =
    (body: (req: Request) => Promise<unknown>): RequestHandler =>
    async (req, res, next) => {
      try {
        res.json(await body(req));
      } catch (err) {
        next(err);
      }
    };
  // The edge answers both, like every other 404 and 405.
  const notFound: RequestHandler = (_req, _res, next) => next(Errors.routeNotFound());
  const methodNotAllowed: RequestHandler = (_req, _res, next) => next(Errors.methodNotAllowed(['GET']));

  const list = answer(async (req) => {
    const issues: FieldIssue[] = [];
    const category = stringQuery(req, 'category', issues);
    const provider = stringQuery(req, 'provider', issues);
    const limit = parseIntQuery(req, 'limit', issues);
    if (issues.length > 0) throw restValidation(issues, 'query');
    try {
      const models = await aggregates.publicList({ category, provider, limit });
      return { models: models.map(toRestPublicModel), count: models.length };
    } catch (err) {
      if (err instanceof AppError && err.code === 'VALIDATION') throw restValidation(err.issues, 'query');
      throw err;
    }
  });
  const handlers: [string, RequestHandler][] = [
    [PUBLIC_PATHS.list, list],
    [PUBLIC_PATHS.categories, answer(async () => ({ categories: (await aggregates.publicSummary()).byCategory.map((e) => e.key) }))],
    [PUBLIC_PATHS.providers, answer(async () => ({ providers: (await aggregates.publicSummary()).byProvider.map((e) => e.key) }))],
    [PUBLIC_PATHS.summary, answer(async () => toRestPublicSummary(await aggregates.publicSummary()))],
  ];

  for (const [path, handler] of handlers) {
    const route = router.route(path);
    if (!enabled) {
      route.all(notFound);
      continue;
    }
    // Express refuses an empty handler list.
    if (before.length > 0) route.all(...before);
    route.get(handler).all(methodNotAllowed);
  }
  return router;
}
