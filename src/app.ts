import 'reflect-metadata';
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { aggregateRoutes, publicCatalogRoutes } from './aggregates/aggregate.rest';
import { ModelAggregates } from './aggregates/aggregate.service';
import type { Database } from './db/database';
import { jitGateway } from './graphql/executor';
import { createFormatError } from './graphql/format-error';
import type { GraphQLContext } from './graphql/context';
import { createDocumentStore } from './graphql/document-store';
import { costLimitPlugin, limitValidationRules } from './graphql/limits';
import { buildGatewaySchema } from './graphql/schema';
import { unavailableAsHttp503Plugin } from './graphql/unavailable';
import { healthRoutes } from './health/health.routes';
import { authenticateStep } from './http/authenticate';
import { markUndecodable } from './http/body';
import { graphqlEdge, isGraphQLPath } from './http/graphql-edge';
import { sendError } from './http/send-error';
import { createAuthenticator } from './lib/auth';
import { withVerifiedTokenCache } from './lib/auth-cache';
import type { Config } from './lib/config';
import { Errors } from './lib/errors';
import { corsOrigin, securityHeaders } from './lib/http-security';
import { createMetrics, metricsHandler, type Metrics } from './lib/metrics';
import { createRateLimiter } from './lib/rate-limit';
import { bindGraphQLContext, graphqlObservabilityPlugin, mounted, requestLogger } from './lib/request-log';
import { ModelRepository } from './models/model.repository';
import { frontDoorRoutes } from './http/front-door';
import { landingPagePlugin } from './http/sandbox';
import { DefaultModelGuards } from './defaults/default-model.guards';
import { DefaultModelRepository } from './defaults/default-model.repository';
import { defaultModelRoutes } from './defaults/default-model.rest';
import { DefaultModelService } from './defaults/default-model.service';
import { ModelService } from './models/model.service';
import { modelRoutes } from './models/model.rest';
import { openApiRoutes } from './openapi/routes';
import { createOutbound } from './outbound';
import { providerCallRoutes } from './provider-calls/provider-call.rest';
import { ProviderCallService } from './provider-calls/provider-call.service';
import { providerRoutes } from './providers/provider.rest';

export interface Gateway {
  app: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<GraphQLContext>;
  /** From now on /readyz answers 503, so load balancers stop sending new requests. */
  markDraining(): void;
}

export async function createGateway(
  config: Config,
  database: Database,
  logger: Logger,
  metrics: Metrics = createMetrics(),
): Promise<Gateway> {
  const repository = new ModelRepository(database);
  const defaultsRepository = new DefaultModelRepository(database);
  const models = new ModelService(repository, config.encryptionKeys, config.sharing, logger, new DefaultModelGuards(defaultsRepository));
  const aggregates = new ModelAggregates(repository);
  const defaults = new DefaultModelService(defaultsRepository, models);
  // The one way out to model providers: address checks, timeout, size cap, per-caller budget.
  const outbound = createOutbound({ env: config.env, ...config.outbound }, logger, { registry: metrics.registry });
  const providerCalls = new ProviderCallService(models, outbound.client, outbound.budget, config.outbound, logger, metrics);
  let draining = false;
  const app = express();
  app.disable('x-powered-by');
  // Only the configured proxies' X-Forwarded-For counts: the client address keys rate limits.
  app.set('trust proxy', config.http.trustProxy);
  // ETags here are model versions, set by the REST routes; Express's body hashes would mislead.
  app.set('etag', false);
  // Its request listener is added once Apollo has started (below).
  const httpServer = http.createServer();

  const formatError = createFormatError(logger);
  const executions = {
    jit: metrics.graphqlExecutions.labels({ executor: 'jit' }),
    'graphql-js': metrics.graphqlExecutions.labels({ executor: 'graphql-js' }),
  };
  const jit = jitGateway(await buildGatewaySchema(), { ...config.jit, onExecute: (executor) => executions[executor].inc() });
  const apollo = new ApolloServer<GraphQLContext>({
    // The schema comes through the executor's gateway interface (Apollo takes it from there).
    gateway: jit.gateway,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.env === 'production',
    formatError,
    // Defaults, stated so they cannot be dropped unnoticed: one operation per request, and
    // operations only with a header a cross-site form or <img> cannot send.
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // main.ts owns shutdown (drain, close the pool, exit); a second stop() from Apollo's own
    // signal handler would wait forever on the first.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: config.limits.maxTokens },
    // Apollo's default sizes documents by their JSON, a third of their heap: unbounded in practice.
    documentStore: createDocumentStore(),
    validationRules: limitValidationRules(config.limits),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      landingPagePlugin(config),
      costLimitPlugin<GraphQLContext>(config.limits.maxCost),
      // No field has cache hints; the default cache-control plugin still wrapped every field's
      // resolver (7% of the CPU of a 50-model list in the profile) to compute none.
      ApolloServerPluginCacheControlDisabled(),
      unavailableAsHttp503Plugin<GraphQLContext>(),
      graphqlObservabilityPlugin<GraphQLContext>(metrics),
    ],
  });
  await apollo.start();

  const corsMiddleware = cors({
    origin: corsOrigin(config.http.corsOrigins),
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'Apollo-Require-Preflight', 'X-Apollo-Operation-Name', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
    maxAge: 600,
  });

  // First, so that every request gets its id (X-Request-Id) and its one log line, whatever answers it.
  app.use(requestLogger(logger, metrics));
  // Security headers on every response, including errors and health checks.
  app.use(securityHeaders());

  // For load balancers and orchestrators; no auth, no internals.
  app.use(healthRoutes({ ping: () => database.ping(), draining: () => draining }));
  // Prometheus text format; guarded by METRICS_TOKEN / METRICS_ALLOW when set, never rate-limited.
  app.get('/metrics', metricsHandler(metrics, config.metrics));

  // After the body parsers (a 413 outranks a 401), before everything that needs the caller.
  const authenticator = withVerifiedTokenCache(createAuthenticator(config.jwt, logger), config.jwt.clockToleranceSec);
  const authenticateRequest = authenticateStep(authenticator);
  // Keyed by the verified caller, so it comes right after authentication; one budget for both APIs.
  const rateLimiter = createRateLimiter(config.http.rateLimit, logger);
  const limitRate: express.RequestHandler = rateLimiter?.middleware ?? ((_req, _res, next) => next());
  httpServer.once('close', () => void rateLimiter?.close());
  httpServer.once('close', () => void outbound.close());

  // GraphQL, with the same steps in the same order (see graphql-edge.ts), without Express.
  const graphql = graphqlEdge({
    logger,
    metrics,
    app,
    apollo,
    securityHeaders: securityHeaders(),
    cors: corsMiddleware,
    authenticator,
    rateLimit: rateLimiter?.middleware,
    bodyLimitBytes: config.bodyLimitBytes,
    maxDocumentBytes: config.limits.maxDocumentBytes,
    context: (auth, res) => bindGraphQLContext({ auth, models, aggregates, defaults, providerCalls }, res),
  });
  // /graphql is answered by the GraphQL edge on node:http, everything else by the Express app.
  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (isGraphQLPath(req.url)) graphql(req, res);
    else app(req, res);
  });

  // The provider catalog is public: before /api's authentication, yet with its CORS policy and request budget.
  app.use(providerRoutes(corsMiddleware, authenticateRequest, limitRate));
  app.use(publicCatalogRoutes(aggregates, config.publicCatalog, corsMiddleware, authenticateRequest, limitRate));
  // The REST API's OpenAPI document and reference page: public, so before /api's routes and their 404.
  app.use(openApiRoutes());
  app.use(frontDoorRoutes(config));

  // Bodies are read as text so that size (413) is settled before authentication (401) and
  // authentication before JSON parsing (422), the contract's order of precedence.
  app.use(
    '/api',
    mounted({ transport: 'rest', prefix: '/api' }),
    corsMiddleware,
    express.text({ type: () => true, limit: config.bodyLimitBytes, verify: markUndecodable }),
    authenticateRequest,
    limitRate,
    // Before the model routes: fixed paths win over model ids.
    aggregateRoutes(aggregates),
    defaultModelRoutes(defaults),
    providerCallRoutes(providerCalls),
    modelRoutes(models),
  );

  app.use((_req, _res, next) => next(Errors.routeNotFound()));

  // Every refusal and failure, answered in the transport of the mount it came through.
  const onError: ErrorRequestHandler = (err, req, res, _next) => sendError(req, res, err, logger);
  app.use(onError);

  return {
    app,
    httpServer,
    apollo,
    markDraining: () => {
      draining = true;
    },
  };
}
