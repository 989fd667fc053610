import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { CurrentCaller } from '../graphql/auth';
import type { GraphQLContext } from '../graphql/context';
import type { Caller } from '../lib/auth';
import type { ModelSummary as Summary } from './aggregate.service';
import { ModelSummary } from './aggregate.type';

/** The aggregates over GraphQL: the same numbers as `GET /api/models/summary`. */
@Resolver(() => ModelSummary)
export class AggregateResolver {
  @Authorized()
  @Query(() => ModelSummary, {
    description: 'How many active models the caller may see, in all, per category and per provider. Needs a token.',
  })
  modelSummary(@CurrentCaller() caller: Caller, @Ctx() ctx: GraphQLContext): Promise<Summary> {
    return ctx.aggregates.summary(caller);
  }
}
