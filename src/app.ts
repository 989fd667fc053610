import 'reflect-metadata';
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { createFormatError } from './graphql/format-error';
import type { GraphQLContext } from './graphql/context';
import { costLimitPlugin, documentSizeLimit, limitValidationRules } from './graphql/limits';
import { buildGatewaySchema } from './graphql/schema';
import { createAuthenticator, type AuthResult } from './lib/auth';
import { withVerifiedTokenCache } from './lib/auth-cache';
import type { Config } from './lib/config';
import { isDatabaseUnavailable } from './lib/db-errors';
import { corsOrigin, landingPageCsp, securityHeaders } from './lib/http-security';
import { createMetrics, metricsHandler, type Metrics } from './lib/metrics';
import type { Database } from './lib/prisma';
import { createRateLimiter } from './lib/rate-limit';
import { bindGraphQLContext, graphqlObservabilityPlugin, logOf, requestLogger, routeName, routePrefix } from './lib/request-log';
import { DefaultModelRepository } from './defaults/default-model.repository';
import { defaultModelRoutes } from './defaults/default-model.rest';
import { DefaultModelService } from './defaults/default-model.service';
import { ModelService } from './models/model.service';
import { modelRoutes, restErrorResponse } from './models/model.rest';
import { openApiRoutes } from './openapi/routes';

export interface Gateway {
  app: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<GraphQLContext>;
  /** From now on /readyz answers 503, so load balancers stop sending new requests. */
  markDraining(): void;
}

/** How long /readyz waits for the database before calling it unreachable. */
const READINESS_TIMEOUT_MS = 2000;

/** The operation Sandbox opens with: the one most people come to try. */
export const SANDBOX_DOCUMENT = `# Add the header  Authorization: Bearer <token>  (get one with: npm run token -- --sub alice)
mutation UpdateModel($modelId: String!, $input: UpdateModelInput!, $expectedVersion: Int) {
  updateModel(modelId: $modelId, input: $input, expectedVersion: $expectedVersion) {
    modelId
    modelProvider
    modelName
    temperature
    hasApiKey
    version
    updatedAt
  }
}
`;

function landingPagePlugin(config: Config) {
  if (!config.landingPage) return ApolloServerPluginLandingPageDisabled();
  const options = {
    embed: true as const,
    document: SANDBOX_DOCUMENT,
    variables: { modelId: 'my-model', input: { temperature: 0.7 }, expectedVersion: null },
    headers: { Authorization: 'Bearer <paste the output of: npm run token -- --sub alice>' },
  };
  return ApolloServerPluginLandingPageLocalDefault(options);
}

export async function createGateway(
  config: Config,
  database: Database,
  logger: Logger,
  metrics: Metrics = createMetrics(),
): Promise<Gateway> {
  const models = new ModelService(database.db, config.encryptionKeys, config.sharing, logger, database.statements);
  const defaults = new DefaultModelService(new DefaultModelRepository(database.db), models);
  let draining = false;
  const app = express();
  app.disable('x-powered-by');
  // Only the configured proxies' X-Forwarded-For counts: the client address keys rate limits.
  app.set('trust proxy', config.http.trustProxy);
  // ETags here are model versions, set by the REST routes; Express's body hashes would mislead.
  app.set('etag', false);
  const httpServer = http.createServer(app);

  const formatError = createFormatError(logger);
  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildGatewaySchema(),
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
    validationRules: limitValidationRules(config.limits),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      landingPagePlugin(config),
      costLimitPlugin<GraphQLContext>(config.limits.maxCost),
      // No field has cache hints; the default cache-control plugin still wrapped every field's
      // resolver (7% of the CPU of a 50-model list in the profile) to compute none.
      ApolloServerPluginCacheControlDisabled(),
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
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        database.ping(),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error('readiness check timed out')), READINESS_TIMEOUT_MS);
        }),
      ]);
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    } finally {
      clearTimeout(timer);
    }
  });
  // Prometheus text format; guarded by METRICS_TOKEN / METRICS_ALLOW when set, never rate-limited.
  app.get('/metrics', metricsHandler(metrics, config.metrics));

  // After the body parsers (a 413 outranks a 401), before everything that needs the caller.
  const authenticator = withVerifiedTokenCache(createAuthenticator(config.jwt, logger), config.jwt.clockToleranceSec);
  const authenticateRequest: express.RequestHandler = async (req, res, next) => {
    try {
      res.locals.auth = await authenticator.authenticate(req.headers.authorization, req.originalUrl);
      next();
    } catch (err) {
      next(err);
    }
  };
  // Keyed by the verified caller, so it comes right after authentication; one budget for both APIs.
  const rateLimiter = createRateLimiter(config.http.rateLimit, logger);
  const limitRate: express.RequestHandler = rateLimiter?.middleware ?? ((_req, _res, next) => next());
  httpServer.once('close', () => void rateLimiter?.close());

  app.use(
    '/graphql',
    routeName('/graphql'),
    corsMiddleware,
    landingPageCsp(),
    express.json({ limit: config.bodyLimitBytes }),
    authenticateRequest,
    limitRate,
    documentSizeLimit(config.limits.maxDocumentBytes, formatError),
    expressMiddleware(apollo, {
      context: async ({ res }) => bindGraphQLContext({ auth: res.locals.auth as AuthResult, models, defaults }, res),
    }),
  );

  // The REST API's OpenAPI document and reference page: public, so before /api's routes and their 404.
  app.use(openApiRoutes());

  // Bodies are read as text so that size (413) is settled before authentication (401) and
  // authentication before JSON parsing (422), the contract's order of precedence.
  app.use(
    '/api',
    routePrefix('/api'),
    corsMiddleware,
    express.text({ type: () => true, limit: config.bodyLimitBytes }),
    authenticateRequest,
    limitRate,
    // Before the model routes: fixed paths win over model ids.
    defaultModelRoutes(defaults),
    modelRoutes(models),
  );

  app.use((_req, res) => {
    res.status(404).json({ detail: 'Not Found' });
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const graphql = req.originalUrl.startsWith('/graphql');
    const status: number | undefined = typeof err?.status === 'number' ? err.status : undefined;
    if (err?.type === 'entity.too.large' || status === 413) {
      const message = `Request body too large (limit ${config.bodyLimitBytes} bytes)`;
      res.status(413).json(graphql ? { errors: [{ message, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] } : { detail: message });
      return;
    }
    if (graphql && status !== undefined && status >= 400 && status < 500) {
      res.status(400).json({ errors: [{ message: 'Malformed request body', extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    const mapped = restErrorResponse(err);
    if (mapped) {
      if (mapped.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      res.status(mapped.status).json(mapped.body);
      return;
    }
    if (err?.type === 'charset.unsupported' || err?.type === 'encoding.unsupported') {
      // A body that cannot be decoded cannot be JSON: FastAPI's answer is a 422 json_invalid.
      res.status(422).json({ detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
      return;
    }
    if (status !== undefined && status >= 400 && status < 500) {
      res.status(status).json({ detail: 'Bad Request' });
      return;
    }
    if (isDatabaseUnavailable(err)) {
      logOf(res, logger).warn({ method: req.method, path: req.path }, 'database unavailable');
      res.setHeader('Retry-After', '1');
      res.status(503).json({ detail: 'Service Unavailable' });
      return;
    }
    logOf(res, logger).error(
      { err: { name: err?.name, message: err?.message, stack: err?.stack }, method: req.method, path: req.path },
      'unexpected error',
    );
    res.status(500).json({ detail: 'Internal Server Error' });
  };
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
