import { Errors, MESSAGES } from '../lib/errors';
import { CATEGORIES, CREATE_ONLY_SPECS, REQUIRED_ON_CREATE, UPDATE_SPECS, fieldSpec } from '../models/model.fields';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SKIP } from '../models/model.limits';
import { abilitiesPerCategory, modelResponseProperties, notClearable, requestProperties, restKeyOfInput } from './model-schemas';
import { aggregateOpenApiPaths } from '../aggregates/aggregate.openapi';
import { providerCallOpenApiPaths } from '../provider-calls/provider-call.openapi';
import { providerOpenApiPaths } from '../providers/provider.openapi';
import { CATEGORY_REFUSED_PATTERN, DELETE_REFUSED, UNSHARE_REFUSED, defaultOpenApiPaths } from '../defaults/default-model.openapi';
import type { Document, HttpMethod, MediaType, Operation, PathItem, Reference, Response, Schema } from './types';

/**
 * The OpenAPI 3.1 description of the REST API (`/api/...`), for the legacy callers of the
 * FastAPI service this gateway replaces. Schemas are laid out as FastAPI generates them from
 * pydantic models (component name = title = class name, the class docstring as description,
 * `HTTPValidationError`/`ValidationError` for 422), with the old service's descriptions ("Model
 * update request schema", ...). Limits come from the validation code itself, so the document
 * cannot drift from what the server enforces; test/openapi.test.ts provokes every declared
 * status and checks each real answer against the schema declared here.
 */

type Ref = Reference;
type Responses = Operation['responses'];

/** Kept equal to package.json's version (test/openapi.test.ts checks). */
export const API_VERSION = '0.1.0';

const ref = (kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string): Ref => ({
  $ref: `#/components/${kind}/${name}`,
});
const modelResponse: Schema = {
  title: 'ModelResponse',
  description: 'Model response with user access information',
  type: 'object',
  additionalProperties: false,
  required: Object.keys(modelResponseProperties),
  properties: modelResponseProperties,
  examples: [
    {
      id: 1,
      model_id: 'openai/gpt-4o',
      category: 'llm',
      model_provider: 'openai',
      model_name: 'gpt-4o',
      base_url: 'https://api.openai.com/v1',
      temperature: 0.2,
      dimension: null,
      abilities: ['chat', 'vision'],
      description: null,
      created_at: '2025-01-02T03:04:05.678Z',
      updated_at: '2025-01-02T03:04:05.678Z',
      is_active: true,
      is_owner: true,
      can_edit: true,
      can_delete: true,
      is_shared: false,
    },
  ],
};

const schemas: Record<string, Schema> = {
  ModelCreate: {
    title: 'ModelCreate',
    description: 'Model creation request schema',
    type: 'object',
    required: REQUIRED_ON_CREATE.map(restKeyOfInput),
    properties: { ...requestProperties(CREATE_ONLY_SPECS, true), ...requestProperties(UPDATE_SPECS, true) },
    dependentSchemas: { abilities: { allOf: abilitiesPerCategory } },
    examples: [{ model_id: 'openai/gpt-4o', model_provider: 'openai', model_name: 'gpt-4o', api_key: 'sk-...', temperature: 0.2 }],
  },
  ModelUpdate: {
    title: 'ModelUpdate',
    description:
      'Model update request schema. JSON Merge Patch: a field left out is not changed, `null` clears a nullable field; ' +
      `\`null\` for ${notClearable} is a 422. Other keys (id, model_id, is_active, ...) are ignored. ` +
      'An update that changes nothing answers 200 and keeps the version (ETag).',
    type: 'object',
    properties: requestProperties(UPDATE_SPECS, false),
    dependentSchemas: { abilities: { allOf: abilitiesPerCategory } },
    examples: [{ temperature: 0.2, description: null }],
  },
  ModelResponse: modelResponse,
  MessageResponse: {
    title: 'MessageResponse',
    type: 'object',
    additionalProperties: false,
    required: ['message'],
    properties: { message: { title: 'Message', type: 'string', const: MESSAGES.modelDeleted } },
  },
  HTTPError: {
    title: 'HTTPError',
    description: "FastAPI's error body.",
    type: 'object',
    additionalProperties: false,
    required: ['detail'],
    properties: { detail: { title: 'Detail', type: 'string' } },
  },
  ValidationError: {
    title: 'ValidationError',
    type: 'object',
    // The refused value is never echoed (it might be a key): no `input`, no `ctx`.
    additionalProperties: false,
    required: ['loc', 'msg', 'type'],
    properties: {
      loc: {
        title: 'Location',
        type: 'array',
        items: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        description: '`["body", field, index...]` or `["query", parameter]`; `["body"]` for an empty, malformed or non-object body.',
      },
      msg: { title: 'Message', type: 'string' },
      type: {
        title: 'Error Type',
        type: 'string',
        description: "pydantic's error type, e.g. `missing`, `json_invalid`, `string_type`, `less_than_equal`, `url_scheme`.",
      },
    },
  },
  HTTPValidationError: {
    title: 'HTTPValidationError',
    type: 'object',
    additionalProperties: false,
    required: ['detail'],
    properties: { detail: { title: 'Detail', type: 'array', items: ref('schemas', 'ValidationError') } },
  },
};

const json = (schema: Schema | Ref, example?: unknown): MediaType => ({
  schema,
  ...(example !== undefined ? { example } : {}),
});

/** A `{"detail": ...}` error whose texts are fixed: legacy clients match on them. */
function errorResponse(description: string, details: string[]): Response {
  return {
    description,
    content: {
      'application/json': json(
        { type: 'object', allOf: [ref('schemas', 'HTTPError')], properties: { detail: { type: 'string', enum: details } } },
        { detail: details[0] },
      ),
    },
  };
}

/** The 413 text with any limit, as a pattern. */
const BODY_TOO_LARGE_PATTERN = `^${MESSAGES.bodyTooLarge(0)
  .split('0')
  .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  .join('[0-9]+')}$`;

const ETAG_SCHEMA = { type: 'string', pattern: '^"[0-9]+"$' } as const;

const responses: Record<string, Response> = {
  Unauthorized: {
    description: 'No, malformed or refused bearer token (expired, not yet valid, unsigned, wrongly signed, wrong issuer or audience).',
    headers: { 'WWW-Authenticate': ref('headers', 'WWWAuthenticate') },
    content: {
      'application/json': json(
        {
          type: 'object',
          allOf: [ref('schemas', 'HTTPError')],
          properties: { detail: { type: 'string', enum: [Errors.notAuthenticated().message, Errors.badCredentials().message] } },
        },
        { detail: Errors.notAuthenticated().message },
      ),
    },
  },
  NotFound: errorResponse('No such model, or one the caller may not see (never 403 for those).', [Errors.notFound().message]),
  PayloadTooLarge: {
    description: 'The body is over the limit (`BODY_LIMIT_BYTES`, 1 MiB by default). Checked before everything else.',
    content: {
      'application/json': json(
        {
          type: 'object',
          allOf: [ref('schemas', 'HTTPError')],
          properties: { detail: { type: 'string', pattern: BODY_TOO_LARGE_PATTERN } },
        },
        { detail: MESSAGES.bodyTooLarge(1048576) },
      ),
    },
  },
  ValidationError: {
    description:
      'Malformed JSON, an empty or non-object body, wrong types (no coercion: `"0.5"` is not a number), out-of-range values, `null` for a required field, ' +
      'a NUL character (U+0000) in a string other than api_key, a control character in model_id, a lone UTF-16 surrogate in a string, ' +
      'or abilities that the category does not allow. Every problem is listed.',
    content: {
      'application/json': json(ref('schemas', 'HTTPValidationError'), {
        detail: [
          {
            loc: ['body', 'temperature'],
            msg: `Input should be less than or equal to ${fieldSpec('temperature').max}`,
            type: 'less_than_equal',
          },
        ],
      }),
    },
  },
  TooManyRequests: {
    ...errorResponse(
      'The caller (by token subject, else by address) used up its budget of requests for the window (`RATE_LIMIT_MAX` per `RATE_LIMIT_WINDOW_MS`; off when 0). Checked after 413, before 401.',
      [MESSAGES.tooManyRequests],
    ),
    headers: {
      'Retry-After': ref('headers', 'RetryAfter'),
      RateLimit: ref('headers', 'RateLimit'),
      'RateLimit-Policy': ref('headers', 'RateLimitPolicy'),
    },
  },
  InternalServerError: errorResponse('Anything unexpected; no internals are disclosed.', [MESSAGES.internal]),
  ServiceUnavailable: {
    ...errorResponse('The database cannot be reached right now; retry.', [MESSAGES.unavailable]),
    headers: { 'Retry-After': ref('headers', 'RetryAfter') },
  },
};

/** Answers every authenticated operation may give, whatever it does. */
const common: Responses = {
  '401': ref('responses', 'Unauthorized'),
  '429': ref('responses', 'TooManyRequests'),
  '500': ref('responses', 'InternalServerError'),
  '503': ref('responses', 'ServiceUnavailable'),
};

const modelOk = (description: string): Response => ({
  description,
  headers: { ETag: ref('headers', 'ETag') },
  content: { 'application/json': json(ref('schemas', 'ModelResponse')) },
});

const SHARING_FORBIDDEN = Errors.sharingNotAllowed().message;
const SHARING_FORBIDDEN_ON_CREATE = Errors.sharingNotAllowedOnCreate().message;
const SHARED_LOCK = [
  Errors.sharedLocked(['category']).message,
  Errors.sharedLocked(['abilities']).message,
  Errors.sharedLocked(['category', 'abilities']).message,
  // After many lost races in a row the update gives up instead of spinning (docs/api.md).
  MESSAGES.tooManyWriters,
];

function createOperation(operationId: string, summary: string): Operation {
  return {
    tags: ['models'],
    operationId,
    summary,
    description:
      'Answers 200 (not 201), as the replaced service did. Order of checks: 413, 429, 401, 422 (shape), 400 (category), 422 (abilities for the category), 400 (duplicate id), 403 (sharing).',
    requestBody: { required: true, content: { 'application/json': json(ref('schemas', 'ModelCreate')) } },
    responses: {
      '200': modelOk('The created model; ETag `"1"`.'),
      '400': errorResponse('Unknown category, or the model_id is taken (ids are global: also by models the caller cannot see).', [
        Errors.duplicateModelId().message,
        Errors.invalidCategory().message,
      ]),
      '403': errorResponse('A non-admin asked for `share_with_users: true`.', [SHARING_FORBIDDEN_ON_CREATE]),
      '413': ref('responses', 'PayloadTooLarge'),
      '422': ref('responses', 'ValidationError'),
      ...common,
    },
  };
}

/** The operations of one model, by its id: under `/{model_id}` and under `/by-id/{model_id}`. */
function modelOperations(style: 'plain' | 'by-id'): PathItem {
  const suffix = style === 'plain' ? '' : 'ById';
  return {
    parameters: [ref('parameters', style === 'plain' ? 'ModelIdPath' : 'ModelIdWithSlashes')],
    get: {
      tags: ['models'],
      operationId: `getModel${suffix}`,
      summary: 'Get one model',
      responses: {
        '200': modelOk('The model as the caller sees it; ETag is its version.'),
        '404': ref('responses', 'NotFound'),
        ...common,
      },
    },
    put: {
      tags: ['models'],
      operationId: `updateModel${suffix}`,
      summary: 'Update a model (JSON Merge Patch)',
      description:
        'Order of checks: 413, 429, 401, 422 (shape), 404, 403 (edit), 412 (If-Match), 400 (category), 422 (abilities for the category), 409 (shared model, then default models), 403 (sharing).',
      parameters: [ref('parameters', 'IfMatch')],
      requestBody: { required: true, content: { 'application/json': json(ref('schemas', 'ModelUpdate')) } },
      responses: {
        '200': modelOk('The model after the update; ETag is its new version (unchanged when nothing changed).'),
        '400': errorResponse('Unknown category.', [Errors.invalidCategory().message]),
        '403': errorResponse('The caller may see the model but not edit it, or a non-admin turns sharing on.', [
          Errors.noEditPermission().message,
          SHARING_FORBIDDEN,
        ]),
        '404': ref('responses', 'NotFound'),
        '409': {
          description:
            'The model is shared: its category and abilities cannot change (un-share first); or users chose it as a default: un-sharing it while it is its owner’s default, or a category/abilities change that would leave a default unfit (the message names the config types). Nothing changed.',
          content: {
            'application/json': json(
              {
                type: 'object',
                allOf: [ref('schemas', 'HTTPError')],
                properties: {
                  detail: {
                    anyOf: [
                      { type: 'string', enum: [...SHARED_LOCK, UNSHARE_REFUSED] },
                      { type: 'string', pattern: CATEGORY_REFUSED_PATTERN },
                    ],
                  },
                },
              },
              { detail: SHARED_LOCK[0] },
            ),
          },
        },
        '412': {
          ...errorResponse('If-Match does not match the current version; nothing changed. ETag is the version now, to retry with.', [
            Errors.preconditionFailed().message,
          ]),
          headers: { ETag: ref('headers', 'ETag') },
        },
        '413': ref('responses', 'PayloadTooLarge'),
        '422': ref('responses', 'ValidationError'),
        ...common,
      },
    },
    delete: {
      tags: ['models'],
      operationId: `deleteModel${suffix}`,
      summary: 'Delete a model',
      responses: {
        '200': { description: 'Deleted.', content: { 'application/json': json(ref('schemas', 'MessageResponse')) } },
        '403': errorResponse('The caller may see the model (it is shared) but not delete it.', [Errors.noDeletePermission().message]),
        '404': ref('responses', 'NotFound'),
        '409': errorResponse(
          'The model is one of the caller’s default models: change the default first. (Other users’ defaults of it are deleted with it.) Nothing changed.',
          [DELETE_REFUSED],
        ),
        ...common,
      },
    },
  };
}

/**
 * Methods a path does not serve answer 405 before authentication, as FastAPI does. Only served
 * operations are described (a pseudo-operation per refused method would become a useless client
 * function); the path's description says which methods get the 405.
 */
function notServed(item: PathItem, methods: HttpMethod[]): PathItem {
  const names = methods.map((method) => method.toUpperCase());
  const listed = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0];
  const note = `${listed} answer${names.length > 1 ? '' : 's'} 405 \`{"detail": "${MESSAGES.methodNotAllowed}"}\`, before authentication.`;
  return { ...item, description: item.description ? `${item.description} ${note}` : note };
}

export const openApiDocument: Document = {
  openapi: '3.1.0',
  info: {
    title: 'Model registry REST API',
    version: API_VERSION,
    summary: 'The REST API of the FastAPI model-management service this gateway replaces.',
    description:
      'Register the AI models you use (provider, model name, endpoint, API key, temperature, dimension, abilities) and share some with everyone. ' +
      'The same operations are available over GraphQL at `/graphql`. Every model operation needs `Authorization: Bearer <JWT>`. ' +
      'Errors use FastAPI\'s shapes: `{"detail": "..."}`, and `{"detail": [{"loc", "msg", "type"}]}` for 422. ' +
      'When several errors apply, the first of this order wins: 413, 429, 401, 422, 404, 403 (edit or delete permission), 412, 400, 409, 403 (sharing permission). ' +
      'While rate limiting is on, every answer carries `RateLimit` and `RateLimit-Policy` headers. ' +
      `A method a path does not serve answers 405 \`{"detail": "${MESSAGES.methodNotAllowed}"}\` (each path's description lists them). ` +
      `Unknown paths answer 404 \`{"detail": "${MESSAGES.pathNotFound}"}\`.`,
  },
  servers: [{ url: '/', description: 'This server' }],
  security: [{ bearerAuth: [] }],
  tags: [
    { name: 'models', description: 'Registered AI models' },
    { name: 'providers', description: 'The provider catalog: fixed data, no token needed' },
    { name: 'aggregates', description: 'Counts over the models the caller may see' },
    { name: 'public catalog', description: 'Shared, active models, without a token (PUBLIC_CATALOG)' },
    { name: 'provider calls', description: "Calls to model providers on the caller's behalf: connection tests and model lists" },
    { name: 'default models', description: 'Each user’s default model per config type (general, visual, embedding, ...)' },
  ],
  paths: {
    '/api/models': notServed(
      {
        get: {
          tags: ['models'],
          operationId: 'listModels',
          summary: 'List the models the caller may see',
          description: 'Own models, every model for admins, and shared active ones; ordered by id. Lists carry no ETag.',
          parameters: [
            ref('parameters', 'Skip'),
            ref('parameters', 'Limit'),
            ref('parameters', 'CategoryFilter'),
            ref('parameters', 'ProviderFilter'),
            ref('parameters', 'IsActive'),
          ],
          responses: {
            '200': {
              description: 'The models, possibly none.',
              content: { 'application/json': json({ type: 'array', items: ref('schemas', 'ModelResponse') }) },
            },
            '400': errorResponse('Unknown category in the filter (an empty list would hide the typo).', [Errors.invalidCategory().message]),
            '422': ref('responses', 'ValidationError'),
            ...common,
          },
        },
        post: createOperation('createModel', 'Register a model'),
      },
      ['put', 'delete', 'patch'],
    ),
    '/api/models/register': notServed(
      {
        description:
          'The replaced service\'s second create path. GET, PUT and DELETE here act on a model whose id is "register" (see `/api/models/{model_id}`).',
        post: createOperation('registerModel', 'Register a model (alias of POST /api/models)'),
      },
      ['patch'],
    ),
    '/api/models/{model_id}': notServed(modelOperations('plain'), ['post', 'patch']),
    '/api/models/by-id/{model_id}': notServed(
      {
        description:
          'For ids that contain `/`: everything after `by-id/` is the id, e.g. `/api/models/by-id/google/gemini-2.5-flash`. (`%2F` in `/api/models/{model_id}` works too.)',
        ...modelOperations('by-id'),
      },
      ['post', 'patch'],
    ),
    ...providerOpenApiPaths,
    ...aggregateOpenApiPaths,
    ...providerCallOpenApiPaths,
    ...defaultOpenApiPaths,
  },
  components: {
    schemas,
    responses,
    parameters: {
      ModelIdPath: {
        name: 'model_id',
        in: 'path',
        required: true,
        description: "The model's public id; a `/` in it must be sent as `%2F` here (or use `/api/models/by-id/...`).",
        schema: { type: 'string', minLength: 1 },
      },
      ModelIdWithSlashes: {
        name: 'model_id',
        in: 'path',
        required: true,
        description: "The model's public id; may contain `/` (e.g. `google/gemini-2.5-flash`), as is or as `%2F`.",
        schema: { type: 'string', minLength: 1 },
        example: 'google/gemini-2.5-flash',
      },
      IfMatch: {
        name: 'If-Match',
        in: 'header',
        required: false,
        description:
          'Apply the update only if the model is still at this version (the ETag of a GET): `"3"`, `W/"3"` or `3`; a list uses its first tag; `*` matches any existing model; an empty header counts as absent. Otherwise 412 and nothing changes.',
        schema: { type: 'string' },
      },
      Skip: { name: 'skip', in: 'query', schema: { type: 'integer', minimum: 0, maximum: MAX_SKIP, default: 0 } },
      Limit: { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE } },
      CategoryFilter: {
        name: 'category',
        in: 'query',
        description: 'Only this category; empty means no filter; unknown: 400.',
        schema: { type: 'string', enum: [...CATEGORIES] },
      },
      ProviderFilter: {
        name: 'model_provider',
        in: 'query',
        description: 'Only this provider; empty means no filter.',
        schema: { type: 'string' },
      },
      IsActive: {
        name: 'is_active',
        in: 'query',
        description: 'true/false (also 1/0, yes/no, on/off).',
        schema: { type: 'boolean', default: true },
      },
    },
    headers: {
      ETag: {
        description:
          'The model\'s version, `"<version>"`: 1 on create, +1 on every update that changes something. Send it back in If-Match.',
        required: true,
        schema: ETAG_SCHEMA,
      },
      WWWAuthenticate: { description: 'The scheme to authenticate with.', required: true, schema: { type: 'string', enum: ['Bearer'] } },
      RetryAfter: { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
      RateLimit: {
        description: "The caller's budget (IETF draft 7); sent on every /api answer while rate limiting is on.",
        required: true,
        schema: { type: 'string', pattern: '^limit=[0-9]+, remaining=[0-9]+, reset=[0-9]+$' },
        example: 'limit=600, remaining=0, reset=42',
      },
      RateLimitPolicy: {
        description: 'Requests per window of seconds (IETF draft 7); sent on every /api answer while rate limiting is on.',
        required: true,
        schema: { type: 'string', pattern: '^[0-9]+;w=[0-9]+$' },
        example: '600;w=60',
      },
    },
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A JWT whose `sub` is the caller; `roles` (array) or `role` (string) containing `admin` makes an admin. Development tokens: `npm run -s token -- --sub alice [--admin]`.',
      },
    },
  },
};
