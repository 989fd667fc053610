/**
 * The part of OpenAPI 3.1 (and of JSON Schema 2020-12, its schema dialect) this service's
 * document uses. Written out here because the published 3.1 typings mix in 3.0 types (no
 * `if`/`then`, 3.0 schemas under path items), which rejects valid 3.1 documents.
 */

export interface Reference {
  $ref: string;
  summary?: string;
  description?: string;
}

type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'null';

export interface Schema {
  title?: string;
  description?: string;
  type?: JsonType | JsonType[];
  enum?: readonly unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  deprecated?: boolean;
  readOnly?: boolean;
  writeOnly?: boolean;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema | Reference;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema | Reference>;
  required?: string[];
  additionalProperties?: boolean | Schema | Reference;
  allOf?: (Schema | Reference)[];
  anyOf?: (Schema | Reference)[];
  oneOf?: (Schema | Reference)[];
  not?: Schema | Reference;
  if?: Schema | Reference;
  then?: Schema | Reference;
  else?: Schema | Reference;
  dependentSchemas?: Record<string, Schema | Reference>;
  /** A schema may also be just a reference plus annotations in 3.1. */
  $ref?: string;
}

export interface MediaType {
  schema: Schema | Reference;
  example?: unknown;
}

export interface Header {
  description?: string;
  required?: boolean;
  schema: Schema | Reference;
  example?: unknown;
}

export interface Response {
  description: string;
  headers?: Record<string, Header | Reference>;
  content?: Record<string, MediaType>;
}

export interface Parameter {
  name: string;
  in: 'query' | 'header' | 'path' | 'cookie';
  description?: string;
  required?: boolean;
  schema: Schema | Reference;
  example?: unknown;
}

export interface RequestBody {
  description?: string;
  required?: boolean;
  content: Record<string, MediaType>;
}

export type SecurityRequirement = Record<string, string[]>;

export interface Operation {
  tags?: string[];
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: (Parameter | Reference)[];
  requestBody?: RequestBody | Reference;
  /** Keyed by status code. */
  responses: Record<string, Response | Reference>;
  security?: SecurityRequirement[];
  deprecated?: boolean;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathItem = {
  summary?: string;
  description?: string;
  parameters?: (Parameter | Reference)[];
} & { [method in HttpMethod]?: Operation };

export interface SecurityScheme {
  type: 'http';
  scheme: 'bearer';
  bearerFormat?: string;
  description?: string;
}

export interface Components {
  schemas?: Record<string, Schema>;
  responses?: Record<string, Response | Reference>;
  parameters?: Record<string, Parameter | Reference>;
  headers?: Record<string, Header | Reference>;
  securitySchemes?: Record<string, SecurityScheme>;
}

export interface Document {
  openapi: `3.1.${number}`;
  jsonSchemaDialect?: string;
  info: { title: string; version: string; summary?: string; description?: string };
  servers?: { url: string; description?: string }[];
  security?: SecurityRequirement[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, PathItem>;
  components?: Components;
}
