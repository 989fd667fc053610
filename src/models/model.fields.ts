/**
 * The model's fields, declared once. Validation (model.validation.ts), the REST mapping
 * (model.rest.ts), the GraphQL types and their descriptions (model.type.ts, model.input.ts), the
 * view (model.view.ts), the OpenAPI schemas (openapi/openapi.ts) and the SQL column list
 * (MODEL_COLUMNS, for the repository) are all read off this table, so a bound or a name cannot
 * say one thing in one place and another elsewhere.
 *
 * Order matters: it is the order of the GraphQL fields, of the input fields, and so the order in
 * which validation reports problems. The REST body has its own order (the contract's), `restOrder`.
 *
 * A plain scalar field is one entry here (plus the two Prisma schemas and a migration); the
 * special ones (the API key, sharing, the computed access flags) say how they differ.
 */

export const CATEGORIES = ['llm', 'embedding', 'rerank', 'image', 'speech', 'video', 'music', 'sound_effect'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Abilities each category allows; `null`: any. */
export const CATEGORY_ABILITIES: Record<Category, readonly string[] | null> = {
  llm: null,
  embedding: ['embedding'],
  rerank: ['rerank'],
  image: ['generate', 'edit'],
  speech: ['asr', 'tts'],
  video: ['generate'],
  music: ['generate'],
  sound_effect: ['generate'],
};

/**
 * - `string`: text; `secret`: text that is stored sealed and never returned; `url`: an absolute http(s) URL
 * - `number`: a finite float; `integer`; `boolean`
 * - `string-list`: a list of strings (stored as JSON), duplicates removed with order kept
 * - `timestamp`: stored as a date, shown as ISO-8601 UTC
 */
export type FieldKind = 'string' | 'secret' | 'url' | 'number' | 'integer' | 'boolean' | 'string-list' | 'timestamp';

/** Bounds of a field in words, built from the numbers in the table, for its descriptions. */
export interface Phrases {
  /** `1 to 128 characters`, `at most 4000 characters`. */
  length: string;
  /** `at most 2048 characters`. */
  atMost: string;
  /** `0 to 2`. */
  range: string;
  /** `at most 64, each 1 to 64 characters`. */
  items: string;
  /** `` `llm`, `embedding`, ... `` */
  values: string;
  /** As `values`, the create default marked: `` `llm` (the default), `embedding`, ... `` */
  valuesWithDefault: string;
  /** The create default, as JSON (`false`). */
  default: string;
}

type Doc = string | ((p: Phrases) => string);

export interface FieldSpec {
  /** camelCase: the property of a stored row and of a view, and the GraphQL field. */
  readonly name: string;
  readonly kind: FieldKind;
  /** The SQL column, as the Prisma schemas' `@map` (or the field's name where there is none). Absent: computed, not stored. */
  readonly column?: string;
  /** The row property, when it differs from `name` (the sealed key). */
  readonly row?: string;
  /** snake_case key in REST bodies. Absent: not in the REST body (input only when `input` says so). */
  readonly rest?: string;
  /** Position in the REST model body. */
  readonly restOrder?: number;
  /** false: not a field of the GraphQL `Model` type. */
  readonly graphql?: boolean;
  /** May be null in storage and in answers. */
  readonly nullable?: boolean;

  /** Who may set it: `create` only, or on create and update (`write`). Absent: read-only. */
  readonly input?: 'create' | 'write';
  /** The input's name (camelCase, snake_case) when it differs from the field's. */
  readonly inputName?: string;
  readonly inputRest?: string;
  /** An input `null` clears the field. Otherwise `null` is refused as the wrong type (unless `nullIsOmitted`). */
  readonly clearable?: boolean;
  /** An input `null` counts as left out (model_id: generated). */
  readonly nullIsOmitted?: boolean;
  /** A blank value (after trimming) counts as left out ("keep the stored one"). */
  readonly blankIsOmitted?: boolean;
  /** A blank value (after trimming) counts as `null` (forms send "" for an empty field). */
  readonly blankIsNull?: boolean;
  /** Must be given on create. */
  readonly requiredOnCreate?: boolean;
  /** What create stores when the input leaves it out. */
  readonly createDefault?: string | boolean;

  readonly minLength?: number;
  readonly maxLength?: number;
  readonly min?: number;
  readonly max?: number;
  readonly maxItems?: number;
  /** Bounds of each list item (trimmed). */
  readonly item?: { readonly minLength: number; readonly maxLength: number };
  /** The values that are valid; anything else is refused later (400), not by the shape check. */
  readonly values?: readonly string[];
  readonly trim?: boolean;
  readonly lowerCase?: boolean;
  /** Control characters (U+0000-U+001F, U+007F) are refused. */
  readonly noControl?: boolean;
  /** U+0000 is allowed (it never reaches the database as text: secrets are sealed). */
  readonly allowNul?: boolean;

  readonly doc: {
    /** On the GraphQL `Model` type. */
    readonly graphql?: Doc;
    /** On UpdateModelInput, and on CreateModelInput unless `create` says otherwise. */
    readonly input?: Doc;
    readonly create?: Doc;
    /** On the OpenAPI request schemas. */
    readonly request?: Doc;
    /** On the OpenAPI ModelResponse. */
    readonly response?: Doc;
    /** OpenAPI examples of a value. */
    readonly examples?: readonly unknown[];
  };
}

const cap = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

export const MODEL_FIELDS = [
  {
    name: 'id',
    kind: 'integer',
    column: 'id',
    rest: 'id',
    restOrder: 0,
    doc: { graphql: 'Internal numeric id.', response: 'Internal numeric id.' },
  },
  {
    name: 'modelId',
    kind: 'string',
    column: 'model_id',
    rest: 'model_id',
    restOrder: 1,
    input: 'create',
    nullIsOmitted: true,
    minLength: 1,
    maxLength: 256,
    trim: true,
    noControl: true,
    doc: {
      graphql: 'Stable public id, unique; may contain `/` (e.g. `google/gemini-2.5-flash`).',
      input: (p) => `Public id, trimmed, ${p.length}, may contain \`/\`. Generated (a UUID) when left out.`,
      request:
        'Stable public id (trimmed, no control characters, may contain `/`). Left out or `null`: a UUID is generated. Taken already: 400 `Model ID already exists`.',
      response: 'Stable public id.',
      examples: ['openai/gpt-4o'],
    },
  },
  { name: 'ownerId', kind: 'string', column: 'owner_id', graphql: false, doc: {} },
  {
    name: 'category',
    kind: 'string',
    column: 'category',
    rest: 'category',
    restOrder: 2,
    input: 'write',
    createDefault: 'llm',
    values: CATEGORIES,
    trim: true,
    lowerCase: true,
    doc: {
      graphql: (p) => `One of ${p.values}.`,
      input: (p) => `One of ${p.values}. Locked while shared.`,
      create: (p) => `One of ${p.valuesWithDefault}.`,
      request: 'Trimmed and compared case-insensitively; anything else is 400 `Invalid model category`.',
    },
  },
  {
    name: 'modelProvider',
    kind: 'string',
    column: 'model_provider',
    rest: 'model_provider',
    restOrder: 3,
    input: 'write',
    requiredOnCreate: true,
    minLength: 1,
    maxLength: 128,
    trim: true,
    lowerCase: true,
    doc: {
      graphql: 'Provider, lower-case (e.g. `openai`, `ollama`).',
      input: (p) => `Provider, trimmed and lower-cased, ${p.length}.`,
      request: 'e.g. `openai`, `ollama`; trimmed and lower-cased.',
      examples: ['openai'],
    },
  },
  {
    name: 'modelName',
    kind: 'string',
    column: 'model_name',
    rest: 'model_name',
    restOrder: 4,
    input: 'write',
    requiredOnCreate: true,
    minLength: 1,
    maxLength: 256,
    trim: true,
    doc: {
      graphql: "The provider's model name.",
      input: (p) => `Model name, trimmed, ${p.length}.`,
      request: 'Trimmed.',
      examples: ['gpt-4o'],
    },
  },
  {
    name: 'apiKey',
    kind: 'secret',
    column: 'api_key_encrypted',
    row: 'apiKeyEncrypted',
    inputRest: 'api_key',
    graphql: false,
    nullable: true,
    input: 'write',
    clearable: true,
    blankIsOmitted: true,
    maxLength: 4096,
    trim: true,
    allowNul: true,
    doc: {
      input: 'Write-only. A new key replaces the stored one; `null` removes it; `""` keeps it.',
      create: 'Write-only; stored encrypted. Blank: no key.',
      request:
        'A secret: stored encrypted and never returned. `null` removes the stored key; an empty or blank string keeps it on update and means "no key" on create.',
    },
  },
  { name: 'hasApiKey', kind: 'boolean', doc: { graphql: 'Whether an API key is stored. The key itself is never returned.' } },
  {
    name: 'baseUrl',
    kind: 'url',
    column: 'base_url',
    rest: 'base_url',
    restOrder: 5,
    nullable: true,
    input: 'write',
    clearable: true,
    blankIsNull: true,
    minLength: 1,
    maxLength: 2048,
    trim: true,
    doc: {
      graphql: 'Absolute http(s) URL of the endpoint, if not the provider default.',
      input: (p) => `Absolute http(s) URL, ${p.atMost}.`,
      request: (p) => `An absolute http(s) URL, ${p.atMost}; trimmed.`,
    },
  },
  {
    name: 'temperature',
    kind: 'number',
    column: 'temperature',
    rest: 'temperature',
    restOrder: 6,
    nullable: true,
    input: 'write',
    clearable: true,
    min: 0,
    max: 2,
    doc: { graphql: (p) => `Sampling temperature, ${p.range}.`, input: (p) => `${p.range}.` },
  },
  {
    name: 'dimension',
    kind: 'integer',
    column: 'dimension',
    rest: 'dimension',
    restOrder: 7,
    nullable: true,
    input: 'write',
    clearable: true,
    min: 1,
    max: 65536,
    doc: { graphql: (p) => `Embedding dimension, ${p.range}.`, input: (p) => `${p.range}.` },
  },
  {
    name: 'description',
    kind: 'string',
    column: 'description',
    rest: 'description',
    restOrder: 9,
    nullable: true,
    input: 'write',
    clearable: true,
    minLength: 0,
    maxLength: 4000,
    doc: {
      graphql: (p) => `Free text, ${p.atMost}.`,
      input: (p) => `${cap(p.atMost)}.`,
      request: 'Kept as given (an empty string is a description).',
    },
  },
  {
    name: 'abilities',
    kind: 'string-list',
    column: 'abilities',
    rest: 'abilities',
    restOrder: 8,
    nullable: true,
    input: 'write',
    clearable: true,
    maxItems: 64,
    item: { minLength: 1, maxLength: 64 },
    trim: true,
    doc: {
      graphql: 'What the model can do; constrained by category.',
      input: (p) => `${cap(p.items)}; duplicates removed. Locked (as a set) while shared.`,
      create: (p) => `${cap(p.items)}; duplicates removed; constrained by category.`,
    },
  },
  {
    name: 'isShared',
    kind: 'boolean',
    column: 'is_shared',
    rest: 'is_shared',
    restOrder: 16,
    input: 'write',
    inputName: 'shareWithUsers',
    inputRest: 'share_with_users',
    createDefault: false,
    doc: {
      graphql: 'Shared: every signed-in user may see and use the model while it is active.',
      input: 'Share with every signed-in user. Turning it on is for admins (unless SHARING=owners).',
      create: (p) => `Share with every signed-in user (admins only, unless SHARING=owners). Default ${p.default}.`,
      request:
        'true: every signed-in user may see and use the model. Turning it on needs an admin (403 otherwise, unless SHARING=owners). While shared, category and abilities cannot change (409).',
    },
  },
  {
    name: 'isActive',
    kind: 'boolean',
    column: 'is_active',
    rest: 'is_active',
    restOrder: 12,
    doc: { graphql: 'Inactive models are hidden from everyone but their owner and admins.' },
  },
  {
    name: 'createdAt',
    kind: 'timestamp',
    column: 'created_at',
    rest: 'created_at',
    restOrder: 10,
    doc: { graphql: 'Creation time, ISO-8601 UTC.', response: 'ISO-8601, UTC.' },
  },
  {
    name: 'updatedAt',
    kind: 'timestamp',
    column: 'updated_at',
    rest: 'updated_at',
    restOrder: 11,
    doc: { graphql: 'Time of the last change, ISO-8601 UTC.', response: 'ISO-8601, UTC.' },
  },
  {
    name: 'isOwner',
    kind: 'boolean',
    rest: 'is_owner',
    restOrder: 13,
    doc: { graphql: 'The caller created this model.', response: 'The caller created the model.' },
  },
  {
    name: 'canEdit',
    kind: 'boolean',
    rest: 'can_edit',
    restOrder: 14,
    doc: { graphql: 'The caller may update this model.', response: 'The caller owns the model or is an admin.' },
  },
  {
    name: 'canDelete',
    kind: 'boolean',
    rest: 'can_delete',
    restOrder: 15,
    doc: { graphql: 'The caller may delete this model.', response: 'The caller owns the model or is an admin.' },
  },
  {
    name: 'version',
    kind: 'integer',
    column: 'version',
    doc: { graphql: 'Starts at 1, +1 on every change. Pass it as `expectedVersion` to update safely.' },
  },
] as const satisfies readonly FieldSpec[];

/* ------------------------------------------------------------------ derived types */

type Spec = (typeof MODEL_FIELDS)[number];
type Stored = Extract<Spec, { column: string }>;
type RowKeyOf<F> = F extends { row: infer R extends string } ? R : F extends { name: infer N extends string } ? N : never;
type OrNull<F, T> = F extends { nullable: true } ? T | null : T;
type StoredValue<K> = K extends 'string' | 'secret' | 'url'
  ? string
  : K extends 'number' | 'integer'
    ? number
    : K extends 'boolean'
      ? boolean
      : K extends 'timestamp'
        ? Date
        : unknown;
type ViewValue<K> = K extends 'timestamp' ? string : K extends 'string-list' ? string[] : StoredValue<K>;

/** A stored model, as the database holds it (both Prisma clients produce this shape). */
export type StoredModel = { [F in Stored as RowKeyOf<F>]: OrNull<F, StoredValue<F['kind']>> };
/** A row property (camelCase). */
export type ColumnField = keyof StoredModel;
/** A model as one caller sees it over GraphQL (REST shows a subset, by `rest`). */
export type ModelFields = { [F in Exclude<Spec, { graphql: false }> as F['name']]: OrNull<F, ViewValue<F['kind']>> };

type Writable = Extract<Spec, { input: string }>;
type InputNameOf<F> = F extends { inputName: infer N extends string } ? N : F extends { name: infer N extends string } ? N : never;
/** The input fields (camelCase), every one optional and nullable: what GraphQL hands the service. */
export type ModelInputFields = { [F in Writable as InputNameOf<F>]?: ViewValue<F['kind']> | null };

type Updatable = Extract<Spec, { input: 'write' }>;
type Parsed<F extends Spec> = F extends { clearable: true } ? ViewValue<F['kind']> | null : ViewValue<F['kind']>;
/** A validated update: a key left out is unchanged; `null` (where clearable) clears. */
export type ModelPatchFields = { [F in Updatable as InputNameOf<F>]?: Parsed<F> };
/** A validated create: the update fields, the create-only ones, the required ones present. */
export type ModelCreateFields = ModelPatchFields & {
  [F in Extract<Spec, { input: 'create' }> as InputNameOf<F>]?: ViewValue<F['kind']>;
} & { [F in Extract<Writable, { requiredOnCreate: true }> as InputNameOf<F>]: ViewValue<F['kind']> };

/* ------------------------------------------------------------------ derived values */

const fields: readonly FieldSpec[] = MODEL_FIELDS;

export const fieldSpec = (name: string): FieldSpec => {
  const spec = fields.find((field) => field.name === name);
  if (!spec) throw new Error(`no model field ${name}`);
  return spec;
};

export const rowKeyOf = (field: FieldSpec): string => field.row ?? field.name;
export const inputNameOf = (field: FieldSpec): string => field.inputName ?? field.name;
export const inputRestOf = (field: FieldSpec): string => field.inputRest ?? field.rest ?? field.name;

/** Row property (camelCase) → SQL column, every stored field, in table order. */
export const MODEL_COLUMNS = Object.fromEntries(fields.filter((f) => f.column).map((f) => [rowKeyOf(f), f.column!])) as Record<
  ColumnField,
  string
>;

/** What a repository needs to read and write a raw row: each stored field's row property, column, kind and nullability. */
export const STORED_FIELDS: readonly { field: ColumnField; column: string; kind: FieldKind; nullable: boolean }[] = fields
  .filter((f) => f.column)
  .map((f) => ({ field: rowKeyOf(f) as ColumnField, column: f.column!, kind: f.kind, nullable: f.nullable ?? false }));

/** Fields an update may set, in validation order. */
export const UPDATE_SPECS: readonly FieldSpec[] = fields.filter((f) => f.input === 'write');
/** Fields only create takes. */
export const CREATE_ONLY_SPECS: readonly FieldSpec[] = fields.filter((f) => f.input === 'create');
/** Fields create takes, in declaration order (the GraphQL input's). */
export const CREATE_SPECS: readonly FieldSpec[] = fields.filter((f) => f.input !== undefined);

/** The REST model body's fields, in the contract's order. */
export const REST_BODY_SPECS: readonly FieldSpec[] = fields
  .filter((f) => f.rest !== undefined && f.restOrder !== undefined)
  .sort((a, b) => a.restOrder! - b.restOrder!);

/** Input name (camelCase) → REST input key (snake_case), for every input; output names too. */
export const REST_KEYS: Record<string, string> = Object.fromEntries([
  ...fields.filter((f) => f.rest).map((f) => [f.name, f.rest!]),
  ...fields.filter((f) => f.input).map((f) => [inputNameOf(f), inputRestOf(f)]),
]);

const quoted = (values: readonly string[]) => values.map((value) => `\`${value}\``).join(', ');

export function phrasesOf(field: FieldSpec): Phrases {
  const { minLength = 0, maxLength, min, max, maxItems, item, values = [], createDefault } = field;
  const atMost = `at most ${maxLength} characters`;
  return {
    length: minLength > 0 ? `${minLength} to ${maxLength} characters` : atMost,
    atMost,
    range: `${min} to ${max}`,
    items: item ? `at most ${maxItems}, each ${item.minLength} to ${item.maxLength} characters` : `at most ${maxItems}`,
    values: quoted(values),
    valuesWithDefault: values.map((value) => `\`${value}\`${value === createDefault ? ' (the default)' : ''}`).join(', '),
    default: JSON.stringify(createDefault),
  };
}

/** A description of the field for one surface; `fallback` is another surface's (create falls back to input). */
export function describeField(field: FieldSpec, surface: keyof Omit<FieldSpec['doc'], 'examples'>, fallback?: 'input'): string | undefined {
  const doc = field.doc[surface] ?? (fallback ? field.doc[fallback] : undefined);
  return typeof doc === 'function' ? doc(phrasesOf(field)) : doc;
}

/** `category, modelProvider, modelName, shareWithUsers`: the inputs whose `null` is refused. */
export const NOT_CLEARABLE_INPUTS = UPDATE_SPECS.filter((f) => !f.clearable).map(inputNameOf);
/** The inputs create requires. */
export const REQUIRED_ON_CREATE = CREATE_SPECS.filter((f) => f.requiredOnCreate).map(inputNameOf);
