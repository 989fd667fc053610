import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type express from 'express';
import type { Logger } from 'pino';
import type { AuthResult } from './auth';
import type { Transport } from './errors';
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

/** Where a request was mounted, set once per mount: what answers its errors and how it is named. */
export interface Mount {
  transport: Transport;
  /** For a mount that is one route (/graphql), whatever its path below. */
  route?: string;
  /** For a mount whose router holds the routes (/api): their patterns are relative to it. */
  prefix?: string;
}

interface RequestState {
  id: string;
  mount?: Mount;
  graphql?: GraphQLState;
  /** The GraphQL code of a refusal answered before any operation ran (set by whoever answered it). */
  refusal?: string;
}

const STATE = Symbol('request-state');
type Locals = Record<string | symbol, unknown>;
/** On `res.locals`, which Express gives every response (a plain node:http server would add it). */
const stateOf = (res: express.Response | http.ServerResponse): RequestState | undefined =>
  (res as { locals?: Locals }).locals?.[STATE] as RequestState | undefined;

/**
 * A GraphQL context's request, for the Apollo plugin (the context is all a plugin is given). A
 * property, not a WeakMap entry: Apollo hands plugins a shallow copy of the context.
 */
const requestOfContext = (context: object): RequestState | undefined => (context as Locals)[STATE] as RequestState | undefined;

/**
 * The per-request logger (carries `reqId`), or `fallback` outside a request. Made on first use
 * (from `fallback`, the app's logger): most requests log only their one line, which needs none.
 */
export function logOf(res: express.Response | http.ServerResponse, fallback: Logger): Logger {
  const locals = (res as { locals?: Locals }).locals;
  const state = stateOf(res);
  if (!locals || !state) return fallback;
  return ((locals.log as Logger | undefined) ??= fallback.child({ reqId: state.id }));
}

/** Marks every request under this mount: `app.use('/graphql', mounted({ transport: 'graphql', route: '/graphql' }), ...)`. */
export function mounted(mount: Mount): express.RequestHandler {
  return (_req, res, next) => {
    const state = stateOf(res);
    if (state) state.mount = mount;
    next();
  };
}

/** The transport of the mount that received the request; REST outside any mount (404s, early errors). */
export function transportOf(res: express.Response | http.ServerResponse): Transport {
  return stateOf(res)?.mount?.transport ?? 'rest';
}

/** Records the code of a refusal answered before any GraphQL operation ran, for the log line and metrics. */
export function noteRefusal(res: express.Response | http.ServerResponse, code: string): void {
  const state = stateOf(res);
  if (state) state.refusal = code;
}

/** Whether an Apollo plugin saw this request as an operation (its codes are then already known). */
export function operationStarted(res: express.Response | http.ServerResponse): boolean {
  return stateOf(res)?.graphql !== undefined;
}

/** Links a GraphQL context to its request; call it in Apollo's context function. */
export function bindGraphQLContext<T extends object>(context: T, res: express.Response | http.ServerResponse): T {
  const state = stateOf(res);
  if (state) (context as Locals)[STATE] = state;
  return context;
}

function routeOf(req: express.Request, state: RequestState): string {
  const mount = state.mount;
  if (mount?.route) return mount.route;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return (mount?.prefix ?? '') + path;
  // Under a mount but no route decided (413 before routing, 404 inside the router).
  return mount?.prefix ? `${mount.prefix}/*` : 'unmatched';
}

export function requestLogger(logger: Logger, metrics: Metrics): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    const state: RequestState = { id };
    (res.locals as Locals)[STATE] = state;
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
      if (!graphql && state.mount?.transport === 'graphql' && state.refusal) {
        // Refused before any operation started: no operation name can be trusted.
        graphql = { errorCodes: [state.refusal] };
        metrics.graphqlErrors.inc({ operation: 'anonymous', code: state.refusal });
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
      // The same line a child logger bound to reqId would print (bindings come first).
      logger[level]({ reqId: id, ...line }, completed ? 'request completed' : 'request aborted');
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
