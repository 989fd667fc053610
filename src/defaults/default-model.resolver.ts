import DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { CurrentCaller } from '../graphql/auth';
import type { GraphQLContext } from '../graphql/context';
import type { Caller } from '../lib/auth';
import { Model } from '../models/model.type';
import type { ModelView } from '../models/model.view';
import { DefaultModelService, type ListedDefault } from './default-model.service';
import { DefaultModel } from './default-model.type';

/** GraphQL adapter of DefaultModelService; every rule lives there, shared with REST. */

/** Config types are names (`small_fast`); GraphQL takes exactly those, like REST's body does. */
function configTypeArg(value: string) {
  return DefaultModelService.typeFromPath(value, 'configType', false);
}

@Resolver(() => DefaultModel)
export class DefaultModelResolver {
  @Authorized()
  @Query(() => [DefaultModel], {
    description: "The caller's default models, one per config type, in the table's order; organisation defaults where the caller has none.",
  })
  defaultModels(@CurrentCaller() caller: Caller, @Ctx() ctx: GraphQLContext): Promise<ListedDefault[]> {
    return ctx.defaults.list(caller);
  }

  @Authorized()
  @Query(() => DefaultModel, { nullable: true, description: "The caller's own default of the config type, or null." })
  defaultModel(
    @Arg('configType', () => String, { description: 'The config type, e.g. `general`.' }) configType: string,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ListedDefault | null> {
    return ctx.defaults.getOwn(caller, configTypeArg(configType));
  }

  @Authorized()
  @Mutation(() => DefaultModel, { description: "Set (or replace) the caller's default of the config type." })
  setDefaultModel(
    @Arg('configType', () => String, { description: 'The config type, e.g. `general`.' }) configType: string,
    @Arg('modelId', () => String, { description: 'The public id (modelId) of a model the caller may see that fits the type.' })
    modelId: string,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ListedDefault> {
    return ctx.defaults.set(caller, configType, modelId);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Remove the caller's default of the config type. False when there was none." })
  clearDefaultModel(
    @Arg('configType', () => String, { description: 'The config type, e.g. `general`.' }) configType: string,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<boolean> {
    return ctx.defaults.clear(caller, configTypeArg(configType));
  }
}

/** One loader per GraphQL request: the caller's defaults of a whole page of models in one statement. */
const loaders = new WeakMap<GraphQLContext, DataLoader<number, string[]>>();

function defaultForLoader(ctx: GraphQLContext, caller: Caller): DataLoader<number, string[]> {
  let loader = loaders.get(ctx);
  if (!loader) {
    loader = new DataLoader<number, string[]>(async (ids) => {
      const byModel = await ctx.defaults.ownTypesForModels(caller, ids);
      return ids.map((id) => byModel.get(id) ?? []);
    });
    loaders.set(ctx, loader);
  }
  return loader;
}

@Resolver(() => Model)
export class ModelDefaultForResolver {
  @Authorized()
  @FieldResolver(() => [String], { description: "The caller's config types whose default is this model, in the table's order." })
  defaultFor(@Root() model: ModelView, @CurrentCaller() caller: Caller, @Ctx() ctx: GraphQLContext): Promise<string[]> {
    return defaultForLoader(ctx, caller).load(model.id);
  }
}
