/**
 * The contract's "Access" section, on both transports: who may see a model (owner, admin, or
 * anyone while it is shared and active), who may edit or delete it (owner or admin), the
 * per-caller flags, 404 (never 403) for a model the caller may not see, 403 for one they may
 * see but not edit, and the list filters that depend on visibility.
 */
import { gql, MODEL_FIELDS, request } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { admin, alice, bob, tokenFor } from './helpers/tokens';
import { createModel, storedRow } from './helpers/models';

let srv: RunningServer;

const ALICE = alice();
const BOB = bob();
const ADMIN = admin();

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const NOT_FOUND = { detail: 'Model not found' };
const NO_EDIT = { detail: 'No permission to edit this model' };
const NO_DELETE = { detail: 'No permission to delete this model' };

type Row = Record<string, unknown>;

const row = (modelId: string): Row | undefined => storedRow(srv, modelId);

async function setActive(token: string, modelId: string, active: boolean) {
  return gql(
    srv.url,
    `mutation($id: String!, $a: Boolean!) { setModelActive(modelId: $id, active: $a) { ${MODEL_FIELDS} } }`,
    { id: modelId, a: active },
    token,
  );
}

async function share(modelId: string) {
  const res = await request(srv.url, 'PUT', `/api/models/${encodeURIComponent(modelId)}`, {
    token: ADMIN,
    body: { share_with_users: true },
  });
  expect(res.status).toBe(200);
  expect(res.body.is_shared).toBe(true);
}

async function deactivate(token: string, modelId: string) {
  const res = await setActive(token, modelId, false);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data.setModelActive.isActive).toBe(false);
}

/** A GraphQL error raised while executing: HTTP 200, data null, one error with this code and message. */
function expectGqlError(res: { status: number; body: any }, operation: string, code: string, message: string) {
  expect(res.status).toBe(200);
  expect(res.body.data).toBeNull();
  expect(res.body.errors).toEqual([expect.objectContaining({ message, path: [operation], extensions: { code } })]);
}

function restBody(
  modelId: string,
  flags: { is_owner: boolean; can_edit: boolean; can_delete: boolean },
  extra: Record<string, unknown> = {},
) {
  return {
    id: expect.any(Number),
    model_id: modelId,
    category: 'llm',
    model_provider: 'acc',
    model_name: `name-${modelId}`,
    base_url: null,
    temperature: null,
    dimension: null,
    abilities: null,
    description: null,
    created_at: expect.stringMatching(ISO_UTC),
    updated_at: expect.stringMatching(ISO_UTC),
    is_active: true,
    is_shared: false,
    ...flags,
    ...extra,
  };
}

const OWNER = { is_owner: true, can_edit: true, can_delete: true };
const STRANGER = { is_owner: false, can_edit: false, can_delete: false };
const ADMIN_FLAGS = { is_owner: false, can_edit: true, can_delete: true };

/* The fixed fixture of the visibility matrix (provider `acc`), created in this order. */
const M = {
  private: 'acc-private',
  inactive: 'acc-inactive',
  shared: 'acc-shared',
  sharedInactive: 'acc-shared-inactive',
  bobPrivate: 'acc-bob-private',
  adminShared: 'acc-admin-shared',
} as const;

beforeAll(async () => {
  srv = await startServer();
  const mk = (token: string, modelId: string, extra: Record<string, unknown> = {}) =>
    createModel(srv, { model_id: modelId, model_provider: 'acc', model_name: `name-${modelId}`, ...extra }, { token });
  await mk(ALICE, M.private);
  await mk(ALICE, M.inactive);
  await mk(ALICE, M.shared);
  await mk(ALICE, M.sharedInactive);
  await mk(BOB, M.bobPrivate);
  await mk(ADMIN, M.adminShared, { share_with_users: true });
  await deactivate(ALICE, M.inactive);
  await share(M.shared);
  await share(M.sharedInactive);
  await deactivate(ALICE, M.sharedInactive);
});

afterAll(async () => {
  await srv?.stop();
});

describe('visibility matrix: GET /api/models/{id} and model(modelId)', () => {
  // caller → model → flags when visible, null when it does not exist for them.
  type Flags = typeof OWNER | null;
  const matrix: [string, () => string, Record<string, Flags>][] = [
    [
      'owner (alice)',
      () => ALICE,
      {
        [M.private]: OWNER,
        [M.inactive]: OWNER,
        [M.shared]: OWNER,
        [M.sharedInactive]: OWNER,
        [M.bobPrivate]: null,
        [M.adminShared]: STRANGER,
      },
    ],
    [
      'other user (bob)',
      () => BOB,
      {
        [M.private]: null,
        [M.inactive]: null,
        [M.shared]: STRANGER,
        [M.sharedInactive]: null,
        [M.bobPrivate]: OWNER,
        [M.adminShared]: STRANGER,
      },
    ],
    [
      'admin',
      () => ADMIN,
      {
        [M.private]: ADMIN_FLAGS,
        [M.inactive]: ADMIN_FLAGS,
        [M.shared]: ADMIN_FLAGS,
        [M.sharedInactive]: ADMIN_FLAGS,
        [M.bobPrivate]: ADMIN_FLAGS,
        [M.adminShared]: OWNER,
      },
    ],
  ];
  const shared = new Set<string>([M.shared, M.sharedInactive, M.adminShared]);
  const inactive = new Set<string>([M.inactive, M.sharedInactive]);

  for (const [who, token, expectations] of matrix) {
    for (const [modelId, flags] of Object.entries(expectations)) {
      it(`${who} ${flags ? 'sees' : 'does not see'} ${modelId} over REST`, async () => {
        const res = await request(srv.url, 'GET', `/api/models/${modelId}`, { token: token() });
        if (flags === null) {
          expect(res.status).toBe(404);
          expect(res.body).toEqual(NOT_FOUND);
          expect(res.headers.get('etag')).toBeNull();
        } else {
          expect(res.status).toBe(200);
          expect(res.body).toEqual(restBody(modelId, flags, { is_shared: shared.has(modelId), is_active: !inactive.has(modelId) }));
          expect(res.headers.get('etag')).toBe(`"${row(modelId)!.version}"`);
        }
      });

      it(`${who} ${flags ? 'sees' : 'gets null for'} ${modelId} over GraphQL`, async () => {
        const res = await gql(
          srv.url,
          `query($id: String!) { model(modelId: $id) { modelId isShared isActive isOwner canEdit canDelete version } }`,
          { id: modelId },
          token(),
        );
        expect(res.status).toBe(200);
        expect(res.body.errors).toBeUndefined();
        if (flags === null) {
          expect(res.body.data).toEqual({ model: null });
        } else {
          expect(res.body.data).toEqual({
            model: {
              modelId,
              isShared: shared.has(modelId),
              isActive: !inactive.has(modelId),
              isOwner: flags.is_owner,
              canEdit: flags.can_edit,
              canDelete: flags.can_delete,
              version: row(modelId)!.version,
            },
          });
        }
      });
    }
  }

  it('a model that does not exist at all answers exactly like one that is not visible', async () => {
    const missing = await request(srv.url, 'GET', '/api/models/acc-never-created', { token: BOB });
    const hidden = await request(srv.url, 'GET', `/api/models/${M.private}`, { token: BOB });
    expect(missing.status).toBe(404);
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual(missing.body);
    expect(hidden.text).toBe(missing.text);
  });
});

describe('lists: REST GET /api/models and GraphQL models', () => {
  const ids = (list: any[]) => list.map((m) => m.model_id ?? m.modelId);
  const restList = async (token: string, query: string) => {
    const res = await request(srv.url, 'GET', `/api/models?model_provider=acc${query}`, { token });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    return res.body as any[];
  };
  const gqlList = async (token: string, args: string) => {
    const res = await gql(
      srv.url,
      `{ models(modelProvider: "acc"${args}) { modelId isOwner canEdit canDelete isActive isShared } }`,
      undefined,
      token,
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.models as any[];
  };

  const activeFor = {
    alice: [M.private, M.shared, M.adminShared],
    bob: [M.shared, M.bobPrivate, M.adminShared],
    admin: [M.private, M.shared, M.bobPrivate, M.adminShared],
  };
  const inactiveFor = {
    alice: [M.inactive, M.sharedInactive],
    bob: [] as string[],
    admin: [M.inactive, M.sharedInactive],
  };
  const allFor = {
    alice: [M.private, M.inactive, M.shared, M.sharedInactive, M.adminShared],
    bob: [M.shared, M.bobPrivate, M.adminShared],
    admin: [M.private, M.inactive, M.shared, M.sharedInactive, M.bobPrivate, M.adminShared],
  };
  const tokens = { alice: () => ALICE, bob: () => BOB, admin: () => ADMIN };

  for (const who of ['alice', 'bob', 'admin'] as const) {
    it(`REST: ${who} lists only what they may see; is_active defaults to true`, async () => {
      expect(ids(await restList(tokens[who](), ''))).toEqual(activeFor[who]);
      expect(ids(await restList(tokens[who](), '&is_active=true'))).toEqual(activeFor[who]);
    });

    it(`REST: ${who} with is_active=false lists inactive models they may see`, async () => {
      expect(ids(await restList(tokens[who](), '&is_active=false'))).toEqual(inactiveFor[who]);
    });

    it(`GraphQL: ${who} lists only what they may see; isActive omitted means active only`, async () => {
      expect(ids(await gqlList(tokens[who](), ''))).toEqual(activeFor[who]);
      expect(ids(await gqlList(tokens[who](), ', isActive: true'))).toEqual(activeFor[who]);
      expect(ids(await gqlList(tokens[who](), ', isActive: false'))).toEqual(inactiveFor[who]);
    });

    it(`GraphQL: ${who} with isActive: null gets active and inactive`, async () => {
      expect(ids(await gqlList(tokens[who](), ', isActive: null'))).toEqual(allFor[who]);
    });
  }

  it('GraphQL: a declared but unset $isActive variable is "omitted"; a variable set to null is null', async () => {
    const q = `query($a: Boolean) { models(modelProvider: "acc", isActive: $a) { modelId } }`;
    const unset = await gql(srv.url, q, {}, ALICE);
    expect(unset.status).toBe(200);
    expect(ids(unset.body.data.models)).toEqual(activeFor.alice);
    const nul = await gql(srv.url, q, { a: null }, ALICE);
    expect(nul.status).toBe(200);
    expect(ids(nul.body.data.models)).toEqual(allFor.alice);
  });

  it('REST: per-caller flags in the list', async () => {
    const flags = (list: any[]) => list.map((m) => [m.model_id, m.is_owner, m.can_edit, m.can_delete]);
    expect(flags(await restList(BOB, ''))).toEqual([
      [M.shared, false, false, false],
      [M.bobPrivate, true, true, true],
      [M.adminShared, false, false, false],
    ]);
    expect(flags(await restList(ADMIN, ''))).toEqual([
      [M.private, false, true, true],
      [M.shared, false, true, true],
      [M.bobPrivate, false, true, true],
      [M.adminShared, true, true, true],
    ]);
    expect(flags(await restList(ALICE, ''))).toEqual([
      [M.private, true, true, true],
      [M.shared, true, true, true],
      [M.adminShared, false, false, false],
    ]);
  });

  it('REST: the list bodies are full REST model bodies', async () => {
    const list = await restList(BOB, '');
    expect(list).toEqual([
      restBody(M.shared, STRANGER, { is_shared: true }),
      restBody(M.bobPrivate, OWNER),
      restBody(M.adminShared, STRANGER, { is_shared: true }),
    ]);
  });

  it('GraphQL: per-caller flags in the list', async () => {
    expect(await gqlList(BOB, '')).toEqual([
      { modelId: M.shared, isOwner: false, canEdit: false, canDelete: false, isActive: true, isShared: true },
      { modelId: M.bobPrivate, isOwner: true, canEdit: true, canDelete: true, isActive: true, isShared: false },
      { modelId: M.adminShared, isOwner: false, canEdit: false, canDelete: false, isActive: true, isShared: true },
    ]);
  });
});

describe('a model the caller may not see: 404 / NOT_FOUND, never 403', () => {
  const hidden: [string, string, () => string][] = [
    ['bob', M.private, () => BOB],
    ['bob', M.inactive, () => BOB],
    ['bob', M.sharedInactive, () => BOB],
    ['alice', M.bobPrivate, () => ALICE],
    ['bob', 'acc-does-not-exist', () => BOB],
  ];

  for (const [who, modelId, token] of hidden) {
    it(`${who}: GET, PUT, DELETE ${modelId} → 404 and nothing changes`, async () => {
      const before = row(modelId);
      const get = await request(srv.url, 'GET', `/api/models/${modelId}`, { token: token() });
      expect([get.status, get.body]).toEqual([404, NOT_FOUND]);
      const put = await request(srv.url, 'PUT', `/api/models/${modelId}`, { token: token(), body: { model_name: 'hijacked' } });
      expect([put.status, put.body]).toEqual([404, NOT_FOUND]);
      const putShare = await request(srv.url, 'PUT', `/api/models/${modelId}`, { token: token(), body: { share_with_users: false } });
      expect([putShare.status, putShare.body]).toEqual([404, NOT_FOUND]);
      const del = await request(srv.url, 'DELETE', `/api/models/${modelId}`, { token: token() });
      expect([del.status, del.body]).toEqual([404, NOT_FOUND]);
      expect(row(modelId)).toEqual(before);
    });

    it(`${who}: updateModel, deleteModel, setModelActive ${modelId} → NOT_FOUND and nothing changes`, async () => {
      const before = row(modelId);
      const upd = await gql(
        srv.url,
        `mutation($id: String!) { updateModel(modelId: $id, input: { modelName: "hijacked" }) { modelId } }`,
        { id: modelId },
        token(),
      );
      expectGqlError(upd, 'updateModel', 'NOT_FOUND', 'Model not found');
      const del = await gql(srv.url, `mutation($id: String!) { deleteModel(modelId: $id) }`, { id: modelId }, token());
      expectGqlError(del, 'deleteModel', 'NOT_FOUND', 'Model not found');
      for (const active of [true, false]) {
        const act = await setActive(token(), modelId, active);
        expectGqlError(act, 'setModelActive', 'NOT_FOUND', 'Model not found');
      }
      expect(row(modelId)).toEqual(before);
    });
  }
});

describe('a model the caller may see but not edit: 403 / FORBIDDEN', () => {
  const visible: [string, string, () => string][] = [
    ['bob', M.shared, () => BOB],
    ['alice', M.adminShared, () => ALICE],
  ];

  for (const [who, modelId, token] of visible) {
    it(`${who}: PUT ${modelId} → 403 "No permission to edit this model", nothing changes`, async () => {
      const before = row(modelId);
      for (const body of [{ model_name: 'hijacked' }, { share_with_users: false }, { description: null }, {}]) {
        const res = await request(srv.url, 'PUT', `/api/models/${modelId}`, { token: token(), body });
        expect([res.status, res.body]).toEqual([403, NO_EDIT]);
      }
      expect(row(modelId)).toEqual(before);
    });

    it(`${who}: DELETE ${modelId} → 403 "No permission to delete this model", nothing changes`, async () => {
      const before = row(modelId);
      const res = await request(srv.url, 'DELETE', `/api/models/${modelId}`, { token: token() });
      expect([res.status, res.body]).toEqual([403, NO_DELETE]);
      expect(row(modelId)).toEqual(before);
    });

    it(`${who}: updateModel, deleteModel, setModelActive on ${modelId} → FORBIDDEN, nothing changes`, async () => {
      const before = row(modelId);
      const upd = await gql(
        srv.url,
        `mutation($id: String!) { updateModel(modelId: $id, input: { modelName: "hijacked" }) { modelId } }`,
        { id: modelId },
        token(),
      );
      expectGqlError(upd, 'updateModel', 'FORBIDDEN', 'No permission to edit this model');
      const del = await gql(srv.url, `mutation($id: String!) { deleteModel(modelId: $id) }`, { id: modelId }, token());
      expectGqlError(del, 'deleteModel', 'FORBIDDEN', 'No permission to delete this model');
      for (const active of [false, true]) {
        const act = await setActive(token(), modelId, active);
        expectGqlError(act, 'setModelActive', 'FORBIDDEN', 'No permission to edit this model');
      }
      expect(row(modelId)).toEqual(before);
    });
  }
});

describe('the owner and admins may edit and delete', () => {
  it('the owner of a shared model may edit it (fields the lock does not cover)', async () => {
    await createModel(srv, { model_id: 'acc-own-shared', model_provider: 'acc-x', model_name: 'n' }, { token: ALICE });
    await share('acc-own-shared');
    const res = await request(srv.url, 'PUT', '/api/models/acc-own-shared', { token: ALICE, body: { description: 'mine' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ description: 'mine', is_shared: true, ...OWNER });
    expect(res.headers.get('etag')).toBe('"3"');
    expect(row('acc-own-shared')).toMatchObject({ description: 'mine', owner_id: 'alice', version: 3 });
  });

  it("admin may update anyone's model over REST; the owner stays the owner", async () => {
    await createModel(srv, { model_id: 'acc-admin-put', model_provider: 'acc-x', model_name: 'n' }, { token: ALICE });
    const res = await request(srv.url, 'PUT', '/api/models/acc-admin-put', {
      token: ADMIN,
      body: { model_name: 'by-admin', temperature: 0.5 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(restBody('acc-admin-put', ADMIN_FLAGS, { model_provider: 'acc-x', model_name: 'by-admin', temperature: 0.5 }));
    expect(res.headers.get('etag')).toBe('"2"');
    expect(row('acc-admin-put')).toMatchObject({ owner_id: 'alice', model_name: 'by-admin', temperature: 0.5, version: 2 });
    const asAlice = await request(srv.url, 'GET', '/api/models/acc-admin-put', { token: ALICE });
    expect(asAlice.body).toEqual(restBody('acc-admin-put', OWNER, { model_provider: 'acc-x', model_name: 'by-admin', temperature: 0.5 }));
  });

  it("admin may update anyone's model over GraphQL", async () => {
    await createModel(srv, { model_id: 'acc-admin-gql', model_provider: 'acc-x', model_name: 'n' }, { token: BOB });
    const res = await gql(
      srv.url,
      `mutation { updateModel(modelId: "acc-admin-gql", input: { description: "d" }) { modelId description isOwner canEdit canDelete version } }`,
      undefined,
      ADMIN,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: { updateModel: { modelId: 'acc-admin-gql', description: 'd', isOwner: false, canEdit: true, canDelete: true, version: 2 } },
    });
    expect(row('acc-admin-gql')).toMatchObject({ owner_id: 'bob', description: 'd', version: 2 });
  });

  it("admin may delete anyone's model over REST", async () => {
    await createModel(srv, { model_id: 'acc-admin-del', model_provider: 'acc-x', model_name: 'n' }, { token: ALICE });
    const res = await request(srv.url, 'DELETE', '/api/models/acc-admin-del', { token: ADMIN });
    expect([res.status, res.body]).toEqual([200, { message: 'Model deleted successfully' }]);
    expect(row('acc-admin-del')).toBeUndefined();
    const gone = await request(srv.url, 'GET', '/api/models/acc-admin-del', { token: ALICE });
    expect([gone.status, gone.body]).toEqual([404, NOT_FOUND]);
  });

  it("admin may delete anyone's inactive model over GraphQL", async () => {
    await createModel(srv, { model_id: 'acc-admin-del-gql', model_provider: 'acc-x', model_name: 'n' }, { token: BOB });
    await deactivate(BOB, 'acc-admin-del-gql');
    const res = await gql(srv.url, `mutation { deleteModel(modelId: "acc-admin-del-gql") }`, undefined, ADMIN);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { deleteModel: true } });
    expect(row('acc-admin-del-gql')).toBeUndefined();
  });

  it("admin may deactivate and reactivate anyone's model", async () => {
    await createModel(srv, { model_id: 'acc-admin-act', model_provider: 'acc-x', model_name: 'n' }, { token: ALICE });
    const off = await setActive(ADMIN, 'acc-admin-act', false);
    expect(off.status).toBe(200);
    expect(off.body.data.setModelActive).toMatchObject({
      modelId: 'acc-admin-act',
      isActive: false,
      isOwner: false,
      canEdit: true,
      version: 2,
    });
    const on = await setActive(ADMIN, 'acc-admin-act', true);
    expect(on.body.data.setModelActive).toMatchObject({ isActive: true, version: 3 });
    expect(row('acc-admin-act')).toMatchObject({ owner_id: 'alice', is_active: 1, version: 3 });
  });

  it('the owner may delete their own model', async () => {
    await createModel(srv, { model_id: 'acc-own-del', model_provider: 'acc-x', model_name: 'n' }, { token: BOB });
    const res = await request(srv.url, 'DELETE', '/api/models/acc-own-del', { token: BOB });
    expect([res.status, res.body]).toEqual([200, { message: 'Model deleted successfully' }]);
    expect(row('acc-own-del')).toBeUndefined();
  });
});

describe('shared and inactive', () => {
  it('deactivating a shared model hides it from other users; reactivating shows it again', async () => {
    const id = 'acc-toggle';
    await createModel(srv, { model_id: id, model_provider: 'acc-toggle', model_name: 'n' }, { token: ALICE });
    await share(id);
    const bobSees = async () => (await request(srv.url, 'GET', `/api/models/${id}`, { token: BOB })).status;
    const bobLists = async () =>
      (await request(srv.url, 'GET', '/api/models?model_provider=acc-toggle', { token: BOB })).body.map((m: any) => m.model_id);
    expect(await bobSees()).toBe(200);
    expect(await bobLists()).toEqual([id]);

    await deactivate(ALICE, id);
    expect(await bobSees()).toBe(404);
    expect(await bobLists()).toEqual([]);
    const bobInactive = await request(srv.url, 'GET', '/api/models?model_provider=acc-toggle&is_active=false', { token: BOB });
    expect(bobInactive.body).toEqual([]);
    const bobGql = await gql(srv.url, `{ models(modelProvider: "acc-toggle", isActive: null) { modelId } }`, undefined, BOB);
    expect(bobGql.body).toEqual({ data: { models: [] } });
    // Still there for its owner and for admins.
    expect((await request(srv.url, 'GET', `/api/models/${id}`, { token: ALICE })).status).toBe(200);
    expect((await request(srv.url, 'GET', `/api/models/${id}`, { token: ADMIN })).status).toBe(200);

    const on = await setActive(ALICE, id, true);
    expect(on.body.data.setModelActive.isActive).toBe(true);
    expect(await bobSees()).toBe(200);
    expect(await bobLists()).toEqual([id]);
  });

  it('un-sharing hides a model from other users', async () => {
    const id = 'acc-unshare';
    await createModel(srv, { model_id: id, model_provider: 'acc-x', model_name: 'n' }, { token: ALICE });
    await share(id);
    expect((await request(srv.url, 'GET', `/api/models/${id}`, { token: BOB })).status).toBe(200);
    const res = await request(srv.url, 'PUT', `/api/models/${id}`, { token: ALICE, body: { share_with_users: false } });
    expect(res.status).toBe(200);
    expect(res.body.is_shared).toBe(false);
    const bobGet = await request(srv.url, 'GET', `/api/models/${id}`, { token: BOB });
    expect([bobGet.status, bobGet.body]).toEqual([404, NOT_FOUND]);
  });
});

describe('who is an admin', () => {
  const probe = async (token: string) => request(srv.url, 'GET', `/api/models/${M.private}`, { token });

  it('a `role` string containing admin makes the caller an admin', async () => {
    for (const role of ['admin', 'user admin', 'user,admin']) {
      const res = await probe(tokenFor('ops', { claims: { roles: undefined, role } }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject(ADMIN_FLAGS);
    }
  });

  it('a `roles` array containing admin makes the caller an admin', async () => {
    const res = await probe(tokenFor('ops2', { claims: { roles: ['user', 'admin'] } }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(ADMIN_FLAGS);
  });

  it('other roles do not', async () => {
    for (const claims of [
      { roles: ['user'] },
      { roles: ['administrator'] },
      { roles: undefined, role: 'superadmin' },
      { roles: 'adminx' },
    ]) {
      const res = await probe(tokenFor('ops3', { claims }));
      expect([res.status, res.body]).toEqual([404, NOT_FOUND]);
    }
  });
});
