/**
 * Bad input at volume: seeded property-based fuzzing (fast-check) of the write paths, REST
 * PUT/POST /api/models and the GraphQL updateModel/createModel mutations, over real HTTP against
 * one real server.
 *
 * Every generated request is checked for: no 5xx; the contract's error shapes and statuses; a
 * refused request leaves every stored row of its lane exactly as it was; an accepted one answers
 * a valid model that matches the row now stored (and what the input asked for); no api_key ever
 * comes back in a body or header. At the end: no api_key in the server's logs or anywhere in the
 * database (every row; on SQLite the raw file too), Object.prototype untouched, the server still
 * answering. Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL (rows through server.db()).
 *
 * Requests run in LANES parallel lanes (bounded concurrency). Each lane owns its users and its
 * target models and runs its own fc.assert with seed FUZZ_SEED + lane, so lanes never see each
 * other's writes. Before every run the lane's targets are reset to their baseline rows, which
 * makes every run depend only on its generated value: a failure prints fast-check's seed, path
 * and counterexample plus the exact HTTP request and answer, and `FUZZ_SEED=<seed> npx jest
 * test/fuzz.test.ts` replays the same runs.
 *
 * Every api_key the generators produce contains MARKER ("sk-fuzz:"), and nothing else does, so
 * "the marker appears nowhere" proves that none of the secrets this file ever sent appears.
 *
 * The generators live in ./fuzz/arbitraries, the model of the expected behaviour (the oracle) in
 * ./fuzz/oracle, the shared vocabulary in ./fuzz/values; this file holds the lanes, the HTTP
 * exchanges and the properties.
 */
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { MODEL_FIELDS, REST_KEYS } from './helpers/http';
import { startServer, type RunningServer, type TestDb, type TestStatement } from './helpers/server';
import { TEST_JWT_SECRET, tokenFor } from './helpers/tokens';
import {
  type BodySpec,
  CREATE_DOC,
  type CallerSpec,
  type GqlSpec,
  type IfMatchSpec,
  type OversizedSpec,
  type RestPostSpec,
  type RestPutSpec,
  UPDATE_DOC,
  WRONG_DECLS,
  type Who,
  gqlArb,
  isSignedIn,
  oversizedArb,
  restPostArb,
  restPutArb,
} from './fuzz/arbitraries';
import {
  type Input,
  REFUSAL_STATUS,
  bool,
  checkCreatedRow,
  checkGqlErrors,
  checkGqlModel,
  checkNoLeak,
  checkNothingChanged,
  checkRestError,
  checkRestModel,
  checkUpdatedRow,
  createRefusal,
  identity,
  must,
  normalize,
  restInput,
  shapeProblem,
  short,
  updateRefusal,
} from './fuzz/oracle';
import {
  type Answer,
  BODY_LIMIT,
  type Ctx,
  type JVal,
  type Lane,
  MARKER,
  type Row,
  type SentRequest,
  type Snapshot,
  TARGET_KINDS,
  type Target,
  type TargetKind,
  isTagged,
  laneId,
  parsed,
  toGraphQL,
  toJson,
} from './fuzz/values';

/* ------------------------------------------------------------------ knobs */

const SEED = Number(process.env.FUZZ_SEED ?? 20260611);
const LANES = 8;
/** Runs per lane; the file sends about LANES * (sum of these) requests. */
const RUNS = { restPut: 150, restPost: 70, gqlUpdate: 120, gqlCreate: 60, oversized: 5 };
/** FUZZ_SCALE=10 for a longer local hunt; CI runs the default. */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
for (const key of Object.keys(RUNS) as (keyof typeof RUNS)[]) RUNS[key] = Math.ceil(RUNS[key] * SCALE);
const TEST_TIMEOUT_MS = 180_000;

/* ------------------------------------------------------------ lanes, state */

let srv: RunningServer;
let db: TestDb;
const lanes: Lane[] = [];
let setupRowCount = 0;
let acceptedCreates = 0;
const sentSecrets = new Set<string>();
const prototypeKeysAtStart = Object.getOwnPropertyNames(Object.prototype).sort();
const stats: Record<string, Record<string, number>> = {};
/** A failing lane stops early, so outcome coverage is only asserted when every property passed. */
const failedProperties = new Set<string>();

function count(property: string, outcome: string): void {
  const table = (stats[property] ??= {});
  table[outcome] = (table[outcome] ?? 0) + 1;
}

const statements = new Map<string, TestStatement>();
function sql(text: string): TestStatement {
  let statement = statements.get(text);
  if (!statement) statements.set(text, (statement = db.prepare(text)));
  return statement;
}
function rowOf(modelId: string): Row | undefined {
  return sql('SELECT * FROM models WHERE model_id = ?').get(modelId) as Row | undefined;
}

/**
 * The lane as the next request finds it: every target back at its baseline row (every column).
 * Only this lane writes its rows, so the snapshot taken after the previous request is still
 * true, and only targets an accepted request changed need writing back (database round trips
 * are most of a run's cost on PostgreSQL).
 */
function resetLane(lane: Lane): Snapshot {
  const state = lane.state ?? snapshot(lane);
  lane.state = undefined;
  const dirty = TARGET_KINDS.filter((kind) => !isDeepStrictEqual(state.targets[kind], lane.targets[kind].baseline));
  if (dirty.length === 0) return state;
  for (const kind of dirty) {
    const baseline = lane.targets[kind].baseline;
    const columns = Object.keys(baseline).filter((c) => c !== 'id');
    sql(`UPDATE models SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...columns.map((c) => baseline[c]), baseline.id);
  }
  return snapshot(lane);
}

/** The lane's rows after a request; also what the next request starts from. */
function settle(lane: Lane): Snapshot {
  return (lane.state = snapshot(lane));
}

function snapshot(lane: Lane): Snapshot {
  const ids = TARGET_KINDS.map((kind) => lane.targets[kind].modelId);
  const rows = sql('SELECT * FROM models WHERE model_id IN (?, ?, ?, ?)').all(...ids) as Row[];
  const targets = {} as Record<TargetKind, Row | undefined>;
  for (const kind of TARGET_KINDS) targets[kind] = rows.find((r) => r.model_id === lane.targets[kind].modelId);
  const subs = Object.values(lane.subs);
  const counts = sql('SELECT owner_id, COUNT(*) AS n FROM models WHERE owner_id IN (?, ?, ?) GROUP BY owner_id').all(...subs) as {
    owner_id: string;
    n: number;
  }[];
  const owned: Record<string, number> = {};
  for (const sub of subs) owned[sub] = Number(counts.find((c) => c.owner_id === sub)?.n ?? 0);
  return { targets, owned };
}

/* ------------------------------------------------------------- HTTP + leaks */

function decodeAsServer(body: string | Uint8Array): string {
  const text = Buffer.from(typeof body === 'string' ? Buffer.from(body, 'utf8') : body).toString('utf8');
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

function makeRequest(
  method: string,
  path: string,
  who: Who,
  lane: Lane,
  body: string | Uint8Array,
  extra: Record<string, string> = {},
): SentRequest {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...extra };
  const auth = lane.auth[who];
  if (auth !== undefined) headers.Authorization = auth;
  const text = decodeAsServer(body);
  const secrets = text.includes(MARKER) ? secretsIn(text) : [];
  for (const s of secrets) sentSecrets.add(s);
  return { method, path, headers, body, text, bytes: typeof body === 'string' ? Buffer.byteLength(body) : body.length, who, secrets };
}

/** Every string in the body that carries MARKER (as JSON.parse would read it, or the raw run of characters). */
function secretsIn(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    try {
      const s = JSON.parse(`"${match[1]}"`) as string;
      if (s.includes(MARKER)) found.add(s.trim().length >= 8 ? s.trim() : s);
    } catch {
      if (match[1]!.includes(MARKER)) found.add(match[1]!);
    }
  }
  if (found.size === 0) found.add(MARKER);
  return [...found];
}

async function send(req: SentRequest): Promise<Answer> {
  const res = await fetch(`${srv.url}${req.path}`, { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Adds the exact HTTP exchange to a failure, so it can be replayed by hand. */
async function exchange(req: SentRequest, check: (res: Answer) => void): Promise<void> {
  const res = await send(req);
  try {
    checkNoLeak(req, res);
    must(res.status < 500, `status ${res.status} (a 5xx)`);
    check(res);
    must(isDeepStrictEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeysAtStart), 'Object.prototype was polluted');
  } catch (err) {
    const headers = Object.entries(req.headers)
      .map(([k, v]) => `${k}: ${k === 'Authorization' ? `<${req.who}> ${short(v, 60)}` : JSON.stringify(v)}`)
      .join('\n  ');
    const body = typeof req.body === 'string' ? JSON.stringify(short(req.body)) : `bytes ${Buffer.from(req.body).toString('hex')}`;
    const detail = `${(err as Error).message}\n\nrequest: ${req.method} ${req.path} (${req.bytes} body bytes)\n  ${headers}\n  body: ${body}\nanswer: ${res.status} ${short(res.text, 1200)}`;
    throw new Error(detail);
  }
}

/* ------------------------------------------------------------ REST builders */

function bodyOf(spec: BodySpec, ctx: Ctx): string | Uint8Array {
  switch (spec.kind) {
    case 'json':
      return toJson(spec.value, ctx);
    case 'bom':
      return '\ufeff' + toJson(spec.value, ctx);
    case 'truncated': {
      const full = toJson(spec.value, ctx);
      return full.slice(0, spec.cut % Math.max(1, full.length));
    }
    case 'raw':
      return spec.text;
    case 'bytes':
      return Buffer.concat([Buffer.from(spec.prefix), Buffer.from(spec.bytes), Buffer.from(spec.suffix)]);
  }
}

function ifMatchHeader(spec: IfMatchSpec, version: number): { value?: string; matches: boolean | 'unknown' } {
  switch (spec.kind) {
    case 'none':
      return { matches: true };
    case 'star':
      return { value: '*', matches: true };
    case 'junk':
      return { value: spec.value, matches: 'unknown' };
    default: {
      const v = version + spec.delta;
      const tag =
        spec.kind === 'strong' ? `"${v}"` : spec.kind === 'weak' ? `W/"${v}"` : spec.kind === 'bare' ? `${v}` : `"${v}", "${version + 7}"`;
      return { value: tag, matches: spec.delta === 0 };
    }
  }
}

async function runRestPut(lane: Lane, spec: RestPutSpec): Promise<void> {
  const before = resetLane(lane);
  const target = spec.target.kind === 'missing' ? undefined : lane.targets[spec.target.kind];
  const beforeRow = target ? before.targets[target.kind] : undefined;
  const version = (beforeRow?.version as number | undefined) ?? 1;
  const ctx: Ctx = { lane, version };
  const modelId = target ? target.modelId : laneId(lane, 'missing', (spec.target as { suffix: string }).suffix);
  const path = spec.byIdPath
    ? `/api/models/by-id/${modelId.split('/').map(encodeURIComponent).join('/')}`
    : `/api/models/${encodeURIComponent(modelId)}`;
  const ifMatch = ifMatchHeader(spec.ifMatch, version);
  const req = makeRequest(
    'PUT',
    path,
    spec.caller.who,
    lane,
    bodyOf(spec.body, ctx),
    ifMatch.value !== undefined ? { 'If-Match': ifMatch.value } : {},
  );
  await exchange(req, (res) => {
    count('REST PUT', String(res.status));
    const after = settle(lane);
    if (req.bytes > BODY_LIMIT) must(res.status === 413, `a body over the limit answered ${res.status}, not 413`);
    else must(res.status !== 413, 'a body within the limit answered 413');
    const who = spec.caller.who;
    if (req.bytes <= BODY_LIMIT && !isSignedIn(who)) must(res.status === 401, `no valid token (${who}) answered ${res.status}, not 401`);
    const input = restInput(req.text, 'update');
    const shape = input ? shapeProblem(input, 'update', 'rest') : 'the body is not a JSON object';
    if (req.bytes <= BODY_LIMIT && isSignedIn(who) && shape)
      must(res.status === 422, `a body with a bad shape (${shape}) answered ${res.status}, not 422`);
    // The contract's precedence, for what this file models (422 stays possible: URL syntax is not modelled).
    if (req.bytes <= BODY_LIMIT && isSignedIn(who) && input && !shape) {
      const visible = beforeRow && (who !== 'other' || (bool(beforeRow.is_shared) && bool(beforeRow.is_active)));
      let expected: number[] | undefined;
      if (!visible) expected = [404, 422];
      else if (who === 'other') expected = [403, 422];
      else if (ifMatch.matches === false) expected = [412, 422];
      else if (ifMatch.matches === true) expected = REFUSAL_STATUS[updateRefusal(input, target, beforeRow, who) ?? 'none'];
      if (expected) must(expected.includes(res.status), `answered ${res.status}, expected one of ${expected.join(', ')}`);
    }
    if (res.status === 200) {
      must(isSignedIn(who) && input && !shape, `accepted ${who}'s request with ${shape ?? 'no valid caller'}`);
      must(ifMatch.matches !== false, 'accepted an update whose If-Match does not match');
      const refusal = updateRefusal(input, target, beforeRow, who);
      must(refusal === null, `accepted an update that must be refused: ${refusal}`);
      checkUpdatedRow(target!, beforeRow!, after.targets[target!.kind], normalize(input));
      checkRestModel(res, after.targets[target!.kind], identity(lane, who));
      for (const kind of TARGET_KINDS) {
        if (kind !== target!.kind)
          must(isDeepStrictEqual(after.targets[kind], before.targets[kind]), `updating ${target!.kind} changed ${kind}`);
      }
      must(isDeepStrictEqual(after.owned, before.owned), 'an update added or removed rows');
    } else {
      checkRestError(res);
      checkNothingChanged(before, after);
    }
  });
}

async function runRestPost(lane: Lane, spec: RestPostSpec): Promise<void> {
  const before = resetLane(lane);
  const ctx: Ctx = { lane, version: 1 };
  const req = makeRequest(
    'POST',
    spec.registerPath ? '/api/models/register' : '/api/models',
    spec.caller.who,
    lane,
    bodyOf(spec.body, ctx),
  );
  const input = restInput(req.text, 'create');
  const n = input && !shapeProblem(input, 'create', 'rest') ? normalize(input) : undefined;
  const existedBefore = n?.modelId !== undefined ? rowOf(n.modelId) !== undefined : false;
  await exchange(req, (res) => {
    count('REST POST', String(res.status));
    const after = settle(lane);
    if (req.bytes > BODY_LIMIT) must(res.status === 413, `a body over the limit answered ${res.status}, not 413`);
    else must(res.status !== 413, 'a body within the limit answered 413');
    const who = spec.caller.who;
    if (req.bytes <= BODY_LIMIT && !isSignedIn(who)) must(res.status === 401, `no valid token (${who}) answered ${res.status}, not 401`);
    const shape = input ? shapeProblem(input, 'create', 'rest') : 'the body is not a JSON object';
    if (req.bytes <= BODY_LIMIT && isSignedIn(who) && shape)
      must(res.status === 422, `a body with a bad shape (${shape}) answered ${res.status}, not 422`);
    if (req.bytes <= BODY_LIMIT && isSignedIn(who) && input && !shape) {
      const expected = REFUSAL_STATUS[existedBefore ? 'duplicate model_id' : (createRefusal(input, who) ?? 'none')];
      must(expected.includes(res.status), `answered ${res.status}, expected one of ${expected.join(', ')}`);
    }
    if (res.status === 200) {
      acceptedCreates++;
      must(isSignedIn(who) && input && n, `accepted ${who}'s create with ${shape ?? 'no valid caller'}`);
      const refusal = existedBefore ? 'duplicate model_id' : createRefusal(input, who);
      must(refusal === null, `accepted a create that must be refused: ${refusal}`);
      must(res.json && typeof res.json.model_id === 'string', 'the answer has no model_id');
      const row = rowOf(res.json.model_id);
      checkCreatedRow(row, n, identity(lane, who), existedBefore);
      checkRestModel(res, row, identity(lane, who));
      const sub = lane.subs[who];
      must(after.owned[sub] === before.owned[sub]! + 1, 'an accepted create did not add exactly one row for its caller');
      for (const kind of TARGET_KINDS)
        must(isDeepStrictEqual(after.targets[kind], before.targets[kind]), `a create changed the ${kind} model`);
    } else {
      checkRestError(res);
      checkNothingChanged(before, after);
      if (n?.modelId !== undefined) must((rowOf(n.modelId) !== undefined) === existedBefore, 'a refused create left a row behind');
    }
  });
}

/* ---------------------------------------------------------- GraphQL builders */

function gqlBody(spec: GqlSpec, op: 'update' | 'create', ctx: Ctx): { body: string | Uint8Array; inline: boolean } {
  const entries: [string, JVal][] = [];
  if (op === 'update') entries.push(['modelId', spec.modelId]);
  entries.push(['input', spec.input]);
  if (spec.expectedVersion.kind === 'value') entries.push(['expectedVersion', spec.expectedVersion.value]);
  let query: string;
  let variables: string | undefined = toJson({ $o: entries }, ctx);
  switch (spec.doc.kind) {
    case 'standard':
      query = op === 'update' ? UPDATE_DOC : CREATE_DOC;
      break;
    case 'wrongDecl':
      query = WRONG_DECLS[op][spec.doc.index]!;
      break;
    case 'junk':
      query = spec.doc.text;
      break;
    case 'inline': {
      const args = entries.map(([k, v]) => `${k}: ${toGraphQL(v, ctx)}`).join(', ');
      query = `mutation Fuzz { ${op === 'update' ? 'updateModel' : 'createModel'}(${args}) { ${MODEL_FIELDS} } }`;
      variables = undefined;
      break;
    }
  }
  // Junk documents have no operation named Fuzz; naming one would only test Apollo's operation lookup.
  const name = spec.operationName && spec.doc.kind !== 'junk' ? `"operationName":"Fuzz",` : '';
  const vars = variables === undefined ? '' : `,"variables":${variables}`;
  const normal = `{${name}"query":${JSON.stringify(query)}${vars}}`;
  const env = spec.envelope;
  switch (env.kind) {
    case 'normal':
      return { body: normal, inline: spec.doc.kind === 'inline' };
    case 'bom':
      return { body: '\ufeff' + normal, inline: spec.doc.kind === 'inline' };
    case 'noVariables':
      return { body: `{${name}"query":${JSON.stringify(query)}}`, inline: spec.doc.kind === 'inline' };
    case 'batch':
      return { body: `[${normal}]`, inline: false };
    case 'queryValue':
      return { body: `{"query":${toJson(env.value, ctx)}${vars}}`, inline: false };
    case 'variablesValue':
      return {
        body: `{"query":${JSON.stringify(query)},"variables":${toJson(env.value, ctx)}}`,
        inline: spec.doc.kind === 'inline' && env.value === null,
      };
    case 'truncated':
      return { body: normal.slice(0, env.cut % normal.length), inline: false };
    case 'raw':
      return { body: env.text, inline: false };
  }
}

/** The input, modelId and expectedVersion the server would see, when the request is one that can succeed. */
function gqlOperation(spec: GqlSpec, text: string, ctx: Ctx, inline: boolean) {
  const env = spec.envelope.kind;
  if (spec.doc.kind === 'standard' ? !['normal', 'bom'].includes(env) : spec.doc.kind !== 'inline' || !inline) return undefined;
  let vars: Record<string, unknown>;
  if (inline) {
    const values: Record<string, unknown> = {};
    for (const [k, v] of [
      ['modelId', spec.modelId],
      ['input', spec.input],
    ] as [string, JVal][]) {
      const p = parsed(v, ctx);
      if (!p) return undefined;
      values[k] = p.value;
    }
    if (spec.expectedVersion.kind === 'value') {
      const p = parsed(spec.expectedVersion.value, ctx);
      if (!p) return undefined;
      values.expectedVersion = p.value;
    }
    vars = values;
  } else {
    try {
      vars = JSON.parse(text).variables;
    } catch {
      return undefined;
    }
  }
  if (!vars || typeof vars !== 'object') return undefined;
  return { modelId: vars.modelId, input: vars.input, expectedVersion: vars.expectedVersion };
}

async function runGql(lane: Lane, spec: GqlSpec, op: 'update' | 'create'): Promise<void> {
  const before = resetLane(lane);
  const targetKind = isTagged(spec.modelId) && '$target' in spec.modelId ? spec.modelId.$target : undefined;
  const version = targetKind ? (before.targets[targetKind]!.version as number) : 1;
  const ctx: Ctx = { lane, version };
  const { body, inline } = gqlBody(spec, op, ctx);
  const req = makeRequest('POST', '/graphql', spec.caller.who, lane, body);
  const operation = gqlOperation(spec, req.text, ctx, inline);
  const n0 =
    operation && operation.input && typeof operation.input === 'object' && !Array.isArray(operation.input)
      ? (operation.input as Input)
      : undefined;
  const shape = n0 ? shapeProblem(n0, op, 'gql') : 'no input object';
  const createdId = op === 'create' && n0 && !shape ? normalize(n0).modelId : undefined;
  const existedBefore = createdId !== undefined && rowOf(createdId) !== undefined;
  const property = op === 'update' ? 'GraphQL updateModel' : 'GraphQL createModel';
  await exchange(req, (res) => {
    const after = settle(lane);
    if (req.bytes > BODY_LIMIT) {
      count(property, '413');
      must(res.status === 413, `a body over the limit answered ${res.status}, not 413`);
      checkNothingChanged(before, after);
      return;
    }
    must([200, 400].includes(res.status), `HTTP ${res.status}, expected 200 or 400`);
    const errors = checkGqlErrors(res, spec.caller.who);
    const data = res.json.data;
    const model = data && typeof data === 'object' ? data[op === 'update' ? 'updateModel' : 'createModel'] : undefined;
    count(property, errors ? `${res.status} ${errors[0].extensions.code}` : model ? 'data' : `${res.status} other data`);
    if (errors || !model) {
      must(!model, 'an answer with both errors and a model');
      checkNothingChanged(before, after);
      if (createdId !== undefined) must((rowOf(createdId) !== undefined) === existedBefore, 'a refused create left a row behind');
      return;
    }
    const who = spec.caller.who;
    if (op === 'create') acceptedCreates++;
    must(res.status === 200, 'a model answered with an HTTP error status');
    must(isSignedIn(who), `accepted a request without a valid token (${who})`);
    must(operation && n0, 'accepted a request that cannot succeed (junk document or envelope)');
    must(!shape, `accepted an input with a bad shape: ${shape}`);
    const n = normalize(n0);
    const caller = identity(lane, who);
    if (op === 'update') {
      must(targetKind !== undefined && operation.modelId === lane.targets[targetKind].modelId, 'updated a model that was not addressed');
      const target = lane.targets[targetKind];
      const beforeRow = before.targets[targetKind];
      const ev = operation.expectedVersion;
      must(ev === undefined || ev === null || ev === version, `accepted expectedVersion ${JSON.stringify(ev)} for version ${version}`);
      const refusal = updateRefusal(n0, target, beforeRow, who);
      must(refusal === null, `accepted an update that must be refused: ${refusal}`);
      checkUpdatedRow(target, beforeRow!, after.targets[targetKind], n);
      checkGqlModel(model, after.targets[targetKind], caller);
      for (const kind of TARGET_KINDS) {
        if (kind !== targetKind)
          must(isDeepStrictEqual(after.targets[kind], before.targets[kind]), `updating ${targetKind} changed ${kind}`);
      }
      must(isDeepStrictEqual(after.owned, before.owned), 'an update added or removed rows');
    } else {
      const refusal = existedBefore ? 'duplicate model_id' : createRefusal(n0, who);
      must(refusal === null, `accepted a create that must be refused: ${refusal}`);
      must(typeof model.modelId === 'string', 'the answer has no modelId');
      const row = rowOf(model.modelId);
      checkCreatedRow(row, n, caller, existedBefore);
      checkGqlModel(model, row, caller);
      must(after.owned[caller.sub] === before.owned[caller.sub]! + 1, 'an accepted create did not add exactly one row for its caller');
      for (const kind of TARGET_KINDS)
        must(isDeepStrictEqual(after.targets[kind], before.targets[kind]), `a create changed the ${kind} model`);
    }
  });
}

/* -------------------------------------------------------- oversized bodies */

async function runOversized(lane: Lane, spec: OversizedSpec): Promise<void> {
  const before = resetLane(lane);
  const target = lane.targets.private;
  const size = BODY_LIMIT + spec.over;
  const s = secretsFor(lane);
  let head: string;
  let tail: string;
  if (spec.route === 'graphql') {
    head = `{"query":${JSON.stringify(UPDATE_DOC)},"variables":{"modelId":${JSON.stringify(target.modelId)},"input":{"apiKey":${JSON.stringify(s)},"description":"`;
    tail = '"}}}';
  } else {
    head = `{"api_key":${JSON.stringify(s)},${spec.route === 'post' ? '"model_provider":"p","model_name":"n",' : ''}"description":"`;
    tail = '"}';
  }
  const fixed = Buffer.byteLength(head) + Buffer.byteLength(tail);
  const padBytes = Buffer.byteLength(spec.pad === '\u0001' ? '\\u0001' : spec.pad);
  const unit = spec.pad === '\u0001' ? '\\u0001' : spec.pad;
  const units = Math.floor((size - fixed) / padBytes);
  const body = head + unit.repeat(units) + 'x'.repeat(size - fixed - units * padBytes) + tail;
  const path =
    spec.route === 'put' ? `/api/models/${encodeURIComponent(target.modelId)}` : spec.route === 'post' ? '/api/models' : '/graphql';
  const req = makeRequest(spec.route === 'put' ? 'PUT' : 'POST', path, spec.caller.who, lane, body);
  must(req.bytes === size, `test bug: built ${req.bytes} bytes, wanted ${size}`);
  await exchange(req, (res) => {
    const after = settle(lane);
    count('oversized', `${spec.route} ${spec.over > 0 ? 'over' : 'within'} ${res.status}`);
    checkNothingChanged(before, after);
    if (spec.over > 0) {
      must(res.status === 413, `${size} bytes (limit ${BODY_LIMIT}) answered ${res.status}, not 413`);
      if (spec.route === 'graphql') {
        must(
          Array.isArray(res.json?.errors) && res.json.errors[0]?.extensions?.code === 'PAYLOAD_TOO_LARGE',
          'GraphQL 413 without PAYLOAD_TOO_LARGE',
        );
      } else checkRestError(res, [413]);
      return;
    }
    must(res.status !== 413, `${size} bytes (limit ${BODY_LIMIT}) answered 413`);
    // Within the limit the description is far over 4000 characters: refused by validation (or authentication).
    if (spec.route === 'graphql') {
      checkGqlErrors(res, spec.caller.who);
      must(res.json.errors, 'an over-long description was accepted');
    } else {
      checkRestError(res, isSignedIn(spec.caller.who) ? [422] : [401]);
    }
  });
}

let secretCounter = 0;
function secretsFor(lane: Lane): string {
  return `${MARKER}oversized-L${lane.index}-${secretCounter++}`;
}

/* ------------------------------------------------------------------ running */

/** Runs one property in every lane at once (each its own fc.assert, seed SEED + lane) and reports every failing lane. */
async function inLanes<T>(name: string, arb: fc.Arbitrary<T>, runs: number, run: (lane: Lane, value: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(
    lanes.map((lane) =>
      fc.assert(
        fc.asyncProperty(arb, (value) => run(lane, value)),
        { seed: SEED + lane.index, numRuns: runs, includeErrorInReport: true },
      ),
    ),
  );
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`lane ${i} (FUZZ_SEED=${SEED}): ${(r.reason as Error).message}`] : [],
  );
  if (failures.length === 0) return;
  failedProperties.add(name);
  throw new Error(`${name}: ${failures.length} of ${LANES} lanes failed\n\n${failures.join('\n\n')}`);
}

function algNoneToken(sub: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub, roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
}

/**
 * A lane's users (owner, another user, an admin) and its four target models, all created by the
 * owner: `private` (llm, with a key), `shared` (shared by the admin: visible to all, category and
 * abilities locked), `embed` (embedding, no key) and `hidden` (shared but inactive: invisible to
 * other users). Two ids contain `/`, so both the plain (%2F) and the by-id routes get used.
 */
async function setupLane(index: number): Promise<Lane> {
  const subs = { owner: `fz-owner-${index}`, other: `fz-other-${index}`, admin: `fz-admin-${index}` };
  const bearer = (t: string) => `Bearer ${t}`;
  const auth: Record<Who, string | undefined> = {
    owner: bearer(tokenFor(subs.owner, { expiresInSec: 3 * 3600 })),
    other: bearer(tokenFor(subs.other, { expiresInSec: 3 * 3600 })),
    admin: bearer(tokenFor(subs.admin, { admin: true, expiresInSec: 3 * 3600 })),
    none: undefined,
    garbage: undefined,
    wrongSecret: bearer(tokenFor(subs.admin, { admin: true, secret: 'not-the-server-secret-0123456789abcdef-xyz' })),
    expired: bearer(tokenFor(subs.owner, { expiresInSec: -3600 })),
    noSub: bearer(tokenFor(subs.owner, { claims: { sub: undefined } })),
    algNone: bearer(algNoneToken(subs.owner)),
    basic: 'Basic Zm9vOmJhcg==',
    bearerOnly: 'Bearer',
  };
  const post = async (who: 'owner' | 'admin', path: string, method: string, body: unknown) => {
    const res = await fetch(`${srv.url}${path}`, {
      method,
      headers: { Authorization: auth[who]!, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200 || text.includes('"errors"'))
      throw new Error(`setup of lane ${index} failed: ${method} ${path} ${res.status} ${text}`);
  };
  const ids: Record<TargetKind, string> = {
    private: `fz-L${index}-private`,
    shared: `fz-L${index}/shared`,
    embed: `fz-L${index}-embed`,
    hidden: `fz-L${index}/hidden`,
  };
  const keys: Record<TargetKind, string | null> = {
    private: `${MARKER}baseline-private-L${index}`,
    shared: `${MARKER}baseline-shared-L${index}`,
    embed: null,
    hidden: `${MARKER}baseline-hidden-L${index}`,
  };
  const common = {
    model_provider: 'openai',
    model_name: 'gpt-4o',
    base_url: 'https://api.openai.com/v1',
    temperature: 0.7,
    description: 'baseline',
  };
  await post('owner', '/api/models', 'POST', { ...common, model_id: ids.private, api_key: keys.private, abilities: ['chat', 'tools'] });
  await post('owner', '/api/models', 'POST', { ...common, model_id: ids.shared, api_key: keys.shared, abilities: ['chat', 'vision'] });
  await post('owner', '/api/models', 'POST', {
    model_id: ids.embed,
    category: 'embedding',
    model_provider: 'openai',
    model_name: 'text-embedding-3-small',
    dimension: 1536,
    abilities: ['embedding'],
  });
  await post('owner', '/api/models', 'POST', { ...common, model_id: ids.hidden, api_key: keys.hidden, abilities: ['chat'] });
  await post('admin', `/api/models/by-id/${ids.shared}`, 'PUT', { share_with_users: true });
  await post('admin', `/api/models/by-id/${ids.hidden}`, 'PUT', { share_with_users: true });
  await post('owner', '/graphql', 'POST', {
    query: 'mutation($id: String!) { setModelActive(modelId: $id, active: false) { id } }',
    variables: { id: ids.hidden },
  });
  const lane: Lane = { index, subs, auth, targets: {} as Record<TargetKind, Target> };
  for (const kind of TARGET_KINDS) {
    lane.targets[kind] = { kind, modelId: ids[kind], apiKey: keys[kind], baseline: rowOf(ids[kind])! };
  }
  return lane;
}

/** `garbage` callers send whatever string was generated after "Bearer ". */
function withGarbage<T extends { caller: CallerSpec }>(run: (lane: Lane, spec: T) => Promise<void>) {
  return async (lane: Lane, spec: T) => {
    lane.auth.garbage = spec.caller.who === 'garbage' ? `Bearer ${spec.caller.garbage}` : undefined;
    await run(lane, spec);
  };
}

beforeAll(async () => {
  srv = await startServer();
  db = srv.db();
  for (let i = 0; i < LANES; i++) lanes.push(await setupLane(i));
  setupRowCount = Number((db.prepare('SELECT COUNT(*) AS n FROM models').get() as { n: number }).n);
}, 60_000);

afterAll(async () => {
  db?.close();
  await srv?.stop();
});

describe('fuzzing the write paths with generated bad input', () => {
  test(
    'REST PUT /api/models/{id}: junk bodies, callers and If-Match',
    () => inLanes('REST PUT', restPutArb, RUNS.restPut, withGarbage(runRestPut)),
    TEST_TIMEOUT_MS,
  );

  test(
    'REST POST /api/models: junk bodies and callers',
    () => inLanes('REST POST', restPostArb, RUNS.restPost, withGarbage(runRestPost)),
    TEST_TIMEOUT_MS,
  );

  test(
    'GraphQL updateModel: junk variables, literals, documents and envelopes',
    () =>
      inLanes(
        'GraphQL updateModel',
        gqlArb('update'),
        RUNS.gqlUpdate,
        withGarbage((lane, spec: GqlSpec) => runGql(lane, spec, 'update')),
      ),
    TEST_TIMEOUT_MS,
  );

  test(
    'GraphQL createModel: junk variables, literals, documents and envelopes',
    () =>
      inLanes(
        'GraphQL createModel',
        gqlArb('create'),
        RUNS.gqlCreate,
        withGarbage((lane, spec: GqlSpec) => runGql(lane, spec, 'create')),
      ),
    TEST_TIMEOUT_MS,
  );

  test(
    'bodies around and over the 1 MiB limit: 413 first, and only over the limit',
    () => inLanes('oversized', oversizedArb, RUNS.oversized, withGarbage(runOversized)),
    TEST_TIMEOUT_MS,
  );

  test('afterwards: the server still answers, and no secret reached its logs or its database file', async () => {
    expect(srv.process.exitCode).toBeNull();
    expect(srv.process.signalCode).toBeNull();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeysAtStart);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const lane = lanes[0]!;
    resetLane(lane);
    const res = await fetch(`${srv.url}/api/models/${lane.targets.private.modelId}`, { headers: { Authorization: lane.auth.owner! } });
    expect(res.status).toBe(200);
    expect(Object.keys((await res.json()) as object).sort()).toEqual(REST_KEYS);
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);

    // Every request was generated against this database: each row is a setup row or an accepted create.
    const rows = db.prepare('SELECT owner_id FROM models').all() as { owner_id: string }[];
    expect(rows.length).toBe(setupRowCount + acceptedCreates);
    const subs = new Set(lanes.flatMap((l) => Object.values(l.subs)));
    expect(rows.filter((r) => !subs.has(r.owner_id))).toEqual([]);

    // Every secret sent contains MARKER, so its absence proves the absence of each of them.
    expect(sentSecrets.size).toBeGreaterThan(100);
    const logs = srv.logs();
    expect(logs.includes(MARKER)).toBe(false);
    expect(logs).not.toContain(TEST_JWT_SECRET);
    expect(
      logs
        .split('\n')
        .filter((line) => /unexpected (GraphQL )?error/.test(line))
        .map((line) => short(line, 400)),
    ).toEqual([]);
    expect(JSON.stringify(db.prepare('SELECT * FROM models').all()).includes(MARKER)).toBe(false);
    // On SQLite the file itself too (free pages, the WAL): no plaintext key was ever written anywhere.
    for (const file of srv.dbPath ? [srv.dbPath, `${srv.dbPath}-wal`] : []) {
      if (!fs.existsSync(file)) continue;
      expect(fs.readFileSync(file).includes(Buffer.from(MARKER))).toBe(false);
    }

    // The runs did reach every outcome the properties speak about (guards against generators drifting into one corner).
    if (failedProperties.size > 0) return;
    const seen = (property: string) => Object.keys(stats[property] ?? {});
    expect(seen('REST PUT')).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409', '412', '422']));
    expect(seen('REST POST')).toEqual(expect.arrayContaining(['200', '400', '401', '403', '422']));
    expect(seen('GraphQL updateModel')).toEqual(
      expect.arrayContaining([
        'data',
        '200 BAD_USER_INPUT',
        '200 UNAUTHENTICATED',
        '200 NOT_FOUND',
        '200 FORBIDDEN',
        '200 CONFLICT',
        '400 BAD_USER_INPUT',
        '400 GRAPHQL_VALIDATION_FAILED',
        '400 GRAPHQL_PARSE_FAILED',
        '400 BAD_REQUEST',
      ]),
    );
    expect(seen('GraphQL createModel')).toEqual(
      expect.arrayContaining(['data', '200 BAD_USER_INPUT', '200 FORBIDDEN', '400 BAD_USER_INPUT']),
    );
  });
});
