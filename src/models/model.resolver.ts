import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { requireCaller } from '../lib/auth';
import { CreateModelInput, UpdateModelInput } from './model.input';
import { Model } from './model.type';
import type { ModelView } from './model.view';

/** A thin adapter: every rule lives in ModelService, shared with the REST routes. */
@Resolver(() => Model)
export class ModelResolver {
  @Query(() => Model, { nullable: true, description: 'One model by its public id; null when it does not exist for the caller.' })
  model(@Arg('modelId', () => String) modelId: string, @Ctx() ctx: GraphQLContext): Promise<ModelView | null> {
    return ctx.models.find(requireCaller(ctx.auth), modelId);
  }

  @Query(() => [Model], { description: 'The models the caller may see, oldest first.' })
  models(
    @Ctx() ctx: GraphQLContext,
    @Arg('category', () => String, { nullable: true, description: 'Only this category.' }) category?: string | null,
    @Arg('modelProvider', () => String, { nullable: true, description: 'Only this provider (case-insensitive).' })
    modelProvider?: string | null,
    @Arg('isActive', () => Boolean, { nullable: true, description: 'Left out: active models only. null: active and inactive.' })
    isActive?: boolean | null,
    @Arg('skip', () => Int, { nullable: true, description: 'How many to skip (default 0).' }) skip?: number | null,
    @Arg('limit', () => Int, { nullable: true, description: 'At most this many, 1 to 1000 (default 100).' }) limit?: number | null,
  ): Promise<ModelView[]> {
    return ctx.models.list(requireCaller(ctx.auth), { category, modelProvider, isActive, skip, limit });
  }

  @Mutation(() => Model, { description: 'Register a model; the caller becomes its owner.' })
  createModel(@Arg('input', () => CreateModelInput) input: CreateModelInput, @Ctx() ctx: GraphQLContext): Promise<ModelView> {
    return ctx.models.create(requireCaller(ctx.auth), { ...input });
  }

  @Mutation(() => Model, {
    description: 'Change a model (JSON Merge Patch). With expectedVersion, only if the model is still at that version (else CONFLICT).',
  })
  updateModel(
    @Arg('modelId', () => String) modelId: string,
    @Arg('input', () => UpdateModelInput) input: UpdateModelInput,
    @Ctx() ctx: GraphQLContext,
    @Arg('expectedVersion', () => Int, { nullable: true, description: 'The version the change was based on.' })
    expectedVersion?: number | null,
  ): Promise<ModelView> {
    return ctx.models.update(requireCaller(ctx.auth), modelId, { ...input }, expectedVersion);
  }

  @Mutation(() => Boolean, { description: 'Delete a model (owner or admin). True when deleted.' })
  async deleteModel(@Arg('modelId', () => String) modelId: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    await ctx.models.delete(requireCaller(ctx.auth), modelId);
    return true;
  }

  @Mutation(() => Model, { description: 'Activate or deactivate a model (owner or admin).' })
  setModelActive(
    @Arg('modelId', () => String) modelId: string,
    @Arg('active', () => Boolean) active: boolean,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ModelView> {
    return ctx.models.setActive(requireCaller(ctx.auth), modelId, active);
  }
}
