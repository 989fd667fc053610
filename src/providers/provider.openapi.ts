import type { PathItem, Response, Schema } from '../openapi/types';
import { PROVIDER_CATEGORIES, PROVIDER_COMPATIBILITIES, PROVIDER_PROTOCOLS, listProviderTypes, listProviders } from './provider.catalog';
import { PROVIDERS_SUPPORTED_PATH, TYPES_AVAILABLE_PATH, toRestProvider } from './provider.rest';

/**
 * The OpenAPI path items of the provider catalog, spread into the document's `paths` by
 * src/openapi/openapi.ts. Enums and examples come from the catalog itself, so the document
 * cannot drift from what the routes answer.
 */

const TOO_MANY_REQUESTS = { $ref: '#/components/responses/TooManyRequests' };

const providerSchema: Schema = {
  title: 'SupportedProvider',
  description: 'A catalog entry. `compatibility` and `default_base_url` are left out where the provider has none.',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'description', 'requires_base_url', 'categories', 'protocol'],
  properties: {
    id: {
      title: 'Id',
      type: 'string',
      pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
      description: "The canonical provider id: what a model's `model_provider` is stored as.",
    },
    name: { title: 'Name', type: 'string' },
    description: { title: 'Description', type: 'string' },
    requires_base_url: {
      title: 'Requires Base Url',
      type: 'boolean',
      description: 'No public endpoint: a model of this provider needs its own base_url.',
    },
    categories: {
      title: 'Categories',
      type: 'array',
      minItems: 1,
      items: { type: 'string', enum: [...PROVIDER_CATEGORIES] },
      description: 'The model categories the provider serves.',
    },
    protocol: {
      title: 'Protocol',
      type: 'string',
      enum: [...PROVIDER_PROTOCOLS],
      description: 'How the gateway talks to the provider; `static`: no model-list endpoint (a fixed list), calls follow `compatibility`.',
    },
    compatibility: {
      title: 'Compatibility',
      type: 'string',
      enum: [...PROVIDER_COMPATIBILITIES],
      description: 'The well-known API its calls are compatible with.',
    },
    default_base_url: {
      title: 'Default Base Url',
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      description: 'Used by a model of this provider that has no base_url of its own.',
    },
  },
};

const providerTypeSchema: Schema = {
  title: 'ModelProviderType',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'name', 'description', 'examples'],
  properties: {
    type: { title: 'Type', type: 'string', description: 'The provider id.' },
    name: { title: 'Name', type: 'string' },
    description: { title: 'Description', type: 'string' },
    examples: { title: 'Examples', type: 'array', items: { type: 'string' }, description: 'Model names of this provider.' },
  },
};

const ok = (description: string, schema: Schema, example: unknown): Response => ({
  description,
  content: { 'application/json': { schema, example } },
});

/** Only GET is described: other methods answer 405 with `Allow: GET, HEAD` (said in each path's description). */
const NOT_SERVED =
  'POST, PUT, DELETE and PATCH answer 405 `{"detail": "Method Not Allowed"}` with `Allow: GET, HEAD`, before authentication.';

export const providerOpenApiPaths: Record<string, PathItem> = {
  [PROVIDERS_SUPPORTED_PATH]: {
    description: NOT_SERVED,
    get: {
      tags: ['providers'],
      operationId: 'listSupportedProviders',
      summary: 'The provider catalog (no token needed)',
      description:
        "Every provider the gateway knows, in catalog order: its id (a model's `model_provider`), display name, categories, protocol and default base URL. GraphQL: `providers`.",
      security: [],
      responses: {
        '200': ok(
          'The catalog.',
          {
            title: 'SupportedProviders',
            type: 'object',
            additionalProperties: false,
            required: ['providers'],
            properties: { providers: { type: 'array', items: providerSchema } },
          },
          { providers: listProviders().slice(0, 2).map(toRestProvider) },
        ),
        '429': TOO_MANY_REQUESTS,
      },
    },
  },
  [TYPES_AVAILABLE_PATH]: {
    description: NOT_SERVED,
    get: {
      tags: ['providers'],
      operationId: 'listModelProviderTypes',
      summary: 'Provider types with example model names (no token needed)',
      description: "The replaced service's short provider list: type (the provider id), name, description and a few model names.",
      security: [],
      responses: {
        '200': ok(
          'The provider types.',
          {
            title: 'ModelProviderTypes',
            type: 'object',
            additionalProperties: false,
            required: ['model_providers'],
            properties: { model_providers: { type: 'array', items: providerTypeSchema } },
          },
          { model_providers: listProviderTypes().slice(0, 1) },
        ),
        '429': TOO_MANY_REQUESTS,
      },
    },
  },
};
