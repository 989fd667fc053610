import { Query, Resolver } from 'type-graphql';
import { Public } from '../graphql/auth';
import { listProviders } from './provider.catalog';
import { Provider, toGraphQLProvider } from './provider.type';

/** The provider catalog over GraphQL: fixed data, the same as `GET /api/models/providers/supported`. */
@Resolver(() => Provider)
export class ProviderResolver {
  // The connect dialog lists providers before anyone signs in.
  @Public()
  @Query(() => [Provider], { description: 'Every provider the gateway knows, in catalog order. No token needed.' })
  providers(): Provider[] {
    return listProviders().map(toGraphQLProvider);
  }
}
