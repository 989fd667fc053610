/**
 * The example client (examples/client/) against a real server: the generated typed documents,
 * graphql-request, a real JWT, and the rows it leaves in the database.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createClient, errorCode, runExample, TooManyConflictsError, updateModel } from '../examples/client/client';
import {
  ClearDefaultModelDocument,
  CreateModelDocument,
  DefaultModelDocument,
  DefaultModelsDocument,
  DeleteModelDocument,
  GetModelDocument,
  SetDefaultModelDocument,
  SetModelActiveDocument,
} from '../examples/client/generated/graphql';
import { gql } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { tokenFor } from './helpers/tokens';

let srv: RunningServer;
let graphqlUrl: string;
const ALICE = tokenFor('alice');

interface Row {
  model_id: string;
  owner_id: string;
  temperature: number | null;
  description: string | null;
  version: number;
  api_key_encrypted: string | null;
}

function row(modelId: string): Row | undefined {
  const db = srv.db();
  try {
    return db
      .prepare('SELECT model_id, owner_id, temperature, description, version, api_key_encrypted FROM models WHERE model_id = ?')
      .get(modelId) as Row | undefined;
  } finally {
    db.close();
  }
}

/** Another writer: a plain HTTP request, not the example's client. */
async function editElsewhere(modelId: string, description: string): Promise<void> {
  const res = await gql(
    srv.url,
    'mutation($id: String!, $in: UpdateModelInput!) { updateModel(modelId: $id, input: $in) { version } }',
    { id: modelId, in: { description } },
    ALICE,
  );
  expect(res.body.errors).toBeUndefined();
}

beforeAll(async () => {
  srv = await startServer();
  graphqlUrl = `${srv.url}/graphql`;
});

afterAll(async () => {
  await srv?.stop();
});

describe('runExample', () => {
  it('creates, lists, updates with expectedVersion and deletes a model', async () => {
    const modelId = 'example/lifecycle';
    const seen: Row[] = [];
    const result = await runExample(graphqlUrl, ALICE, {
      modelId,
      // Between the read and the write: the model exists, as created, owned by alice, key sealed.
      beforeWrite: () => void seen.push(row(modelId)!),
    });

    expect(result.created).toMatchObject({ modelId, modelProvider: 'openai', modelName: 'gpt-4o-mini', hasApiKey: true, version: 1 });
    expect(result.created).not.toHaveProperty('apiKey');
    expect(result.listed.map((m) => m.modelId)).toContain(modelId);
    expect(result.updateAttempts).toBe(1);
    expect(result.updated).toMatchObject({ modelId, temperature: 0.2, description: 'Created by the example client (tuned)', version: 2 });
    expect(result.deleted).toBe(true);

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ model_id: modelId, owner_id: 'alice', temperature: 0.7, version: 1 });
    expect(seen[0]!.api_key_encrypted).toBeTruthy();
    expect(seen[0]!.api_key_encrypted).not.toContain('sk-example');
    expect(row(modelId)).toBeUndefined();
  });

  it('on CONFLICT re-reads, re-applies the change on top of the other write, and succeeds', async () => {
    const modelId = 'example/conflict-once';
    const writes: Row[] = [];
    const result = await runExample(graphqlUrl, ALICE, {
      modelId,
      beforeWrite: async (current, attempt) => {
        // Only in the first round: the client's expectedVersion is now stale.
        if (attempt === 1) await editElsewhere(modelId, 'edited elsewhere');
        writes.push({ ...row(modelId)!, version: current.version });
      },
    });

    expect(result.updateAttempts).toBe(2);
    // Nothing lost: the other writer's description is kept and the client's change applied on top.
    expect(result.updated).toMatchObject({ temperature: 0.2, description: 'edited elsewhere (tuned)', version: 3 });
    expect(writes.map((w) => w.version)).toEqual([1, 2]);
    expect(row(modelId)).toBeUndefined();
  });
});

describe('updateModel (retry on CONFLICT)', () => {
  it('gives up after maxAttempts when the model keeps changing, and never writes its change', async () => {
    const client = createClient(graphqlUrl, ALICE);
    const modelId = 'example/always-conflicting';
    await client.request(CreateModelDocument, { input: { modelId, modelProvider: 'ollama', modelName: 'llama3', temperature: 0.5 } });

    let rounds = 0;
    const attempt = updateModel(client, modelId, () => ({ temperature: 1.5 }), {
      maxAttempts: 3,
      beforeWrite: async () => {
        rounds++;
        await editElsewhere(modelId, `edit ${rounds}`);
      },
    });
    await expect(attempt).rejects.toBeInstanceOf(TooManyConflictsError);
    await expect(attempt).rejects.toMatchObject({ attempts: 3, modelId });

    expect(rounds).toBe(3);
    // Three refused writes changed nothing: only the other writer's three edits are there.
    expect(row(modelId)).toMatchObject({ temperature: 0.5, description: 'edit 3', version: 4 });
  });

  it('passes other errors through at once, with their extensions.code', async () => {
    const bob = createClient(graphqlUrl, tokenFor('bob'));
    const alice = createClient(graphqlUrl, ALICE);
    const modelId = 'example/not-bobs';
    await alice.request(CreateModelDocument, { input: { modelId, modelProvider: 'openai', modelName: 'gpt-4o' } });
    await expect(updateModel(bob, modelId, () => ({ temperature: 1 }))).rejects.toThrow(/does not exist/);

    // A deactivated model is still the owner's to see; an invalid value is BAD_USER_INPUT, not retried.
    const { setModelActive } = await alice.request(SetModelActiveDocument, { modelId, active: false });
    expect(setModelActive.isActive).toBe(false);
    let rounds = 0;
    const err = await updateModel(alice, modelId, () => ({ temperature: 5 }), { beforeWrite: () => void rounds++ }).catch(
      (e: unknown) => e,
    );
    expect(errorCode(err)).toBe('BAD_USER_INPUT');
    expect(rounds).toBe(1);
    expect((await alice.request(GetModelDocument, { modelId })).model).toMatchObject({ temperature: null, version: 2 });
  });
});

describe('the command line entry', () => {
  function runCli(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
      const child = spawn(tsx, [path.join(__dirname, '..', 'examples', 'client', 'cli.ts')], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('runs the lifecycle with GRAPHQL_URL and TOKEN from the environment', async () => {
    const { code, stdout, stderr } = await runCli({ GRAPHQL_URL: graphqlUrl, TOKEN: ALICE });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^created {2}example\/gpt-4o-mini-\S+ \(version 1, hasApiKey true\)$/m);
    expect(stdout).toMatch(/^updated {2}\S+ to version 2 in 1 attempt\(s\): temperature 0\.2$/m);
    expect(stdout).toMatch(/^deleted {2}\S+: true$/m);
  });

  it('fails clearly without a token, and with a refused one (no request details echoed)', async () => {
    const missing = await runCli({ GRAPHQL_URL: graphqlUrl });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/set TOKEN/);

    const refused = await runCli({
      GRAPHQL_URL: graphqlUrl,
      TOKEN: tokenFor('alice', { secret: 'another-secret-another-secret-0123456789' }),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^example failed \(UNAUTHENTICATED\): /);
    expect(refused.stderr).not.toContain('sk-example');
  });
});

describe('the default-model operations (typed documents)', () => {
  it('set, list, read one, the 409 on delete (CONFLICT), clear, then delete', async () => {
    const client = createClient(graphqlUrl, tokenFor('defaults-client'));
    const modelId = 'example/defaults';
    await client.request(CreateModelDocument, {
      input: { modelId, modelProvider: 'openai', modelName: 'gpt-4o', abilities: ['chat', 'vision'] },
    });

    const { setDefaultModel } = await client.request(SetDefaultModelDocument, { configType: 'visual', modelId });
    expect(setDefaultModel).toMatchObject({ configType: 'visual', inherited: false, model: { modelId, defaultFor: ['visual'] } });
    const { defaultModels } = await client.request(DefaultModelsDocument);
    expect(defaultModels.map((entry) => [entry.configType, entry.model.modelId])).toEqual([['visual', modelId]]);
    expect((await client.request(DefaultModelDocument, { configType: 'general' })).defaultModel).toBeNull();

    const refused = await client.request(DeleteModelDocument, { modelId }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(errorCode(refused)).toBe('CONFLICT');

    expect((await client.request(ClearDefaultModelDocument, { configType: 'visual' })).clearDefaultModel).toBe(true);
    expect((await client.request(ClearDefaultModelDocument, { configType: 'visual' })).clearDefaultModel).toBe(false);
    expect((await client.request(DeleteModelDocument, { modelId })).deleteModel).toBe(true);
    expect(row(modelId)).toBeUndefined();
  });
});
