import querystring from 'node:querystring';
import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  TypeInfo,
  getVariableValues,
  visit,
  visitWithTypeInfo,
  type ASTNode,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimatorArgs } from 'graphql-query-complexity';
import type { GraphQLLimitsConfig } from '../lib/config';
import { Errors } from '../lib/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../models/model.limits';

/**
 * A list field's cost: its selection once per item it may return. Counted as the service will
 * clamp it, so an out-of-range `limit` is refused by the service's own (clearer) validation.
 */
export function listComplexity({ args, childComplexity }: ComplexityEstimatorArgs): number {
  const limit = typeof args.limit === 'number' && Number.isFinite(args.limit) ? args.limit : DEFAULT_PAGE_SIZE;
  return 1 + Math.min(Math.max(limit, 1), MAX_PAGE_SIZE) * Math.max(childComplexity, 1);
}

/**
 * graphql-armor's rules throw by default, which graphql-js turns into a 500; reported to the
 * validation context they become Apollo's GRAPHQL_VALIDATION_FAILED with HTTP 400. Armor words them
 * as "Syntax Error: ...", which they are not.
 */
function reportTo(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')));
}

export function limitValidationRules(limits: GraphQLLimitsConfig): ValidationRule[] {
  const common = { propagateOnRejection: false, onReject: [reportTo], exposeLimits: true };
  return [
    // Introspection (`__schema`) is exempt: Sandbox's own query nests types ten levels deep.
    maxDepthRule({ ...common, n: limits.maxDepth, ignoreIntrospection: true }),
    maxAliasesRule({ ...common, n: limits.maxAliases }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives }),
    supportedOperationsRule,
  ];
}

/**
 * graphql-js validates `subscription { ... }` against a schema without a Subscription type and
 * only fails at execution, which Apollo reports as an internal error (HTTP 200). It is a
 * client's mistake: refuse it at validation, a 400 like any other invalid operation.
 */
export const supportedOperationsRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    const schema = context.getSchema();
    const root =
      node.operation === 'query'
        ? schema.getQueryType()
        : node.operation === 'mutation'
          ? schema.getMutationType()
          : schema.getSubscriptionType();
    if (!root) context.reportError(new GraphQLError(`This API does not support ${node.operation} operations.`, { nodes: [node] }));
  },
});

/**
 * The variables an operation's cost can depend on: those in the arguments of fields with a
 * complexity estimator of their own (a list's `limit`) and in @skip/@include. Every other
 * variable (an update's input) leaves the cost as it is.
 */
function costVariablesOf(schema: GraphQLSchema, document: DocumentNode): string[] {
  const names = new Set<string>();
  const collect = (node: ASTNode) =>
    visit(node, {
      Variable(variable) {
        names.add(variable.name.value);
      },
    });
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(field) {
        if (field.arguments?.length && typeInfo.getFieldDef()?.extensions?.complexity !== undefined) field.arguments.forEach(collect);
      },
      Directive(directive) {
        if (directive.arguments?.length) directive.arguments.forEach(collect);
      },
    }),
  );
  return [...names];
}

/** Costs computed per document, by operation and the values of the variables the cost depends on. */
interface KnownCosts {
  variables: string[];
  costs: Map<string, number>;
}
/** Distinct variable values remembered per document and operation (a page size, a flag). */
const COSTS_PER_DOCUMENT = 32;
const MAX_COST_KEY_LENGTH = 1024;

/**
 * Cost is checked once the operation and its variables are known (`limit: $n` counts), so in
 * didResolveOperation rather than as a validation rule, which sees neither. Apollo keeps one
 * parsed document per query string, so a cost that was within the limit is remembered on that
 * document, by operation and by the values of the variables the cost depends on: a client
 * sending the same operation does not pay the estimate again. Costs over the limit are not
 * remembered (their refusal runs as the first time, after the variables are checked).
 */
export function costLimitPlugin<TContext extends object>(maxCost: number): ApolloServerPlugin<TContext> {
  const estimators = [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];
  const known = new WeakMap<DocumentNode, Map<string, KnownCosts>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (!operation) return;
          const operationName = operation.name?.value;
          let byOperation = known.get(document);
          if (!byOperation) known.set(document, (byOperation = new Map()));
          let costs = byOperation.get(operationName ?? '');
          if (!costs) byOperation.set(operationName ?? '', (costs = { variables: costVariablesOf(schema, document), costs: new Map() }));
          const given = request.variables ?? {};
          // A variable not sent and one sent as null differ (a default value applies to the first only).
          const key = JSON.stringify(costs.variables.map((name) => (Object.hasOwn(given, name) ? [given[name]] : [])));
          if (costs.costs.has(key)) return;

          // Variables that do not fit are refused by execution, with their values redacted;
          // estimating with them could only produce a second, unredacted error.
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], given, { maxErrors: 1 });
          if ('errors' in coerced && coerced.errors) return;
          let cost: number;
          try {
            cost = getComplexity({ schema, query: document, operationName, variables: given, estimators });
          } catch {
            // Too many nodes to even count (fragments multiplying each other).
            cost = Number.POSITIVE_INFINITY;
          }
          if (cost > maxCost) {
            const message = Number.isFinite(cost)
              ? `Query cost ${cost} exceeds the maximum of ${maxCost}; ask for fewer items (limit) or fewer fields.`
              : `Query is too complex to evaluate (maximum cost ${maxCost}).`;
            throw new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
          }
          // Bounded in count and size: variables can be long strings (a category filter).
          if (costs.costs.size < COSTS_PER_DOCUMENT && key.length <= MAX_COST_KEY_LENGTH) costs.costs.set(key, cost);
        },
      };
    },
  };
}

/**
 * The query string's size, before Apollo parses it: the token limit bounds parsing work, this
 * bounds what comments and whitespace (which are not tokens) can add. Apollo plugins cannot
 * answer 400 before parsing, hence an edge step; its refusal is answered like the edge's others.
 * The refusal for a request whose document is too large, or undefined.
 */
export function documentSizeRefusal(maxBytes: number, method: string | undefined, url: string | undefined, body: unknown) {
  let query: unknown;
  if (method === 'GET') {
    const search = url?.indexOf('?') ?? -1;
    if (search < 0) return undefined;
    // Express's "simple" query parser, which this check used before: a repeated key is an array.
    query = querystring.parse(url!.slice(search + 1)).query;
  } else if (body && typeof body === 'object' && !Array.isArray(body)) query = (body as { query?: unknown }).query;
  // A string this short cannot exceed the limit in UTF-8: no need to count its bytes.
  if (typeof query !== 'string' || query.length * 3 <= maxBytes || Buffer.byteLength(query, 'utf8') <= maxBytes) return undefined;
  return Errors.documentTooLarge(maxBytes);
}
