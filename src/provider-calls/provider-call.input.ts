import { ArgsType, Field, Float, InputType, Int } from 'type-graphql';

/*
 * Hand-written, every field optional at the GraphQL level except the two the contract requires:
 * the service validates values (one code path with REST) and tells "left out" from null.
 */
@InputType('ModelConnectionTestInput', {
  description:
    'The settings to test, as a model form holds them. With modelId of a model the caller may edit and no apiKey, its stored key is used.',
})
export class ModelConnectionTestInput {
  @Field(() => String, { description: 'The provider id, e.g. `openai`, `ollama` (aliases accepted).' })
  modelProvider!: string;

  @Field(() => String, { description: 'The model name at the provider, e.g. `gpt-4o`.' })
  modelName!: string;

  @Field(() => String, { nullable: true, description: 'The key to test with. Blank or left out: none, or the stored key of modelId.' })
  apiKey?: string | null;

  @Field(() => String, { nullable: true, description: "The provider's base URL. Blank or left out: the catalog's default." })
  baseUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'The category to test as (default `llm`).' })
  category?: string | null;

  @Field(() => Float, { nullable: true, description: "Checked like a model's; not sent." })
  temperature?: number | null;

  @Field(() => Int, { nullable: true, description: 'Embedding dimension; sent with the embedding test.' })
  dimension?: number | null;

  @Field(() => [String], { nullable: true, description: "Abilities the provider's list must show for image and speech models." })
  abilities?: string[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'A stored model whose key to use when apiKey is blank (only one the caller may edit).',
  })
  modelId?: string | null;
}

/** An argument class, not @Arg parameters: type-graphql keeps class fields in order, the contract's. */
@ArgsType()
export class FetchProviderModelsArgs {
  @Field(() => String, { description: 'The provider id, e.g. `openai` (aliases accepted).' })
  provider!: string;

  @Field(() => String, { nullable: true, description: 'The key to list with (not needed for local servers such as Ollama).' })
  apiKey?: string | null;

  @Field(() => String, { nullable: true, description: "The provider's base URL. Blank or left out: the catalog's default." })
  baseUrl?: string | null;

  @Field(() => String, { nullable: true, description: 'Only models of this category, where the provider says which they are.' })
  category?: string | null;
}
