/**
 * The contract's "Update" cases, once for both transports: update.rest.test.ts runs them as
 * `PUT /api/models/{model_id}` with snake_case bodies, update.graphql.test.ts as `updateModel`
 * with camelCase input (each case twice there: input as variables and inline). Inputs and field
 * paths are written in the GraphQL spelling; `restKeys` gives the REST body of the same input.
 * A case marked `only` belongs to one transport (GraphQL coerces a single value into a list,
 * REST does not).
 */

export type Input = Record<string, unknown>;
export type Transport = 'rest' | 'graphql';
/** What happens to the stored api_key ciphertext. */
export type KeyEffect = 'kept' | 'removed' | { replacedWith: string };

/** Input field (GraphQL) → REST body key. */
export const REST_KEY: Record<string, string> = {
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
  isShared: 'is_shared',
};

/** The same input as a REST body. */
export function restKeys(input: Input): Input {
  const out: Input = {};
  for (const [key, value] of Object.entries(input)) {
    const restKey = REST_KEY[key];
    if (restKey === undefined) throw new Error(`no REST key for ${key}`);
    out[restKey] = value;
  }
  return out;
}

/** A case name in the transport's spelling: field names, and {input} as "body" or "input". */
export function caseName(name: string, transport: Transport): string {
  if (transport === 'graphql') return name.replace(/\{input\}/g, 'input');
  return name
    .replace(/\{input\}/g, 'body')
    .replace(/\b(modelProvider|modelName|apiKey|baseUrl|shareWithUsers)\b/g, (field) => REST_KEY[field]!);
}

export const STORED_KEY = 'sk-stored-key-0001';
/** The model every case starts from (an llm with every field set), overridden by a case's `create`. */
export const BASE: Input = {
  modelProvider: 'openai',
  modelName: 'gpt-4o',
  apiKey: STORED_KEY,
  baseUrl: 'https://api.example.com/v1',
  temperature: 0.7,
  dimension: 1536,
  description: 'A chat model',
  abilities: ['chat', 'vision'],
};

export const long = (n: number, ch = 'a') => ch.repeat(n);
export const URL_2048 = `https://example.com/${long(2048 - 'https://example.com/'.length)}`;
export const SIXTY_FOUR = Array.from({ length: 64 }, (_, i) => `ability-${i}`);
export const SIXTY_FIVE = Array.from({ length: 65 }, (_, i) => `a${i}`);

// ---------------------------------------------------------------------------------------------
// Accepted updates
// ---------------------------------------------------------------------------------------------

export interface ChangeCase {
  name: string;
  /** Create-input overrides for the model the case starts from (default: BASE, an llm). */
  create?: Input;
  input: Input;
  /**
   * GraphQL Model fields that change (REST: the same keys, hasApiKey aside, which REST does not
   * answer); empty (and key kept) means the update is a no-op.
   */
  changes: Input;
  key?: KeyEffect;
  only?: Transport;
}

export const CHANGE_CASES: ChangeCase[] = [
  { name: 'a field left out is not changed (only modelName moves)', input: { modelName: 'gpt-4.1' }, changes: { modelName: 'gpt-4.1' } },
  { name: 'an empty {input} changes nothing', input: {}, changes: {} },
  { name: 'null clears baseUrl', input: { baseUrl: null }, changes: { baseUrl: null } },
  { name: 'null clears temperature', input: { temperature: null }, changes: { temperature: null } },
  { name: 'null clears dimension', input: { dimension: null }, changes: { dimension: null } },
  { name: 'null clears description', input: { description: null }, changes: { description: null } },
  { name: 'null clears abilities', input: { abilities: null }, changes: { abilities: null } },
  { name: 'null for apiKey removes the stored key', input: { apiKey: null }, changes: { hasApiKey: false }, key: 'removed' },
  { name: 'null for apiKey without a stored key is no change', create: { apiKey: null }, input: { apiKey: null }, changes: {} },
  { name: 'null for a field already null is no change', create: { baseUrl: null }, input: { baseUrl: null }, changes: {} },
  // Forms send "" for an empty field: it means no URL.
  { name: 'baseUrl empty is null', input: { baseUrl: '' }, changes: { baseUrl: null } },
  {
    name: 'null clears every nullable field at once',
    input: { baseUrl: null, temperature: null, dimension: null, description: null, abilities: null, apiKey: null },
    changes: { baseUrl: null, temperature: null, dimension: null, description: null, abilities: null, hasApiKey: false },
    key: 'removed',
  },
  { name: 'an empty apiKey keeps the stored key (no change)', input: { apiKey: '' }, changes: {} },
  { name: 'a blank apiKey keeps the stored key (no change)', input: { apiKey: '   \t ' }, changes: {} },
  {
    name: 'a blank apiKey beside a real change keeps the stored key',
    input: { apiKey: '', temperature: 1.2 },
    changes: { temperature: 1.2 },
  },
  { name: 'apiKey equal to the stored key is no change', input: { apiKey: STORED_KEY }, changes: {} },
  { name: 'apiKey equal to the stored key after trimming is no change', input: { apiKey: `  ${STORED_KEY}  ` }, changes: {} },
  {
    name: 'a different apiKey replaces the stored one',
    input: { apiKey: 'sk-rotated-9999' },
    changes: {},
    key: { replacedWith: 'sk-rotated-9999' },
  },
  {
    name: 'an apiKey on a model without one stores it',
    create: { apiKey: null },
    input: { apiKey: 'sk-first-key-7777' },
    changes: { hasApiKey: true },
    key: { replacedWith: 'sk-first-key-7777' },
  },
  {
    name: 'modelProvider is trimmed and lower-cased',
    input: { modelProvider: '  OpenRouter  ' },
    changes: { modelProvider: 'openrouter' },
  },
  { name: 'modelProvider equal after lower-casing is no change', input: { modelProvider: ' OPENAI ' }, changes: {} },
  { name: 'modelName is trimmed, case kept', input: { modelName: '  GPT-4o-Mini  ' }, changes: { modelName: 'GPT-4o-Mini' } },
  { name: 'modelName equal after trimming is no change', input: { modelName: ' gpt-4o ' }, changes: {} },
  { name: 'baseUrl is trimmed', input: { baseUrl: '  http://localhost:11434/v1  ' }, changes: { baseUrl: 'http://localhost:11434/v1' } },
  { name: 'category is trimmed and lower-cased (" LLM " is llm: no change)', input: { category: ' LLM ' }, changes: {} },
  { name: 'description is kept as given (spaces too)', input: { description: '  spaced  ' }, changes: { description: '  spaced  ' } },
  { name: 'an empty description is a description', input: { description: '' }, changes: { description: '' } },
  {
    name: 'abilities: duplicates removed, order kept',
    input: { abilities: ['tools', 'chat', 'tools', 'vision', 'chat'] },
    changes: { abilities: ['tools', 'chat', 'vision'] },
  },
  { name: 'abilities: items are trimmed before duplicates go', input: { abilities: [' chat ', 'chat'] }, changes: { abilities: ['chat'] } },
  { name: 'abilities: the same list is no change', input: { abilities: ['chat', 'vision'] }, changes: {} },
  { name: 'abilities: the same list with duplicates is no change', input: { abilities: ['chat', 'chat', 'vision'] }, changes: {} },
  {
    name: 'abilities: a new order is a change (unshared model)',
    input: { abilities: ['vision', 'chat'] },
    changes: { abilities: ['vision', 'chat'] },
  },
  { name: 'abilities: an llm may have an empty list', input: { abilities: [] }, changes: { abilities: [] } },
  {
    name: 'abilities: an llm may have any abilities',
    input: { abilities: ['anything-goes', 'generate', 'embedding', 'rerank', 'tts'] },
    changes: { abilities: ['anything-goes', 'generate', 'embedding', 'rerank', 'tts'] },
  },
  { name: 'abilities: 64 items are allowed', input: { abilities: SIXTY_FOUR }, changes: { abilities: SIXTY_FOUR } },
  {
    name: 'abilities: 64 items as sent, duplicates removed after counting',
    input: { abilities: [...SIXTY_FOUR.slice(0, 60), 'ability-0', 'ability-1', 'ability-2', 'ability-3'] },
    changes: { abilities: SIXTY_FOUR.slice(0, 60) },
  },
  {
    name: 'abilities: an item of 64 characters is allowed',
    input: { abilities: [long(64, 'x')] },
    changes: { abilities: [long(64, 'x')] },
  },
  {
    name: 'abilities: a single string is a one-item list (GraphQL list coercion)',
    input: { abilities: 'chat' },
    changes: { abilities: ['chat'] },
    only: 'graphql',
  },
  {
    name: 'category and abilities changed together (llm chat → embedding)',
    input: { category: 'embedding', abilities: ['embedding'] },
    changes: { category: 'embedding', abilities: ['embedding'] },
  },
  {
    name: 'category change with stored abilities null needs no abilities',
    create: { abilities: null },
    input: { category: 'embedding' },
    changes: { category: 'embedding' },
  },
  {
    name: 'category given as " Rerank " with rerank abilities',
    input: { category: ' Rerank ', abilities: ['rerank'] },
    changes: { category: 'rerank', abilities: ['rerank'] },
  },
  {
    name: 'image: generate and edit',
    input: { category: 'image', abilities: ['generate', 'edit'] },
    changes: { category: 'image', abilities: ['generate', 'edit'] },
  },
  { name: 'image: edit alone', input: { category: 'image', abilities: ['edit'] }, changes: { category: 'image', abilities: ['edit'] } },
  {
    name: 'speech: asr and tts',
    input: { category: 'speech', abilities: ['tts', 'asr'] },
    changes: { category: 'speech', abilities: ['tts', 'asr'] },
  },
  {
    name: 'video: generate',
    input: { category: 'video', abilities: ['generate'] },
    changes: { category: 'video', abilities: ['generate'] },
  },
  {
    name: 'a constrained category may clear its abilities (null)',
    create: { category: 'embedding', abilities: ['embedding'] },
    input: { abilities: null },
    changes: { abilities: null },
  },
  {
    name: 'back to llm keeps constrained abilities',
    create: { category: 'embedding', abilities: ['embedding'] },
    input: { category: 'llm' },
    changes: { category: 'llm' },
  },
  {
    name: 'an abilities-only update is checked against the stored category',
    create: { category: 'speech', abilities: ['asr'] },
    input: { abilities: ['asr', 'tts'] },
    changes: { abilities: ['asr', 'tts'] },
  },
  { name: 'temperature 0 is allowed', input: { temperature: 0 }, changes: { temperature: 0 } },
  { name: 'temperature 2 is allowed', input: { temperature: 2 }, changes: { temperature: 2 } },
  { name: 'dimension 1 is allowed', input: { dimension: 1 }, changes: { dimension: 1 } },
  { name: 'dimension 65536 is allowed', input: { dimension: 65536 }, changes: { dimension: 65536 } },
  { name: 'baseUrl of exactly 2048 characters is allowed', input: { baseUrl: URL_2048 }, changes: { baseUrl: URL_2048 } },
  { name: 'description of 4000 characters is allowed', input: { description: long(4000) }, changes: { description: long(4000) } },
  {
    name: 'modelProvider of 128 characters is allowed',
    input: { modelProvider: long(128, 'p') },
    changes: { modelProvider: long(128, 'p') },
  },
  { name: 'modelName of 256 characters is allowed', input: { modelName: long(256, 'N') }, changes: { modelName: long(256, 'N') } },
  {
    name: 'every field re-sent with its stored value is no change',
    input: { ...BASE, category: 'llm', shareWithUsers: false },
    changes: {},
  },
  { name: 'shareWithUsers false on an unshared model is no change', input: { shareWithUsers: false }, changes: {} },
];

// ---------------------------------------------------------------------------------------------
// Refused updates: the answer exactly, and nothing stored changes
// ---------------------------------------------------------------------------------------------

/** One validation problem; the path starts at the input field (GraphQL spelling). */
export interface Issue {
  path: (string | number)[];
  msg: string;
  type: string;
}
export const issue = (path: (string | number)[], msg: string, type: string): Issue => ({ path, msg, type });

export type Outcome =
  /** REST: 422 with these issues; GraphQL: BAD_USER_INPUT naming them, while executing. */
  | { invalid: Issue[] }
  /**
   * A value of the wrong type. REST: 422 with the issue; GraphQL: graphql-js refuses the
   * variable with this reason (HTTP 400) before execution; written inline the same value is an
   * invalid document, so GraphQL runs these cases with variables only.
   */
  | { typeError: Issue; graphqlReason: string }
  /** REST: 400 with this detail; GraphQL: BAD_USER_INPUT with this message, naming the field. */
  | { badRequest: string; field: string };

export interface RefusalCase {
  name: string;
  create?: Input;
  input: Input;
  outcome: Outcome;
  only?: Transport;
}

export const invalid = (...issues: Issue[]): Outcome => ({ invalid: issues });
const typeError = (problem: Issue, graphqlReason: string): Outcome => ({ typeError: problem, graphqlReason });

export const STRING_TYPE = 'Input should be a valid string';
export const tooLong = (path: (string | number)[], max: number) =>
  issue(path, `String should have at most ${max} characters`, 'string_too_long');
const tooShort = (path: (string | number)[]) => issue(path, 'String should have at least 1 character', 'string_too_short');
export const NOT_NUMBER = 'Float cannot represent non numeric value.';
const NOT_INT = 'Int cannot represent non-integer value.';
const NOT_STRING = 'String cannot represent a non string value.';
const NOT_BOOL = 'Boolean cannot represent a non boolean value.';

export const REFUSAL_CASES: RefusalCase[] = [
  { name: 'null category', input: { category: null }, outcome: invalid(issue(['category'], STRING_TYPE, 'string_type')) },
  { name: 'null modelProvider', input: { modelProvider: null }, outcome: invalid(issue(['modelProvider'], STRING_TYPE, 'string_type')) },
  { name: 'null modelName', input: { modelName: null }, outcome: invalid(issue(['modelName'], STRING_TYPE, 'string_type')) },
  {
    name: 'null shareWithUsers',
    input: { shareWithUsers: null },
    outcome: invalid(issue(['shareWithUsers'], 'Input should be a valid boolean', 'bool_type')),
  },
  {
    name: 'null category beside a valid change: the valid change is not applied either',
    input: { category: null, modelName: 'other-name', temperature: 0.1 },
    outcome: invalid(issue(['category'], STRING_TYPE, 'string_type')),
  },
  {
    name: 'temperature negative',
    input: { temperature: -0.1 },
    outcome: invalid(issue(['temperature'], 'Input should be greater than or equal to 0', 'greater_than_equal')),
  },
  {
    name: 'temperature above 2',
    input: { temperature: 2.01 },
    outcome: invalid(issue(['temperature'], 'Input should be less than or equal to 2', 'less_than_equal')),
  },
  {
    name: 'temperature as a string',
    input: { temperature: '0.5' },
    outcome: typeError(issue(['temperature'], 'Input should be a valid number', 'float_type'), NOT_NUMBER),
  },
  {
    name: 'temperature as a boolean',
    input: { temperature: true },
    outcome: typeError(issue(['temperature'], 'Input should be a valid number', 'float_type'), NOT_NUMBER),
  },
  {
    name: 'dimension 0',
    input: { dimension: 0 },
    outcome: invalid(issue(['dimension'], 'Input should be greater than or equal to 1', 'greater_than_equal')),
  },
  {
    name: 'dimension 65537',
    input: { dimension: 65537 },
    outcome: invalid(issue(['dimension'], 'Input should be less than or equal to 65536', 'less_than_equal')),
  },
  {
    name: 'dimension 1.5',
    input: { dimension: 1.5 },
    outcome: typeError(
      issue(['dimension'], 'Input should be a valid integer, got a number with a fractional part', 'int_from_float'),
      NOT_INT,
    ),
  },
  {
    name: 'dimension as a string',
    input: { dimension: '1024' },
    outcome: typeError(issue(['dimension'], 'Input should be a valid integer', 'int_type'), NOT_INT),
  },
  {
    name: 'baseUrl that is not a URL',
    input: { baseUrl: 'not a url' },
    outcome: invalid(issue(['baseUrl'], 'Input should be a valid URL', 'url_parsing')),
  },
  {
    name: 'baseUrl with ftp://',
    input: { baseUrl: 'ftp://files.example.com/models' },
    outcome: invalid(issue(['baseUrl'], "URL scheme should be 'http' or 'https'", 'url_scheme')),
  },
  {
    name: 'baseUrl with javascript:',
    input: { baseUrl: 'javascript:alert(1)' },
    outcome: invalid(issue(['baseUrl'], "URL scheme should be 'http' or 'https'", 'url_scheme')),
  },
  {
    name: 'baseUrl relative',
    input: { baseUrl: '/v1/chat/completions' },
    outcome: invalid(issue(['baseUrl'], 'Input should be a valid URL', 'url_parsing')),
  },
  {
    name: 'baseUrl without a scheme',
    input: { baseUrl: 'api.example.com/v1' },
    outcome: invalid(issue(['baseUrl'], 'Input should be a valid URL', 'url_parsing')),
  },
  { name: 'baseUrl of 2049 characters', input: { baseUrl: `${URL_2048}b` }, outcome: invalid(tooLong(['baseUrl'], 2048)) },
  { name: 'description of 4001 characters', input: { description: long(4001) }, outcome: invalid(tooLong(['description'], 4000)) },
  {
    name: 'description as a number',
    input: { description: 42 },
    outcome: typeError(issue(['description'], STRING_TYPE, 'string_type'), NOT_STRING),
  },
  { name: 'modelProvider of 129 characters', input: { modelProvider: long(129, 'p') }, outcome: invalid(tooLong(['modelProvider'], 128)) },
  { name: 'modelProvider blank', input: { modelProvider: '   ' }, outcome: invalid(tooShort(['modelProvider'])) },
  { name: 'modelProvider empty', input: { modelProvider: '' }, outcome: invalid(tooShort(['modelProvider'])) },
  { name: 'modelName of 257 characters', input: { modelName: long(257, 'N') }, outcome: invalid(tooLong(['modelName'], 256)) },
  { name: 'modelName blank', input: { modelName: ' \t ' }, outcome: invalid(tooShort(['modelName'])) },
  { name: 'category as a number', input: { category: 5 }, outcome: typeError(issue(['category'], STRING_TYPE, 'string_type'), NOT_STRING) },
  { name: 'apiKey as a number', input: { apiKey: 12345 }, outcome: typeError(issue(['apiKey'], STRING_TYPE, 'string_type'), NOT_STRING) },
  { name: 'apiKey of 4097 characters', input: { apiKey: long(4097, 'k') }, outcome: invalid(tooLong(['apiKey'], 4096)) },
  {
    name: 'shareWithUsers as a string',
    input: { shareWithUsers: 'true' },
    outcome: typeError(issue(['shareWithUsers'], 'Input should be a valid boolean', 'bool_type'), NOT_BOOL),
  },
  {
    name: 'abilities: 65 items',
    input: { abilities: SIXTY_FIVE },
    outcome: invalid(issue(['abilities'], 'List should have at most 64 items after validation, not 65', 'too_long')),
  },
  {
    name: 'abilities: 65 items counted as sent (duplicates included)',
    input: { abilities: [...SIXTY_FOUR, 'ability-0'] },
    outcome: invalid(issue(['abilities'], 'List should have at most 64 items after validation, not 65', 'too_long')),
  },
  {
    name: 'abilities: an item of 65 characters',
    input: { abilities: ['chat', long(65, 'x')] },
    outcome: invalid(tooLong(['abilities', 1], 64)),
  },
  { name: 'abilities: an empty item', input: { abilities: ['chat', ''] }, outcome: invalid(tooShort(['abilities', 1])) },
  { name: 'abilities: a blank item', input: { abilities: ['  '] }, outcome: invalid(tooShort(['abilities', 0])) },
  {
    name: 'abilities: a non-string item',
    input: { abilities: ['chat', 7] },
    outcome: typeError(issue(['abilities', 1], STRING_TYPE, 'string_type'), NOT_STRING),
  },
  {
    name: 'abilities: a string instead of a list',
    input: { abilities: 'chat' },
    outcome: invalid(issue(['abilities'], 'Input should be a valid list', 'list_type')),
    only: 'rest',
  },
  {
    name: 'several problems are reported together',
    input: { dimension: 0, modelName: null, temperature: 3 },
    outcome: invalid(
      issue(['modelName'], STRING_TYPE, 'string_type'),
      issue(['temperature'], 'Input should be less than or equal to 2', 'less_than_equal'),
      issue(['dimension'], 'Input should be greater than or equal to 1', 'greater_than_equal'),
    ),
  },
  {
    name: 'category → embedding while the stored abilities are chat abilities',
    input: { category: 'embedding' },
    outcome: invalid(
      issue(
        ['abilities'],
        "Value error, abilities of category 'embedding' may only be 'embedding'; not allowed: 'chat', 'vision'",
        'value_error',
      ),
    ),
  },
  {
    name: 'category → rerank with embedding abilities given',
    input: { category: 'rerank', abilities: ['embedding'] },
    outcome: invalid(
      issue(['abilities'], "Value error, abilities of category 'rerank' may only be 'rerank'; not allowed: 'embedding'", 'value_error'),
    ),
  },
  {
    name: 'embedding model: abilities rerank',
    create: { category: 'embedding', abilities: ['embedding'] },
    input: { abilities: ['embedding', 'rerank'] },
    outcome: invalid(
      issue(['abilities'], "Value error, abilities of category 'embedding' may only be 'embedding'; not allowed: 'rerank'", 'value_error'),
    ),
  },
  {
    name: 'image model: abilities tts',
    create: { category: 'image', abilities: ['generate'] },
    input: { abilities: ['generate', 'tts'] },
    outcome: invalid(
      issue(['abilities'], "Value error, abilities of category 'image' may only be 'generate', 'edit'; not allowed: 'tts'", 'value_error'),
    ),
  },
  {
    name: 'speech model: abilities generate',
    create: { category: 'speech', abilities: ['asr'] },
    input: { abilities: ['generate'] },
    outcome: invalid(
      issue(['abilities'], "Value error, abilities of category 'speech' may only be 'asr', 'tts'; not allowed: 'generate'", 'value_error'),
    ),
  },
  {
    name: 'video model: abilities edit',
    create: { category: 'video', abilities: ['generate'] },
    input: { abilities: ['edit'] },
    outcome: invalid(
      issue(['abilities'], "Value error, abilities of category 'video' may only be 'generate'; not allowed: 'edit'", 'value_error'),
    ),
  },
  ...(['embedding', 'rerank', 'image', 'speech', 'video'] as const).map((category): RefusalCase => ({
    name: `${category} model: an empty abilities list`,
    create: { category, abilities: null },
    input: { abilities: [] },
    outcome: invalid(issue(['abilities'], `Value error, abilities of category '${category}' may not be empty`, 'value_error')),
  })),
  {
    name: 'category → image with an empty abilities list',
    input: { category: 'image', abilities: [] },
    outcome: invalid(issue(['abilities'], "Value error, abilities of category 'image' may not be empty", 'value_error')),
  },
  {
    name: 'unknown category',
    input: { category: 'audio' },
    outcome: { badRequest: 'Invalid model category', field: 'category' },
  },
];
