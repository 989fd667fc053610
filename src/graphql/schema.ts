import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { DefaultModelResolver, ModelDefaultForResolver } from '../defaults/default-model.resolver';
import { ModelResolver } from '../models/model.resolver';

/**
 * The code-first schema. Validation is the service's job (one code path with REST), so
 * type-graphql's class-validator integration stays off.
 */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers: [ModelResolver, DefaultModelResolver, ModelDefaultForResolver], validate: false, emitSchemaFile: false });
}
