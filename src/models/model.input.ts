import { Field, Float, InputType, Int } from 'type-graphql';

/*
 * Every field is nullable and optional on purpose: a field left out is not changed, an explicit
 * null clears it (JSON Merge Patch). The service tells the two apart by key presence, so these
 * classes declare no defaults.
 */

@InputType('UpdateModelInput', {
  description: 'Fields to change. Left out: unchanged. `null`: cleared (an error for category, modelProvider, modelName, shareWithUsers).',
})
export class UpdateModelInput {
  @Field(() => String, {
    nullable: true,
    description: 'One of `llm`, `embedding`, `rerank`, `image`, `speech`, `video`. Locked while shared.',
  })
  category?: string | null;

  @Field(() => String, { nullable: true, description: 'Provider, trimmed and lower-cased, 1 to 128 characters.' })
  modelProvider?: string | null;

  @Field(() => String, { nullable: true, description: 'Model name, trimmed, 1 to 256 characters.' })
  modelName?: string | null;

  @Field(() => String, { nullable: true, description: 'Write-only. A new key replaces the stored one; `null` removes it; `""` keeps it.' })
  apiKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Absolute http(s) URL, at most 2048 characters.' })
  baseUrl?: string | null;

  @Field(() => Float, { nullable: true, description: '0 to 2.' })
  temperature?: number | null;

  @Field(() => Int, { nullable: true, description: '1 to 65536.' })
  dimension?: number | null;

  @Field(() => String, { nullable: true, description: 'At most 4000 characters.' })
  description?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'At most 64, each 1 to 64 characters; duplicates removed. Locked (as a set) while shared.',
  })
  abilities?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Share with every signed-in user. Turning it on is for admins (unless SHARING=owners).',
  })
  shareWithUsers?: boolean | null;
}

@InputType('CreateModelInput', {
  description: 'A new model. Same fields as UpdateModelInput, plus modelId; modelProvider and modelName are required.',
})
export class CreateModelInput {
  @Field(() => String, {
    nullable: true,
    description: 'Public id, trimmed, 1 to 256 characters, may contain `/`. Generated (a UUID) when left out.',
  })
  modelId?: string | null;

  @Field(() => String, { nullable: true, description: 'One of `llm` (the default), `embedding`, `rerank`, `image`, `speech`, `video`.' })
  category?: string | null;

  @Field(() => String, { description: 'Provider, trimmed and lower-cased, 1 to 128 characters.' })
  modelProvider!: string;

  @Field(() => String, { description: 'Model name, trimmed, 1 to 256 characters.' })
  modelName!: string;

  @Field(() => String, { nullable: true, description: 'Write-only; stored encrypted. Blank: no key.' })
  apiKey?: string | null;

  @Field(() => String, { nullable: true, description: 'Absolute http(s) URL, at most 2048 characters.' })
  baseUrl?: string | null;

  @Field(() => Float, { nullable: true, description: '0 to 2.' })
  temperature?: number | null;

  @Field(() => Int, { nullable: true, description: '1 to 65536.' })
  dimension?: number | null;

  @Field(() => String, { nullable: true, description: 'At most 4000 characters.' })
  description?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'At most 64, each 1 to 64 characters; duplicates removed; constrained by category.',
  })
  abilities?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Share with every signed-in user (admins only, unless SHARING=owners). Default false.',
  })
  shareWithUsers?: boolean | null;
}
