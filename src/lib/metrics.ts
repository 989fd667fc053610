import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList } from 'node:net';
import type express from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsConfig } from './config';

/**
 * Operation names come from clients: past this many distinct ones, new names are counted as
 * "other", so a client inventing names cannot grow the series (and the scrape) without bound.
 */
export const MAX_OPERATION_NAMES = 100;

/** Statements are labelled by their first keyword; anything unexpected is "other". */
const STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'pragma']);

export interface Metrics {
  /** A registry of its own: two gateways in one process (tests) do not share series. */
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  graphqlDuration: Histogram<'operation' | 'type'>;
  graphqlErrors: Counter<'operation' | 'code'>;
  dbDuration: Histogram<'statement'>;
  graphqlExecutions: Counter<'executor'>;
  /** The label for a parsed and validated operation's name (null: anonymous). */
  operationLabel(name: string | null | undefined): string;
  /** For Prisma's query events: on the hot path, so a regex and one histogram observation. */
  observeDbQuery(durationMs: number, query: string): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status (aborted: the client left before the answer)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const graphqlDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operations, from receipt to answer, by operation name ("anonymous" when unnamed or invalid) and type',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const graphqlErrors = new Counter({
    name: 'graphql_operation_errors_total',
    help: 'GraphQL operations answered with errors, once per operation and error code (extensions.code)',
    labelNames: ['operation', 'code'] as const,
    registers: [registry],
  });
  const dbDuration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Database statements as the driver adapter ran them, by first keyword',
    labelNames: ['statement'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });

  const graphqlExecutions = new Counter({
    name: 'graphql_executions_total',
    help: 'GraphQL operations executed, by executor: jit (compiled, graphql-jit) or graphql-js (first uses, refused variables, documents the JIT cannot compile)',
    labelNames: ['executor'] as const,
    registers: [registry],
  });

  const operationNames = new Set<string>();
  const leadingWord = /^\W*([A-Za-z]+)/;
  return {
    registry,
    httpDuration,
    graphqlDuration,
    graphqlErrors,
    dbDuration,
    graphqlExecutions,
    operationLabel(name) {
      if (!name) return 'anonymous';
      if (operationNames.has(name)) return name;
      if (operationNames.size >= MAX_OPERATION_NAMES) return 'other';
      operationNames.add(name);
      return name;
    },
    observeDbQuery(durationMs, query) {
      const word = leadingWord.exec(query)?.[1]?.toLowerCase();
      dbDuration.observe({ statement: word && STATEMENTS.has(word) ? word : 'other' }, durationMs / 1000);
    },
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Express's address for a dual-stack socket is `::ffff:10.0.0.1`; rules are written as 10.0.0.1. */
function clientAddress(ip: string | undefined): { address: string; family: 'ipv4' | 'ipv6' } | null {
  if (!ip) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address: ip, family: ip.includes(':') ? 'ipv6' : 'ipv4' };
}

/**
 * GET /metrics. METRICS_ALLOW is checked first (403: from elsewhere, a token does not help), then
 * METRICS_TOKEN (401). Not rate-limited: a scraper must not lose samples to its own budget.
 */
export function metricsHandler(metrics: Metrics, config: MetricsConfig): express.RequestHandler {
  let allowList: BlockList | undefined;
  if (config.allow.length > 0) {
    allowList = new BlockList();
    for (const range of config.allow) allowList.addSubnet(range.address, range.prefix, range.family);
  }
  const expected = config.token === undefined ? undefined : digest(config.token);
  return async (req, res, next) => {
    if (allowList) {
      const client = clientAddress(req.ip);
      if (!client || !allowList.check(client.address, client.family)) {
        res.status(403).json({ detail: 'Forbidden' });
        return;
      }
    }
    if (expected) {
      const given = /^Bearer[ ]+(\S+)[ ]*$/i.exec(req.headers.authorization ?? '')?.[1];
      // Hashes have one length, so the comparison takes the same time whatever was sent.
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        res.status(401).json({ detail: 'Not authenticated' });
        return;
      }
    }
    try {
      const body = await metrics.registry.metrics();
      res.setHeader('Content-Type', metrics.registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.send(body);
    } catch (err) {
      next(err);
    }
  };
}
