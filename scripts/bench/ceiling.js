#!/usr/bin/env node
// The ceilings of `npm run bench`: how fast the gateway's frameworks alone can answer the bench's
// requests on this machine, with no authentication, database, logging or middleware:
//   KIND=express      an Express 5 route echoing the REST update;
//   KIND=apollo       Apollo Server 5 on Express 5 (@as-integrations/express5);
//   KIND=apollo-http  the same Apollo Server driven by executeHTTPGraphQLRequest from a plain
//                     node:http handler (the body read and JSON-parsed by hand), as the gateway does.
// Both Apollo kinds echo the updateModel mutation and answer models(limit) with that many
// made-up rows of every field. No implementation on these frameworks can beat these numbers, so
// they show how much of the distance to the baseline is the stack itself.
'use strict';
const http = require('node:http');
const express = require('express');

const port = Number(process.env.PORT || 5001);
const host = process.env.HOST || '127.0.0.1';
const kind = process.env.KIND || 'express';

function model(modelId, input) {
  return {
    id: 1,
    modelId,
    temperature: input.temperature ?? null,
    description: input.description ?? null,
    version: 2,
    updatedAt: new Date().toISOString(),
  };
}

const MODEL_FIELDS = `id: Int! modelId: String! category: String! modelProvider: String! modelName: String! hasApiKey: Boolean!
  baseUrl: String temperature: Float dimension: Int description: String abilities: [String!] isShared: Boolean!
  isActive: Boolean! createdAt: String! updatedAt: String! isOwner: Boolean! canEdit: Boolean! canDelete: Boolean! version: Int!`;

const typeDefs = `
  type Model { ${MODEL_FIELDS} }
  input UpdateModelInput { temperature: Float description: String }
  type Query { models(limit: Int): [Model!]! }
  type Mutation { updateModel(modelId: String!, input: UpdateModelInput!): Model! }`;

function listed(i) {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  return {
    ...model(`bench-${String(i).padStart(5, '0')}`, { temperature: 0.7, description: `Benchmark model ${i}` }),
    id: i + 1,
    category: 'llm',
    modelProvider: 'openai',
    modelName: `gpt-4o-${i}`,
    hasApiKey: i % 3 !== 0,
    baseUrl: null,
    dimension: null,
    abilities: ['chat', 'tools'],
    isShared: false,
    isActive: true,
    createdAt: at,
    updatedAt: at,
    isOwner: true,
    canEdit: true,
    canDelete: true,
  };
}

async function apolloServer() {
  const { ApolloServer } = require('@apollo/server');
  const apollo = new ApolloServer({
    typeDefs,
    resolvers: {
      Query: { models: (_root, args) => Array.from({ length: Math.min(args.limit ?? 100, 1000) }, (_, i) => listed(i)) },
      Mutation: { updateModel: (_root, args) => model(args.modelId, args.input) },
    },
  });
  await apollo.start();
  return apollo;
}

/** Apollo Server through its own HTTP entry point, from node:http: no framework in between. */
async function apolloHttp() {
  const { HeaderMap } = require('@apollo/server');
  const apollo = await apolloServer();
  return http.createServer((req, res) => {
    if (req.url === '/healthz') return res.end('{"status":"ok"}');
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, String(value));
      let body;
      try {
        body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        res.statusCode = 400;
        return res.end();
      }
      const url = req.url || '';
      const at = url.indexOf('?');
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method || 'GET', headers, search: at < 0 ? '' : url.slice(at), body },
        context: async () => ({}),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') return res.end(response.body.string);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    });
  });
}

async function main() {
  let server;
  if (kind === 'apollo-http') {
    server = await apolloHttp();
  } else {
    const app = express();
    app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
    if (kind === 'express') {
      app.put('/api/models/:modelId', express.json(), (req, res) => res.json(model(req.params.modelId, req.body)));
    } else {
      const { expressMiddleware } = require('@as-integrations/express5');
      const apollo = await apolloServer();
      app.use('/graphql', express.json(), expressMiddleware(apollo, { context: async () => ({}) }));
    }
    server = http.createServer(app);
  }
  server.keepAliveTimeout = 65_000;
  server.listen(port, host, () => process.stdout.write(`ceiling (${kind}) listening on ${host}:${port}\n`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`ceiling: ${err && err.message}\n`);
  process.exit(1);
});
