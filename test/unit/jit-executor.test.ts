/**
 * The compiled executor's fallbacks, on a small graphql-js schema: a document graphql-jit refuses
 * to compile is executed by graphql-js (same answer), and the cache of compiled queries stays
 * within its bounds however many distinct documents arrive.
 */
import { createHash } from 'node:crypto';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  GraphQLBoolean,
  GraphQLInt,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  execute,
  parse,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { jitGateway, type ExecutorName } from '../../src/graphql/executor';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      hello: { type: GraphQLString, resolve: () => 'world' },
      twice: { type: GraphQLInt, args: { n: { type: GraphQLInt } }, resolve: (_root, args: { n?: number }) => (args.n ?? 0) * 2 },
      flag: { type: GraphQLBoolean, resolve: () => true },
    },
  }),
});

async function executorOf(options: Parameters<typeof jitGateway>[1]): Promise<GatewayExecutor> {
  const { gateway } = jitGateway(schema, options);
  gateway.onSchemaLoadOrUpdate(() => {});
  const { executor } = await gateway.load({ apollo: {} });
  return executor!;
}

function requestOf(source: string, variables?: Record<string, unknown>): GatewayGraphQLRequestContext {
  const document = parse(source);
  const operation = document.definitions[0] as OperationDefinitionNode;
  return {
    request: { query: source, variables },
    document,
    source,
    queryHash: createHash('sha256').update(source).digest('hex'),
    operation,
    operationName: operation.name?.value ?? null,
    context: {},
  } as unknown as GatewayGraphQLRequestContext;
}

describe('jitGateway', () => {
  it('hands Apollo the schema it was built with when Apollo loads it', async () => {
    const { gateway } = jitGateway(schema, { enabled: true, compileAfter: 0 });
    const seen: GraphQLSchema[] = [];
    gateway.onSchemaLoadOrUpdate(({ apiSchema }) => seen.push(apiSchema));
    await gateway.load({ apollo: {} });
    expect(seen).toEqual([schema]);
  });

  it('a document graphql-jit refuses to compile is answered by graphql-js, with graphql-js answer', async () => {
    // A nullable Boolean variable without default in @skip: graphql-js executes it (validation
    // would refuse it, which is what makes it a document the JIT can refuse), graphql-jit does not compile it.
    const source = 'query Q($s: Boolean) { hello @skip(if: $s) flag }';
    expect(isCompiledQuery(compileQuery(schema, parse(source)))).toBe(false);
    const used: ExecutorName[] = [];
    const executor = await executorOf({ enabled: true, compileAfter: 0, onExecute: (e) => used.push(e) });
    const expected = await execute({ schema, document: parse(source), variableValues: { s: true } });
    expect(await executor(requestOf(source, { s: true }))).toEqual(expected);
    expect(await executor(requestOf(source, { s: true }))).toEqual(expected);
    expect(expected).toEqual({ data: { flag: true } });
    expect(used).toEqual(['graphql-js', 'graphql-js']);
  });

  it('compiles after the configured number of uses, and then answers the same', async () => {
    const used: ExecutorName[] = [];
    const executor = await executorOf({ enabled: true, compileAfter: 1, onExecute: (e) => used.push(e) });
    const source = 'query T($n: Int) { twice(n: $n) hello }';
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await executor(requestOf(source, { n: 21 })));
    expect(answers).toEqual(Array(3).fill({ data: { twice: 42, hello: 'world' } }));
    expect(used).toEqual(['graphql-js', 'jit', 'jit']);
  });

  it('off: graphql-js only', async () => {
    const used: ExecutorName[] = [];
    const executor = await executorOf({ enabled: false, compileAfter: 0, onExecute: (e) => used.push(e) });
    expect(await executor(requestOf('{ hello }'))).toEqual({ data: { hello: 'world' } });
    expect(used).toEqual(['graphql-js']);
  });

  it('keeps at most maxEntries compiled queries and maxBytes of them', async () => {
    const { gateway, stats } = jitGateway(schema, { enabled: true, compileAfter: 0, maxEntries: 20, maxBytes: 500_000 });
    const { executor } = await gateway.load({ apollo: {} });
    for (let i = 0; i < 200; i++) await executor!(requestOf(`query Q${i} { hello }`));
    expect(stats().entries).toBeLessThanOrEqual(20);
    expect(stats().bytes).toBeLessThanOrEqual(500_000);
    const { gateway: small, stats: smallStats } = jitGateway(schema, {
      enabled: true,
      compileAfter: 0,
      maxEntries: 1000,
      maxBytes: 100_000,
    });
    const loaded = await small.load({ apollo: {} });
    for (let i = 0; i < 200; i++) await loaded.executor!(requestOf(`query Q${i} { hello }`));
    expect(smallStats().bytes).toBeLessThanOrEqual(100_000);
    expect(smallStats().entries).toBeGreaterThan(0);
    expect(smallStats().entries).toBeLessThan(10);
  });
});
