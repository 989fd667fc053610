/**
 * `npm run bench -- [--connections 50] [--duration 8] [--warmup 2] [--database postgresql://...]`
 *
 * Builds the production server, seeds 1,000 models into a fresh database (a SQLite file, or a
 * PostgreSQL database created on the server of the given admin URL and dropped afterwards),
 * then runs the gateway, the bare server (scripts/bench/baseline.js: the same update, the same
 * GET of one model and the same 50-row list, each one prepared statement) and the frameworks'
 * ceilings (scripts/bench/ceiling.js: Express 5, Apollo Server 5 on Express 5 and on node:http,
 * echoing) one at a time, and drives each with autocannon after a warm-up. Every update request
 * carries distinct values, so every request writes. Prints a table and writes it, with the
 * machine, the versions and the targets (ratios to the bare server in the same run), into
 * docs/benchmarks.md (only this backend's section; the rest of the file is kept).
 *
 * Other flags: --latency-connections 10 (the p99 rows), --models 1000, --only a,b (scenario
 * names), --skip-build, --cpu-prof DIR (the gateway runs under `node --cpu-prof`), --node-flags
 * "--max-old-space-size=128 ..." (more flags for the gateway's node), --skip-ceilings (run on
 * SQLite by default), --ceilings (also on PostgreSQL, where they are skipped by default: they
 * touch no database), --no-write.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'benchmarks.md');

/* ------------------------------------------------------------------ options */

const { values: flags } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    'latency-connections': { type: 'string', default: '10' },
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    models: { type: 'string', default: '1000' },
    database: { type: 'string' },
    only: { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'node-flags': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    ceilings: { type: 'boolean', default: false },
    'skip-ceilings': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function positiveInt(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

if (flags.help) {
  process.stdout.write(
    fs
      .readFileSync(__filename, 'utf8')
      .split('*/')[0]!
      .replace(/^\/\*\*|^ \* ?/gm, '') + '\n',
  );
  process.exit(0);
}

const CONNECTIONS = positiveInt('connections', flags.connections);
const LATENCY_CONNECTIONS = positiveInt('latency-connections', flags['latency-connections']);
const DURATION_SEC = positiveInt('duration', flags.duration);
const WARMUP_SEC = Number(flags.warmup);
if (!Number.isFinite(WARMUP_SEC) || WARMUP_SEC < 0) throw new Error('--warmup must be a number of seconds >= 0');
const MODEL_COUNT = positiveInt('models', flags.models);
const ADMIN_URL = flags.database;
if (ADMIN_URL !== undefined && !/^postgres(ql)?:\/\//.test(ADMIN_URL)) throw new Error('--database must be a postgresql:// URL');
type Backend = 'sqlite' | 'postgresql';
const BACKEND: Backend = ADMIN_URL ? 'postgresql' : 'sqlite';
/** Requests the gateway's rate limiter lets through per window: on, as in production, but never tripping. */
const RATE_LIMIT_MAX = 10_000_000;

/* ------------------------------------------------------------------ the data */

const OWNERS = Array.from({ length: 10 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
const modelIdOf = (i: number) => `bench-${String(i).padStart(5, '0')}`;
const ownerOf = (i: number) => OWNERS[i % OWNERS.length]!;

interface Secrets {
  jwtSecret: string;
  encryptionKey: string;
}

function tokens(secrets: Secrets): Map<string, string> {
  const exp = Math.floor(Date.now() / 1000) + 6 * 3600;
  return new Map(OWNERS.map((sub) => [sub, jwt.sign({ sub, roles: ['user'], exp }, secrets.jwtSecret, { algorithm: 'HS256' })]));
}

interface SeedRow {
  modelId: string;
  ownerId: string;
  category: string;
  modelProvider: string;
  modelName: string;
  apiKeyEncrypted: string | null;
  baseUrl: string | null;
  temperature: number | null;
  dimension: number | null;
  description: string | null;
  abilities: string | null;
  isShared: boolean;
  createdAt: Date;
}

/** A registry as people fill it: mostly chat models, some embeddings, a tenth shared, some with keys. */
async function seedRows(secrets: Secrets): Promise<SeedRow[]> {
  // The compiled service's own sealing, so stored keys look exactly like the gateway's.
  const { SecretBox } = (await import(path.join(ROOT, 'dist', 'lib', 'crypto.js'))) as typeof import('../../src/lib/crypto');
  const box = new SecretBox(Buffer.from(secrets.encryptionKey, 'base64'));
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: MODEL_COUNT }, (_, i) => {
    const modelId = modelIdOf(i);
    const embedding = i % 7 === 3;
    return {
      modelId,
      ownerId: ownerOf(i),
      category: embedding ? 'embedding' : 'llm',
      modelProvider: i % 3 === 0 ? 'ollama' : 'openai',
      modelName: embedding ? 'text-embedding-3-small' : `gpt-4o-${i}`,
      apiKeyEncrypted: i % 3 === 0 ? null : box.seal(`sk-bench-${i}-placeholder`, modelId),
      baseUrl: i % 3 === 0 ? 'http://localhost:11434' : null,
      temperature: embedding ? null : 0.7,
      dimension: embedding ? 1536 : null,
      description: `Benchmark model ${i}`,
      abilities: JSON.stringify(embedding ? ['embedding'] : ['chat', 'tools']),
      isShared: i % 10 === 5,
      createdAt: new Date(start + i * 1000),
    };
  });
}

const INSERT_COLUMNS =
  'model_id, owner_id, category, model_provider, model_name, api_key_encrypted, base_url, temperature, dimension, description, abilities, is_shared, is_active, version, created_at, updated_at';

const rowValues = (r: SeedRow) => [
  r.modelId,
  r.ownerId,
  r.category,
  r.modelProvider,
  r.modelName,
  r.apiKeyEncrypted,
  r.baseUrl,
  r.temperature,
  r.dimension,
  r.description,
  r.abilities,
];

/* ------------------------------------------------------------------ databases */

interface BenchDatabase {
  /** The gateway's DATABASE_URL. */
  url: string;
  /** SQLite or PostgreSQL server version. */
  version: string;
  seed(rows: SeedRow[]): Promise<void>;
  drop(): Promise<void>;
}

async function migrate(url: string): Promise<void> {
  const { deployMigrations } = (await import(
    path.join(ROOT, 'dist', 'db', 'migrate', 'index.js')
  )) as typeof import('../../src/db/migrate');
  const { migrationsDirOf } = (await import(path.join(ROOT, 'dist', 'db', 'layout.js'))) as typeof import('../../src/db/layout');
  const provider = url.startsWith('postgres') ? 'postgresql' : 'sqlite';
  await deployMigrations({ provider, url, migrationsDir: migrationsDirOf(provider) });
}

async function sqliteDatabase(dir: string): Promise<BenchDatabase> {
  const file = path.join(dir, 'models.db');
  const url = `file:${file}`;
  await migrate(url);
  const db = new Database(file);
  const version = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  return {
    url,
    version: `SQLite ${version} (better-sqlite3)`,
    seed: async (rows) => {
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      const insert = db.prepare(`INSERT INTO models (${INSERT_COLUMNS}) VALUES (${Array(16).fill('?').join(', ')})`);
      // Prisma keeps SQLite DateTime values as ISO text with an explicit offset.
      const stamp = (d: Date) => d.toISOString().replace('Z', '+00:00');
      db.transaction(() => {
        for (const r of rows) insert.run(...rowValues(r), r.isShared ? 1 : 0, 1, 1, stamp(r.createdAt), stamp(r.createdAt));
      })();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `mg_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: adminUrl, application_name: 'model-gateway-bench' });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const version = await admin(async (client) => {
    await client.query(`CREATE DATABASE "${name}"`);
    return (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };
  try {
    await migrate(url.toString());
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    url: url.toString(),
    version: `PostgreSQL ${version}`,
    seed: async (rows) => {
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      try {
        for (let at = 0; at < rows.length; at += 100) {
          const batch = rows.slice(at, at + 100);
          const params: unknown[] = [];
          const tuples = batch.map((r) => {
            const values = [...rowValues(r), r.isShared, true, 1, r.createdAt, r.createdAt];
            const base = params.length;
            params.push(...values);
            return `(${values.map((_, k) => `$${base + k + 1}${k === 10 ? '::jsonb' : ''}`).join(', ')})`;
          });
          await client.query(`INSERT INTO models (${INSERT_COLUMNS}) VALUES ${tuples.join(', ')}`, params);
        }
        await client.query('VACUUM ANALYZE models');
      } finally {
        await client.end();
      }
    },
    drop,
  };
}

/* ------------------------------------------------------------------ processes */

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Server {
  name: string;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function startServer(name: string, args: string[], env: Record<string, string>, logFile: string): Promise<Server> {
  const port = await freePort();
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, args, {
    cwd: path.dirname(logFile),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const server: Server = {
    name,
    url,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before listening; see ${logFile}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${name} did not start within 30 s; see ${logFile}`);
    }
    await sleep(50);
  }
}

/** Kilobytes from a /proc/<pid>/status line such as `VmHWM:   123456 kB`. */
function procStatusKb(pid: number, field: string): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line ? Number(/(\d+)/.exec(line)?.[1] ?? 0) : 0;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Restarts the peak-RSS counter (VmHWM), so each run reports its own peak; false where the kernel refuses. */
function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/* ------------------------------------------------------------------ scenarios */

type Req = autocannon.Request;
type ServerKind = 'gateway' | 'baseline' | 'express' | 'apollo' | 'apollo-http';

interface Scenario {
  name: string;
  label: string;
  server: ServerKind;
  connections: number;
  /** GraphQL answers 200 with `errors` when an operation fails: those count as errors too. */
  graphql: boolean;
  /** The bare server's scenario doing the same work: the row's ratio is against it. */
  against?: string;
  /** Builds the next request; `n` is a run-wide counter, so values differ across connections too. */
  next(n: number, tokens: Map<string, string>): Req;
}

const UPDATE_DOCUMENT =
  'mutation UpdateModel($modelId: String!, $input: UpdateModelInput!) { updateModel(modelId: $modelId, input: $input) { id modelId temperature description version updatedAt } }';
const LIST_DOCUMENT =
  'query Models($limit: Int) { models(limit: $limit) { id modelId category modelProvider modelName hasApiKey baseUrl temperature dimension description abilities isShared isActive createdAt updatedAt isOwner canEdit canDelete version } }';
/** The list page size of the list rows, GraphQL and bare alike. */
const LIST_LIMIT = 50;

/** Request n updates model n mod N with values no earlier request set: every request writes. */
function patchFor(n: number) {
  return { temperature: (n % 2000) / 1000, description: `bench update ${n}` };
}

function authHeaders(tokens: Map<string, string>, owner: string, json: boolean) {
  return { authorization: `Bearer ${tokens.get(owner)}`, ...(json ? { 'content-type': 'application/json' } : {}) };
}

function restUpdate(n: number, tokens: Map<string, string>): Req {
  const i = n % MODEL_COUNT;
  return {
    method: 'PUT',
    path: `/api/models/${modelIdOf(i)}`,
    headers: authHeaders(tokens, ownerOf(i), true),
    body: JSON.stringify(patchFor(n)),
  };
}

function restGet(n: number, tokens: Map<string, string>): Req {
  const i = n % MODEL_COUNT;
  return { method: 'GET', path: `/api/models/${modelIdOf(i)}`, headers: authHeaders(tokens, ownerOf(i), false) };
}

function graphqlUpdate(n: number, tokens: Map<string, string>): Req {
  const i = n % MODEL_COUNT;
  return {
    method: 'POST',
    path: '/graphql',
    headers: authHeaders(tokens, ownerOf(i), true),
    body: JSON.stringify({ query: UPDATE_DOCUMENT, variables: { modelId: modelIdOf(i), input: patchFor(n) } }),
  };
}

function graphqlList(n: number, tokens: Map<string, string>): Req {
  return {
    method: 'POST',
    path: '/graphql',
    headers: authHeaders(tokens, OWNERS[n % OWNERS.length]!, true),
    body: JSON.stringify({ query: LIST_DOCUMENT, variables: { limit: LIST_LIMIT } }),
  };
}

function bareList(n: number, tokens: Map<string, string>): Req {
  return { method: 'GET', path: `/api/models?limit=${LIST_LIMIT}`, headers: authHeaders(tokens, OWNERS[n % OWNERS.length]!, false) };
}

const SCENARIOS: Scenario[] = [
  {
    name: 'graphql-update',
    label: 'a. updateModel (GraphQL)',
    server: 'gateway',
    connections: CONNECTIONS,
    graphql: true,
    against: 'baseline-update',
    next: graphqlUpdate,
  },
  {
    name: 'rest-update',
    label: 'b. PUT /api/models/{id} (REST)',
    server: 'gateway',
    connections: CONNECTIONS,
    graphql: false,
    against: 'baseline-update',
    next: restUpdate,
  },
  {
    name: 'rest-get',
    label: 'c. GET /api/models/{id} (REST)',
    server: 'gateway',
    connections: CONNECTIONS,
    graphql: false,
    against: 'baseline-get',
    next: restGet,
  },
  {
    name: 'graphql-list',
    label: `d. models(limit: ${LIST_LIMIT}), every field (GraphQL)`,
    server: 'gateway',
    connections: CONNECTIONS,
    graphql: true,
    against: 'baseline-list',
    next: graphqlList,
  },
  {
    name: 'graphql-update-latency',
    label: 'a. updateModel (GraphQL)',
    server: 'gateway',
    connections: LATENCY_CONNECTIONS,
    graphql: true,
    against: 'baseline-update-latency',
    next: graphqlUpdate,
  },
  { name: 'baseline-update', label: 'e. bare: PUT update', server: 'baseline', connections: CONNECTIONS, graphql: false, next: restUpdate },
  { name: 'baseline-get', label: 'e. bare: GET one', server: 'baseline', connections: CONNECTIONS, graphql: false, next: restGet },
  {
    name: 'baseline-list',
    label: `e. bare: the same ${LIST_LIMIT} rows as JSON`,
    server: 'baseline',
    connections: CONNECTIONS,
    graphql: false,
    next: bareList,
  },
  {
    name: 'baseline-update-latency',
    label: 'e. bare: PUT update',
    server: 'baseline',
    connections: LATENCY_CONNECTIONS,
    graphql: false,
    next: restUpdate,
  },
  {
    name: 'express-ceiling',
    label: 'f. Express 5 alone, PUT echo (ceiling)',
    server: 'express',
    connections: CONNECTIONS,
    graphql: false,
    against: 'baseline-update',
    next: restUpdate,
  },
  {
    name: 'apollo-ceiling',
    label: 'g. Apollo Server 5 on Express 5, updateModel echo (ceiling)',
    server: 'apollo',
    connections: CONNECTIONS,
    graphql: true,
    against: 'baseline-update',
    next: graphqlUpdate,
  },
  {
    name: 'apollo-http-ceiling',
    label: 'h. Apollo Server 5 on node:http, updateModel echo (ceiling)',
    server: 'apollo-http',
    connections: CONNECTIONS,
    graphql: true,
    against: 'baseline-update',
    next: graphqlUpdate,
  },
  {
    name: 'apollo-http-list-ceiling',
    label: `h. Apollo Server 5 on node:http, models(limit: ${LIST_LIMIT}) echo (ceiling)`,
    server: 'apollo-http',
    connections: CONNECTIONS,
    graphql: true,
    against: 'baseline-list',
    next: graphqlList,
  },
];

interface Measurement {
  scenario: Scenario;
  rps: number;
  p50: number;
  p99: number;
  peakRssMb: number;
  /** Server CPU time per wall-clock second, in percent of one core. */
  cpuPercent: number;
  ok: number;
  errors: number;
  /** From the gateway's /metrics: statements per request and their mean duration. */
  db?: { perRequest: number; meanUs: number };
}

async function drive(
  server: Server,
  scenario: Scenario,
  tokenMap: Map<string, string>,
  seconds: number,
  counter: { n: number },
): Promise<{ result: autocannon.Result; failed: number }> {
  let failed = 0;
  const request: Req = {
    setupRequest: () => scenario.next(counter.n++, tokenMap),
    ...(scenario.graphql
      ? {
          onResponse: (status: number, body: string) => {
            if (status === 200 && body.includes('"errors"')) failed++;
          },
        }
      : {}),
  };
  const result = await autocannon({
    url: server.url,
    connections: scenario.connections,
    duration: seconds,
    pipelining: 1,
    timeout: 30,
    requests: [request],
  });
  return { result, failed };
}

/** The gateway's own count and total time of database statements (/metrics), when it exposes them. */
async function dbStatements(server: Server): Promise<{ count: number; seconds: number } | null> {
  if (server.name !== 'gateway') return null;
  try {
    const res = await fetch(`${server.url}/metrics`);
    if (!res.ok) return null;
    let count = 0;
    let seconds = 0;
    for (const line of (await res.text()).split('\n')) {
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (line.startsWith('db_query_duration_seconds_count')) count += value;
      else if (line.startsWith('db_query_duration_seconds_sum')) seconds += value;
    }
    return { count, seconds };
  } catch {
    return null;
  }
}

async function measure(server: Server, scenario: Scenario, tokenMap: Map<string, string>, counter: { n: number }): Promise<Measurement> {
  const pid = server.process.pid!;
  if (WARMUP_SEC > 0) await drive(server, scenario, tokenMap, WARMUP_SEC, counter);
  const dbBefore = await dbStatements(server);
  const peakResettable = resetPeakRss(pid);
  let sampledPeakKb = procStatusKb(pid, 'VmRSS');
  const sampler = setInterval(() => {
    sampledPeakKb = Math.max(sampledPeakKb, procStatusKb(pid, 'VmRSS'));
  }, 100);
  const cpuBefore = cpuSeconds(pid);
  const started = process.hrtime.bigint();
  const { result, failed } = await drive(server, scenario, tokenMap, DURATION_SEC, counter);
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuSeconds(pid) - cpuBefore;
  clearInterval(sampler);
  const peakKb = peakResettable ? procStatusKb(pid, 'VmHWM') : Math.max(sampledPeakKb, procStatusKb(pid, 'VmHWM'));
  const ok = result['2xx'] - failed;
  const errors = result.non2xx + result.errors + failed;
  const dbAfter = dbBefore ? await dbStatements(server) : null;
  const statements = dbBefore && dbAfter ? dbAfter.count - dbBefore.count : 0;
  return {
    db:
      dbBefore && dbAfter && statements > 0
        ? { perRequest: statements / result['2xx'], meanUs: ((dbAfter.seconds - dbBefore.seconds) / statements) * 1e6 }
        : undefined,
    scenario,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    peakRssMb: peakKb / 1024,
    cpuPercent: (cpu / wallSec) * 100,
    ok,
    errors,
  };
}

/* ------------------------------------------------------------------ report */

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function commandOutput(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : '?';
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Target {
  what: string;
  measured: string;
  met: boolean;
}

/** The issue's targets: throughput as a share of the bare server doing the same work, in the same run. */
const THROUGHPUT_TARGETS: { name: string; share: number; label: string; backends: Backend[] }[] = [
  { name: 'graphql-update', share: 0.5, label: 'GraphQL updateModel', backends: ['sqlite', 'postgresql'] },
  { name: 'rest-update', share: 0.4, label: 'REST PUT', backends: ['sqlite'] },
  { name: 'rest-get', share: 0.5, label: 'REST GET one model', backends: ['sqlite'] },
  { name: 'graphql-list', share: 0.3, label: `GraphQL models(limit: ${LIST_LIMIT}), every field`, backends: ['sqlite'] },
];
const LATENCY_FACTOR = 3;
const RSS_LIMIT_MB = 250;

function targets(results: Measurement[]): Target[] {
  const find = (name: string | undefined) => results.find((m) => m.scenario.name === name);
  const list: Target[] = [];
  for (const t of THROUGHPUT_TARGETS) {
    const m = find(t.name);
    const bare = find(m?.scenario.against);
    if (!t.backends.includes(BACKEND) || !m || !bare) continue;
    const ratio = m.rps / bare.rps;
    list.push({
      what: `${t.label} at ${m.scenario.connections} connections: at least ${fmt(t.share, 2)} of the bare server's throughput (${bare.scenario.label.replace(/^e\. bare: /, '')})`,
      measured: `${fmt(ratio, 2)} (${fmt(m.rps)} vs ${fmt(bare.rps)} req/s)`,
      met: ratio >= t.share,
    });
  }
  const latency = find('graphql-update-latency');
  const bareLatency = find(latency?.scenario.against);
  if (BACKEND === 'sqlite' && latency && bareLatency) {
    // autocannon counts whole milliseconds: a bare p99 under 1 ms reads as 0 or 1.
    const ratio = latency.p99 / Math.max(bareLatency.p99, 1);
    list.push({
      what: `GraphQL updateModel at ${latency.scenario.connections} connections: p99 latency within ${LATENCY_FACTOR}x the bare server's`,
      measured: `${fmt(ratio, 1)}x (${fmt(latency.p99)} ms vs ${fmt(bareLatency.p99)} ms)`,
      met: ratio <= LATENCY_FACTOR,
    });
  }
  const gatewayPeak = Math.max(0, ...results.filter((m) => m.scenario.server === 'gateway').map((m) => m.peakRssMb));
  if (gatewayPeak > 0)
    list.push({
      what: `Peak RSS of the gateway over all its rows under ${RSS_LIMIT_MB} MB`,
      measured: `${fmt(gatewayPeak)} MB`,
      met: gatewayPeak < RSS_LIMIT_MB,
    });
  return list;
}

function table(results: Measurement[]): string {
  const rows = results.map((m) => {
    const base = results.find((b) => b.scenario.name === m.scenario.against);
    const ratio = base ? fmt(m.rps / base.rps, 2) : '';
    return [
      m.scenario.label,
      String(m.scenario.connections),
      fmt(m.rps),
      fmt(m.p50),
      fmt(m.p99),
      fmt(m.peakRssMb),
      fmt(m.cpuPercent),
      m.db ? `${fmt(m.db.perRequest, 2)} × ${fmt(m.db.meanUs)} µs` : '',
      fmt(m.errors),
      m.scenario.server === 'baseline' ? '(bare)' : ratio,
    ];
  });
  const header = [
    'scenario',
    'conns',
    'req/s',
    'p50 ms',
    'p99 ms',
    'peak RSS MB',
    'server CPU %',
    'SQL per request',
    'errors',
    'req/s vs bare',
  ];
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function report(results: Measurement[], context: { command: string; date: string; dbVersion: string; loadBefore: number[] }): string {
  const cpu = os.cpus();
  const versions = [
    '@apollo/server',
    'graphql',
    'type-graphql',
    'express',
    '@prisma/client',
    BACKEND === 'sqlite' ? '@prisma/adapter-better-sqlite3' : '@prisma/adapter-pg',
    BACKEND === 'sqlite' ? 'better-sqlite3' : 'pg',
    'jsonwebtoken',
    'autocannon',
  ]
    .map((name) => `${name} ${packageVersion(name)}`)
    .join(', ');
  const commit = commandOutput('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = commandOutput('git', ['status', '--porcelain']) ? ' (with uncommitted changes)' : '';
  const lines = [
    `Run ${context.date}: \`${context.command}\`, commit ${commit}${dirty}.`,
    '',
    `- Machine: ${cpu[0]?.model ?? '?'}, ${cpu.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB memory, ${os.type()} ${os.release()}; ` +
      `load average before the run ${context.loadBefore.map((l) => fmt(l, 2)).join(' / ')} (1 / 5 / 15 min).`,
    `- Software: node ${process.version}, npm ${commandOutput('npm', ['--version'])}, ${context.dbVersion}; ${versions}.`,
    `- Load: autocannon in the same machine, ${fmt(DURATION_SEC)} s per row after a ${fmt(WARMUP_SEC)} s warm-up of the same requests, ` +
      `pipelining 1, ${fmt(MODEL_COUNT)} seeded models owned by ${OWNERS.length} users, one token per user.`,
    '- Gateway: `node dist/main.js`, NODE_ENV=production, LOG_LEVEL unset (info, the production default; stdout to a file), ' +
      `RATE_LIMIT_MAX=${RATE_LIMIT_MAX} (the limiter runs on every request, as in production, but never refuses).` +
      (flags['node-flags'] ? ` Node flags: \`${flags['node-flags']}\`.` : '') +
      (flags['cpu-prof'] ? ' **Under `--cpu-prof`: numbers are slower than without it.**' : ''),
    "- Updates set `temperature` and `description` to values no earlier request set, on the caller's own model " +
      '(round-robin over all models): every request writes. `req/s` counts only successful answers; `errors` counts ' +
      "non-2xx, socket errors and GraphQL `errors`. Peak RSS is the server process's VmHWM during the row; server CPU % " +
      'is its CPU time per second (100 = one core of the two). SQL per request: statements per answer × their mean time, ' +
      "from the gateway's own `db_query_duration_seconds` (/metrics); on PostgreSQL that time runs until the gateway reads the " +
      "answer, so it includes waiting for its busy event loop. Each row's ratio is to the bare server doing the same work " +
      '(the update, the GET of one model, or the same 50 rows as a JSON array) at the same number of connections.',
    '',
    table(results),
    '',
    '| target | measured | met? |',
    '| --- | --- | --- |',
    ...targets(results).map((t) => `| ${t.what} | ${t.measured} | ${t.met ? 'met' : '**not met**'} |`),
  ];
  return lines.join('\n');
}

function writeDoc(section: string): void {
  const begin = `<!-- bench:${BACKEND}:begin -->`;
  const end = `<!-- bench:${BACKEND}:end -->`;
  const block = `${begin}\n${section}\n${end}`;
  let doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '# Benchmarks\n';
  const at = doc.indexOf(begin);
  const until = doc.indexOf(end);
  if (at >= 0 && until > at) doc = doc.slice(0, at) + block + doc.slice(until + end.length);
  else doc = `${doc.trimEnd()}\n\n## ${BACKEND === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: latest \`npm run bench\`\n\n${block}\n`;
  fs.writeFileSync(DOC, doc);
}

/* ------------------------------------------------------------------ main */

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = os.loadavg();
  const only = flags.only?.split(',').map((s) => s.trim());
  const isCeiling = (s: Scenario) => s.server === 'express' || s.server === 'apollo' || s.server === 'apollo-http';
  // The ceilings do not touch the database: measured by default on SQLite, on PostgreSQL only when asked.
  const ceilings = !flags['skip-ceilings'] && (flags.ceilings || BACKEND === 'sqlite');
  const scenarios = only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS.filter((s) => ceilings || !isCeiling(s));
  if (scenarios.length === 0) throw new Error(`--only matches no scenario; they are: ${SCENARIOS.map((s) => s.name).join(', ')}`);

  if (!flags['skip-build']) {
    process.stdout.write('== npm run build\n');
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-gateway-bench-'));
  const secrets: Secrets = { jwtSecret: randomBytes(48).toString('base64url'), encryptionKey: randomBytes(32).toString('base64') };
  process.stdout.write(
    `== ${fmt(MODEL_COUNT)} models into a fresh ${BACKEND === 'sqlite' ? 'SQLite file' : 'PostgreSQL database'} (${workDir})\n`,
  );
  const database = ADMIN_URL ? await postgresDatabase(ADMIN_URL) : await sqliteDatabase(workDir);
  const servers: Server[] = [];
  const cleanUp = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await database.drop().catch((err: unknown) => process.stderr.write(`could not drop the bench database: ${String(err)}\n`));
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

  const results: Measurement[] = [];
  try {
    await database.seed(await seedRows(secrets));
    const tokenMap = tokens(secrets);
    const counter = { n: 0 };
    const run = async (kind: ServerKind, start: () => Promise<Server>) => {
      const mine = scenarios.filter((s) => s.server === kind);
      if (mine.length === 0) return;
      const server = await start();
      servers.push(server);
      try {
        for (const scenario of mine) {
          process.stdout.write(`== ${kind}: ${scenario.name}, ${scenario.connections} connections\n`);
          const m = await measure(server, scenario, tokenMap, counter);
          results.push(m);
          process.stdout.write(
            `   ${fmt(m.rps)} req/s, p50 ${fmt(m.p50)} ms, p99 ${fmt(m.p99)} ms, peak RSS ${fmt(m.peakRssMb)} MB, CPU ${fmt(m.cpuPercent)}%, errors ${m.errors}\n`,
          );
        }
      } finally {
        await server.stop();
      }
    };
    const common = { JWT_SECRET: secrets.jwtSecret, DATABASE_URL: database.url };
    await run('gateway', () => {
      const profile = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(flags['cpu-prof'])}`] : [];
      const nodeFlags = flags['node-flags']?.split(/\s+/).filter(Boolean) ?? [];
      return startServer(
        'gateway',
        [...profile, ...nodeFlags, path.join(ROOT, 'dist', 'main.js')],
        {
          ...common,
          NODE_ENV: 'production',
          DATA_DIR: workDir,
          API_KEY_ENCRYPTION_KEY: secrets.encryptionKey,
          RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
        },
        path.join(workDir, 'gateway.log'),
      );
    });
    await run('baseline', () => startServer('baseline', [path.join(__dirname, 'baseline.js')], common, path.join(workDir, 'baseline.log')));
    for (const kind of ['express', 'apollo', 'apollo-http'] as const) {
      await run(kind, () => startServer(kind, [path.join(__dirname, 'ceiling.js')], { KIND: kind }, path.join(workDir, `${kind}.log`)));
    }
  } finally {
    await cleanUp();
  }

  const argv = process.argv.slice(2);
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.map((a) => (a.startsWith('postgres') ? redactUrl(a) : a)).join(' ')}` : ''}`;
  const section = report(results, { command, date: new Date().toISOString(), dbVersion: database.version, loadBefore });
  process.stdout.write(`\n${section}\n\n(${fmt((Date.now() - started) / 1000)} s)\n`);
  if (!flags['no-write']) {
    writeDoc(section);
    process.stdout.write(`written to ${path.relative(process.cwd(), DOC)}\n`);
  }
  if (results.some((m) => m.errors > 0)) {
    process.stderr.write('some requests failed: the numbers above do not measure what they claim\n');
    process.exitCode = 1;
  }
}

/** A URL for the report: never a password. */
function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw;
  }
}

main()
  // autocannon's timers and keep-alive sockets would hold the process open for a while.
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
