/**
 * The same typed documents with Apollo Client, and the cache configuration it needs here.
 *
 * Apollo's cache keys an object by `__typename` + `id` unless told otherwise. This API's key is
 * `modelId` (the one every operation takes), so without `keyFields` a model read through
 * `model(modelId:)` never finds the copy that `models` or a mutation already cached, and goes to
 * the network every time. The field policy on `Query.model` maps the argument to that cached
 * object: a page that listed models opens one of them without another request.
 */
import { ApolloClient, HttpLink, InMemoryCache, type TypePolicies } from '@apollo/client';
import { GetModelDocument, ListModelsDocument } from './generated/graphql';

export const typePolicies: TypePolicies = {
  Model: { keyFields: ['modelId'] },
  Query: {
    fields: {
      model: {
        // A reference to a model the cache does not hold reads as missing: then, and only then, it asks the server.
        read(existing, { args, toReference }) {
          return existing ?? toReference({ __typename: 'Model', modelId: args?.modelId as string });
        },
      },
    },
  },
};

export function createApolloClient(url: string, token: string, fetchImpl: typeof fetch = fetch): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers: { Authorization: `Bearer ${token}` }, fetch: fetchImpl }),
    cache: new InMemoryCache({ typePolicies }),
  });
}

/** Lists one provider's models, then opens the first one: the second read comes from the cache. */
export async function listThenOpen(client: ApolloClient, modelProvider: string) {
  const list = await client.query({ query: ListModelsDocument, variables: { modelProvider } });
  const first = list.data?.models[0];
  if (!first) return { listed: 0, opened: null };
  const one = await client.query({ query: GetModelDocument, variables: { modelId: first.modelId } });
  return { listed: list.data?.models.length ?? 0, opened: one.data?.model ?? null };
}
