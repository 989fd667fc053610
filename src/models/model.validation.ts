import { Errors, type FieldIssue } from '../lib/errors';

/**
 * Pure input rules of the contract, shared by GraphQL and REST. Input arrives as a plain object
 * with camelCase keys and values of unknown type (REST bodies are untyped JSON); the output is a
 * normalized patch where an absent key means "leave as is" and `null` means "clear".
 */

export const CATEGORIES = ['llm', 'embedding', 'rerank', 'image', 'speech', 'video'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Abilities each category allows; `null`: any. */
export const CATEGORY_ABILITIES: Record<Category, readonly string[] | null> = {
  llm: null,
  embedding: ['embedding'],
  rerank: ['rerank'],
  image: ['generate', 'edit'],
  speech: ['asr', 'tts'],
  video: ['generate'],
};

export const LIMITS = {
  modelId: 256,
  modelProvider: 128,
  modelName: 256,
  apiKey: 4096,
  baseUrl: 2048,
  description: 4000,
  abilities: 64,
  ability: 64,
  temperatureMax: 2,
  dimensionMax: 65536,
} as const;

export interface ModelPatch {
  /** Trimmed and lower-cased, but possibly not a known category: that is a 400, checked later. */
  category?: string;
  modelProvider?: string;
  modelName?: string;
  /** A new key, or null to remove the stored one. A blank string is "unchanged" and never appears here. */
  apiKey?: string | null;
  baseUrl?: string | null;
  temperature?: number | null;
  dimension?: number | null;
  description?: string | null;
  abilities?: string[] | null;
  shareWithUsers?: boolean;
}

export interface CreateFields extends ModelPatch {
  modelId?: string;
  modelProvider: string;
  modelName: string;
}

export const UPDATE_FIELDS = [
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
] as const satisfies readonly (keyof ModelPatch)[];

export const CREATE_FIELDS = ['modelId', ...UPDATE_FIELDS] as const;

export type InputRecord = Record<string, unknown>;

const has = (raw: InputRecord, key: string): boolean => Object.prototype.hasOwnProperty.call(raw, key);

/*
 * A lone UTF-16 surrogate (JSON allows "\ud800") has no UTF-8 form: the database would store a
 * replacement character, silently changing what the client sent. Refuse it instead.
 */
const UNICODE_MSG = 'Input should be a valid string, unable to parse raw data as a unicode string';
/** PostgreSQL text and jsonb cannot hold U+0000; refused on every backend so both behave alike. */
const NUL_MSG = 'String should not contain NUL characters';

class IssueCollector {
  readonly issues: FieldIssue[] = [];
  add(path: (string | number)[], type: string, msg: string): undefined {
    this.issues.push({ path, type, msg });
    return undefined;
  }
}

function text(
  issues: IssueCollector,
  field: string,
  value: unknown,
  opts: { min: number; max: number; trim?: boolean },
): string | undefined {
  if (typeof value !== 'string') return issues.add([field], 'string_type', 'Input should be a valid string');
  if (!value.isWellFormed()) return issues.add([field], 'string_unicode', UNICODE_MSG);
  if (value.includes('\u0000')) return issues.add([field], 'string_pattern_mismatch', NUL_MSG);
  const result = opts.trim ? value.trim() : value;
  if (result.length < opts.min) {
    return issues.add([field], 'string_too_short', `String should have at least ${opts.min} character${opts.min === 1 ? '' : 's'}`);
  }
  if (result.length > opts.max) return issues.add([field], 'string_too_long', `String should have at most ${opts.max} characters`);
  return result;
}

function httpUrl(issues: IssueCollector, field: string, value: unknown): string | undefined {
  const candidate = text(issues, field, value, { min: 1, max: LIMITS.baseUrl, trim: true });
  if (candidate === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return issues.add([field], 'url_parsing', 'Input should be a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return issues.add([field], 'url_scheme', "URL scheme should be 'http' or 'https'");
  }
  if (!url.hostname) return issues.add([field], 'url_parsing', 'Input should be a valid URL, empty host');
  return candidate;
}

function temperatureOf(issues: IssueCollector, value: unknown): number | undefined {
  if (typeof value !== 'number') return issues.add(['temperature'], 'float_type', 'Input should be a valid number');
  if (!Number.isFinite(value)) return issues.add(['temperature'], 'finite_number', 'Input should be a finite number');
  if (value < 0) return issues.add(['temperature'], 'greater_than_equal', 'Input should be greater than or equal to 0');
  if (value > LIMITS.temperatureMax) return issues.add(['temperature'], 'less_than_equal', 'Input should be less than or equal to 2');
  return value;
}

function dimensionOf(issues: IssueCollector, value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return issues.add(['dimension'], 'int_type', 'Input should be a valid integer');
  if (!Number.isInteger(value)) {
    return issues.add(['dimension'], 'int_from_float', 'Input should be a valid integer, got a number with a fractional part');
  }
  if (value < 1) return issues.add(['dimension'], 'greater_than_equal', 'Input should be greater than or equal to 1');
  if (value > LIMITS.dimensionMax)
    return issues.add(['dimension'], 'less_than_equal', `Input should be less than or equal to ${LIMITS.dimensionMax}`);
  return value;
}

function abilitiesOf(issues: IssueCollector, value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return issues.add(['abilities'], 'list_type', 'Input should be a valid list');
  if (value.length > LIMITS.abilities) {
    return issues.add(
      ['abilities'],
      'too_long',
      `List should have at most ${LIMITS.abilities} items after validation, not ${value.length}`,
    );
  }
  const seen = new Set<string>();
  let ok = true;
  value.forEach((item, index) => {
    if (typeof item !== 'string') {
      ok = false;
      issues.add(['abilities', index], 'string_type', 'Input should be a valid string');
      return;
    }
    if (!item.isWellFormed()) {
      ok = false;
      issues.add(['abilities', index], 'string_unicode', UNICODE_MSG);
      return;
    }
    if (item.includes('\u0000')) {
      ok = false;
      issues.add(['abilities', index], 'string_pattern_mismatch', NUL_MSG);
      return;
    }
    const ability = item.trim();
    if (ability.length < 1) {
      ok = false;
      issues.add(['abilities', index], 'string_too_short', 'String should have at least 1 character');
    } else if (ability.length > LIMITS.ability) {
      ok = false;
      issues.add(['abilities', index], 'string_too_long', `String should have at most ${LIMITS.ability} characters`);
    } else {
      seen.add(ability); // a Set keeps first-insertion order: duplicates go, order stays
    }
  });
  return ok ? [...seen] : undefined;
}

function boolOf(issues: IssueCollector, field: string, value: unknown): boolean | undefined {
  if (typeof value !== 'boolean') return issues.add([field], 'bool_type', 'Input should be a valid boolean');
  return value;
}

/** Fields whose `null` is a validation error rather than "clear". */
const REQUIRED_WHEN_GIVEN = new Set(['category', 'modelProvider', 'modelName', 'shareWithUsers']);

function parsePatchInto(raw: InputRecord, issues: IssueCollector): ModelPatch {
  const patch: ModelPatch = {};
  for (const field of UPDATE_FIELDS) {
    if (!has(raw, field)) continue;
    const value = raw[field];
    if (value === undefined) continue;
    if (value === null) {
      if (REQUIRED_WHEN_GIVEN.has(field)) {
        const type = field === 'shareWithUsers' ? 'bool_type' : 'string_type';
        issues.add([field], type, field === 'shareWithUsers' ? 'Input should be a valid boolean' : 'Input should be a valid string');
      } else {
        (patch as Record<string, unknown>)[field] = null;
      }
      continue;
    }
    switch (field) {
      case 'category': {
        // Any string: one that is not a known category is a 400 (checked later), not a 422.
        const category = text(issues, field, value, { min: 0, max: Number.MAX_SAFE_INTEGER, trim: true });
        if (category !== undefined) patch.category = category.toLowerCase();
        break;
      }
      case 'modelProvider': {
        const provider = text(issues, field, value, { min: 1, max: LIMITS.modelProvider, trim: true });
        if (provider !== undefined) patch.modelProvider = provider.toLowerCase();
        break;
      }
      case 'modelName': {
        const name = text(issues, field, value, { min: 1, max: LIMITS.modelName, trim: true });
        if (name !== undefined) patch.modelName = name;
        break;
      }
      case 'apiKey': {
        if (typeof value !== 'string') {
          issues.add([field], 'string_type', 'Input should be a valid string');
          break;
        }
        if (!value.isWellFormed()) {
          issues.add([field], 'string_unicode', UNICODE_MSG);
          break;
        }
        // Forms send "" for "unchanged": a blank key keeps the stored one.
        const key = value.trim();
        if (key === '') break;
        if (key.length > LIMITS.apiKey) {
          issues.add([field], 'string_too_long', `String should have at most ${LIMITS.apiKey} characters`);
          break;
        }
        patch.apiKey = key;
        break;
      }
      case 'baseUrl': {
        const url = httpUrl(issues, field, value);
        if (url !== undefined) patch.baseUrl = url;
        break;
      }
      case 'temperature': {
        const temperature = temperatureOf(issues, value);
        if (temperature !== undefined) patch.temperature = temperature;
        break;
      }
      case 'dimension': {
        const dimension = dimensionOf(issues, value);
        if (dimension !== undefined) patch.dimension = dimension;
        break;
      }
      case 'description': {
        const description = text(issues, field, value, { min: 0, max: LIMITS.description });
        if (description !== undefined) patch.description = description;
        break;
      }
      case 'abilities': {
        const abilities = abilitiesOf(issues, value);
        if (abilities !== undefined) patch.abilities = abilities;
        break;
      }
      case 'shareWithUsers': {
        const share = boolOf(issues, field, value);
        if (share !== undefined) patch.shareWithUsers = share;
        break;
      }
    }
  }
  return patch;
}

/** Validates an update body (JSON Merge Patch semantics). Throws a 422 listing every problem. */
export function parseUpdateInput(raw: InputRecord): ModelPatch {
  const issues = new IssueCollector();
  const patch = parsePatchInto(raw, issues);
  if (issues.issues.length > 0) throw Errors.validation(issues.issues);
  return patch;
}

/** Validates a create body: model_provider and model_name required, model_id optional. */
export function parseCreateInput(raw: InputRecord): CreateFields {
  const issues = new IssueCollector();
  const patch = parsePatchInto(raw, issues);
  let modelId: string | undefined;
  if (has(raw, 'modelId') && raw.modelId !== undefined && raw.modelId !== null) {
    modelId = text(issues, 'modelId', raw.modelId, { min: 1, max: LIMITS.modelId, trim: true });
    if (modelId !== undefined && /[\u0000-\u001f\u007f]/.test(modelId)) {
      modelId = issues.add(['modelId'], 'string_pattern_mismatch', 'String should not contain control characters');
    }
  }
  for (const field of ['modelProvider', 'modelName'] as const) {
    if (!has(raw, field) || raw[field] === undefined) issues.add([field], 'missing', 'Field required');
  }
  if (issues.issues.length > 0) throw Errors.validation(issues.issues);
  // A blank api_key on create means "no key".
  const { modelProvider, modelName } = patch as { modelProvider: string; modelName: string };
  return { ...patch, modelProvider, modelName, ...(modelId !== undefined ? { modelId } : {}) };
}

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

/** Abilities against the category the model will have; empty when they fit. */
export function abilityIssues(category: Category, abilities: readonly string[] | null): FieldIssue[] {
  const allowed = CATEGORY_ABILITIES[category];
  if (abilities === null || allowed === null) return [];
  if (abilities.length === 0) {
    return [{ path: ['abilities'], type: 'value_error', msg: `Value error, abilities of category '${category}' may not be empty` }];
  }
  const wrong = abilities.filter((ability) => !allowed.includes(ability));
  if (wrong.length === 0) return [];
  return [
    {
      path: ['abilities'],
      type: 'value_error',
      msg: `Value error, abilities of category '${category}' may only be ${allowed.map((a) => `'${a}'`).join(', ')}; not allowed: ${wrong
        .map((a) => `'${a}'`)
        .join(', ')}`,
    },
  ];
}

export function sameAbilitySet(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  const setA = new Set(a);
  const setB = new Set(b);
  return setA.size === setB.size && [...setA].every((ability) => setB.has(ability));
}

export function sameAbilityList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((ability, i) => ability === b[i]);
}
