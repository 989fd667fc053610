import {
  CATEGORIES,
  CATEGORY_ABILITIES,
  REST_BODY_SPECS,
  UPDATE_SPECS,
  describeField,
  inputRestOf,
  type FieldSpec,
} from '../models/model.fields';
import type { Schema } from './types';

/**
 * The model's JSON Schemas, read off the field table (model.fields.ts): what a request may send,
 * per field, and what an answer holds. The validation code reads the same table, so a bound in
 * the document is the bound the server enforces.
 */

export const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
/** No U+0000: PostgreSQL text cannot hold it, so the server refuses it in every string it stores as text. */
const NO_NUL = '^[^\\u0000]*$';
/** As NO_NUL, and at least one character that is not white space: values are trimmed before the length check. */
const NOT_BLANK = '^(?=[\\s\\S]*\\S)[^\\u0000]*$';
/** Trimmed, not blank, no control characters at all (ids travel in paths and logs). */
const NO_CONTROL = '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]+$';
/**
 * http or https (any case, after leading white space), then a host: the URL parser refuses
 * `http://`, `http://?q` or `http://:80` (no host), and takes any number of slashes before it.
 */
const HTTP_URL = '^(?![\\s\\S]*\\u0000)\\s*[Hh][Tt][Tt][Pp][Ss]?:[/\\\\]*[^\\s/\\\\?#:@]';

/** `model_provider` → `Model Provider`, as FastAPI titles a pydantic field. */
const titleOf = (key: string): string =>
  key
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');

/** Abilities per category, in words, for the abilities field. */
const ABILITIES_PER_CATEGORY = CATEGORIES.map((category) => {
  const allowed = CATEGORY_ABILITIES[category];
  return `\`${category}\`: ${allowed ? allowed.map((a) => `\`${a}\``).join(', ') + ' (not empty)' : 'any'}`;
}).join('; ');

/** A value of the field as a request may send it: the validation's rules, as JSON Schema. */
function requestValueSchema(field: FieldSpec): Schema {
  const { minLength = 0, maxLength, min, max } = field;
  switch (field.kind) {
    case 'string':
      if (field.values) return { type: 'string', enum: [...field.values] };
      return {
        type: 'string',
        ...(minLength > 0 ? { minLength } : {}),
        ...(maxLength !== undefined ? { maxLength } : {}),
        pattern: field.noControl ? NO_CONTROL : minLength > 0 && field.trim ? NOT_BLANK : NO_NUL,
      };
    case 'secret':
      return { type: 'string', ...(maxLength !== undefined ? { maxLength } : {}) };
    case 'url': {
      const url: Schema = { type: 'string', format: 'uri', maxLength, pattern: HTTP_URL };
      if (!field.blankIsNull) return url;
      // Forms send "" for an empty field: blank is no URL (null), or on create the provider's default.
      return { anyOf: [url, { type: 'string', pattern: '^\\s*$', description: 'Blank: no URL.' }] };
    }
    case 'number':
    case 'integer':
      return { type: field.kind, minimum: min, maximum: max };
    case 'boolean':
      return { type: 'boolean' };
    case 'string-list':
      return {
        type: 'array',
        maxItems: field.maxItems,
        items: { type: 'string', minLength: field.item?.minLength, maxLength: field.item?.maxLength, pattern: NOT_BLANK },
      };
    case 'timestamp':
      return { type: 'string', format: 'date-time' };
  }
}

/** The description of a list field also states what each category allows. */
function requestDescription(field: FieldSpec): string | undefined {
  if (field.kind !== 'string-list') return describeField(field, 'request');
  return (
    `At most ${field.maxItems} items (counted as sent), each ${field.item?.minLength}..${field.item?.maxLength} characters after trimming; ` +
    `duplicates are removed, order is kept. Allowed per category: ${ABILITIES_PER_CATEGORY}. On update the check uses the category the model will have.`
  );
}

function requestProperty(field: FieldSpec, create: boolean): Schema {
  const value = requestValueSchema(field);
  const description = requestDescription(field);
  return {
    title: titleOf(inputRestOf(field)),
    ...(field.clearable || field.nullIsOmitted ? nullable(value) : value),
    ...(field.kind === 'secret' ? { writeOnly: true } : {}),
    ...(description ? { description } : {}),
    ...(field.doc.examples ? { examples: [...field.doc.examples] } : {}),
    ...(create && field.createDefault !== undefined ? { default: field.createDefault } : {}),
  };
}

export const requestProperties = (specs: readonly FieldSpec[], create: boolean): Record<string, Schema> =>
  Object.fromEntries(specs.map((field) => [inputRestOf(field), requestProperty(field, create)]));

/** A stored value as an answer shows it: what every write was checked against, without the input-only patterns. */
function responseValueSchema(field: FieldSpec): Schema {
  const { minLength = 0, maxLength, min, max } = field;
  switch (field.kind) {
    case 'string':
    case 'secret':
    case 'url':
      if (field.values) return { type: 'string', enum: [...field.values] };
      return { type: 'string', ...(minLength > 0 ? { minLength } : {}), ...(maxLength !== undefined ? { maxLength } : {}) };
    case 'number':
    case 'integer':
      return { type: field.kind, ...(min !== undefined ? { minimum: min } : {}), ...(max !== undefined ? { maximum: max } : {}) };
    case 'boolean':
      return { type: 'boolean' };
    case 'string-list':
      return { type: 'array', items: { type: 'string' } };
    case 'timestamp':
      return { type: 'string', format: 'date-time', pattern: 'Z$' };
  }
}

/**
 * Abilities per category, as JSON Schema conditionals that apply when a body carries both
 * fields (an update that changes only one is checked against the stored other: 422). Under
 * `dependentSchemas` rather than a top-level `allOf`, which reference pages render as noise.
 */
export const abilitiesPerCategory: Schema[] = CATEGORIES.flatMap((category) => {
  const allowed = CATEGORY_ABILITIES[category];
  if (allowed === null) return [];
  return [
    {
      if: { type: 'object', properties: { category: { const: category } }, required: ['category'] },
      then: {
        type: 'object',
        properties: { abilities: nullable({ type: 'array', minItems: 1, items: { type: 'string', enum: [...allowed] } }) },
      },
    },
  ];
});

export const restKeyOfInput = (name: string): string =>
  inputRestOf(UPDATE_SPECS.find((field) => field.name === name || field.inputName === name)!);
/** `category, model_provider, model_name or share_with_users`. */
export const notClearable = ((keys: string[]) => `${keys.slice(0, -1).join(', ')} or ${keys[keys.length - 1]}`)(
  UPDATE_SPECS.filter((field) => !field.clearable).map(inputRestOf),
);

/** The REST model body: every key always present (`null` where empty), nothing else. */
export const modelResponseProperties: Record<string, Schema> = Object.fromEntries(
  REST_BODY_SPECS.map((field) => {
    const value = responseValueSchema(field);
    const description = describeField(field, 'response');
    return [
      field.rest!,
      { title: titleOf(field.rest!), ...(field.nullable ? nullable(value) : value), ...(description ? { description } : {}) },
    ];
  }),
);
