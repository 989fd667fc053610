import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { listComplexity } from '../graphql/limits';
import { requireCaller } from '../lib/auth';
import { ModelsArgs, SetModelActiveArgs, UpdateModelArgs } from './model.args';
import { CreateModelInput } from './model.input';
import { Model } from './model.type';
import type { ModelView } from './model.view';

/** A thin adapter: every rule lives in ModelService, shared with the REST routes. */
@Resolver(() => Model)
export class ModelResolver {
  @Query(() => Model, { nullable: true, description: 'One model by its public id; null when it does not exist for the caller.' })
  model(
    @Arg('modelId', () => String, { description: 'The public id of the model.' }) modelId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ModelView | null> {
    return ctx.models.find(requireCaller(ctx.auth), modelId);
  }

  // Costed per item it may return (`limit`), so one operation cannot ask for an unbounded amount of work.
  @Query(() => [Model], { description: 'The models the caller may see, oldest first.', complexity: listComplexity })
  models(@Args(() => ModelsArgs) args: ModelsArgs, @Ctx() ctx: GraphQLContext): Promise<ModelView[]> {
    const { category, modelProvider, isActive, skip, limit } = args;
    return ctx.models.list(requireCaller(ctx.auth), { category, modelProvider, isActive, skip, limit });
  }

  @Mutation(() => Model, { description: 'Register a model; the caller becomes its owner.' })
  createModel(
    @Arg('input', () => CreateModelInput, { description: 'The new model.' }) input: CreateModelInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ModelView> {
    return ctx.models.create(requireCaller(ctx.auth), { ...input });
  }

  @Mutation(() => Model, {
    description: 'Change a model (JSON Merge Patch). With expectedVersion, only if the model is still at that version (else CONFLICT).',
  })
  updateModel(@Args(() => UpdateModelArgs) args: UpdateModelArgs, @Ctx() ctx: GraphQLContext): Promise<ModelView> {
    return ctx.models.update(requireCaller(ctx.auth), args.modelId, { ...args.input }, args.expectedVersion);
  }

  @Mutation(() => Boolean, { description: 'Delete a model (owner or admin). True when deleted.' })
  async deleteModel(
    @Arg('modelId', () => String, { description: 'The public id of the model to delete.' }) modelId: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<boolean> {
    await ctx.models.delete(requireCaller(ctx.auth), modelId);
    return true;
  }

  @Mutation(() => Model, { description: 'Activate or deactivate a model (owner or admin).' })
  setModelActive(@Args(() => SetModelActiveArgs) args: SetModelActiveArgs, @Ctx() ctx: GraphQLContext): Promise<ModelView> {
    return ctx.models.setActive(requireCaller(ctx.auth), args.modelId, args.active);
  }
}
