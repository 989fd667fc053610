import type { Parameter, PathItem, Reference, Response, Schema } from '../openapi/types';
import { CONFIG_TYPES, configTypeFromPath } from './default-model.config-types';
import { GuardErrors } from './default-model.guards';
import { DEFAULT_PATHS } from './default-model.rest';
import { DefaultErrors } from './default-model.service';

/**
 * The OpenAPI path items of the default models, spread into the document's `paths` by
 * src/openapi/openapi.ts, and the texts of the 409s the model operations answer because of them.
 * Config types and messages come from the code that enforces them.
 */

const ref = (kind: string, name: string): Reference => ({ $ref: `#/components/${kind}/${name}` });

/** What every authenticated operation may answer besides its own. */
const COMMON = {
  '401': ref('responses', 'Unauthorized'),
  '429': ref('responses', 'TooManyRequests'),
  '500': ref('responses', 'InternalServerError'),
  '503': ref('responses', 'ServiceUnavailable'),
};

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A fixed text with `{}` standing for a variable part, as an anchored pattern. */
const patternOf = (template: string): string => `^${template.split('{}').map(escape).join('.+')}$`;

/** The 409 an update gets when the change would leave a default unfit (it names the config types). */
export const CATEGORY_REFUSED_PATTERN = patternOf(GuardErrors.categoryRefused(['{}']).message);
export const UNSHARE_REFUSED = GuardErrors.unshareRefused().message;
export const DELETE_REFUSED = GuardErrors.deleteRefused().message;

const detail = (description: string, schema: Schema, example: string): Response => ({
  description,
  content: {
    'application/json': {
      schema: { type: 'object', allOf: [ref('schemas', 'HTTPError')], properties: { detail: schema } },
      example: { detail: example },
    },
  },
});

const configType: Schema = { title: 'Config Type', type: 'string', enum: [...CONFIG_TYPES] };

const entrySchema: Schema = {
  title: 'UserDefaultModel',
  description: 'One stored default. `model_id` is the numeric `id` of the model (not its public model_id).',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'user_id', 'model_id', 'config_type', 'created_at', 'updated_at'],
  properties: {
    id: { title: 'Id', type: 'integer' },
    user_id: { title: 'User Id', type: 'string', description: 'The `sub` of the token that set it.' },
    model_id: { title: 'Model Id', type: 'integer', minimum: 1 },
    config_type: configType,
    created_at: { title: 'Created At', type: 'string', format: 'date-time' },
    updated_at: { title: 'Updated At', type: 'string', format: 'date-time' },
  },
};

const listedSchema: Schema = {
  title: 'UserDefaultModelWithModel',
  description:
    'A default with its model as the caller sees it. `inherited`: an admin’s default on a shared, active model, reported where the caller has none of that type (its own id and user_id).',
  type: 'object',
  additionalProperties: false,
  required: [...(entrySchema.required ?? []), 'inherited', 'model'],
  properties: {
    ...entrySchema.properties,
    inherited: { title: 'Inherited', type: 'boolean' },
    model: ref('schemas', 'ModelResponse'),
  },
};

const example = {
  id: 1,
  user_id: 'alice',
  model_id: 3,
  config_type: 'general',
  created_at: '2026-01-01T10:00:00.000Z',
  updated_at: '2026-01-01T10:00:00.000Z',
};

const ok = (description: string, schema: Schema | Reference, value?: unknown): Response => ({
  description,
  content: { 'application/json': { schema, ...(value !== undefined ? { example: value } : {}) } },
});

const pathType = (name: string, description: string, values: string[]): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', enum: values },
});

/** Every spelling `/default/{type}` answers to: each config type, hyphenated too, and `llm`. */
const LENIENT_TYPES = [...new Set([...CONFIG_TYPES, ...CONFIG_TYPES.map((type) => type.replace(/_/g, '-')), 'llm'])].filter(
  (value) => configTypeFromPath(value) !== null,
);

const INVALID_TYPE =
  'An unknown config type: `loc` `["body", "config_type"]` (or `["path", ...]`), msg `Invalid config_type: <t>. Valid types are: <list>`; other malformed bodies as usual.';

export const defaultOpenApiPaths: Record<string, PathItem> = {
  [DEFAULT_PATHS.list]: {
    description:
      'GET and POST are the default-model operations; PUT and DELETE here act on a model whose model_id is `user-default` (see `/api/models/{model_id}`). PATCH answers 405 `{"detail": "Method Not Allowed"}` with `Allow: GET, HEAD, POST, PUT, DELETE`, before authentication.',
    get: {
      tags: ['default models'],
      operationId: 'listDefaultModels',
      summary: 'The caller’s default models, one per config type',
      description:
        'In the config types’ order. Where the caller has no usable default of a type, the organisation’s (an admin’s on a shared, active model) is reported with `inherited: true`. Defaults on inactive models are not reported. `[]` when there are none. GraphQL: `defaultModels`.',
      responses: { '200': ok('The defaults, possibly none.', { type: 'array', items: listedSchema }), ...COMMON },
    },
    post: {
      tags: ['default models'],
      operationId: 'setDefaultModel',
      summary: 'Set (or replace) the caller’s default of a config type',
      description:
        'Order of checks: 413, 429, 401, 422 (every body problem), 404 (a model the caller may not see), 400 (the model does not fit the type). A refused request stores nothing. ' +
        `${INVALID_TYPE} GraphQL: \`setDefaultModel\`.`,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              title: 'UserDefaultModelCreate',
              type: 'object',
              required: ['model_id', 'config_type'],
              properties: {
                model_id: {
                  title: 'Model Id',
                  description:
                    'A JSON number: the model’s numeric `id`; a string: its public model_id. Booleans, null, fractions and numbers below 1 are refused.',
                  anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }],
                },
                config_type: configType,
              },
            },
            example: { model_id: 3, config_type: 'general' },
          },
        },
      },
      responses: {
        '200': ok('The default as stored.', entrySchema, example),
        '400': detail(
          'The model does not fit the config type (category, or a required ability missing).',
          { type: 'string', pattern: patternOf(DefaultErrors.incompatible('{}', '{}').message) },
          DefaultErrors.incompatible('embedding', 'llm').message,
        ),
        '404': ref('responses', 'NotFound'),
        '413': ref('responses', 'PayloadTooLarge'),
        '422': ref('responses', 'ValidationError'),
        ...COMMON,
      },
    },
  },
  [DEFAULT_PATHS.one]: {
    description:
      'POST, PUT and PATCH answer 405 `{"detail": "Method Not Allowed"}` with `Allow: GET, HEAD, DELETE`, before authentication.',
    parameters: [pathType('config_type', 'A config type, exactly as named (no hyphens, no aliases); unknown: 422.', [...CONFIG_TYPES])],
    get: {
      tags: ['default models'],
      operationId: 'getDefaultModel',
      summary: 'The caller’s own default of a config type, or null',
      description: 'Never an inherited one; null too while its model is inactive. GraphQL: `defaultModel`.',
      responses: {
        '200': ok('The default with its model, or `null`.', { anyOf: [listedSchema, { type: 'null' }] }),
        '422': ref('responses', 'ValidationError'),
        ...COMMON,
      },
    },
    delete: {
      tags: ['default models'],
      operationId: 'deleteDefaultModel',
      summary: 'Remove the caller’s own default of a config type',
      description: 'GraphQL: `clearDefaultModel` (which answers false instead of 404).',
      responses: {
        '200': ok(
          'Removed.',
          {
            type: 'object',
            additionalProperties: false,
            required: ['message'],
            properties: { message: { type: 'string', const: 'Default configuration deleted successfully' } },
          },
          { message: 'Default configuration deleted successfully' },
        ),
        '404': detail(
          'The caller has no default of that type (an inherited one is not theirs to delete).',
          { type: 'string', enum: [DefaultErrors.notFound().message] },
          DefaultErrors.notFound().message,
        ),
        '422': ref('responses', 'ValidationError'),
        ...COMMON,
      },
    },
  },
  [DEFAULT_PATHS.modelOf]: {
    description:
      'POST, PUT, DELETE and PATCH answer 405 `{"detail": "Method Not Allowed"}` with `Allow: GET, HEAD`, before authentication.',
    parameters: [
      pathType(
        'type',
        'A config type, with hyphens or underscores (`small-fast`, `small_fast`); `llm` means general. Unknown: 422 on `["path", "type"]`.',
        LENIENT_TYPES,
      ),
    ],
    get: {
      tags: ['default models'],
      operationId: 'getDefaultModelOfType',
      summary: 'The model of the caller’s own default of a type, or null',
      description: 'The replaced frontend’s per-type read. Each type answers its own default.',
      responses: {
        '200': ok('The REST model body, or `null`.', { anyOf: [ref('schemas', 'ModelResponse'), { type: 'null' }] }),
        '422': ref('responses', 'ValidationError'),
        ...COMMON,
      },
    },
  },
};
