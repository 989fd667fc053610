/**
 * /graphql is answered from the node:http server by the GraphQL edge, not by Express: a server
 * started with a spy on Express's application (test/helpers/express-spy.js) sees REST and health
 * requests go through Express, and no request to /graphql (POST, GET, OPTIONS, any case, a path
 * below it) does, while each is still answered as before.
 */
import path from 'node:path';
import { gql, request } from './helpers/http';
import { PROJECT_ROOT, startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';

let server: RunningServer;
const spy = path.join(PROJECT_ROOT, 'test', 'helpers', 'express-spy.js');
const seenByExpress = () =>
  server
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('express-spy: '));

beforeAll(async () => {
  server = await startServer({ env: { NODE_OPTIONS: `--require ${spy}` } });
});

afterAll(async () => {
  await server?.stop();
});

it('REST and health checks go through Express; GraphQL does not', async () => {
  expect((await request(server.url, 'GET', '/healthz')).status).toBe(200);
  expect((await request(server.url, 'GET', '/api/models', { token: alice() })).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 100));
  // (A request may pass more than one Express application: sub-apps log it again.)
  expect(new Set(seenByExpress())).toEqual(new Set(['express-spy: GET /healthz', 'express-spy: GET /api/models']));

  const ok = await gql(server.url, '{ models { modelId } }', undefined, alice());
  expect(ok.status).toBe(200);
  expect(ok.body).toEqual({ data: { models: [] } });
  expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
  expect(ok.headers.get('content-type')).toBe('application/json; charset=utf-8');

  const landing = await fetch(`${server.url}/graphql?x=1`, { headers: { Accept: 'text/html' } });
  expect(landing.status).toBe(200);
  expect(landing.headers.get('content-security-policy')).toContain("script-src 'self' 'nonce-");

  const preflight = await fetch(`${server.url}/graphql`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'POST' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');

  const malformed = await request(server.url, 'POST', '/graphql', { rawBody: '{"query": ' });
  expect(malformed.status).toBe(400);
  expect(malformed.body.errors[0].extensions.code).toBe('BAD_REQUEST');

  // The paths Express's mount took before still reach GraphQL, not a REST 404.
  const upper = await request(server.url, 'POST', '/GraphQL', { token: alice(), body: { query: '{ __typename }' } });
  expect(upper.body).toEqual({ data: { __typename: 'Query' } });
  const below = await request(server.url, 'POST', '/graphql/', { token: alice(), body: { query: '{ __typename }' } });
  expect(below.body).toEqual({ data: { __typename: 'Query' } });

  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(new Set(seenByExpress())).toEqual(new Set(['express-spy: GET /healthz', 'express-spy: GET /api/models']));
  expect(server.logs()).not.toMatch(/express-spy: \w+ \/graphql/i);
});
