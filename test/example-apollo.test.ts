/**
 * examples/client/apollo.ts against a real server: with the documented type policy, a model
 * that a list already brought is opened from Apollo's cache (no request); one it did not bring
 * is fetched. Without the policy the same read goes to the network, which is why it is there.
 */
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { createApolloClient, listThenOpen } from '../examples/client/apollo';
import { GetModelDocument } from '../examples/client/generated/graphql';
import { request } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { tokenFor } from './helpers/tokens';

let srv: RunningServer;
const ALICE = tokenFor('alice');

/** fetch, counting the GraphQL requests that reach the server. */
function countingFetch(): { fetch: typeof fetch; count: () => number } {
  let n = 0;
  return {
    fetch: (input, init) => {
      n += 1;
      return fetch(input, init);
    },
    count: () => n,
  };
}

beforeAll(async () => {
  srv = await startServer();
  for (const id of ['apollo/a', 'apollo/b']) {
    const res = await request(srv.url, 'POST', '/api/models', {
      token: ALICE,
      body: { model_id: id, model_provider: 'apollo-test', model_name: id.slice(7) },
    });
    expect(res.status).toBe(200);
  }
});

afterAll(async () => {
  await srv?.stop();
});

test('with the type policy: list, then open one, is one request', async () => {
  const counter = countingFetch();
  const client = createApolloClient(`${srv.url}/graphql`, ALICE, counter.fetch);
  const { listed, opened } = await listThenOpen(client, 'apollo-test');
  expect(listed).toBe(2);
  expect(opened).toMatchObject({ modelId: 'apollo/a', modelProvider: 'apollo-test', version: 1 });
  expect(counter.count()).toBe(1);

  // A model the list did not bring is still fetched (and then cached).
  const created = await request(srv.url, 'POST', '/api/models', {
    token: ALICE,
    body: { model_id: 'apollo/c', model_provider: 'other', model_name: 'c' },
  });
  expect(created.status).toBe(200);
  const c = await client.query({ query: GetModelDocument, variables: { modelId: 'apollo/c' } });
  expect(c.data?.model).toMatchObject({ modelId: 'apollo/c' });
  expect(counter.count()).toBe(2);
  await client.query({ query: GetModelDocument, variables: { modelId: 'apollo/c' } });
  expect(counter.count()).toBe(2);
});

test('without it, opening a listed model goes to the network again', async () => {
  const counter = countingFetch();
  const client = new ApolloClient({
    link: new HttpLink({ uri: `${srv.url}/graphql`, headers: { Authorization: `Bearer ${ALICE}` }, fetch: counter.fetch }),
    cache: new InMemoryCache(),
  });
  const { opened } = await listThenOpen(client, 'apollo-test');
  expect(opened).toMatchObject({ modelId: 'apollo/a' });
  expect(counter.count()).toBe(2);
});
