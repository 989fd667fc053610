import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  execute,
  getVariableValues,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/**
 * Compiled execution (graphql-jit), given to Apollo Server through its gateway interface, the one
 * way it takes an executor. graphql-js's interpreter halved the throughput of a 50-model list in
 * the profile; a compiled query answers the same document without walking its AST again.
 *
 * Answers must be exactly graphql-js's, so graphql-js keeps every case where graphql-jit differs
 * or could:
 * - variables are coerced by graphql-js first: graphql-jit's coercion messages are worded
 *   differently, and format-error.ts redacts values from graphql-js's wording only. When they
 *   do not fit, graphql-js executes (and refuses them); graphql-jit only sees variables that fit.
 * - a document graphql-jit cannot compile (compileQuery answers errors, or throws) runs on
 *   graphql-js, as does a document seen for the first time: compiling costs far more than one
 *   interpretation, and a stream of one-off documents should not pay it (nor fill the cache).
 * - graphql-jit's errors are its own GraphQLError look-alikes (no `extensions` object, which
 *   Apollo's error formatting needs); they are rebuilt as graphql-js's, with the same message,
 *   locations, path and original error.
 */

export type ExecutorName = 'jit' | 'graphql-js';

export interface JitExecutorOptions {
  /** Off: every operation runs on graphql-js (the JIT's kill switch). */
  enabled: boolean;
  /** Compiled queries kept, at most. */
  maxEntries?: number;
  /** The estimated memory of the compiled queries kept, at most. */
  maxBytes?: number;
  /** Uses of a document before it is compiled (those run on graphql-js). */
  compileAfter: number;
  /** Told which executor answered each operation (for metrics). */
  onExecute?: (executor: ExecutorName) => void;
}

/**
 * What a compiled query costs in memory, estimated from its document: measured on this schema,
 * compiled code, closures and resolve-info objects took about 60 times the document's length in
 * heap, over a fixed part of about 30 KB (so a one-line query is about 35 KB).
 */
export function estimateCompiledBytes(source: string): number {
  return 30_000 + 60 * source.length;
}

interface Entry {
  /** Undefined: graphql-jit could not compile it; graphql-js answers it. */
  compiled?: CompiledQuery;
  /** The operation's variables without a default value: when one is not sent, graphql-js answers. */
  optional: string[];
  bytes: number;
}

/**
 * Least recently used first (a Map keeps insertion order; a hit is moved to the end), bounded by
 * count and by estimated bytes, so distinct documents cannot grow memory without bound.
 */
class CompiledCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: Entry): void {
    if (entry.bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    for (const [oldest, value] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.bytes;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }
}

/** Documents seen, not compiled yet: a bounded set of keys (first-seen counts only). */
class Sightings {
  private readonly counts = new Map<string, number>();
  constructor(private readonly max: number) {}

  /** Counts one use and returns the number of uses so far. */
  see(key: string): number {
    const seen = (this.counts.get(key) ?? 0) + 1;
    this.counts.delete(key);
    this.counts.set(key, seen);
    if (this.counts.size > this.max) this.counts.delete(this.counts.keys().next().value!);
    return seen;
  }

  forget(key: string): void {
    this.counts.delete(key);
  }
}

/** graphql-jit's error as graphql-js's own, as graphql-js's execute would have made it. */
function asGraphQLError(error: GraphQLError): GraphQLError {
  if (error.constructor === GraphQLError && error.extensions) return error;
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions ?? undefined,
  });
  if (error.locations) (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  if (error.stack) rebuilt.stack = error.stack;
  return rebuilt;
}

function normalized(result: ExecutionResult): ExecutionResult {
  if (!result.errors || result.errors.length === 0) return result;
  return { ...result, errors: result.errors.map(asGraphQLError) };
}

export interface JitExecutor {
  gateway: GatewayInterface;
  /** For tests and the bench: how many compiled queries are kept, and their estimated bytes. */
  stats(): { entries: number; bytes: number };
}

export function jitGateway(schema: GraphQLSchema, options: JitExecutorOptions): JitExecutor {
  const cache = new CompiledCache(options.maxEntries ?? 1000, options.maxBytes ?? 16 * 1024 * 1024);
  const compileAfter = options.compileAfter;
  const sightings = new Sightings(10_000);
  const report = options.onExecute ?? (() => {});

  const interpret = (
    document: DocumentNode,
    operationName: string | null,
    variables: Record<string, unknown> | undefined,
    context: unknown,
  ): Promise<ExecutionResult> | ExecutionResult => {
    report('graphql-js');
    return execute({ schema, document, operationName, variableValues: variables, contextValue: context });
  };

  const compiledFor = (
    key: string,
    source: string,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    operationName: string | null,
  ): Entry | undefined => {
    const cached = cache.get(key);
    if (cached) return cached;
    if (sightings.see(key) <= compileAfter) return undefined;
    sightings.forget(key);
    let compiled: CompiledQuery | undefined;
    try {
      const result = compileQuery(schema, document, operationName ?? undefined);
      compiled = isCompiledQuery(result) ? result : undefined;
    } catch {
      compiled = undefined;
    }
    const optional = (operation.variableDefinitions ?? []).filter((v) => !v.defaultValue).map((v) => v.variable.name.value);
    // A refusal is remembered too: the document is not compiled again on every request.
    const entry: Entry = { compiled, optional, bytes: compiled ? estimateCompiledBytes(source) : 200 };
    cache.set(key, entry);
    return entry;
  };

  const executor: GatewayExecutor = async (requestContext) => {
    const { document, source, queryHash, operationName, operation, request } = requestContext;
    const context = requestContext.context;
    const variables = request.variables;
    if (!options.enabled) return interpret(document, operationName, variables, context);
    // Keyed by Apollo's hash of the query (SHA-256), not the text: the keys of documents seen
    // once stay small however large the documents are.
    const entry = compiledFor(`${operationName ?? ''}\n${queryHash}`, source, document, operation, operationName);
    const compiled = entry?.compiled;
    if (!compiled) return interpret(document, operationName, variables, context);
    // graphql-jit gives an input field bound to a variable that was not sent the value null,
    // where graphql-js leaves the field out ("not sent" and "null" differ: null clears a field).
    for (const name of entry.optional)
      if (variables === undefined || !(name in variables)) return interpret(document, operationName, variables, context);
    if (!variablesFit(schema, operation, variables)) return interpret(document, operationName, variables, context);
    let result: ExecutionResult;
    try {
      result = await compiled.query(undefined, context, variables ?? {});
    } catch (err) {
      // graphql-jit itself failed (its resolvers' errors are results, not throws). A query can
      // be answered again by graphql-js; a mutation may already have written, so it is not rerun.
      if (operation.operation === 'query') return interpret(document, operationName, variables, context);
      throw err;
    }
    // graphql-jit refused the variables graphql-js accepted: graphql-js decides.
    if (!('data' in result) && result.errors) return interpret(document, operationName, variables, context);
    report('jit');
    return normalized(result);
  };

  // The schema never changes after start-up: Apollo is told about it once, when it loads.
  const listeners = new Set<Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0]>();
  const gateway: GatewayInterface = {
    load: async () => {
      for (const listener of listeners) listener({ apiSchema: schema, coreSupergraphSdl: '' });
      return { executor };
    },
    onSchemaLoadOrUpdate: (callback) => {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    stop: async () => {},
  };
  return { gateway, stats: () => ({ entries: cache.size, bytes: cache.totalBytes }) };
}

function variablesFit(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): boolean {
  const definitions = operation.variableDefinitions;
  if (!definitions || definitions.length === 0) return true;
  const coerced = getVariableValues(schema, definitions, variables ?? {}, { maxErrors: 1 });
  return !('errors' in coerced && coerced.errors);
}
