import { Field, ObjectType } from 'type-graphql';
import type { CatalogProvider } from './provider.catalog';

@ObjectType('Provider', {
  description: "A model provider the gateway knows (its catalog entry). Use `id` as a model's `modelProvider`.",
})
export class Provider {
  @Field(() => String, { description: 'The canonical provider id, e.g. `openai`, `volcengine-ark`; what `modelProvider` is stored as.' })
  id!: string;

  @Field(() => String, { description: 'Display name, e.g. `Anthropic Claude`.' })
  name!: string;

  @Field(() => String, { description: 'One line about the provider, for pickers.' })
  description!: string;

  @Field(() => Boolean, { description: 'The provider has no public endpoint: a model of it needs its own `baseUrl`.' })
  requiresBaseUrl!: boolean;

  @Field(() => [String], {
    description: 'The model categories it serves, among `llm`, `embedding`, `rerank`, `image`, `speech`, `video`, `music`, `sound_effect`.',
  })
  categories!: string[];

  @Field(() => String, {
    description:
      'How the gateway talks to it: `openai`, `anthropic`, `gemini`, `xinference`, or `static` (no model-list endpoint: a fixed list; calls follow `compatibility`).',
  })
  protocol!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The well-known API its calls are compatible with: `openai_compatible` or `claude_compatible`; null when neither.',
  })
  compatibility!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The base URL a model of this provider uses when it has none; null when there is none.',
  })
  defaultBaseUrl!: string | null;
}

/** The GraphQL view of a catalog entry: the REST fields in camelCase, nothing internal. */
export function toGraphQLProvider(provider: CatalogProvider): Provider {
  return {
    id: provider.id,
    name: provider.name,
    description: provider.description,
    requiresBaseUrl: provider.requiresBaseUrl,
    categories: [...provider.categories],
    protocol: provider.protocol,
    compatibility: provider.compatibility,
    defaultBaseUrl: provider.defaultBaseUrl,
  };
}
