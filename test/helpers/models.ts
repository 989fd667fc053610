/**
 * Shared model fixtures: create a model over REST or GraphQL, read rows as the server stored them,
 * and assert that a refused request left the stored data exactly as it was.
 *
 * Rows are read through `server.db()` (the SQLite file, or PostgreSQL through ./pg-sync with rows
 * as SQLite would return them), so the same assertions hold on both backends.
 */
import { gql, MODEL_FIELDS, request, type HttpResult } from './http';
import type { RunningServer } from './server';
import { alice } from './tokens';

/** A models row as stored (column names, SQLite value types). */
export type StoredRow = Record<string, any>;

/** Anything with a database: a test server. */
type WithDb = Pick<RunningServer, 'db'>;

export type Transport = 'rest' | 'graphql';

export interface CreateOptions {
  /** Default: alice. */
  token?: string;
  /** Default: REST (`POST /api/models` with a snake_case body); GraphQL takes camelCase input. */
  via?: Transport;
}

const CREATE_GQL = `mutation($input: CreateModelInput!) { createModel(input: $input) { ${MODEL_FIELDS} } }`;

/**
 * Creates a model and fails the test (with the answer in the message) unless the server accepted
 * it (REST: 200; GraphQL: 200 and no errors). Returns the whole answer, for tests that read headers.
 */
export async function createModelAnswer(
  server: { url: string },
  input: Record<string, unknown>,
  options: CreateOptions = {},
): Promise<HttpResult> {
  const token = options.token ?? alice();
  if ((options.via ?? 'rest') === 'rest') {
    const res = await request(server.url, 'POST', '/api/models', { token, body: input });
    if (res.status !== 200) throw new Error(`create failed: ${res.status} ${res.text}`);
    return res;
  }
  const res = await gql(server.url, CREATE_GQL, { input }, token);
  if (res.status !== 200 || res.body.errors !== undefined) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res;
}

/** Creates a model (see createModelAnswer) and returns it as answered: the REST body, or the GraphQL Model. */
export async function createModel(server: { url: string }, input: Record<string, unknown>, options: CreateOptions = {}): Promise<any> {
  const res = await createModelAnswer(server, input, options);
  return (options.via ?? 'rest') === 'rest' ? res.body : res.body.data.createModel;
}

/** The row of this model_id as stored, or undefined. */
export function storedRow(server: WithDb, modelId: string): StoredRow | undefined {
  const db = server.db();
  try {
    return db.prepare('SELECT * FROM models WHERE model_id = ?').get(modelId) as StoredRow | undefined;
  } finally {
    db.close();
  }
}

/** Every row of the models table as stored, in id order. */
export function storedRows(server: WithDb): StoredRow[] {
  const db = server.db();
  try {
    return db.prepare('SELECT * FROM models ORDER BY id').all() as StoredRow[];
  } finally {
    db.close();
  }
}

/**
 * Runs `act` (a request the server must refuse) and asserts that the stored data is identical
 * afterwards: the row of `modelId` when given, otherwise the whole models table. Returns what
 * `act` returned, for the caller's assertions on the answer.
 */
export async function expectUnchanged<T>(server: WithDb, act: () => Promise<T>, modelId?: string): Promise<T> {
  const read = () => (modelId === undefined ? storedRows(server) : storedRow(server, modelId));
  const before = read();
  const result = await act();
  expect(read()).toEqual(before);
  return result;
}

/** The usual REST create body: an OpenAI gpt-4o model with this model_id, plus `extra`. */
export function gpt4o(modelId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model_id: modelId, model_provider: 'openai', model_name: 'gpt-4o', ...extra };
}
