import type { Operation, PathItem, Reference, Response, Schema } from '../openapi/types';
import { PROVIDER_CATEGORIES } from '../providers/provider.catalog';
import { AGGREGATE_PATHS, PUBLIC_PATHS } from './aggregate.rest';
import { PUBLIC_LIST_DEFAULT_LIMIT, PUBLIC_LIST_MAX_LIMIT } from './aggregate.service';

/**
 * The OpenAPI path items of the aggregates and the public catalog, spread into the document's
 * `paths` by src/openapi/openapi.ts. Limits and categories come from the code that enforces them.
 */

const ref = (kind: string, name: string): Reference => ({ $ref: `#/components/${kind}/${name}` });

/** What any answer that reads the database may be besides its own. */
const READS = {
  '429': ref('responses', 'TooManyRequests'),
  '500': ref('responses', 'InternalServerError'),
  '503': ref('responses', 'ServiceUnavailable'),
};

const stringList = (title: string, key: string, description: string, example: string[]): Response => ({
  description,
  content: {
    'application/json': {
      schema: {
        title,
        type: 'object',
        additionalProperties: false,
        required: [key],
        properties: { [key]: { type: 'array', items: { type: 'string' } } },
      },
      example: { [key]: example },
    },
  },
});

const counts: Schema = { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } };

const summarySchema: Schema = {
  title: 'ModelsSummary',
  type: 'object',
  additionalProperties: false,
  required: ['total_models', 'by_category', 'by_provider'],
  properties: {
    total_models: { title: 'Total Models', type: 'integer', minimum: 0 },
    by_category: { ...counts, description: 'Models per category; only categories that have some, keys sorted.' },
    by_provider: { ...counts, description: 'Models per model_provider; only providers that have some, keys sorted.' },
  },
};

const publicSummarySchema: Schema = {
  title: 'PublicModelsSummary',
  type: 'object',
  additionalProperties: false,
  required: ['total_models', 'by_category'],
  properties: {
    total_models: { title: 'Total Models', type: 'integer', minimum: 0 },
    by_category: {
      type: 'object',
      description: 'Every category, 0 where there is none.',
      required: [...PROVIDER_CATEGORIES],
      properties: Object.fromEntries(PROVIDER_CATEGORIES.map((category) => [category, { type: 'integer', minimum: 0 }])),
      additionalProperties: { type: 'integer', minimum: 0 },
    },
  },
};

const publicModelSchema: Schema = {
  title: 'PublicModel',
  description: 'What a shared model is; never its key, base URL or owner.',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'model_id', 'category', 'model_provider', 'model_name', 'abilities', 'description'],
  properties: {
    id: { title: 'Id', type: 'integer' },
    model_id: { title: 'Model Id', type: 'string' },
    category: { title: 'Category', type: 'string' },
    model_provider: { title: 'Model Provider', type: 'string' },
    model_name: { title: 'Model Name', type: 'string' },
    abilities: { title: 'Abilities', type: ['array', 'null'], items: { type: 'string' } },
    description: { title: 'Description', type: ['string', 'null'] },
  },
};

const ok = (description: string, schema: Schema, example: unknown): Response => ({
  description,
  content: { 'application/json': { schema, example } },
});

const FIXED_PATH =
  'GET only: PUT and DELETE on this path act on the model whose model_id it names (see `/api/models/{model_id}`); `/api/models/by-id/{model_id}` reaches any model. POST and PATCH answer 405 `{"detail": "Method Not Allowed"}`, before authentication.';

function aggregate(operationId: string, summary: string, response: Response): PathItem {
  return {
    description: FIXED_PATH,
    get: {
      tags: ['aggregates'],
      operationId,
      summary,
      description: 'Over the active models the caller may see (own, shared, or all for an admin), each model once.',
      responses: { '200': response, '401': ref('responses', 'Unauthorized'), ...READS },
    },
  };
}

const publicOff: Response = {
  description: 'PUBLIC_CATALOG=off: the path does not exist (every method).',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['detail'],
        properties: { detail: { type: 'string', const: 'Not Found' } },
      },
      example: { detail: 'Not Found' },
    },
  },
};

function publicItem(_name: string, get: Omit<Operation, 'tags' | 'security'>): PathItem {
  const item: PathItem = {
    description: 'POST, PUT, DELETE and PATCH answer 405 `{"detail": "Method Not Allowed"}` with `Allow: GET, HEAD`.',
    get: { ...get, tags: ['public catalog'], security: [], responses: { ...get.responses, '404': publicOff, ...READS } },
  };
  return item;
}

const PUBLIC_SCOPE = 'No token needed. Shared, active models only (the replaced service listed every model here).';

export const aggregateOpenApiPaths: Record<string, PathItem> = {
  [AGGREGATE_PATHS.categories]: aggregate(
    'listModelCategories',
    'The categories of the models the caller may see',
    stringList('ModelCategories', 'categories', 'Distinct categories, sorted.', ['embedding', 'llm']),
  ),
  [AGGREGATE_PATHS.providers]: aggregate(
    'listModelProviders',
    'The providers of the models the caller may see',
    stringList('ModelProviders', 'providers', 'Distinct model_provider values, sorted.', ['ollama', 'openai']),
  ),
  [AGGREGATE_PATHS.abilities]: aggregate(
    'listModelAbilities',
    'The abilities of the models the caller may see',
    stringList('ModelAbilities', 'abilities', 'The union of their abilities, sorted.', ['chat', 'embedding', 'vision']),
  ),
  [AGGREGATE_PATHS.summary]: aggregate(
    'getModelsSummary',
    'How many models the caller may see, per category and provider',
    ok('The counts. GraphQL: `modelSummary`.', summarySchema, {
      total_models: 3,
      by_category: { embedding: 1, llm: 2 },
      by_provider: { ollama: 1, openai: 2 },
    }),
  ),
  [PUBLIC_PATHS.list]: publicItem('publicList', {
    operationId: 'listPublicModels',
    summary: 'Shared models, without a token',
    description: `${PUBLIC_SCOPE} Ordered by id.`,
    parameters: [
      {
        name: 'category',
        in: 'query',
        description: 'Only this category (trimmed, lower-cased); empty means no filter; unknown: 400.',
        schema: { type: 'string' },
      },
      {
        name: 'provider',
        in: 'query',
        description: 'Only this model_provider (any spelling the catalog maps to it); empty means no filter.',
        schema: { type: 'string' },
      },
      {
        name: 'limit',
        in: 'query',
        schema: { type: 'integer', minimum: 1, maximum: PUBLIC_LIST_MAX_LIMIT, default: PUBLIC_LIST_DEFAULT_LIMIT },
      },
    ],
    responses: {
      '200': ok(
        'The models (at most `limit`) and how many were listed.',
        {
          title: 'PublicModels',
          type: 'object',
          additionalProperties: false,
          required: ['models', 'count'],
          properties: { models: { type: 'array', items: publicModelSchema }, count: { type: 'integer', minimum: 0 } },
        },
        {
          models: [
            {
              id: 1,
              model_id: 'gpt-4o',
              category: 'llm',
              model_provider: 'openai',
              model_name: 'gpt-4o',
              abilities: ['chat'],
              description: null,
            },
          ],
          count: 1,
        },
      ),
      '400': {
        description: 'Unknown category in the filter.',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              allOf: [ref('schemas', 'HTTPError')],
              properties: { detail: { type: 'string', enum: ['Invalid model category'] } },
            },
            example: { detail: 'Invalid model category' },
          },
        },
      },
      '422': ref('responses', 'ValidationError'),
    },
  }),
  [PUBLIC_PATHS.categories]: publicItem('publicCategories', {
    operationId: 'listPublicCategories',
    summary: 'Categories of shared models, without a token',
    description: PUBLIC_SCOPE,
    responses: { '200': stringList('PublicCategories', 'categories', 'Distinct categories, sorted.', ['llm']) },
  }),
  [PUBLIC_PATHS.providers]: publicItem('publicProviders', {
    operationId: 'listPublicProviders',
    summary: 'Providers of shared models, without a token',
    description: PUBLIC_SCOPE,
    responses: { '200': stringList('PublicProviders', 'providers', 'Distinct model_provider values, sorted.', ['openai']) },
  }),
  [PUBLIC_PATHS.summary]: publicItem('publicSummary', {
    operationId: 'getPublicSummary',
    summary: 'How many shared models there are, per category, without a token',
    description: PUBLIC_SCOPE,
    responses: {
      '200': ok('The counts, as the replaced service sent them (no per-provider counts).', publicSummarySchema, {
        total_models: 1,
        by_category: Object.fromEntries(PROVIDER_CATEGORIES.map((category) => [category, category === 'llm' ? 1 : 0])),
      }),
    },
  }),
};
