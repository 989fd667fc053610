import { Field, Int, ObjectType, Float } from 'type-graphql';
import type { ModelView } from './model.view';

@ObjectType('Model', { description: 'A configured AI model in the registry, as the caller sees it. The API key is write-only.' })
export class Model implements ModelView {
  @Field(() => Int, { description: 'Internal numeric id.' })
  id!: number;

  @Field(() => String, { description: 'Stable public id, unique; may contain `/` (e.g. `google/gemini-2.5-flash`).' })
  modelId!: string;

  @Field(() => String, { description: 'One of `llm`, `embedding`, `rerank`, `image`, `speech`, `video`.' })
  category!: string;

  @Field(() => String, { description: 'Provider, lower-case (e.g. `openai`, `ollama`).' })
  modelProvider!: string;

  @Field(() => String, { description: "The provider's model name." })
  modelName!: string;

  @Field(() => Boolean, { description: 'Whether an API key is stored. The key itself is never returned.' })
  hasApiKey!: boolean;

  @Field(() => String, { nullable: true, description: 'Absolute http(s) URL of the endpoint, if not the provider default.' })
  baseUrl!: string | null;

  @Field(() => Float, { nullable: true, description: 'Sampling temperature, 0 to 2.' })
  temperature!: number | null;

  @Field(() => Int, { nullable: true, description: 'Embedding dimension, 1 to 65536.' })
  dimension!: number | null;

  @Field(() => String, { nullable: true, description: 'Free text, at most 4000 characters.' })
  description!: string | null;

  @Field(() => [String], { nullable: true, description: 'What the model can do; constrained by category.' })
  abilities!: string[] | null;

  @Field(() => Boolean, { description: 'Shared: every signed-in user may see and use the model while it is active.' })
  isShared!: boolean;

  @Field(() => Boolean, { description: 'Inactive models are hidden from everyone but their owner and admins.' })
  isActive!: boolean;

  @Field(() => String, { description: 'Creation time, ISO-8601 UTC.' })
  createdAt!: string;

  @Field(() => String, { description: 'Time of the last change, ISO-8601 UTC.' })
  updatedAt!: string;

  @Field(() => Boolean, { description: 'The caller created this model.' })
  isOwner!: boolean;

  @Field(() => Boolean, { description: 'The caller may update this model.' })
  canEdit!: boolean;

  @Field(() => Boolean, { description: 'The caller may delete this model.' })
  canDelete!: boolean;

  @Field(() => Int, { description: 'Starts at 1, +1 on every change. Pass it as `expectedVersion` to update safely.' })
  version!: number;
}
