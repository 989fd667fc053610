/**
 * A typed GraphQL client for the model registry, meant to be copied into a frontend.
 *
 * Every request uses a document generated from operations.graphql (`npm run codegen`), so the
 * variables and the result of each call are checked by the TypeScript compiler: a renamed field
 * in the schema breaks the build, not the page.
 *
 * Plain TypeScript with no Node-only APIs: it runs in a browser bundle as well as in Node 20+
 * (graphql-request uses the global fetch). cli.ts runs it from a terminal.
 */
import { ClientError, GraphQLClient } from 'graphql-request';
import {
  CreateModelDocument,
  DeleteModelDocument,
  GetModelDocument,
  ListModelsDocument,
  UpdateModelDocument,
  type ModelFieldsFragment,
  type UpdateModelInput,
} from './generated/graphql';

export type Model = ModelFieldsFragment;

export function createClient(url: string, token: string): GraphQLClient {
  return new GraphQLClient(url, { headers: { Authorization: `Bearer ${token}` } });
}

/**
 * The `extensions.code` of the first GraphQL error (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND,
 * BAD_USER_INPUT, CONFLICT, ...), or undefined for anything else (network down, HTTP 5xx).
 * The server answers operation errors with HTTP 200; graphql-request throws a ClientError for them.
 */
export function errorCode(err: unknown): string | undefined {
  if (!(err instanceof ClientError)) return undefined;
  const code = err.response.errors?.[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

export interface UpdateOptions {
  /** How many read-change-write rounds before giving up (default 5). */
  maxAttempts?: number;
  /** Runs between the read and the write of every round (the test uses it to interfere). */
  beforeWrite?: (current: Model, attempt: number) => void | Promise<void>;
}

export class TooManyConflictsError extends Error {
  constructor(
    readonly modelId: string,
    readonly attempts: number,
  ) {
    super(`model ${modelId} kept changing: gave up after ${attempts} attempts`);
    this.name = 'TooManyConflictsError';
  }
}

/**
 * Optimistic concurrency: read the model, compute the change from what was read, and write it
 * with `expectedVersion` set to the version read. When someone else changed the model in
 * between, the server refuses with CONFLICT and changes nothing; then read again and re-apply
 * the change to the newer model, so the other writer's change is kept, not overwritten.
 *
 * `change` gets the current model and returns the fields to set (UpdateModelInput: left out =
 * unchanged, null = cleared). It may run more than once, so it must compute from its argument.
 */
export async function updateModel(
  client: GraphQLClient,
  modelId: string,
  change: (current: Model) => UpdateModelInput,
  options: UpdateOptions = {},
): Promise<{ model: Model; attempts: number }> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { model: current } = await client.request(GetModelDocument, { modelId });
    if (!current) throw new Error(`model ${modelId} does not exist (or is not visible to this user)`);
    await options.beforeWrite?.(current, attempt);
    try {
      const { updateModel: updated } = await client.request(UpdateModelDocument, {
        modelId,
        input: change(current),
        expectedVersion: current.version,
      });
      return { model: updated, attempts: attempt };
    } catch (err) {
      if (errorCode(err) !== 'CONFLICT') throw err;
      // Someone else won the race: loop to re-read and re-apply. A short, growing pause keeps
      // two clients editing the same model from colliding in lockstep.
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 20));
    }
  }
  throw new TooManyConflictsError(modelId, maxAttempts);
}

export interface ExampleOptions extends UpdateOptions {
  /** The id of the model the example creates (default: a fresh `example/...` id). */
  modelId?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface ExampleResult {
  created: Model;
  /** The models the caller saw in the list, the new one among them. */
  listed: Model[];
  updated: Model;
  /** Rounds the update took (more than 1 when it lost a race and retried). */
  updateAttempts: number;
  deleted: boolean;
}

/** The whole lifecycle: create, list, update (with retry on CONFLICT), delete. */
export async function runExample(url: string, token: string, options: ExampleOptions = {}): Promise<ExampleResult> {
  const client = createClient(url, token);
  const log = options.log ?? (() => {});
  const modelId = options.modelId ?? `example/gpt-4o-mini-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

  const { createModel: created } = await client.request(CreateModelDocument, {
    input: {
      modelId,
      modelProvider: 'openai',
      modelName: 'gpt-4o-mini',
      // Write-only: the server stores it encrypted and only ever answers hasApiKey.
      apiKey: 'sk-example-not-a-real-key',
      baseUrl: 'https://api.openai.com/v1',
      temperature: 0.7,
      description: 'Created by the example client',
      abilities: ['chat', 'tools'],
    },
  });
  log(`created  ${created.modelId} (version ${created.version}, hasApiKey ${created.hasApiKey})`);

  try {
    const { models: listed } = await client.request(ListModelsDocument, { modelProvider: 'openai', limit: 100 });
    log(`listed   ${listed.length} openai model(s): ${listed.map((m) => m.modelId).join(', ')}`);

    const { model: updated, attempts } = await updateModel(
      client,
      modelId,
      (current) => ({ temperature: 0.2, description: `${current.description ?? ''} (tuned)`.trim() }),
      options,
    );
    log(`updated  ${updated.modelId} to version ${updated.version} in ${attempts} attempt(s): temperature ${updated.temperature}`);

    const { deleteModel: deleted } = await client.request(DeleteModelDocument, { modelId });
    log(`deleted  ${modelId}: ${deleted}`);
    return { created, listed, updated, updateAttempts: attempts, deleted };
  } catch (err) {
    // Leave nothing behind when a step fails half-way; the original error is what matters.
    await client.request(DeleteModelDocument, { modelId }).catch(() => undefined);
    throw err;
  }
}
