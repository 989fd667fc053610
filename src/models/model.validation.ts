import { Errors, type FieldIssue } from '../lib/errors';
import {
  CATEGORIES,
  CATEGORY_ABILITIES,
  CREATE_ONLY_SPECS,
  CREATE_SPECS,
  REQUIRED_ON_CREATE,
  UPDATE_SPECS,
  inputNameOf,
  type Category,
  type FieldKind,
  type FieldSpec,
  type ModelCreateFields,
  type ModelPatchFields,
} from './model.fields';

/**
 * Pure input rules of the contract, shared by GraphQL and REST. Input arrives as a plain object
 * with camelCase keys and values of unknown type (REST bodies are untyped JSON); the output is a
 * normalized patch where an absent key means "leave as is" and `null` means "clear".
 */

export { CATEGORIES, CATEGORY_ABILITIES, type Category } from './model.fields';

/** A normalized update: absent means "leave as is", `null` means "clear" (only where the table says clearable). */
export type ModelPatch = ModelPatchFields;
export type CreateFields = ModelCreateFields;

/** Update inputs (camelCase), in the order problems are reported. */
export const UPDATE_FIELDS: readonly string[] = UPDATE_SPECS.map(inputNameOf);
export const CREATE_FIELDS: readonly string[] = CREATE_SPECS.map(inputNameOf);

export type InputRecord = Record<string, unknown>;

const has = (raw: InputRecord, key: string): boolean => Object.prototype.hasOwnProperty.call(raw, key);

/*
 * A lone UTF-16 surrogate (JSON allows "\ud800") has no UTF-8 form: the database would store a
 * replacement character, silently changing what the client sent. Refuse it instead.
 */
const UNICODE_MSG = 'Input should be a valid string, unable to parse raw data as a unicode string';
/** PostgreSQL text and jsonb cannot hold U+0000; refused on every backend so both behave alike. */
const NUL_MSG = 'String should not contain NUL characters';
const CONTROL_MSG = 'String should not contain control characters';
/** What no model id can contain: refused on create, so a lookup of such an id finds nothing. */
export const CONTROL = /[\u0000-\u001f\u007f]/;

type Path = (string | number)[];

class IssueCollector {
  readonly issues: FieldIssue[] = [];
  add(path: Path, type: string, msg: string): undefined {
    this.issues.push({ path, type, msg });
    return undefined;
  }
}

/** A value that validated to "left out" (a blank api_key). */
const OMITTED = Symbol('omitted');

/** pydantic's error for a value of the wrong type, per kind (also what a refused `null` gets). */
const TYPE_ISSUE: Record<FieldKind, [type: string, msg: string]> = {
  string: ['string_type', 'Input should be a valid string'],
  secret: ['string_type', 'Input should be a valid string'],
  url: ['string_type', 'Input should be a valid string'],
  number: ['float_type', 'Input should be a valid number'],
  integer: ['int_type', 'Input should be a valid integer'],
  boolean: ['bool_type', 'Input should be a valid boolean'],
  'string-list': ['list_type', 'Input should be a valid list'],
  timestamp: ['string_type', 'Input should be a valid string'],
};

const wrongType = (issues: IssueCollector, path: Path, kind: FieldKind): undefined => issues.add(path, ...TYPE_ISSUE[kind]);

interface TextRules {
  minLength?: number;
  maxLength?: number;
  trim?: boolean;
  allowNul?: boolean;
  blankIsOmitted?: boolean;
  blankIsNull?: boolean;
}

function text(issues: IssueCollector, path: Path, value: unknown, rules: TextRules): string | typeof OMITTED | null | undefined {
  if (typeof value !== 'string') return wrongType(issues, path, 'string');
  if (!value.isWellFormed()) return issues.add(path, 'string_unicode', UNICODE_MSG);
  if (!rules.allowNul && value.includes('\u0000')) return issues.add(path, 'string_pattern_mismatch', NUL_MSG);
  const result = rules.trim ? value.trim() : value;
  // Forms send "" for "unchanged": a blank key keeps the stored one.
  if (rules.blankIsOmitted && result === '') return OMITTED;
  if (rules.blankIsNull && result === '') return null;
  const min = rules.minLength ?? 0;
  // Counted in code points, as JSON Schema's minLength/maxLength (the OpenAPI document) and
  // PostgreSQL's varchar count them: an astral character is one, not two UTF-16 units.
  const length = [...result].length;
  if (length < min) {
    return issues.add(path, 'string_too_short', `String should have at least ${min} character${min === 1 ? '' : 's'}`);
  }
  if (rules.maxLength !== undefined && length > rules.maxLength) {
    return issues.add(path, 'string_too_long', `String should have at most ${rules.maxLength} characters`);
  }
  return result;
}

function httpUrl(issues: IssueCollector, path: Path, candidate: string): string | undefined {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return issues.add(path, 'url_parsing', 'Input should be a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return issues.add(path, 'url_scheme', "URL scheme should be 'http' or 'https'");
  }
  if (!url.hostname) return issues.add(path, 'url_parsing', 'Input should be a valid URL, empty host');
  return candidate;
}

function inRange(issues: IssueCollector, path: Path, field: FieldSpec, value: number): number | undefined {
  if (field.min !== undefined && value < field.min) {
    return issues.add(path, 'greater_than_equal', `Input should be greater than or equal to ${field.min}`);
  }
  if (field.max !== undefined && value > field.max) {
    return issues.add(path, 'less_than_equal', `Input should be less than or equal to ${field.max}`);
  }
  return value;
}

function list(issues: IssueCollector, path: Path, field: FieldSpec, value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return wrongType(issues, path, 'string-list');
  if (field.maxItems !== undefined && value.length > field.maxItems) {
    return issues.add(path, 'too_long', `List should have at most ${field.maxItems} items after validation, not ${value.length}`);
  }
  const seen = new Set<string>();
  let ok = true;
  value.forEach((entry, index) => {
    const item = text(issues, [...path, index], entry, { ...field.item, trim: field.trim });
    if (typeof item === 'string')
      seen.add(item); // a Set keeps first-insertion order: duplicates go, order stays
    else ok = false;
  });
  return ok ? [...seen] : undefined;
}

/** One input value by its field's rules: the normalized value, OMITTED, or undefined (an issue was recorded). */
function parseValue(issues: IssueCollector, field: FieldSpec, value: unknown): unknown {
  const path = [inputNameOf(field)];
  switch (field.kind) {
    case 'string':
    case 'secret':
    case 'url': {
      const result = text(issues, path, value, field);
      if (typeof result !== 'string') return result;
      if (field.noControl && CONTROL.test(result)) return issues.add(path, 'string_pattern_mismatch', CONTROL_MSG);
      if (field.kind === 'url') return httpUrl(issues, path, result);
      return field.lowerCase ? result.toLowerCase() : result;
    }
    case 'number':
      if (typeof value !== 'number') return wrongType(issues, path, 'number');
      if (!Number.isFinite(value)) return issues.add(path, 'finite_number', 'Input should be a finite number');
      return inRange(issues, path, field, value);
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType(issues, path, 'integer');
      if (!Number.isInteger(value)) {
        return issues.add(path, 'int_from_float', 'Input should be a valid integer, got a number with a fractional part');
      }
      return inRange(issues, path, field, value);
    case 'boolean':
      return typeof value === 'boolean' ? value : wrongType(issues, path, 'boolean');
    case 'string-list':
      return list(issues, path, field, value);
    case 'timestamp':
      return wrongType(issues, path, 'timestamp');
  }
}

function parseFieldsInto(raw: InputRecord, specs: readonly FieldSpec[], issues: IssueCollector, into: Record<string, unknown>): void {
  for (const field of specs) {
    const name = inputNameOf(field);
    if (!has(raw, name)) continue;
    const value = raw[name];
    if (value === undefined) continue;
    if (value === null) {
      if (field.clearable) into[name] = null;
      else if (!field.nullIsOmitted) wrongType(issues, [name], field.kind);
      continue;
    }
    const parsed = parseValue(issues, field, value);
    if (parsed !== undefined && parsed !== OMITTED) into[name] = parsed;
  }
}

/** Validates an update body (JSON Merge Patch semantics). Throws a 422 listing every problem. */
export function parseUpdateInput(raw: InputRecord): ModelPatch {
  const issues = new IssueCollector();
  const patch: Record<string, unknown> = {};
  parseFieldsInto(raw, UPDATE_SPECS, issues, patch);
  if (issues.issues.length > 0) throw Errors.validation(issues.issues);
  return patch as ModelPatch;
}

/** Validates a create body: the update fields, then the create-only ones (model_id), then what is required. */
export function parseCreateInput(raw: InputRecord): CreateFields {
  const issues = new IssueCollector();
  const fields: Record<string, unknown> = {};
  parseFieldsInto(raw, UPDATE_SPECS, issues, fields);
  parseFieldsInto(raw, CREATE_ONLY_SPECS, issues, fields);
  for (const name of REQUIRED_ON_CREATE) {
    if (!has(raw, name) || raw[name] === undefined) issues.add([name], 'missing', 'Field required');
  }
  if (issues.issues.length > 0) throw Errors.validation(issues.issues);
  // A blank api_key on create means "no key": it is simply not there.
  return fields as CreateFields;
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

// `[]` and `null` are the same empty set: forms send `[]` for a model whose abilities are null,
// and that is neither a change (no version bump) nor a trip of the shared-model lock.
export function sameAbilitySet(a: readonly string[] | null, b: readonly string[] | null): boolean {
  const setA = new Set(a ?? []);
  const setB = new Set(b ?? []);
  return setA.size === setB.size && [...setA].every((ability) => setB.has(ability));
}

export function sameAbilityList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  a = a ?? [];
  b = b ?? [];
  return a.length === b.length && a.every((ability, i) => ability === b[i]);
}
