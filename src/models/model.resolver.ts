import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { listComplexity } from '../graphql/limits';
import { CurrentCaller } from '../graphql/auth';
import type { Caller } from '../lib/auth';
import { ModelsArgs, SetModelActiveArgs, UpdateModelArgs } from './model.args';
import { CreateModelInput } from './model.input';
import { Model } from './model.type';
import type { ModelView } from './model.view';

/** A thin adapter: every rule lives in ModelService, shared with the REST routes. Every operation needs a caller. */
@Resolver(() => Model)
export class ModelResolver {
  @Authorized()
  @Query(() => Model, { nullable: true, description: 'One model by its public id; null when it does not exist for the caller.' })
  model(
    @Arg('modelId', () => String, { description: 'The public id of the model.' }) modelId: string,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ModelView | null> {
    return ctx.models.find(caller, modelId);
  }

  // Costed per item it may return (`limit`), so one operation cannot ask for an unbounded amount of work.
  @Authorized()
  @Query(() => [Model], { description: 'The models the caller may see, oldest first.', complexity: listComplexity })
  models(@Args(() => ModelsArgs) args: ModelsArgs, @CurrentCaller() caller: Caller, @Ctx() ctx: GraphQLContext): Promise<ModelView[]> {
    const { category, modelProvider, isActive, skip, limit } = args;
    return ctx.models.list(caller, { category, modelProvider, isActive, skip, limit });
  }

  @Authorized()
  @Mutation(() => Model, { description: 'Register a model; the caller becomes its owner.' })
  createModel(
    @Arg('input', () => CreateModelInput, { description: 'The new model.' }) input: CreateModelInput,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ModelView> {
    return ctx.models.create(caller, { ...input });
  }

  @Authorized()
  @Mutation(() => Model, {
    description:
      'Change a model (JSON Merge Patch). With expectedVersion, only if the model is still at that version (else CONFLICT). ' +
      "CONFLICT too when the change would break a default model: un-sharing the owner's default, or a category/abilities change a default needs.",
  })
  updateModel(
    @Args(() => UpdateModelArgs) args: UpdateModelArgs,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ModelView> {
    return ctx.models.update(caller, args.modelId, { ...args.input }, args.expectedVersion);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Delete a model (owner or admin). True when deleted. CONFLICT when it is the caller's own default model: change the default first.",
  })
  async deleteModel(
    @Arg('modelId', () => String, { description: 'The public id of the model to delete.' }) modelId: string,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<boolean> {
    await ctx.models.delete(caller, modelId);
    return true;
  }

  @Authorized()
  @Mutation(() => Model, { description: 'Activate or deactivate a model (owner or admin).' })
  setModelActive(
    @Args(() => SetModelActiveArgs) args: SetModelActiveArgs,
    @CurrentCaller() caller: Caller,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ModelView> {
    return ctx.models.setActive(caller, args.modelId, args.active);
  }
}
