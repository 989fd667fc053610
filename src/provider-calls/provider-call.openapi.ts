import { Errors } from '../lib/errors';
import { fieldSpec } from '../models/model.fields';
import { requestProperties } from '../openapi/model-schemas';
import type { Operation, PathItem, Reference, Response, Schema } from '../openapi/types';
import { listProviders } from '../providers/provider.catalog';
import { PROVIDER_MODELS_PATH, TEST_CONNECTION_PATH, TEST_MODELS_PATH } from './provider-call.rest';
import {
  FAILED_MESSAGE,
  MODEL_TEST_FAILED,
  MODEL_TEST_PASSED,
  PASSED_MESSAGE,
  TEST_CONNECTION_FIELDS,
  TIMED_OUT_MESSAGE,
  timedOutText,
} from './provider-call.service';

/**
 * The OpenAPI path items of the provider calls, spread into the document's `paths` by
 * src/openapi/openapi.ts. Texts come from the service, so the document cannot drift from them.
 */

const ref = (kind: string, name: string): Reference => ({ $ref: `#/components/${kind}/${name}` });

/** What every authenticated POST with a body may answer besides its own. */
const COMMON: Operation['responses'] = {
  '401': ref('responses', 'Unauthorized'),
  '413': ref('responses', 'PayloadTooLarge'),
  '422': ref('responses', 'ValidationError'),
  '429': ref('responses', 'TooManyRequests'),
  '500': ref('responses', 'InternalServerError'),
  '503': ref('responses', 'ServiceUnavailable'),
};

const BUDGET =
  'Each call to a provider spends one unit of the caller\'s `PROVIDER_CALLS_PER_MINUTE` budget (default 30); past it: 429 `{"detail": "Too Many Requests"}` with `Retry-After`.';

const resultSchema = (messages: string[]): Schema => ({
  title: 'ConnectionTestResult',
  type: 'object',
  additionalProperties: false,
  required: ['model_id', 'status', 'response_time', 'message', 'error'],
  properties: {
    model_id: { title: 'Model Id', type: 'string' },
    status: { title: 'Status', type: 'string', enum: ['passed', 'failed'] },
    response_time: { title: 'Response Time', type: 'number', minimum: 0, description: 'Seconds.' },
    message: { title: 'Message', type: 'string', enum: messages },
    error: {
      anyOf: [{ type: 'string' }, { type: 'null' }],
      title: 'Error',
      description:
        "Why it failed: the provider's status and message (keys redacted), a refused address and how to allow it, or the timed-out text. null when passed.",
    },
  },
});

const [modelProvider, modelName, ...optional] = TEST_CONNECTION_FIELDS.map((name) => fieldSpec(name));

const testConnectionBody: Schema = {
  title: 'ModelConnectionTest',
  description:
    "The settings to test, as the model form holds them (the create body's fields). With `model_id` of a stored model the caller may edit and a blank or missing `api_key`, the stored key is used, and only towards the base URL stored with it.",
  type: 'object',
  required: ['model_provider', 'model_name'],
  properties: {
    ...requestProperties([modelProvider!, modelName!, ...optional], false),
    category: {
      anyOf: [{ type: 'string' }, { type: 'null' }],
      title: 'Category',
      default: 'llm',
      description: 'The category to test as. One without a test (music, sound_effect, unknown) is a failed result, not an error.',
    },
  },
  examples: [{ model_provider: 'ollama', model_name: 'llama3.2', base_url: 'http://localhost:11434/v1' }],
};

const providerModelSchema: Schema = {
  title: 'ProviderModel',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'category', 'abilities'],
  properties: {
    id: { title: 'Id', type: 'string', description: 'The model id to use as `model_name`.' },
    name: { anyOf: [{ type: 'string' }, { type: 'null' }], title: 'Name' },
    category: {
      anyOf: [{ type: 'string' }, { type: 'null' }],
      title: 'Category',
      description: 'Where the provider says (Xinference, Anthropic).',
    },
    abilities: {
      anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'null' }],
      title: 'Abilities',
      description: "In the registry's words, where the provider says (Xinference).",
    },
  },
};

const ok = (description: string, schema: Schema, example: unknown): Response => ({
  description,
  content: { 'application/json': { schema, example } },
});

const detail = (description: string, pattern: string, example: string): Response => ({
  description,
  content: {
    'application/json': {
      schema: { type: 'object', allOf: [ref('schemas', 'HTTPError')], properties: { detail: { type: 'string', pattern } } },
      example: { detail: example },
    },
  },
});

const ELSEWHERE = (path: string) =>
  `Only POST is this path's; GET, PUT and DELETE reach the model whose id is \`${path}\` (see \`/api/models/{model_id}\`), and PATCH answers 405 \`{"detail": "Method Not Allowed"}\` like any model path.`;

const ids = listProviders().map((p) => p.id);

export const providerCallOpenApiPaths: Record<string, PathItem> = {
  [TEST_CONNECTION_PATH]: {
    description: ELSEWHERE('test-connection'),
    post: {
      tags: ['provider calls'],
      operationId: 'testModelConnection',
      summary: "Test a model's settings against its provider",
      description:
        'One small call, by category: llm one chat completion (`Hello`, at most 16 tokens); embedding one embedding of `hello`; rerank one rerank of `["hello", "world"]` for `hello`; ' +
        "image and speech the provider's model list, which must hold the model (and the abilities, where the list tells them); video no call. " +
        `Always 200 for a signed-in caller with a well-formed body: a failure is a \`failed\` result. ${BUDGET} GraphQL: \`testModelConnection\`.`,
      requestBody: { required: true, content: { 'application/json': { schema: testConnectionBody } } },
      responses: {
        '200': ok('The result.', resultSchema([PASSED_MESSAGE, FAILED_MESSAGE, TIMED_OUT_MESSAGE]), {
          model_id: 'gpt-4o',
          status: 'failed',
          response_time: 10.002,
          message: TIMED_OUT_MESSAGE,
          error: timedOutText(10000),
        }),
        ...COMMON,
      },
    },
  },
  [TEST_MODELS_PATH]: {
    description: ELSEWHERE('test'),
    post: {
      tags: ['provider calls'],
      operationId: 'testModels',
      summary: 'Test stored models with their stored keys',
      description:
        `The models of \`model_ids\` (every model the caller may see when left out), each tested as test-connection tests, with its stored key and base URL, at most 4 at a time, each bounded by PROVIDER_TIMEOUT_MS. ` +
        `An id the caller may not see is a failed entry with error \`${Errors.notFound().message}\`. ${BUDGET} (one unit per model that calls out, taken before any call). GraphQL: \`testModels\`.`,
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              title: 'ModelsTest',
              type: 'object',
              properties: {
                model_ids: {
                  anyOf: [{ type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 }, { type: 'null' }],
                  title: 'Model Ids',
                  description: 'Left out or null: every model the caller may see.',
                },
              },
            },
          },
        },
      },
      responses: {
        '200': ok(
          'One result per model, in the order asked.',
          { type: 'array', items: resultSchema([MODEL_TEST_PASSED, MODEL_TEST_FAILED]) },
          [{ model_id: 'openai/gpt-4o', status: 'passed', response_time: 0.412, message: MODEL_TEST_PASSED, error: null }],
        ),
        ...COMMON,
      },
    },
  },
  [PROVIDER_MODELS_PATH]: {
    description: 'GET, PUT, DELETE and PATCH answer 405 `{"detail": "Method Not Allowed"}`, before authentication.',
    post: {
      tags: ['provider calls'],
      operationId: 'fetchProviderModels',
      summary: "A provider's own model list",
      description:
        'OpenAI-style `GET {base}/models` (Bearer); Anthropic `GET {base}/v1/models` (`x-api-key`, `anthropic-version`); Gemini `GET {base}/models` (`x-goog-api-key`); ' +
        `Xinference \`GET {base}/v1/models\` (with each model's category and abilities); the catalog's fixed list for providers without one (no call, no budget). ${BUDGET} GraphQL: \`fetchProviderModels\`.`,
      parameters: [
        {
          name: 'provider',
          in: 'path',
          required: true,
          description: 'A catalog provider id (aliases accepted).',
          schema: { type: 'string', minLength: 1 },
          example: 'ollama',
        },
      ],
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              title: 'ProviderModelsRequest',
              type: 'object',
              properties: {
                ...requestProperties([fieldSpec('apiKey'), fieldSpec('baseUrl')], false),
                category: {
                  anyOf: [{ type: 'string', enum: [...fieldSpec('category').values!] }, { type: 'null' }],
                  title: 'Category',
                  description: 'Only models of this category, where the provider says which they are.',
                },
              },
            },
          },
        },
      },
      responses: {
        '200': ok(
          'The list.',
          {
            title: 'ProviderModels',
            type: 'object',
            additionalProperties: false,
            required: ['provider', 'models', 'count'],
            properties: {
              provider: { title: 'Provider', type: 'string', enum: ids },
              models: { type: 'array', items: providerModelSchema },
              count: { title: 'Count', type: 'integer', minimum: 0 },
            },
          },
          { provider: 'ollama', models: [{ id: 'llama3.2:latest', name: null, category: null, abilities: null }], count: 1 },
        ),
        '400': detail(
          `An unknown provider (\`Unsupported provider: <p>. Supported providers: ${ids.join(', ')}\`), an unknown category, no base URL where the provider needs one, ` +
            'or a base URL the outbound guard refuses (`Failed to fetch models from <p>: ...`, naming the address and how to allow it).',
          '^(Unsupported provider: |Invalid model category$|A base URL is required for provider |Failed to fetch models from )',
          `Unsupported provider: acme. Supported providers: ${ids.join(', ')}`,
        ),
        '502': detail(
          'The provider failed, refused or timed out; never an empty list that hides it.',
          '^Failed to fetch models from [a-z0-9-]+: ',
          'Failed to fetch models from openai: HTTP 401: Incorrect API key provided: [redacted].',
        ),
        ...COMMON,
      },
    },
  },
};
