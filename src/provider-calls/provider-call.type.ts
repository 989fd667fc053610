import { Field, Float, ObjectType } from 'type-graphql';

@ObjectType('ConnectionTestResult', { description: 'The outcome of one connection test. Never carries the key.' })
export class ConnectionTestResult {
  @Field(() => String, { description: "The model name tested (testModelConnection), or the stored model's modelId (testModels)." })
  modelId!: string;

  @Field(() => String, { description: '`passed` or `failed`.' })
  status!: string;

  @Field(() => Float, { description: 'Seconds the test took.' })
  responseTime!: number;

  @Field(() => String, {
    description:
      '`Connection successful`, `Connection failed` or `Connection timed out` (testModelConnection); `Model test successful` or `Model test failed` (testModels).',
  })
  message!: string;

  @Field(() => String, {
    nullable: true,
    description: "Why it failed (the provider's status and message, keys redacted); null when passed.",
  })
  error!: string | null;
}

@ObjectType('ProviderModel', { description: "One model of a provider's own model list." })
export class ProviderModel {
  @Field(() => String, { description: 'The model id to use as `modelName`.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'A display name, where the provider gives one.' })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'Its category, where the provider says (Xinference, Anthropic); null when unknown.' })
  category!: string | null;

  @Field(() => [String], {
    nullable: true,
    description: "Its abilities in the model registry's words, where the provider says; null when unknown.",
  })
  abilities!: string[] | null;
}
