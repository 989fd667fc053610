/**
 * Deny by default: every GraphQL operation declares its authentication (@Authorized or @Public),
 * read off type-graphql's metadata storage. The gateway's schema refuses to build otherwise.
 */
import 'reflect-metadata';
import { Authorized, getMetadataStorage, Mutation, Query, Resolver } from 'type-graphql';
import { assertEveryOperationDeclaresAuth, Public, undeclaredOperations } from '../../src/graphql/auth';
import { RESOLVERS } from '../../src/graphql/schema';

@Resolver()
class Forgetful {
  @Authorized()
  @Query(() => String)
  declared(): string {
    return 'ok';
  }

  @Query(() => String)
  forgotten(): string {
    return 'open';
  }

  @Public()
  @Mutation(() => String)
  open(): string {
    return 'open on purpose';
  }
}

@Authorized()
@Resolver()
class AllAuthorized {
  @Query(() => String)
  byClass(): string {
    return 'ok';
  }
}

describe('every GraphQL operation declares its authentication', () => {
  it("the gateway's resolvers: every query and mutation has @Authorized or @Public", () => {
    const storage = getMetadataStorage();
    const operations = [...storage.queries, ...storage.mutations].filter((op) => (RESOLVERS as readonly unknown[]).includes(op.target));
    // The walk sees the real operations (so an empty list cannot pass for "all declared").
    expect(operations.map((op) => op.methodName).sort()).toEqual(
      [
        'clearDefaultModel',
        'createModel',
        'defaultModel',
        'defaultModels',
        'deleteModel',
        'model',
        'modelSummary',
        'models',
        'providers',
        'setDefaultModel',
        'setModelActive',
        'testModelConnection',
        'testModels',
        'fetchProviderModels',
        'updateModel',
      ].sort(),
    );
    expect(undeclaredOperations(RESOLVERS)).toEqual([]);
    expect(() => assertEveryOperationDeclaresAuth(RESOLVERS)).not.toThrow();
  });

  it('an operation without a declaration is found, and the schema refuses to build', () => {
    expect(undeclaredOperations([Forgetful])).toEqual(['Forgetful.forgotten']);
    expect(() => assertEveryOperationDeclaresAuth([...RESOLVERS, Forgetful])).toThrow(
      'GraphQL operations without @Authorized() or @Public(): Forgetful.forgotten',
    );
  });

  it('@Authorized on the resolver class covers its operations', () => {
    expect(undeclaredOperations([AllAuthorized])).toEqual([]);
  });
});
