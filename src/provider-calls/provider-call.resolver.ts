import { Arg, Args, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { CurrentCaller } from '../graphql/auth';
import type { GraphQLContext } from '../graphql/context';
import type { Caller } from '../lib/auth';
import type { InputRecord } from '../models/model.validation';
import type { ConnectionTestResult as Result } from './provider-call.service';
import { FetchProviderModelsArgs, ModelConnectionTestInput } from './provider-call.input';
import { ConnectionTestResult, ProviderModel } from './provider-call.type';
import type { ProviderModelEntry } from './protocols';

/** Only the arguments given: the service tells "left out" from null. */
function given(values: Record<string, unknown>): InputRecord {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/**
 * GraphQL adapter of ProviderCallService. Mutations, not queries: they carry secrets, call out
 * and spend the caller's budget, so they must never be cached, prefetched or sent by GET.
 */
@Resolver()
export class ProviderCallResolver {
  @Authorized()
  @Mutation(() => ConnectionTestResult, { description: 'Test a model configuration against its provider (one small call).' })
  testModelConnection(
    @Arg('input', () => ModelConnectionTestInput, { description: 'The settings to test.' }) input: ModelConnectionTestInput,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Result> {
    return ctx.providerCalls.testConnection(caller, given({ ...input }));
  }

  @Authorized()
  @Mutation(() => [ConnectionTestResult], {
    description: 'Test stored models the caller may see with their stored keys; all of them when modelIds is left out.',
  })
  testModels(
    @Arg('modelIds', () => [String], { nullable: true, description: 'The public ids of the models to test.' })
    modelIds: string[] | null | undefined,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<Result[]> {
    return ctx.providerCalls.testModels(caller, modelIds);
  }

  @Authorized()
  @Mutation(() => [ProviderModel], { description: "A provider's own model list (fixed lists for providers without one)." })
  async fetchProviderModels(
    @Args(() => FetchProviderModelsArgs) args: FetchProviderModelsArgs,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ProviderModelEntry[]> {
    const { provider, apiKey, baseUrl, category } = args;
    return (await ctx.providerCalls.fetchModels(caller, provider, given({ apiKey, baseUrl, category }))).models;
  }
}
