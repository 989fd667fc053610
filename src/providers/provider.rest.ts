import { Router, type RequestHandler } from 'express';
import { Errors } from '../lib/errors';
import { listProviders, listProviderTypes, type CatalogProvider } from './provider.catalog';

/**
 * The catalog over REST, without a token, as the replaced service served it:
 *   GET /api/models/providers/supported  {"providers": [...]}
 *   GET /api/models/types/available      {"model_providers": [...]}
 * Other methods on these paths answer 405 with `Allow`; a model whose id is one of these paths
 * stays reachable as `/api/models/providers%2Fsupported` or under `/api/models/by-id/`.
 */

export const PROVIDERS_SUPPORTED_PATH = '/api/models/providers/supported';
export const TYPES_AVAILABLE_PATH = '/api/models/types/available';

/** The REST entry: snake_case; `compatibility` and `default_base_url` only where the provider has them. */
export function toRestProvider(provider: CatalogProvider) {
  return {
    id: provider.id,
    name: provider.name,
    description: provider.description,
    requires_base_url: provider.requiresBaseUrl,
    categories: [...provider.categories],
    protocol: provider.protocol,
    ...(provider.compatibility !== null ? { compatibility: provider.compatibility } : {}),
    ...(provider.defaultBaseUrl !== null ? { default_base_url: provider.defaultBaseUrl } : {}),
  };
}

/**
 * Mount before the /api authentication, which would otherwise refuse anonymous callers.
 * `before` runs on these two paths only (CORS, then whatever keys the rate limit), so the
 * catalog shares the API's CORS policy and request budget without answering 401.
 */
export function providerRoutes(...before: RequestHandler[]): Router {
  const router = Router();
  // The catalog is fixed for the life of the process: serialize once.
  const supported = JSON.stringify({ providers: listProviders().map(toRestProvider) });
  const available = JSON.stringify({ model_providers: listProviderTypes() });

  // The edge answers it (Allow: GET, HEAD), like every other 405.
  const methodNotAllowed: RequestHandler = (_req, _res, next) => next(Errors.methodNotAllowed(['GET']));
  const send =
    (body: string): RequestHandler =>
    (_req, res) => {
      res.type('application/json').send(body);
    };

  for (const [path, body] of [
    [PROVIDERS_SUPPORTED_PATH, supported],
    [TYPES_AVAILABLE_PATH, available],
  ] as const) {
    const route = router.route(path);
    // Express refuses an empty handler list.
    if (before.length > 0) route.all(...before);
    route.get(send(body)).all(methodNotAllowed);
  }
  return router;
}
