import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AggregateResolver } from '../aggregates/aggregate.resolver';
import { ModelResolver } from '../models/model.resolver';
import { ProviderResolver } from '../providers/provider.resolver';

/**
 * The code-first schema. Validation is the service's job (one code path with REST), so
 * type-graphql's class-validator integration stays off.
 */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers: [ModelResolver, ProviderResolver, AggregateResolver], validate: false, emitSchemaFile: false });
}
