import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { requireCaller } from '../lib/auth';
import type { ModelSummary as Summary } from './aggregate.service';
import { ModelSummary } from './aggregate.type';

/** The aggregates over GraphQL: the same numbers as `GET /api/models/summary`. */
@Resolver(() => ModelSummary)
export class AggregateResolver {
  @Query(() => ModelSummary, {
    description: 'How many active models the caller may see, in all, per category and per provider. Needs a token.',
  })
  modelSummary(@Ctx() ctx: GraphQLContext): Promise<Summary> {
    return ctx.aggregates.summary(requireCaller(ctx.auth));
  }
}
