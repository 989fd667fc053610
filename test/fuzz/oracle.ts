/**
 * The oracle: the fuzzer's model of what the contract prescribes. Which input shapes must be
 * refused (422) and why, how accepted input is normalized and stored, which refusal each stored
 * state calls for, the REST and GraphQL views of a stored row, and the checks an answer and the
 * stored rows must pass. A check that fails throws a PropertyFailure with the reason.
 */
import { isDeepStrictEqual } from 'node:util';
import { MODEL_FIELDS, REST_KEYS } from '../helpers/http';
import { canonicalProviderName, defaultBaseUrlFor } from '../../src/providers/provider.catalog';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/tokens';
import { isSignedIn, type Who } from './arbitraries';
import {
  type Answer,
  CATEGORIES,
  CATEGORY_ABILITIES,
  GQL_EXECUTION_CODES,
  GQL_REQUEST_CODES,
  INPUT_FIELDS,
  type InputField,
  type Lane,
  MARKER,
  REST_ERROR_STATUSES,
  type Row,
  SNAKE,
  type SentRequest,
  type Snapshot,
  TARGET_KINDS,
  type Target,
} from './values';

export class PropertyFailure extends Error {}
export function fail(message: string): never {
  throw new PropertyFailure(message);
}
export function must(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}
export const short = (text: string, max = 1500) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

export const STACK_OR_INTERNALS = /\bat [^\s]+ \(?[^\s]*:\d+:\d+\)?|node_modules|\.(?:js|ts):\d+|prisma|sqlite|SQLITE_|"stack"|stacktrace/i;

export function checkNoLeak(req: SentRequest, res: Answer): void {
  const where: [string, string][] = [['body', res.text]];
  res.headers.forEach((value, name) => where.push([`header ${name}`, value]));
  for (const [place, text] of where) {
    if (text.includes(MARKER)) fail(`an api_key came back in the ${place}`);
    for (const s of req.secrets) if (s.length >= 8 && text.includes(s)) fail(`the api_key sent came back in the ${place}`);
    if (text.includes(TEST_JWT_SECRET) || text.includes(TEST_ENCRYPTION_KEY)) fail(`a server key came back in the ${place}`);
  }
}

export type Input = Record<string, unknown>;
export const own = (o: Input, k: string) => Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
export const codePoints = (s: string) => [...s].length;

/**
 * Why the contract must refuse this input's shape (a 422), or null when its shape is fine.
 * Deliberately only rules the contract states and that need no stored state; anything this does
 * not model (URL syntax, say) is left to the server and only checked for consistency.
 */
export function shapeProblem(input: Input, op: 'update' | 'create', transport: 'rest' | 'gql'): string | null {
  const str = (k: string, max: number, trim = true): string | null => {
    const v = input[k];
    if (typeof v !== 'string') return `${k} is not a string`;
    const t = trim ? v.trim() : v;
    if (trim && t.length === 0) return `${k} is blank`;
    if (codePoints(t) > max) return `${k} is longer than ${max}`;
    return null;
  };
  if (transport === 'gql') {
    const allowed: string[] = op === 'create' ? [...INPUT_FIELDS, 'modelId'] : [...INPUT_FIELDS];
    const unknown = Object.keys(input).find((k) => !allowed.includes(k));
    if (unknown !== undefined) return `unknown input field ${JSON.stringify(unknown)}`;
  }
  if (op === 'create') {
    for (const k of ['modelProvider', 'modelName']) if (!own(input, k)) return `${k} is missing`;
    if (own(input, 'modelId') && input.modelId !== null) {
      if (typeof input.modelId !== 'string') return 'modelId is not a string';
      const id = input.modelId.trim();
      if (id.length === 0 || codePoints(id) > 256) return 'modelId length';
      if (/[\u0000-\u001f\u007f]/.test(id)) return 'modelId has control characters';
      if (/^\.+$/.test(id)) return 'modelId is only dots';
    }
  }
  for (const k of ['category', 'modelProvider', 'modelName', 'shareWithUsers']) {
    if (own(input, k) && input[k] === null) return `${k} is null`;
  }
  if (own(input, 'category') && typeof input.category !== 'string') return 'category is not a string';
  if (own(input, 'modelProvider')) {
    const p = str('modelProvider', 128);
    if (p) return p;
  }
  if (own(input, 'modelName')) {
    const p = str('modelName', 256);
    if (p) return p;
  }
  if (own(input, 'apiKey') && input.apiKey !== null) {
    if (typeof input.apiKey !== 'string') return 'apiKey is not a string';
    if (codePoints(input.apiKey.trim()) > 4096) return 'apiKey is longer than 4096';
  }
  if (own(input, 'baseUrl') && input.baseUrl !== null) {
    if (typeof input.baseUrl !== 'string') return 'baseUrl is not a string';
    const url = input.baseUrl.trim();
    // Blank is no URL (forms send ""), not a refusal.
    if (url.length > 0 && codePoints(url) > 2048) return 'baseUrl is longer than 2048';
    if (url.length > 0 && !/^https?:/i.test(url)) return 'baseUrl is not http(s)';
  }
  if (own(input, 'temperature') && input.temperature !== null) {
    const t = input.temperature;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 2) return 'temperature out of range';
  }
  if (own(input, 'dimension') && input.dimension !== null) {
    const d = input.dimension;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 65536) return 'dimension out of range';
  }
  if (own(input, 'description') && input.description !== null) {
    const p = str('description', 4000, false);
    if (p) return p;
  }
  if (own(input, 'abilities') && input.abilities !== null) {
    // GraphQL's input coercion turns a single value into a one-item list; REST does not.
    const list = Array.isArray(input.abilities) ? input.abilities : transport === 'gql' ? [input.abilities] : undefined;
    if (!list) return 'abilities is not a list';
    if (list.length > 64) return 'more than 64 abilities';
    for (const item of list) {
      if (typeof item !== 'string') return 'an ability is not a string';
      if (item.trim().length === 0) return 'an ability is blank';
      if (codePoints(item.trim()) > 64) return 'an ability is longer than 64';
    }
  }
  if (own(input, 'shareWithUsers') && typeof input.shareWithUsers !== 'boolean') return 'shareWithUsers is not a boolean';
  return null;
}

/** The input as the contract normalizes it (only called for inputs whose shape is fine). */
export interface Normalized {
  category?: string;
  modelProvider?: string;
  modelName?: string;
  /** undefined: keep the stored key; null: remove it. */
  apiKey?: string | null;
  baseUrl?: string | null;
  baseUrlBlank?: boolean;
  temperature?: number | null;
  dimension?: number | null;
  description?: string | null;
  abilities?: string[] | null;
  shareWithUsers?: boolean;
  modelId?: string;
}
export function normalize(input: Input): Normalized {
  const n: Normalized = {};
  if (own(input, 'category')) n.category = (input.category as string).trim().toLowerCase();
  if (own(input, 'modelProvider')) n.modelProvider = canonicalProviderName(input.modelProvider as string);
  if (own(input, 'modelName')) n.modelName = (input.modelName as string).trim();
  if (own(input, 'apiKey')) {
    const key = input.apiKey as string | null;
    if (key === null) n.apiKey = null;
    else if (key.trim() !== '') n.apiKey = key.trim();
  }
  if (own(input, 'baseUrl')) {
    const url = input.baseUrl === null ? null : (input.baseUrl as string).trim();
    n.baseUrl = url === '' ? null : url;
    // On create, blank means the provider's default URL; only an explicit null means none.
    n.baseUrlBlank = url === '';
  }
  if (own(input, 'temperature')) n.temperature = input.temperature as number | null;
  if (own(input, 'dimension')) n.dimension = input.dimension as number | null;
  if (own(input, 'description')) n.description = input.description as string | null;
  if (own(input, 'abilities')) {
    const raw = input.abilities;
    n.abilities = raw === null ? null : [...new Set((Array.isArray(raw) ? raw : [raw]).map((a) => (a as string).trim()))];
  }
  if (own(input, 'shareWithUsers')) n.shareWithUsers = input.shareWithUsers as boolean;
  if (own(input, 'modelId') && input.modelId !== null) n.modelId = (input.modelId as string).trim();
  return n;
}

export function abilitiesOfRow(row: Row): string[] | null {
  if (row.abilities === null || row.abilities === undefined) return null;
  const value = typeof row.abilities === 'string' ? JSON.parse(row.abilities) : row.abilities;
  return Array.isArray(value) ? value : null;
}
/** `[]` and null are the same empty set (forms send `[]` for none). */
const emptyAsNull = (a: string[] | null) => (a !== null && a.length === 0 ? null : a);
export const sameSet = (x: string[] | null, y: string[] | null) => {
  const [a, b] = [emptyAsNull(x), emptyAsNull(y)];
  return a === null || b === null ? a === b : new Set(a).size === new Set(b).size && a.every((v) => b.includes(v));
};
export const sameList = (x: string[] | null, y: string[] | null) => {
  const [a, b] = [emptyAsNull(x), emptyAsNull(y)];
  return a === null || b === null ? a === b : isDeepStrictEqual(a, b);
};

export function abilitiesFit(category: string, abilities: string[] | null): boolean {
  const allowed = CATEGORY_ABILITIES[category];
  if (allowed === undefined) return false;
  if (abilities === null || allowed === null) return true;
  return abilities.length > 0 && abilities.every((a) => allowed.includes(a));
}

export function isoOf(value: unknown): string {
  return new Date(typeof value === 'number' ? value : String(value)).toISOString();
}
export const bool = (v: unknown) => v === 1 || v === true || v === 1n;

export interface CallerIdentity {
  sub: string;
  admin: boolean;
}
export function identity(lane: Lane, who: 'owner' | 'other' | 'admin'): CallerIdentity {
  return { sub: lane.subs[who], admin: who === 'admin' };
}

/** The REST body the contract prescribes for this stored row and caller. */
export function restViewOf(row: Row, caller: CallerIdentity) {
  const isOwner = row.owner_id === caller.sub;
  return {
    id: row.id,
    model_id: row.model_id,
    category: row.category,
    model_provider: row.model_provider,
    model_name: row.model_name,
    base_url: row.base_url,
    temperature: row.temperature,
    dimension: row.dimension,
    abilities: abilitiesOfRow(row),
    description: row.description,
    created_at: isoOf(row.created_at),
    updated_at: isoOf(row.updated_at),
    is_active: bool(row.is_active),
    is_owner: isOwner,
    can_edit: isOwner || caller.admin,
    can_delete: isOwner || caller.admin,
    is_shared: bool(row.is_shared),
  };
}
export function gqlViewOf(row: Row, caller: CallerIdentity) {
  const isOwner = row.owner_id === caller.sub;
  return {
    id: row.id,
    modelId: row.model_id,
    category: row.category,
    modelProvider: row.model_provider,
    modelName: row.model_name,
    hasApiKey: row.api_key_encrypted !== null,
    baseUrl: row.base_url,
    temperature: row.temperature,
    dimension: row.dimension,
    description: row.description,
    abilities: abilitiesOfRow(row),
    isShared: bool(row.is_shared),
    isActive: bool(row.is_active),
    createdAt: isoOf(row.created_at),
    updatedAt: isoOf(row.updated_at),
    isOwner,
    canEdit: isOwner || caller.admin,
    canDelete: isOwner || caller.admin,
    version: row.version,
  };
}
/** Equal as JSON (so -0 and 0 agree, and a string that changed in storage does not). */
export const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
export function sameJsonObject(actual: Record<string, unknown>, expected: Record<string, unknown>, what: string): void {
  for (const key of Object.keys(expected)) {
    must(
      sameJson(actual[key], expected[key]),
      `${what}: ${key} is ${short(JSON.stringify(actual[key]), 200)}, the stored row says ${short(JSON.stringify(expected[key]), 200)}`,
    );
  }
}

/** After an accepted update: the stored row is the baseline with exactly the requested changes applied. */
export function checkUpdatedRow(target: Target, before: Row, after: Row | undefined, n: Normalized): void {
  must(after, 'the updated model is gone');
  const expected: Row = {
    ...before,
    category: n.category ?? before.category,
    model_provider: n.modelProvider ?? before.model_provider,
    model_name: n.modelName ?? before.model_name,
    base_url: n.baseUrl !== undefined ? n.baseUrl : before.base_url,
    temperature: n.temperature !== undefined ? n.temperature : before.temperature,
    dimension: n.dimension !== undefined ? n.dimension : before.dimension,
    description: n.description !== undefined ? n.description : before.description,
    is_shared: n.shareWithUsers === undefined ? before.is_shared : n.shareWithUsers ? 1 : 0,
  };
  for (const column of [
    'id',
    'model_id',
    'owner_id',
    'category',
    'model_provider',
    'model_name',
    'base_url',
    'temperature',
    'dimension',
    'description',
    'is_shared',
    'is_active',
    'created_at',
  ]) {
    must(
      sameJson(after[column], expected[column]),
      `stored ${column} is ${short(JSON.stringify(after[column]), 200)}, expected ${short(JSON.stringify(expected[column]), 200)}`,
    );
  }
  const storedAbilities = abilitiesOfRow(before);
  const abilities = n.abilities !== undefined && !sameList(n.abilities, storedAbilities) ? n.abilities : storedAbilities;
  must(
    sameJson(abilitiesOfRow(after), abilities),
    `stored abilities ${JSON.stringify(abilitiesOfRow(after))}, expected ${JSON.stringify(abilities)}`,
  );

  let keyChanged: boolean;
  if (n.apiKey === undefined || (n.apiKey !== null && n.apiKey === target.apiKey && before.api_key_encrypted !== null)) {
    must(after.api_key_encrypted === before.api_key_encrypted, 'the stored api_key changed though none was sent (or the same one)');
    keyChanged = false;
  } else if (n.apiKey === null) {
    must(after.api_key_encrypted === null, 'api_key null did not remove the stored key');
    keyChanged = before.api_key_encrypted !== null;
  } else {
    must(
      typeof after.api_key_encrypted === 'string' && after.api_key_encrypted !== before.api_key_encrypted,
      'a new api_key was not stored',
    );
    keyChanged = true;
  }
  const changed =
    keyChanged ||
    ['category', 'model_provider', 'model_name', 'base_url', 'temperature', 'dimension', 'description', 'is_shared'].some(
      (c) => !sameJson(after[c], before[c]),
    ) ||
    !sameList(abilitiesOfRow(after), storedAbilities);
  if (changed) {
    must(after.version === (before.version as number) + 1, `a change moved version ${before.version} to ${after.version}`);
    must(after.updated_at !== before.updated_at, 'a change did not move updated_at');
  } else {
    must(after.version === before.version, `an update that changed nothing moved version ${before.version} to ${after.version}`);
    must(after.updated_at === before.updated_at, 'an update that changed nothing moved updated_at');
  }
}

/** After an accepted create: the new row is exactly the normalized input with the contract's defaults. */
export function checkCreatedRow(row: Row | undefined, n: Normalized, caller: CallerIdentity, existedBefore: boolean): void {
  must(row, 'the created model is not stored');
  must(!existedBefore, 'a create reused an existing model_id');
  if (n.modelId !== undefined)
    must(row.model_id === n.modelId, `model_id stored as ${JSON.stringify(row.model_id)}, sent ${JSON.stringify(n.modelId)}`);
  else
    must(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(String(row.model_id)), 'generated model_id is not a UUID');
  const expected: Row = {
    owner_id: caller.sub,
    category: n.category ?? 'llm',
    model_provider: n.modelProvider,
    model_name: n.modelName,
    base_url: n.baseUrl === undefined || n.baseUrlBlank ? defaultBaseUrlFor(n.modelProvider!) : n.baseUrl,
    temperature: n.temperature ?? null,
    dimension: n.dimension ?? null,
    description: n.description ?? null,
    is_shared: n.shareWithUsers ? 1 : 0,
    is_active: 1,
    version: 1,
  };
  for (const [column, value] of Object.entries(expected)) {
    must(
      sameJson(row[column], value),
      `stored ${column} is ${short(JSON.stringify(row[column]), 200)}, expected ${short(JSON.stringify(value), 200)}`,
    );
  }
  must(sameJson(abilitiesOfRow(row), n.abilities ?? null), `stored abilities ${JSON.stringify(abilitiesOfRow(row))}`);
  must(
    (row.api_key_encrypted !== null) === (typeof n.apiKey === 'string'),
    'api_key stored when none was sent, or not stored when one was',
  );
  must(row.created_at === row.updated_at, 'a new model has created_at != updated_at');
}

/** A refused request: every row of the lane is exactly as it was, and no row was added for its users. */
export function checkNothingChanged(before: Snapshot, after: Snapshot): void {
  for (const kind of TARGET_KINDS) {
    must(
      isDeepStrictEqual(after.targets[kind], before.targets[kind]),
      `a refused request changed the ${kind} model:\n  before ${JSON.stringify(before.targets[kind])}\n  after  ${JSON.stringify(after.targets[kind])}`,
    );
  }
  must(
    isDeepStrictEqual(after.owned, before.owned),
    `a refused request added or removed rows: ${JSON.stringify(before.owned)} -> ${JSON.stringify(after.owned)}`,
  );
}

export function checkRestError(res: Answer, allowed: number[] = REST_ERROR_STATUSES): void {
  must(allowed.includes(res.status), `status ${res.status}, expected one of ${allowed.join(', ')}`);
  const body = res.json;
  must(body && typeof body === 'object' && !Array.isArray(body), 'error body is not a JSON object');
  must(isDeepStrictEqual(Object.keys(body), ['detail']), `error body keys ${JSON.stringify(Object.keys(body))}, expected ["detail"]`);
  if (res.status === 422) {
    must(Array.isArray(body.detail) && body.detail.length > 0, '422 detail is not a non-empty list');
    for (const item of body.detail) {
      must(
        item && typeof item === 'object' && isDeepStrictEqual(Object.keys(item).sort(), ['loc', 'msg', 'type']),
        `422 item ${JSON.stringify(item)}`,
      );
      must(Array.isArray(item.loc) && item.loc[0] === 'body', `422 loc ${JSON.stringify(item.loc)} does not start with "body"`);
      must(
        item.loc.every((p: unknown) => typeof p === 'string' || typeof p === 'number'),
        '422 loc has a part that is neither string nor number',
      );
      must(typeof item.msg === 'string' && typeof item.type === 'string', '422 msg/type are not strings');
    }
  } else {
    must(typeof body.detail === 'string' && body.detail.length > 0, `detail is not a string: ${JSON.stringify(body.detail)}`);
    must(!STACK_OR_INTERNALS.test(body.detail), 'error detail shows internals');
  }
  if (res.status === 401) must(/^Bearer\b/.test(res.headers.get('www-authenticate') ?? ''), '401 without WWW-Authenticate: Bearer');
}

export function checkRestModel(res: Answer, row: Row | undefined, caller: CallerIdentity): void {
  must(row, 'no stored row for the model answered');
  const body = res.json;
  must(body && typeof body === 'object' && !Array.isArray(body), 'model body is not a JSON object');
  must(isDeepStrictEqual(Object.keys(body).sort(), REST_KEYS), `model keys ${JSON.stringify(Object.keys(body).sort())}`);
  sameJsonObject(body, restViewOf(row, caller), 'answered model');
  must(res.headers.get('etag') === `"${row.version}"`, `ETag ${res.headers.get('etag')} for stored version ${row.version}`);
}

export function checkGqlModel(model: any, row: Row | undefined, caller: CallerIdentity): void {
  must(row, 'no stored row for the model answered');
  must(model && typeof model === 'object', 'model is not an object');
  must(isDeepStrictEqual(Object.keys(model).sort(), MODEL_FIELDS.split(' ').sort()), `model fields ${JSON.stringify(Object.keys(model))}`);
  sameJsonObject(model, gqlViewOf(row, caller), 'answered model');
}

/** The object the server parses from a REST body, or undefined when it is not a JSON object. */
export function restInput(text: string, op: 'update' | 'create'): Input | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const input: Input = {};
  const fields: InputField[] = op === 'create' ? [...INPUT_FIELDS, 'modelId'] : [...INPUT_FIELDS];
  for (const f of fields) if (Object.prototype.hasOwnProperty.call(body, SNAKE[f])) input[f] = (body as Input)[SNAKE[f]];
  return input;
}

/** REST statuses for each refusal reason (422 always possible: URL syntax and category length are not modelled). */
export const REFUSAL_STATUS: Record<string, number[]> = {
  none: [200, 422],
  'unknown category': [400, 422],
  'abilities do not fit the category': [422],
  'shared model is locked': [409, 422],
  'only admins may share': [403, 422],
  'duplicate model_id': [400, 422],
};

/** Why the update must be refused given the model as stored before, or null when it may be accepted. */
export function updateRefusal(
  input: Input,
  target: Target | undefined,
  before: Row | undefined,
  who: 'owner' | 'other' | 'admin',
): string | null {
  if (!target || !before) return 'no such model';
  const isOwner = who === 'owner';
  const visible = isOwner || who === 'admin' || (bool(before.is_shared) && bool(before.is_active));
  if (!visible) return 'not visible to the caller';
  if (!isOwner && who !== 'admin') return 'caller may not edit';
  const n = normalize(input);
  const category = n.category ?? (before.category as string);
  if (!CATEGORIES.includes(category)) return 'unknown category';
  const stored = abilitiesOfRow(before);
  const abilities = n.abilities !== undefined ? n.abilities : stored;
  if ((n.category !== undefined || n.abilities !== undefined) && !abilitiesFit(category, abilities))
    return 'abilities do not fit the category';
  if (bool(before.is_shared) && (category !== before.category || !sameSet(abilities, stored))) return 'shared model is locked';
  if (n.shareWithUsers === true && !bool(before.is_shared) && who !== 'admin') return 'only admins may share';
  return null;
}

export function createRefusal(input: Input, who: 'owner' | 'other' | 'admin'): string | null {
  const n = normalize(input);
  const category = n.category ?? 'llm';
  if (!CATEGORIES.includes(category)) return 'unknown category';
  if (!abilitiesFit(category, n.abilities ?? null)) return 'abilities do not fit the category';
  if (n.shareWithUsers === true && who !== 'admin') return 'only admins may share';
  return null;
}

export function checkGqlErrors(res: Answer, who: Who): any[] | null {
  const body = res.json;
  must(body && typeof body === 'object' && !Array.isArray(body), 'GraphQL answer is not a JSON object');
  if (body.errors === undefined) return null;
  must(Array.isArray(body.errors) && body.errors.length > 0, 'errors is not a non-empty list');
  const allowed = res.status === 200 ? GQL_EXECUTION_CODES : GQL_REQUEST_CODES;
  for (const error of body.errors) {
    must(typeof error.message === 'string', 'an error without a message');
    const code = error.extensions?.code;
    must(allowed.includes(code), `HTTP ${res.status} with extensions.code ${JSON.stringify(code)}, expected one of ${allowed.join(', ')}`);
    must(error.extensions.stacktrace === undefined && error.extensions.exception === undefined, 'an error carries a stack trace');
    must(!STACK_OR_INTERNALS.test(error.message), `an error message shows internals: ${short(error.message, 300)}`);
    if (res.status === 200 && !isSignedIn(who)) must(code === 'UNAUTHENTICATED', `no valid token (${who}) answered ${code}`);
  }
  return body.errors;
}
