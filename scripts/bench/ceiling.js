#!/usr/bin/env node
// `npm run bench -- --ceilings`: how fast the gateway's frameworks alone can answer the bench's
// update requests on this machine, with no authentication, database, logging or middleware: an
// Express 5 route (KIND=express) and an Apollo Server 5 mutation on Express 5 (KIND=apollo),
// both echoing the update. No implementation on these frameworks can beat these numbers, so they
// show how much of the distance to the baseline is the stack itself.
'use strict';
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

async function main() {
  const app = express();
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  if (kind === 'express') {
    app.put('/api/models/:modelId', express.json(), (req, res) => res.json(model(req.params.modelId, req.body)));
  } else {
    const { ApolloServer } = require('@apollo/server');
    const { expressMiddleware } = require('@as-integrations/express5');
    const typeDefs = `
      type Model { id: Int! modelId: String! temperature: Float description: String version: Int! updatedAt: String! }
      input UpdateModelInput { temperature: Float description: String }
      type Query { ok: Boolean }
      type Mutation { updateModel(modelId: String!, input: UpdateModelInput!): Model! }`;
    const apollo = new ApolloServer({
      typeDefs,
      resolvers: { Mutation: { updateModel: (_root, args) => model(args.modelId, args.input) } },
    });
    await apollo.start();
    app.use('/graphql', express.json(), expressMiddleware(apollo, { context: async () => ({}) }));
  }
  const server = app.listen(port, host, () => process.stdout.write(`ceiling (${kind}) listening on ${host}:${port}\n`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`ceiling: ${err && err.message}\n`);
  process.exit(1);
});
