import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type express from 'express';
import type { Logger } from 'pino';
import type { AuthResult } from './auth';
import type { Metrics } from './metrics';

/**
 * One line per request, and the request's metrics. The line carries the route pattern, never the
 * URL (ids, and query strings that may hold a token), nor headers or bodies.
 */

/** A caller's request id is kept when it is printable ASCII without spaces, 1 to 128 characters. */
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;
/** Probes every few seconds would drown the log: when they succeed they are logged at debug. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

interface GraphQLState {
  operationName?: string;
  operationType?: string;
  errorCodes: string[];
}

interface RequestState {
  id: string;
  /** Set for a mount that is one route (/graphql), whatever its path below. */
  route?: string;
  /** Set for a mount whose router holds the routes (/api): their patterns are relative to it. */
  prefix?: string;
  graphql?: GraphQLState;
}

const STATE = Symbol('request-state');
type Locals = Record<string | symbol, unknown>;
const stateOf = (res: express.Response): RequestState | undefined => (res.locals as Locals)[STATE] as RequestState | undefined;

/**
 * A GraphQL context's request, for the Apollo plugin (the context is all a plugin is given). A
 * property, not a WeakMap entry: Apollo hands plugins a shallow copy of the context.
 */
const requestOfContext = (context: object): RequestState | undefined => (context as Locals)[STATE] as RequestState | undefined;

export function requestIdOf(res: express.Response): string | undefined {
  return stateOf(res)?.id;
}

/** The per-request logger (carries `reqId`), or `fallback` outside a request. */
export function logOf(res: express.Response, fallback: Logger): Logger {
  return (res.locals.log as Logger | undefined) ?? fallback;
}

/** Marks every request under this mount as one route: `app.use('/graphql', routeName('/graphql'), ...)`. */
export function routeName(route: string): express.RequestHandler {
  return (_req, res, next) => {
    const state = stateOf(res);
    if (state) state.route = route;
    next();
  };
}

/** Route patterns of the router mounted here are relative to `prefix`: `app.use('/api', routePrefix('/api'), ...)`. */
export function routePrefix(prefix: string): express.RequestHandler {
  return (_req, res, next) => {
    const state = stateOf(res);
    if (state) state.prefix = prefix;
    next();
  };
}

/** Links a GraphQL context to its request; call it in Apollo's context function. */
export function bindGraphQLContext<T extends object>(context: T, res: express.Response): T {
  const state = stateOf(res);
  if (state) (context as Locals)[STATE] = state;
  return context;
}

/** The code a GraphQL client got from a refusal answered before Apollo (body size, rate limit, ...). */
function graphqlCodeForStatus(status: number): string {
  switch (status) {
    case 400:
    case 415:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 429:
      return 'RATE_LIMITED';
    case 503:
      return 'SERVICE_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL_SERVER_ERROR' : `HTTP_${status}`;
  }
}

function routeOf(req: express.Request, state: RequestState): string {
  if (state.route) return state.route;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return (state.prefix ?? '') + path;
  // Under a mount but no route decided (413 before routing, 404 inside the router).
  return state.prefix ? `${state.prefix}/*` : 'unmatched';
}

export function requestLogger(logger: Logger, metrics: Metrics): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    const state: RequestState = { id };
    (res.locals as Locals)[STATE] = state;
    res.locals.log = logger.child({ reqId: id });
    res.setHeader('X-Request-Id', id);

    // 'close' comes after 'finish' for a complete answer, and alone when the client went away.
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // An upload cut short ends in an error answer nobody receives: aborted too, not that status.
      const completed = res.writableFinished && !req.readableAborted;
      const status = res.statusCode;
      const route = routeOf(req, state);
      metrics.httpDuration.observe({ method: req.method, route, status: completed ? String(status) : 'aborted' }, seconds);

      let graphql = state.graphql;
      if (!graphql && state.route === '/graphql' && status >= 400) {
        // Refused before Apollo saw it: no operation name can be trusted.
        graphql = { errorCodes: [graphqlCodeForStatus(status)] };
        metrics.graphqlErrors.inc({ operation: 'anonymous', code: graphql.errorCodes[0]! });
      }

      const auth = res.locals.auth as AuthResult | undefined;
      const line: Record<string, unknown> = {
        method: req.method,
        route,
        status,
        durationMs: Math.round(seconds * 1e4) / 10,
        sub: auth?.caller ? auth.caller.sub.slice(0, 200) : null,
      };
      if (graphql) {
        line.operationName = graphql.operationName ?? null;
        line.operationType = graphql.operationType ?? null;
        if (graphql.errorCodes.length > 0) line.errorCodes = graphql.errorCodes;
      }
      if (!completed) line.aborted = true;
      const level = status >= 500 ? (status === 503 ? 'warn' : 'error') : PROBES.has(route) && status < 400 ? 'debug' : 'info';
      (res.locals.log as Logger)[level](line, completed ? 'request completed' : 'request aborted');
    });
    next();
  };
}

/**
 * Operation name, type, duration and error codes. The name labels metrics only once the
 * operation parsed and validated against the schema; before that it is "anonymous".
 */
export function graphqlObservabilityPlugin<TContext extends object>(metrics: Metrics): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      const started = process.hrtime.bigint();
      const claimed =
        typeof request.operationName === 'string' && GRAPHQL_NAME.test(request.operationName) ? request.operationName : undefined;
      const graphql: GraphQLState = { operationName: claimed, errorCodes: [] };
      const state = requestOfContext(contextValue);
      if (state) state.graphql = graphql;
      return {
        async willSendResponse({ response, operation, operationName }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const validated = operation !== undefined && operation !== null;
          if (validated) {
            graphql.operationName = operationName ?? undefined;
            graphql.operationType = operation.operation;
          }
          const label = metrics.operationLabel(validated ? operationName : null);
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = new Set<string>();
          for (const error of errors) {
            const code = error.extensions?.code;
            codes.add(typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'UNKNOWN');
          }
          graphql.errorCodes = [...codes];
          metrics.graphqlDuration.observe({ operation: label, type: graphql.operationType ?? 'unknown' }, seconds);
          for (const code of codes) metrics.graphqlErrors.inc({ operation: label, code });
        },
      };
    },
  };
}
