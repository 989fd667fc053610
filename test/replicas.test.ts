/**
 * Two gateway processes (replicas) on one PostgreSQL database: both start at the same moment on
 * an empty database and migrate it (the advisory lock lets exactly one apply the migrations,
 * neither fails); then concurrent REST PUTs and GraphQL updateModel mutations through both
 * replicas at the same models:
 *   (a) all based on one version (If-Match / expectedVersion): exactly one writer per version
 *       wins, every other gets 412 `{"detail":"Precondition Failed"}` / CONFLICT;
 *   (b) rounds where every writer reads the current version and then writes with it: exactly
 *       one success per round;
 *   (c) no precondition: N writes with distinct values, all 200, the version rises by exactly N;
 *   (d) the stored row (read with `pg`) is the last successful write (the highest version),
 *       nothing lost, and no 5xx anywhere.
 *
 * Runs only with TEST_DATABASE_URL (an admin URL of a PostgreSQL server, e.g.
 * postgresql://postgres@127.0.0.1:5432/test): the file creates its own database and drops it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { gql, request, type HttpResult } from './helpers/http';
import { PROJECT_ROOT, startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';
import { describeIf, NEEDS_POSTGRES } from './helpers/optional';

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
const describePg = describeIf(Boolean(TEST_DATABASE_URL), __filename, NEEDS_POSTGRES);

const MODELS = ['rep-a', 'rep-b', 'rep-c'];
/** Writers per model and version in (a), per round in (b). */
const WRITERS = 8;
/** Versions raced in (a), rounds in (b), writes in (c). */
const VERSIONS = 3;
const ROUNDS = 5;
const N = 16;

const UPDATE = `mutation ($id: String!, $input: UpdateModelInput!, $v: Int) {
  updateModel(modelId: $id, input: $input, expectedVersion: $v) { modelId temperature description version }
}`;
const MODEL_QUERY = `query ($id: String!) { model(modelId: $id) { version } }`;

function urlFor(admin: string, database: string): string {
  const u = new URL(admin);
  u.pathname = `/${database}`;
  u.search = '';
  return u.toString();
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** One write's outcome, whichever transport carried it. */
interface Outcome {
  ok: boolean;
  /** 412 on REST, CONFLICT on GraphQL. */
  conflict: boolean;
  version?: number;
  temperature?: number | null;
  description?: string | null;
  via: string;
  status: number;
  raw: string;
}

/** Distinct, exactly representable temperatures (0 < t <= 2). */
let counter = 0;
function nextValues(tag: string): { temperature: number; description: string } {
  counter++;
  return { temperature: (counter % 128) / 64 + 1 / 128, description: `${tag}#${counter}` };
}

describePg('two gateway replicas on one PostgreSQL database (TEST_DATABASE_URL)', () => {
  // describe.skip still runs this body: without TEST_DATABASE_URL, a placeholder nobody connects to.
  const adminUrl = TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/unused';
  const dbName = `mg_r_replicas_${randomBytes(5).toString('hex')}`;
  const dbUrl = urlFor(adminUrl, dbName);
  const token = alice();
  let replicas: RunningServer[] = [];
  /** Every HTTP answer of the file, checked for 5xx at the end. */
  const answers: HttpResult[] = [];
  /** Every successful write per model, to find the last one. */
  const successes = new Map<string, Outcome[]>(MODELS.map((m) => [m, []]));

  function record<T extends HttpResult>(res: T): T {
    answers.push(res);
    return res;
  }

  async function writeRest(replica: number, modelId: string, values: object, version?: number): Promise<Outcome> {
    const headers: Record<string, string> = version === undefined ? {} : { 'If-Match': `"${version}"` };
    const res = record(await request(replicas[replica]!.url, 'PUT', `/api/models/${modelId}`, { token, body: values, headers }));
    const via = `REST@${replica}`;
    if (res.status === 200) {
      const etag = res.headers.get('etag');
      expect(etag).toMatch(/^"\d+"$/);
      return {
        ok: true,
        conflict: false,
        version: Number(JSON.parse(etag!)),
        temperature: res.body.temperature,
        description: res.body.description,
        via,
        status: 200,
        raw: res.text,
      };
    }
    if (res.status === 412) expect(res.body).toEqual({ detail: 'Precondition Failed' });
    return { ok: false, conflict: res.status === 412, via, status: res.status, raw: res.text };
  }

  async function writeGraphQL(replica: number, modelId: string, values: object, version?: number): Promise<Outcome> {
    const res = record(await gql(replicas[replica]!.url, UPDATE, { id: modelId, input: values, v: version ?? null }, token));
    const via = `GraphQL@${replica}`;
    const model = res.body?.data?.updateModel;
    if (res.status === 200 && model && !res.body.errors) {
      return {
        ok: true,
        conflict: false,
        version: model.version,
        temperature: model.temperature,
        description: model.description,
        via,
        status: 200,
        raw: res.text,
      };
    }
    const code = res.body?.errors?.[0]?.extensions?.code;
    return { ok: false, conflict: res.status === 200 && code === 'CONFLICT', via, status: res.status, raw: res.text };
  }

  /** Writer i goes through replica i % 2 and alternates transports, so every mix occurs. */
  function write(i: number, modelId: string, values: object, version?: number): Promise<Outcome> {
    const replica = i % 2;
    return Math.floor(i / 2) % 2 === 0 ? writeRest(replica, modelId, values, version) : writeGraphQL(replica, modelId, values, version);
  }

  async function readVersion(i: number, modelId: string): Promise<number> {
    const replica = i % 2;
    if (i % 3 === 0) {
      const res = record(await gql(replicas[replica]!.url, MODEL_QUERY, { id: modelId }, token));
      expect(res.body.errors).toBeUndefined();
      return res.body.data.model.version;
    }
    const res = record(await request(replicas[replica]!.url, 'GET', `/api/models/${modelId}`, { token }));
    expect(res.status).toBe(200);
    return Number(JSON.parse(res.headers.get('etag')!));
  }

  async function storedRow(modelId: string): Promise<Record<string, any>> {
    return withClient(dbUrl, async (c) => (await c.query('SELECT * FROM models WHERE model_id = $1', [modelId])).rows[0]);
  }

  function keep(modelId: string, outcomes: Outcome[]): void {
    successes.get(modelId)!.push(...outcomes.filter((o) => o.ok));
  }

  function describeOutcomes(outcomes: Outcome[]): string {
    return outcomes.map((o) => `${o.via} ${o.status} ${o.raw}`).join('\n');
  }

  beforeAll(async () => {
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`));
    // Both at the same moment, on the empty database: both migrate at start.
    const started = await Promise.allSettled([0, 1].map(() => startServer({ env: { DATABASE_URL: dbUrl } })));
    replicas = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed.length > 0) throw new Error(`a replica failed to start:\n${failed.map((f) => String(f.reason)).join('\n')}`);
  }, 60000);

  afterAll(async () => {
    const codes = await Promise.all(replicas.map((r) => r.stop()));
    await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    expect(codes).toEqual(replicas.map(() => 0));
  }, 30000);

  it('both replicas started on the empty database; the migrations were applied exactly once', async () => {
    expect(replicas).toHaveLength(2);
    for (const replica of replicas) {
      expect(replica.process.exitCode).toBeNull();
      expect((await request(replica.url, 'GET', '/readyz')).status).toBe(200);
    }
    const migrations = fs
      .readdirSync(path.join(PROJECT_ROOT, 'prisma', 'postgresql', 'migrations'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    const rows = await withClient(
      dbUrl,
      async (c) =>
        (await c.query('SELECT migration_name, finished_at, rolled_back_at, logs FROM _prisma_migrations ORDER BY migration_name')).rows,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(migrations);
    for (const row of rows) {
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
    }
    // One replica applied them, the other found nothing to do.
    const applied = replicas.filter((r) => r.logs().includes('"database migrated"'));
    expect(applied).toHaveLength(1);
    for (const replica of replicas) expect(replica.logs()).not.toMatch(/"level":(50|60)/);
  });

  it('seeds the models (one per replica in turn), each visible through both', async () => {
    for (const [i, modelId] of MODELS.entries()) {
      const res = record(
        await request(replicas[i % 2]!.url, 'POST', '/api/models', {
          token,
          body: { model_id: modelId, model_provider: 'openai', model_name: 'gpt-4o', temperature: 0, description: 'seed' },
        }),
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"1"');
      successes
        .get(modelId)!
        .push({ ok: true, conflict: false, version: 1, temperature: 0, description: 'seed', via: 'seed', status: 200, raw: res.text });
    }
    for (const replica of replicas) {
      const list = record(await request(replica.url, 'GET', '/api/models', { token }));
      expect(list.body.map((m: { model_id: string }) => m.model_id)).toEqual(MODELS);
    }
  });

  it(`(a) ${WRITERS} writers per model on the same version, through both replicas: exactly one wins per version`, async () => {
    for (let step = 0; step < VERSIONS; step++) {
      const base = step + 1;
      // All models at once: WRITERS × MODELS concurrent writes, all claiming version `base`.
      const perModel = await Promise.all(
        MODELS.map((modelId) =>
          Promise.all(Array.from({ length: WRITERS }, (_, i) => write(i + step, modelId, nextValues(`a${step}`), base))),
        ),
      );
      for (const [m, outcomes] of perModel.entries()) {
        const modelId = MODELS[m]!;
        const winners = outcomes.filter((o) => o.ok);
        const losers = outcomes.filter((o) => !o.ok);
        if (winners.length !== 1 || losers.some((o) => !o.conflict)) {
          throw new Error(`${modelId} version ${base}: expected one winner and ${WRITERS - 1} conflicts:\n${describeOutcomes(outcomes)}`);
        }
        expect(winners[0]!.version).toBe(base + 1);
        keep(modelId, outcomes);
        const row = await storedRow(modelId);
        expect({ version: row.version, temperature: row.temperature, description: row.description }).toEqual({
          version: base + 1,
          temperature: winners[0]!.temperature,
          description: winners[0]!.description,
        });
      }
    }
  }, 30000);

  it(`(b) ${ROUNDS} rounds: every writer reads the current version, then writes with it; one success per round`, async () => {
    const modelId = MODELS[0]!;
    for (let round = 0; round < ROUNDS; round++) {
      const before = (await storedRow(modelId)).version as number;
      // All reads of a round finish before its writes start, so every writer holds the same version.
      const versions = await Promise.all(Array.from({ length: WRITERS }, (_, i) => readVersion(i + round, modelId)));
      expect(versions).toEqual(Array(WRITERS).fill(before));
      const outcomes = await Promise.all(versions.map((v, i) => write(i + round, modelId, nextValues(`b${round}`), v)));
      const winners = outcomes.filter((o) => o.ok);
      if (winners.length !== 1 || outcomes.some((o) => !o.ok && !o.conflict)) {
        throw new Error(`round ${round}: expected one success and ${WRITERS - 1} conflicts:\n${describeOutcomes(outcomes)}`);
      }
      expect(winners[0]!.version).toBe(before + 1);
      keep(modelId, outcomes);
      expect((await storedRow(modelId)).version).toBe(before + 1);
    }
  }, 30000);

  it(`(c) ${N} writes per model without a precondition, through both replicas: all 200, version +${N} exactly`, async () => {
    const before = new Map<string, number>();
    for (const modelId of MODELS) before.set(modelId, (await storedRow(modelId)).version);
    const perModel = await Promise.all(
      MODELS.map((modelId) => Promise.all(Array.from({ length: N }, (_, i) => write(i, modelId, nextValues(`c-${modelId}`))))),
    );
    for (const [m, outcomes] of perModel.entries()) {
      const modelId = MODELS[m]!;
      if (outcomes.some((o) => !o.ok)) throw new Error(`${modelId}: every write must succeed:\n${describeOutcomes(outcomes)}`);
      const start = before.get(modelId)!;
      // Each write got its own version: none overwrote another unseen, none was counted twice.
      expect(outcomes.map((o) => o.version).sort((x, y) => x! - y!)).toEqual(Array.from({ length: N }, (_, i) => start + 1 + i));
      keep(modelId, outcomes);
      expect((await storedRow(modelId)).version).toBe(start + N);
    }
  }, 30000);

  it('(d) each stored row is the last successful write; every version was written once; never a 5xx', async () => {
    for (const modelId of MODELS) {
      const writes = successes.get(modelId)!;
      const versions = writes.map((w) => w.version!).sort((x, y) => x - y);
      // Versions 1..last, each exactly once: no write lost, no version skipped or doubled.
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
      const last = writes.reduce((a, b) => (b.version! > a.version! ? b : a));
      const row = await storedRow(modelId);
      expect({ version: row.version, temperature: row.temperature, description: row.description }).toEqual({
        version: last.version,
        temperature: last.temperature,
        description: last.description,
      });
      // Both replicas serve the same row.
      for (const replica of replicas) {
        const res = record(await request(replica.url, 'GET', `/api/models/${modelId}`, { token }));
        expect(res.headers.get('etag')).toBe(`"${last.version}"`);
        expect(res.body.description).toBe(last.description);
      }
    }
    expect(answers.length).toBeGreaterThan(MODELS.length * (WRITERS * VERSIONS + N));
    const serverErrors = answers.filter(
      (a) =>
        a.status >= 500 ||
        (a.body?.errors ?? []).some((e: any) => ['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE'].includes(e.extensions?.code)),
    );
    expect(serverErrors.map((a) => `${a.status} ${a.text}`)).toEqual([]);
    for (const replica of replicas) {
      expect(replica.process.exitCode).toBeNull();
      expect(replica.logs()).not.toMatch(/"level":(50|60)/);
    }
  });
});
