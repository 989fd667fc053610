/**
 * No N+1: a page of models with every field, access flags included, costs the same number of SQL
 * statements whether it holds 10 models or 100, over GraphQL and REST, for a user (whose page
 * mixes their own models with others' shared ones) and for an admin.
 *
 * Statements are counted by the server itself: `db_query_duration_seconds_count` on /metrics
 * counts every statement the database driver ran (Prisma's and the prepared hot-path ones).
 */
import { gql, MODEL_FIELDS, request, REST_KEYS } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { tokenFor } from './helpers/tokens';
import { createModel } from './helpers/models';

const alice = tokenFor('alice');
const bob = tokenFor('bob');
const root = tokenFor('root', { admin: true });

const ALICE_MODELS = 60;
const BOB_MODELS = 30;
const BOB_SHARED = 10;
const ADMIN_SHARED = 40;

let server: RunningServer;

/** Every statement the server has run so far. */
async function statementsSoFar(): Promise<number> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  const lines = (await res.text()).split('\n').filter((line) => line.startsWith('db_query_duration_seconds_count'));
  if (lines.length === 0) throw new Error('/metrics has no db_query_duration_seconds_count: the server does not count its statements');
  return lines.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The statements one request ran, and its answer. */
async function counted<T>(send: () => Promise<T>): Promise<{ statements: number; result: T }> {
  const before = await statementsSoFar();
  const result = await send();
  return { statements: (await statementsSoFar()) - before, result };
}

/** A model of the fixture: every other one with an api_key, all with the optional fields set. */
async function create(token: string, modelId: string, extra: Record<string, unknown> = {}): Promise<void> {
  await createModel(
    server,
    {
      model_id: modelId,
      model_provider: 'openai',
      model_name: `gpt-${modelId}`,
      api_key: Number(modelId.slice(-2)) % 2 === 0 ? `sk-${modelId}` : undefined,
      temperature: 0.5,
      abilities: ['chat', 'tools'],
      description: `model ${modelId}`,
      ...extra,
    },
    { token },
  );
}

async function inBatches(jobs: (() => Promise<void>)[]): Promise<void> {
  for (let at = 0; at < jobs.length; at += 10) await Promise.all(jobs.slice(at, at + 10).map((job) => job()));
}

beforeAll(async () => {
  server = await startServer();
  const pad = (i: number) => String(i).padStart(3, '0');
  // Interleaved ids, so a page of any size mixes owners and shared models.
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < Math.max(ALICE_MODELS, BOB_MODELS, ADMIN_SHARED); i++) {
    if (i < ALICE_MODELS) jobs.push(() => create(alice, `alice-${pad(i)}`));
    if (i < BOB_MODELS) jobs.push(() => create(bob, `bob-${pad(i)}`));
    if (i < ADMIN_SHARED) jobs.push(() => create(root, `root-${pad(i)}`, { share_with_users: true }));
  }
  await inBatches(jobs);
  // Some of bob's become shared by an admin: alice then sees models owned by three people.
  await inBatches(
    Array.from({ length: BOB_SHARED }, (_, i) => async () => {
      const res = await request(server.url, 'PUT', `/api/models/bob-${pad(i * 3)}`, { token: root, body: { share_with_users: true } });
      expect(res.status).toBe(200);
    }),
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const LIST = `query Models($limit: Int) { models(limit: $limit) { ${MODEL_FIELDS} } }`;

interface Caller {
  name: string;
  token: string;
  sub: string;
  admin: boolean;
  visible: number;
}

const CALLERS: Caller[] = [
  { name: 'a user (own and shared models)', token: alice, sub: 'alice', admin: false, visible: ALICE_MODELS + ADMIN_SHARED + BOB_SHARED },
  { name: 'an admin (every model)', token: root, sub: 'root', admin: true, visible: ALICE_MODELS + BOB_MODELS + ADMIN_SHARED },
];

describe.each(CALLERS)('listing as $name', (caller) => {
  it('sees more than 100 models, so a page of 100 is full', () => {
    expect(caller.visible).toBeGreaterThan(100);
  });

  it('GraphQL models(limit): 10 and 100 models with every field cost the same statements', async () => {
    const counts: Record<number, number> = {};
    for (const limit of [10, 100]) {
      const { statements, result } = await counted(() => gql(server.url, LIST, { limit }, caller.token));
      expect(result.status).toBe(200);
      expect(result.body.errors).toBeUndefined();
      const models = result.body.data!.models as Record<string, unknown>[];
      expect(models).toHaveLength(limit);
      for (const model of models) {
        expect(Object.keys(model).sort()).toEqual(MODEL_FIELDS.split(' ').sort());
        const own = String(model.modelId).startsWith(`${caller.sub}-`);
        expect({ isOwner: model.isOwner, canEdit: model.canEdit, canDelete: model.canDelete }).toEqual({
          isOwner: own,
          canEdit: own || caller.admin,
          canDelete: own || caller.admin,
        });
      }
      counts[limit] = statements;
    }
    expect(counts[10]).toBeGreaterThanOrEqual(1);
    expect(counts[100]).toBe(counts[10]);
    expect(counts[10]).toBeLessThanOrEqual(2);
  });

  it('REST GET /api/models?limit: 10 and 100 models with every key cost the same statements', async () => {
    const counts: Record<number, number> = {};
    for (const limit of [10, 100]) {
      const { statements, result } = await counted(() => request(server.url, 'GET', `/api/models?limit=${limit}`, { token: caller.token }));
      expect(result.status).toBe(200);
      const models = result.body as Record<string, unknown>[];
      expect(models).toHaveLength(limit);
      for (const model of models) {
        expect(Object.keys(model).sort()).toEqual(REST_KEYS);
        const own = String(model.model_id).startsWith(`${caller.sub}-`);
        expect({ is_owner: model.is_owner, can_edit: model.can_edit, can_delete: model.can_delete }).toEqual({
          is_owner: own,
          can_edit: own || caller.admin,
          can_delete: own || caller.admin,
        });
      }
      counts[limit] = statements;
    }
    expect(counts[10]).toBeGreaterThanOrEqual(1);
    expect(counts[100]).toBe(counts[10]);
    expect(counts[10]).toBeLessThanOrEqual(2);
  });
});

it("a user's page holds other owners' shared models, with their flags", async () => {
  const res = await gql(server.url, LIST, { limit: 100 }, alice);
  const owners = new Set((res.body.data!.models as { modelId: string }[]).map((m) => m.modelId.split('-')[0]));
  expect([...owners].sort()).toEqual(['alice', 'bob', 'root']);
});

it('one model, and one update, run a fixed number of statements too', async () => {
  const one = await counted(() =>
    gql(server.url, `query One($id: String!) { model(modelId: $id) { ${MODEL_FIELDS} } }`, { id: 'alice-001' }, alice),
  );
  expect(one.result.body.data.model.modelId).toBe('alice-001');
  expect(one.statements).toBe(1);
  // A field no rule depends on: one conditional UPDATE ... RETURNING.
  const update = await counted(() => request(server.url, 'PUT', '/api/models/alice-001', { token: alice, body: { temperature: 1.5 } }));
  expect(update.result.status).toBe(200);
  expect(update.statements).toBe(1);
  // Abilities are checked against the stored category: the row is read, then written if unchanged since.
  const checked = await counted(() =>
    request(server.url, 'PUT', '/api/models/alice-001', { token: alice, body: { abilities: ['chat'], temperature: 1.2 } }),
  );
  expect(checked.result.status).toBe(200);
  expect(checked.statements).toBe(2);
});
