import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AggregateResolver } from '../aggregates/aggregate.resolver';
import { DefaultModelResolver, ModelDefaultForResolver } from '../defaults/default-model.resolver';
import { ModelResolver } from '../models/model.resolver';
import { ProviderCallResolver } from '../provider-calls/provider-call.resolver';
import { ProviderResolver } from '../providers/provider.resolver';
import { assertEveryOperationDeclaresAuth, authChecker } from './auth';

/** Every resolver class of the schema; each operation in them declares its authentication. */
export const RESOLVERS = [
  ModelResolver,
  ProviderResolver,
  AggregateResolver,
  DefaultModelResolver,
  ModelDefaultForResolver,
  ProviderCallResolver,
] as const;

/**
 * The code-first schema. Validation is the service's job (one code path with REST), so
 * type-graphql's class-validator integration stays off.
 */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  assertEveryOperationDeclaresAuth(RESOLVERS);
  return buildSchema({ resolvers: RESOLVERS, validate: false, emitSchemaFile: false, authChecker, authMode: 'error' });
}
