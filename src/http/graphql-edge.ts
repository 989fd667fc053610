import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import express from 'express';
import type { Logger } from 'pino';
import type { Authenticator } from '../lib/auth';
import { documentSizeRefusal } from '../graphql/limits';
import { mounted, requestLogger } from '../lib/request-log';
import type { Metrics } from '../lib/metrics';
import type { GraphQLContext } from '../graphql/context';
import { graphqlHandler, type ParsedRequest } from './graphql-handler';
import { jsonBodyReader } from './json-body';
import { sendError } from './send-error';

type Next = (err?: unknown) => void;
/** Connect-style middleware, as `cors`, helmet and express-rate-limit are written. */
type Middleware = (req: http.IncomingMessage, res: http.ServerResponse, next: Next) => unknown;

/**
 * Whether the node:http server hands a request to the GraphQL edge: the paths Express's
 * `app.use('/graphql', ...)` mount took before (case-insensitive, and any path below it), so
 * that no URL changes hands.
 */
export function isGraphQLPath(url: string | undefined): boolean {
  if (url === undefined || url.length < 8) return false;
  // Fast path: what every client sends.
  if (url.startsWith('/graphql') && (url.length === 8 || url[8] === '?' || url[8] === '/')) return true;
  let path: string;
  if (url.startsWith('/')) {
    const query = url.indexOf('?');
    path = query < 0 ? url : url.slice(0, query);
  } else {
    // The absolute form (`POST http://host/graphql`), which Express's router reads as its path.
    try {
      path = new URL(url).pathname;
    } catch {
      return false;
    }
  }
  path = path.toLowerCase();
  return path === '/graphql' || path.startsWith('/graphql/');
}

/**
 * The headers a connect-style middleware sets on every response regardless of the request
 * (helmet with a static configuration), recorded once so each request only copies them.
 */
export function staticHeaders(middleware: Middleware): [string, string | number | readonly string[]][] {
  const headers: [string, string | number | readonly string[]][] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, value]);
      return recorder;
    },
    removeHeader() {},
    getHeader() {
      return undefined;
    },
  };
  let called = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as http.IncomingMessage, recorder as unknown as http.ServerResponse, (err) => {
    if (err) throw err;
    called = true;
  });
  if (!called) throw new Error('security headers middleware did not complete synchronously');
  return headers;
}

/** Runs one connect-style middleware; resolves when it hands on, never when it answered itself. */
function run(middleware: Middleware, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  });
}

const readBody = (reader: ReturnType<typeof jsonBodyReader>, req: http.IncomingMessage, res: http.ServerResponse) =>
  new Promise<unknown>((resolve, reject) => reader(req, res, (err, body) => (err ? reject(err) : resolve(body))));

/** Where the edge's steps leave their verdicts (as Express's `res.locals`): the caller's authentication. */
const localsOf = (res: http.ServerResponse): Record<string, unknown> => (res as unknown as { locals: Record<string, unknown> }).locals;

/** Express's own `req.ip` (its `trust proxy` setting decides which X-Forwarded-For hop counts). */
const expressIp = Object.getOwnPropertyDescriptor(express.request, 'ip')!.get!;

export interface GraphQLEdgeOptions {
  logger: Logger;
  metrics: Metrics;
  /** The REST app: its `trust proxy` setting gives the client address the rate limiter keys on. */
  app: express.Express;
  apollo: ApolloServer<GraphQLContext>;
  securityHeaders: express.RequestHandler;
  cors: Middleware;
  authenticator: Authenticator;
  rateLimit?: express.RequestHandler;
  bodyLimitBytes: number;
  maxDocumentBytes: number;
  context: (auth: GraphQLContext['auth'], res: http.ServerResponse) => GraphQLContext;
}

/**
 * /graphql on plain node:http, without Express (whose router and JSON parser cost more than
 * Apollo's whole pipeline in the profile, docs/benchmarks.md). The steps and their order are
 * the ones the Express mount had: request id and log line, security headers, CORS, the body
 * (413 before 401), authentication, rate limit, document size, then Apollo's own HTTP entry
 * point. Every refusal ends in the edge's one error answer (sendError), in GraphQL's shape.
 */
export function graphqlEdge(options: GraphQLEdgeOptions): http.RequestListener {
  const { logger, app, apollo, cors, authenticator, maxDocumentBytes } = options;
  // These connect-style middlewares only use what node:http's objects have (plus req.ip and req.app, set below).
  const rateLimit = options.rateLimit as unknown as Middleware | undefined;
  const logRequest = requestLogger(logger, options.metrics) as unknown as Middleware;
  const markMount = mounted({ transport: 'graphql', route: '/graphql' }) as unknown as Middleware;
  const security = staticHeaders(options.securityHeaders as unknown as Middleware);
  const reader = jsonBodyReader(options.bodyLimitBytes);
  const answer = graphqlHandler(apollo, async (_req, res) => options.context(localsOf(res).auth as GraphQLContext['auth'], res));
  const noop = () => {};

  const serve = async (req: ParsedRequest, res: http.ServerResponse): Promise<void> => {
    await run(cors, req, res);
    req.body = await readBody(reader, req, res);
    localsOf(res).auth = await authenticator.authenticate(req.headers.authorization, req.url);
    if (rateLimit) {
      const withApp = req as ParsedRequest & { app?: express.Express; ip?: string };
      withApp.app = app;
      withApp.ip = expressIp.call(withApp) as string | undefined;
      await run(rateLimit, req, res);
    }
    const tooLarge = documentSizeRefusal(maxDocumentBytes, req.method, req.url, req.body);
    if (tooLarge) throw tooLarge;
    await answer(req, res);
  };

  return (req, res) => {
    (res as unknown as { locals: Record<string, unknown> }).locals = {};
    logRequest(req, res, noop);
    for (const [name, value] of security) res.setHeader(name, value);
    markMount(req, res, noop);
    serve(req, res).catch((err: unknown) => sendError(req, res, err, logger));
  };
}
