/**
 * Which requests the node:http server hands to the GraphQL edge: exactly those Express's
 * `app.use('/graphql', ...)` mount took before (case-insensitive, paths below it, the absolute
 * form), so no URL changes hands between GraphQL and REST.
 */
import { isGraphQLPath } from '../../src/http/graphql-edge';

describe('isGraphQLPath', () => {
  it.each([
    '/graphql',
    '/graphql?query=%7B__typename%7D',
    '/graphql/',
    '/graphql/anything?x=1',
    '/GraphQL',
    '/GRAPHQL?x',
    'http://example.com/graphql?x=1',
  ])('%s goes to the GraphQL edge', (url) => {
    expect(isGraphQLPath(url)).toBe(true);
  });

  it.each([
    undefined,
    '',
    '/',
    '/graphqlx',
    '/graphiql',
    '/api/graphql',
    '/graphq',
    '//graphql',
    '/x/graphql',
    'http://example.com/api',
    '*',
  ])('%s goes to Express', (url) => {
    expect(isGraphQLPath(url)).toBe(false);
  });
});
