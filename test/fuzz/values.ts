/**
 * The fuzzer's vocabulary: the contract's constants it checks against, the generated value trees
 * (JSON that JSON.stringify cannot write, lane-relative ids) and how they are written out as JSON
 * and GraphQL, and the shapes of lanes, stored rows and HTTP exchanges.
 */
import type { Who } from './arbitraries';

/** Requests above this many body bytes must be refused with 413. */
export const BODY_LIMIT = 1024 * 1024;
/** Every api_key the generators produce contains it, and nothing else does. */
export const MARKER = 'sk-fuzz:';

export const CATEGORIES = ['llm', 'embedding', 'rerank', 'image', 'speech', 'video', 'music', 'sound_effect'];
export const CATEGORY_ABILITIES: Record<string, string[] | null> = {
  llm: null,
  embedding: ['embedding'],
  rerank: ['rerank'],
  image: ['generate', 'edit'],
  speech: ['asr', 'tts'],
  video: ['generate'],
  music: ['generate'],
  sound_effect: ['generate'],
};
export const INPUT_FIELDS = [
  'category',
  'modelProvider',
  'modelName',
  'apiKey',
  'baseUrl',
  'temperature',
  'dimension',
  'description',
  'abilities',
  'shareWithUsers',
] as const;
export type InputField = (typeof INPUT_FIELDS)[number] | 'modelId';
export const SNAKE: Record<InputField, string> = {
  category: 'category',
  modelProvider: 'model_provider',
  modelName: 'model_name',
  apiKey: 'api_key',
  baseUrl: 'base_url',
  temperature: 'temperature',
  dimension: 'dimension',
  description: 'description',
  abilities: 'abilities',
  shareWithUsers: 'share_with_users',
  modelId: 'model_id',
};
export const REST_ERROR_STATUSES = [400, 401, 403, 404, 409, 412, 413, 422];
export const GQL_EXECUTION_CODES = ['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT'];
export const GQL_REQUEST_CODES = ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'BAD_USER_INPUT'];

/* ------------------------------------------------- generated value trees */

/**
 * A JSON value as generated. Objects are entry lists so that `__proto__` is a real key and keys
 * may repeat; the tagged forms stand for JSON text JSON.stringify cannot write (raw number
 * tokens), for large strings without large counterexamples, and for ids of the lane's models.
 */
export type JVal = null | boolean | number | string | JVal[] | JObj | JRaw | JRep | JId | JTarget | JKey | JDeep | JVersion;
export interface JObj {
  $o: [string, JVal][];
}
export interface JRaw {
  $n: string;
}
/** head + chunk repeated count times. */
export interface JRep {
  $rep: [string, string, number];
}
/** A model id in the lane's namespace: `fz-L<lane>-<ns>-<suffix>`, with optional padding. */
export interface JId {
  $id: [string, string, string?, string?];
}
export interface JTarget {
  $target: TargetKind;
}
/** The api_key a target model has stored (re-sending it is no change). */
export interface JKey {
  $key: TargetKind;
}
/** Nested n deep: `[[[...]]]` or `{"a":{"a":...}}`. */
export interface JDeep {
  $deep: [number, 'array' | 'object'];
}
/** The addressed model's version (as it is before the request) plus delta. */
export interface JVersion {
  $ver: number;
}

export type TargetKind = 'private' | 'shared' | 'embed' | 'hidden';
export const TARGET_KINDS: TargetKind[] = ['private', 'shared', 'embed', 'hidden'];

export interface Ctx {
  lane: Lane;
  version: number;
}

export const isTagged = (v: JVal): v is Exclude<JVal, null | boolean | number | string | JVal[]> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function laneId(lane: Lane, ns: string, suffix: string): string {
  return `fz-L${lane.index}-${ns}-${suffix}`;
}

export function expandString(v: JRep | JId | JTarget | JKey, ctx: Ctx): string {
  if ('$rep' in v) return v.$rep[0] + v.$rep[1].repeat(v.$rep[2]);
  if ('$id' in v) return (v.$id[2] ?? '') + laneId(ctx.lane, v.$id[0], v.$id[1]) + (v.$id[3] ?? '');
  if ('$key' in v) return ctx.lane.targets[v.$key].apiKey ?? `${MARKER}never-stored`;
  return ctx.lane.targets[v.$target].modelId;
}

export function toJson(v: JVal, ctx: Ctx): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((item) => toJson(item, ctx)).join(',')}]`;
  if ('$o' in v) return `{${v.$o.map(([k, item]) => `${JSON.stringify(k)}:${toJson(item, ctx)}`).join(',')}}`;
  if ('$n' in v) return v.$n;
  if ('$deep' in v) {
    const [n, shape] = v.$deep;
    return shape === 'array' ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + 'null' + '}'.repeat(n);
  }
  if ('$ver' in v) return String(ctx.version + v.$ver);
  return JSON.stringify(expandString(v, ctx));
}

/** The same value as a GraphQL literal (keys unquoted: a key that is not a Name is a syntax error, as it should be). */
export function toGraphQL(v: JVal, ctx: Ctx): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((item) => toGraphQL(item, ctx)).join(', ')}]`;
  if ('$o' in v) return `{${v.$o.map(([k, item]) => `${k}: ${toGraphQL(item, ctx)}`).join(', ')}}`;
  if ('$n' in v) return v.$n;
  if ('$deep' in v) {
    const [n, shape] = v.$deep;
    return shape === 'array' ? '['.repeat(n) + ']'.repeat(n) : '{a: '.repeat(n) + 'null' + '}'.repeat(n);
  }
  if ('$ver' in v) return String(ctx.version + v.$ver);
  return JSON.stringify(expandString(v, ctx));
}

/** What the server's JSON.parse makes of the value; undefined when it is not valid JSON. */
export function parsed(v: JVal, ctx: Ctx): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(toJson(v, ctx)) };
  } catch {
    return undefined;
  }
}

/* ------------------------------------------------------------ lanes, rows, exchanges */

export type Row = Record<string, unknown>;

export interface Target {
  kind: TargetKind;
  modelId: string;
  /** The api_key stored at baseline (plaintext), or null. */
  apiKey: string | null;
  baseline: Row;
}

export interface Lane {
  index: number;
  subs: { owner: string; other: string; admin: string };
  auth: Record<Who, string | undefined>;
  targets: Record<TargetKind, Target>;
  /** The lane's rows as the last request left them, when known. */
  state?: Snapshot;
}

export interface Snapshot {
  targets: Record<TargetKind, Row | undefined>;
  owned: Record<string, number>;
}

export interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** What the server's body parser decodes (UTF-8, BOM dropped). */
  text: string;
  bytes: number;
  who: Who;
  secrets: string[];
}
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}
