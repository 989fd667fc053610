import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('KeyCount', { description: 'How many models have one value of a field: a category or a provider.' })
export class KeyCount {
  @Field(() => String, { description: 'The value: a category (e.g. `llm`) or a model provider (e.g. `openai`).' })
  key!: string;

  @Field(() => Int, { description: 'How many of the counted models have it (at least 1).' })
  count!: number;
}

@ObjectType('ModelSummary', {
  description: 'Counts over the active models the caller may see (own, shared, or every model for an admin), each model once.',
})
export class ModelSummary {
  @Field(() => Int, { description: 'How many active models the caller may see.' })
  totalModels!: number;

  @Field(() => [KeyCount], { description: 'Models per category, sorted by category; categories without models are left out.' })
  byCategory!: KeyCount[];

  @Field(() => [KeyCount], {
    description: 'Models per provider (`modelProvider`), sorted by provider; providers without models are left out.',
  })
  byProvider!: KeyCount[];
}
