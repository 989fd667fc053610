import { createParameterDecorator, getMetadataStorage, type AuthChecker } from 'type-graphql';
import type { Caller } from '../lib/auth';
import type { GraphQLContext } from './context';

/**
 * Authentication, declared on each operation: `@Authorized()` for a signed-in caller, `@Public()`
 * for none. An operation with neither is refused when the schema is built (deny by default), so
 * forgetting the declaration cannot ship an open operation.
 */

/**
 * Without a caller, the request's own verdict is the error (no token: "Not authenticated"; a bad
 * one: "Could not validate credentials"), not type-graphql's generic "Access denied!".
 */
export const authChecker: AuthChecker<GraphQLContext> = ({ context }) => {
  if (!context.auth.caller) throw context.auth.error;
  return true;
};

/** The verified caller of an `@Authorized()` operation. */
export function CurrentCaller() {
  return createParameterDecorator<GraphQLContext>(({ context }): Caller => {
    // Unreachable behind @Authorized (authChecker ran first); kept so a missing declaration cannot hand out null.
    if (!context.auth.caller) throw context.auth.error;
    return context.auth.caller;
  });
}

/** A resolver class, as type-graphql's metadata names it (its constructor). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's metadata keys classes by Function
type ResolverClass = Function;

const publicOperations = new WeakMap<object, Set<string>>();

/** Marks an operation as open to callers without credentials: an explicit choice, seen in review. */
export function Public(): MethodDecorator {
  return (target, propertyKey) => {
    const names = publicOperations.get(target.constructor) ?? new Set<string>();
    names.add(String(propertyKey));
    publicOperations.set(target.constructor, names);
  };
}

/** Queries, mutations, subscriptions and field resolvers of `resolvers` that declare neither @Authorized nor @Public. */
export function undeclaredOperations(resolvers: readonly ResolverClass[]): string[] {
  const storage = getMetadataStorage();
  const classes = new Set<ResolverClass>(resolvers);
  const authorized = (target: ResolverClass, method: string) =>
    storage.authorizedResolver.some((entry) => entry.target === target) ||
    storage.authorizedFields.some((entry) => entry.target === target && entry.fieldName === method) ||
    publicOperations.get(target)?.has(method) === true;
  return [...storage.queries, ...storage.mutations, ...storage.subscriptions, ...storage.fieldResolvers]
    .filter((operation) => classes.has(operation.target) && !authorized(operation.target, operation.methodName))
    .map((operation) => `${operation.target.name}.${operation.methodName}`);
}

export function assertEveryOperationDeclaresAuth(resolvers: readonly ResolverClass[]): void {
  const undeclared = undeclaredOperations(resolvers);
  if (undeclared.length > 0) {
    throw new Error(`GraphQL operations without @Authorized() or @Public(): ${undeclared.join(', ')}`);
  }
}
