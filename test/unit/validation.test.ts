/**
 * The pure input rules (src/models/model.validation.ts) on their own: what every update and
 * create goes through before the database is touched. Input is camelCase and untyped (REST bodies
 * are plain JSON); the result is a normalized patch where a missing key means "unchanged".
 */
import { AppError } from '../../src/lib/errors';
import {
  abilityIssues,
  CATEGORIES,
  parseCreateInput,
  parseUpdateInput,
  sameAbilitySet,
  type Category,
  type InputRecord,
} from '../../src/models/model.validation';

interface Issue {
  path: (string | number)[];
  msg: string;
  type: string;
}

/** The AppError a refused input throws (fails the test if it does not throw one). */
function refusal(parse: () => unknown): AppError {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected the input to be refused, but it was accepted');
}

function expectIssues(parse: () => unknown, issues: Issue[]): AppError {
  const err = refusal(parse);
  expect(err.code).toBe('VALIDATION');
  expect(err.issues).toEqual(issues);
  expect(err.fields).toEqual([...new Set(issues.map((i) => String(i.path[0])))]);
  return err;
}

const update = (raw: InputRecord) => () => parseUpdateInput(raw);
const create = (raw: InputRecord) => () => parseCreateInput(raw);
const long = (n: number, ch = 'a') => ch.repeat(n);
const STRING_TYPE = 'Input should be a valid string';
const tooLong = (path: (string | number)[], max: number): Issue => ({
  path,
  msg: `String should have at most ${max} characters`,
  type: 'string_too_long',
});
const tooShort = (path: (string | number)[]): Issue => ({ path, msg: 'String should have at least 1 character', type: 'string_too_short' });

describe('parseUpdateInput: merge-patch semantics', () => {
  it('an empty input is an empty patch', () => {
    expect(parseUpdateInput({})).toEqual({});
  });

  it('a key whose value is undefined is the same as a key left out', () => {
    expect(parseUpdateInput({ temperature: undefined, baseUrl: undefined, category: undefined })).toEqual({});
  });

  it('keys that are not input fields are ignored', () => {
    const patch = parseUpdateInput({
      id: 5,
      modelId: 'x',
      version: 9,
      isActive: false,
      isShared: true,
      ownerId: 'bob',
      createdAt: 'then',
      hasApiKey: false,
      apiKeyEncrypted: 'v1.x',
      model_name: 'snake case is not camelCase',
    });
    expect(patch).toEqual({});
    expect(Object.keys(patch)).toEqual([]);
  });

  it('null clears each nullable field', () => {
    expect(
      parseUpdateInput({ baseUrl: null, temperature: null, dimension: null, description: null, abilities: null, apiKey: null }),
    ).toEqual({
      baseUrl: null,
      temperature: null,
      dimension: null,
      description: null,
      abilities: null,
      apiKey: null,
    });
  });

  it.each([
    ['category', 'string_type', STRING_TYPE],
    ['modelProvider', 'string_type', STRING_TYPE],
    ['modelName', 'string_type', STRING_TYPE],
    ['shareWithUsers', 'bool_type', 'Input should be a valid boolean'],
  ])('null for %s is a validation error', (field, type, msg) => {
    const err = expectIssues(update({ [field]: null }), [{ path: [field], type, msg }]);
    expect(err.message).toBe(`Invalid input: ${field}: ${msg}`);
  });

  it('every problem is reported at once, in field order', () => {
    expectIssues(update({ shareWithUsers: 'yes', dimension: 0, category: null, temperature: 5, baseUrl: 'ftp://x' }), [
      { path: ['category'], type: 'string_type', msg: STRING_TYPE },
      { path: ['baseUrl'], type: 'url_scheme', msg: "URL scheme should be 'http' or 'https'" },
      { path: ['temperature'], type: 'less_than_equal', msg: 'Input should be less than or equal to 2' },
      { path: ['dimension'], type: 'greater_than_equal', msg: 'Input should be greater than or equal to 1' },
      { path: ['shareWithUsers'], type: 'bool_type', msg: 'Input should be a valid boolean' },
    ]);
  });

  it('a valid field beside an invalid one does not make it through (the whole input is refused)', () => {
    expectIssues(update({ modelName: 'ok', temperature: -1 }), [
      { path: ['temperature'], type: 'greater_than_equal', msg: 'Input should be greater than or equal to 0' },
    ]);
  });
});

describe('parseUpdateInput: api_key', () => {
  it.each(['', ' ', '   \t\n '])('a blank key %j means "unchanged": no apiKey in the patch', (apiKey) => {
    const patch = parseUpdateInput({ apiKey });
    expect(patch).toEqual({});
    expect('apiKey' in patch).toBe(false);
  });

  it('a key is trimmed', () => {
    expect(parseUpdateInput({ apiKey: '  sk-abc  ' })).toEqual({ apiKey: 'sk-abc' });
  });

  it('4096 characters are allowed, 4097 are not', () => {
    expect(parseUpdateInput({ apiKey: long(4096, 'k') })).toEqual({ apiKey: long(4096, 'k') });
    expectIssues(update({ apiKey: long(4097, 'k') }), [tooLong(['apiKey'], 4096)]);
  });

  it('4096 characters once trimmed are allowed', () => {
    expect(parseUpdateInput({ apiKey: ` ${long(4096, 'k')} ` })).toEqual({ apiKey: long(4096, 'k') });
  });

  it.each([12345, true, ['sk'], { key: 'sk' }])('a non-string key %j is refused', (apiKey) => {
    expectIssues(update({ apiKey }), [{ path: ['apiKey'], type: 'string_type', msg: STRING_TYPE }]);
  });

  it('a refused key is never echoed in the error', () => {
    const secret = `sk-SECRET-${long(4100, 'z')}`;
    const err = expectIssues(update({ apiKey: secret, temperature: 'hot' }), [
      tooLong(['apiKey'], 4096),
      { path: ['temperature'], type: 'float_type', msg: 'Input should be a valid number' },
    ]);
    expect(err.message).not.toContain('SECRET');
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain('SECRET');
    expect(err.message).not.toContain('hot');
  });
});

describe('parseUpdateInput: strings and normalization', () => {
  it('category is trimmed and lower-cased; an unknown category passes through (a 400 decided later)', () => {
    expect(parseUpdateInput({ category: '  Embedding ' })).toEqual({ category: 'embedding' });
    expect(parseUpdateInput({ category: 'AUDIO' })).toEqual({ category: 'audio' });
  });

  it('modelProvider is trimmed and lower-cased', () => {
    expect(parseUpdateInput({ modelProvider: '  OpenAI\t' })).toEqual({ modelProvider: 'openai' });
  });

  it('modelProvider: 128 characters after trimming are allowed, 129 are not, blank is too short', () => {
    expect(parseUpdateInput({ modelProvider: `  ${long(128, 'P')}  ` })).toEqual({ modelProvider: long(128, 'p') });
    expectIssues(update({ modelProvider: long(129) }), [tooLong(['modelProvider'], 128)]);
    expectIssues(update({ modelProvider: '   ' }), [tooShort(['modelProvider'])]);
    expectIssues(update({ modelProvider: '' }), [tooShort(['modelProvider'])]);
  });

  it('modelName is trimmed, its case kept; 256 allowed, 257 not; blank too short', () => {
    expect(parseUpdateInput({ modelName: ' GPT-4o ' })).toEqual({ modelName: 'GPT-4o' });
    expect(parseUpdateInput({ modelName: long(256) })).toEqual({ modelName: long(256) });
    expectIssues(update({ modelName: long(257) }), [tooLong(['modelName'], 256)]);
    expectIssues(update({ modelName: '\n' }), [tooShort(['modelName'])]);
  });

  it('description is kept exactly as given (not trimmed); empty is allowed; 4000 allowed, 4001 not', () => {
    expect(parseUpdateInput({ description: '  x  ' })).toEqual({ description: '  x  ' });
    expect(parseUpdateInput({ description: '' })).toEqual({ description: '' });
    expect(parseUpdateInput({ description: long(4000) })).toEqual({ description: long(4000) });
    expectIssues(update({ description: long(4001) }), [tooLong(['description'], 4000)]);
  });

  it.each([
    ['category', 5],
    ['modelProvider', {}],
    ['modelName', ['gpt']],
    ['description', 42],
  ])('%s of the wrong type (%j) is string_type', (field, value) => {
    expectIssues(update({ [field]: value }), [{ path: [field], type: 'string_type', msg: STRING_TYPE }]);
  });
});

describe('parseUpdateInput: baseUrl', () => {
  it.each([
    ['http://localhost:11434', 'http://localhost:11434'],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1'],
    ['  https://api.example.com/v1  ', 'https://api.example.com/v1'],
    ['HTTPS://API.EXAMPLE.COM/v1', 'HTTPS://API.EXAMPLE.COM/v1'],
    ['http://10.0.0.1:8080/path?x=1', 'http://10.0.0.1:8080/path?x=1'],
  ])('%j is accepted as %j (trimmed, otherwise as given)', (baseUrl, expected) => {
    expect(parseUpdateInput({ baseUrl })).toEqual({ baseUrl: expected });
  });

  it.each([
    ['not a url', 'url_parsing', 'Input should be a valid URL'],
    ['/v1/relative', 'url_parsing', 'Input should be a valid URL'],
    ['api.example.com', 'url_parsing', 'Input should be a valid URL'],
    ['http://', 'url_parsing', 'Input should be a valid URL'],
    ['ftp://files.example.com', 'url_scheme', "URL scheme should be 'http' or 'https'"],
    ['file:///etc/passwd', 'url_scheme', "URL scheme should be 'http' or 'https'"],
    ['javascript:alert(1)', 'url_scheme', "URL scheme should be 'http' or 'https'"],
    ['ws://example.com', 'url_scheme', "URL scheme should be 'http' or 'https'"],
  ])('%j is refused (%s)', (baseUrl, type, msg) => {
    expectIssues(update({ baseUrl }), [{ path: ['baseUrl'], type, msg }]);
  });

  it('2048 characters are allowed, 2049 are not; blank is null (forms send "" for an empty field)', () => {
    const url2048 = `https://example.com/${long(2048 - 20)}`;
    expect(url2048).toHaveLength(2048);
    expect(parseUpdateInput({ baseUrl: url2048 })).toEqual({ baseUrl: url2048 });
    expectIssues(update({ baseUrl: `${url2048}x` }), [tooLong(['baseUrl'], 2048)]);
    expect(parseUpdateInput({ baseUrl: '  ' })).toEqual({ baseUrl: null });
  });

  it('a non-string baseUrl is string_type', () => {
    expectIssues(update({ baseUrl: 80 }), [{ path: ['baseUrl'], type: 'string_type', msg: STRING_TYPE }]);
  });
});

describe('parseUpdateInput: numbers', () => {
  it.each([0, 0.0001, 1, 1.9999, 2])('temperature %p is accepted', (temperature) => {
    expect(parseUpdateInput({ temperature })).toEqual({ temperature });
  });

  it.each([
    [-0.0001, 'greater_than_equal', 'Input should be greater than or equal to 0'],
    [-1, 'greater_than_equal', 'Input should be greater than or equal to 0'],
    [2.0001, 'less_than_equal', 'Input should be less than or equal to 2'],
    [100, 'less_than_equal', 'Input should be less than or equal to 2'],
    [Number.NaN, 'finite_number', 'Input should be a finite number'],
    [Number.POSITIVE_INFINITY, 'finite_number', 'Input should be a finite number'],
    ['0.5', 'float_type', 'Input should be a valid number'],
    [true, 'float_type', 'Input should be a valid number'],
    [[1], 'float_type', 'Input should be a valid number'],
  ])('temperature %p is refused (%s)', (temperature, type, msg) => {
    expectIssues(update({ temperature }), [{ path: ['temperature'], type, msg }]);
  });

  it.each([1, 2, 1536, 65536])('dimension %p is accepted', (dimension) => {
    expect(parseUpdateInput({ dimension })).toEqual({ dimension });
  });

  it.each([
    [0, 'greater_than_equal', 'Input should be greater than or equal to 1'],
    [-5, 'greater_than_equal', 'Input should be greater than or equal to 1'],
    [65537, 'less_than_equal', 'Input should be less than or equal to 65536'],
    [1.5, 'int_from_float', 'Input should be a valid integer, got a number with a fractional part'],
    ['1024', 'int_type', 'Input should be a valid integer'],
    [Number.NaN, 'int_type', 'Input should be a valid integer'],
    [Number.POSITIVE_INFINITY, 'int_type', 'Input should be a valid integer'],
    [false, 'int_type', 'Input should be a valid integer'],
  ])('dimension %p is refused (%s)', (dimension, type, msg) => {
    expectIssues(update({ dimension }), [{ path: ['dimension'], type, msg }]);
  });
});

describe('parseUpdateInput: abilities', () => {
  it('duplicates are removed, first occurrence order kept', () => {
    expect(parseUpdateInput({ abilities: ['b', 'a', 'b', 'c', 'a'] })).toEqual({ abilities: ['b', 'a', 'c'] });
  });

  it('items are trimmed before duplicates are found', () => {
    expect(parseUpdateInput({ abilities: [' chat', 'chat ', 'vision'] })).toEqual({ abilities: ['chat', 'vision'] });
  });

  it('an empty list is a list (the category decides later whether it may be empty)', () => {
    expect(parseUpdateInput({ abilities: [] })).toEqual({ abilities: [] });
  });

  it('64 items are allowed; 65 are not, even when duplicates would bring them under 64', () => {
    const sixtyFour = Array.from({ length: 64 }, (_, i) => `a${i}`);
    expect(parseUpdateInput({ abilities: sixtyFour })).toEqual({ abilities: sixtyFour });
    const tooMany = { path: ['abilities'], type: 'too_long', msg: 'List should have at most 64 items after validation, not 65' };
    expectIssues(update({ abilities: [...sixtyFour, 'a64'] }), [tooMany]);
    expectIssues(update({ abilities: [...sixtyFour, 'a0'] }), [tooMany]);
    expectIssues(update({ abilities: Array.from({ length: 65 }, () => 'same') }), [tooMany]);
  });

  it('an item of 64 characters is allowed, 65 is not (after trimming)', () => {
    expect(parseUpdateInput({ abilities: [` ${long(64)} `] })).toEqual({ abilities: [long(64)] });
    expectIssues(update({ abilities: ['ok', long(65)] }), [tooLong(['abilities', 1], 64)]);
  });

  it('empty, blank and non-string items are refused, each at its index', () => {
    expectIssues(update({ abilities: ['', 'ok', '  ', 3, null] }), [
      tooShort(['abilities', 0]),
      tooShort(['abilities', 2]),
      { path: ['abilities', 3], type: 'string_type', msg: STRING_TYPE },
      { path: ['abilities', 4], type: 'string_type', msg: STRING_TYPE },
    ]);
  });

  it.each(['chat', { 0: 'chat' }, 5, true])('a non-list %j is list_type', (abilities) => {
    expectIssues(update({ abilities }), [{ path: ['abilities'], type: 'list_type', msg: 'Input should be a valid list' }]);
  });
});

describe('parseUpdateInput: shareWithUsers', () => {
  it.each([true, false])('%p is accepted', (shareWithUsers) => {
    expect(parseUpdateInput({ shareWithUsers })).toEqual({ shareWithUsers });
  });

  it.each(['true', 1, 0, 'false'])('%j is refused (no coercion)', (shareWithUsers) => {
    expectIssues(update({ shareWithUsers }), [{ path: ['shareWithUsers'], type: 'bool_type', msg: 'Input should be a valid boolean' }]);
  });
});

describe('parseCreateInput', () => {
  it('the smallest valid input: provider and name, normalized', () => {
    expect(parseCreateInput({ modelProvider: ' Ollama ', modelName: ' llama3 ' })).toEqual({
      modelProvider: 'ollama',
      modelName: 'llama3',
    });
  });

  it('modelProvider and modelName are required', () => {
    expectIssues(create({}), [
      { path: ['modelProvider'], type: 'missing', msg: 'Field required' },
      { path: ['modelName'], type: 'missing', msg: 'Field required' },
    ]);
    expectIssues(create({ modelProvider: 'x', modelName: undefined }), [{ path: ['modelName'], type: 'missing', msg: 'Field required' }]);
  });

  it.each([
    ['modelProvider', 'string_type', STRING_TYPE],
    ['modelName', 'string_type', STRING_TYPE],
    ['category', 'string_type', STRING_TYPE],
    ['shareWithUsers', 'bool_type', 'Input should be a valid boolean'],
  ])('null for %s is a validation error', (field, type, msg) => {
    expectIssues(create({ modelProvider: 'p', modelName: 'n', [field]: null }), [{ path: [field], type, msg }]);
  });

  it('category and shareWithUsers left out stay absent (the service applies llm / false)', () => {
    const fields = parseCreateInput({ modelProvider: 'p', modelName: 'n' });
    expect('category' in fields).toBe(false);
    expect('shareWithUsers' in fields).toBe(false);
  });

  it('a blank apiKey means no key', () => {
    const fields = parseCreateInput({ modelProvider: 'p', modelName: 'n', apiKey: '   ' });
    expect(fields).toEqual({ modelProvider: 'p', modelName: 'n' });
  });

  it('modelId is trimmed; null or left out means "generate one"', () => {
    expect(parseCreateInput({ modelProvider: 'p', modelName: 'n', modelId: '  google/gemini-2.5-flash  ' })).toEqual({
      modelProvider: 'p',
      modelName: 'n',
      modelId: 'google/gemini-2.5-flash',
    });
    expect('modelId' in parseCreateInput({ modelProvider: 'p', modelName: 'n', modelId: null })).toBe(false);
    expect('modelId' in parseCreateInput({ modelProvider: 'p', modelName: 'n' })).toBe(false);
  });

  it('modelId: 256 characters allowed, 257 not, blank too short, control characters refused, non-string refused', () => {
    expect(parseCreateInput({ modelProvider: 'p', modelName: 'n', modelId: long(256) }).modelId).toBe(long(256));
    expectIssues(create({ modelProvider: 'p', modelName: 'n', modelId: long(257) }), [tooLong(['modelId'], 256)]);
    expectIssues(create({ modelProvider: 'p', modelName: 'n', modelId: '  ' }), [tooShort(['modelId'])]);
    expectIssues(create({ modelProvider: 'p', modelName: 'n', modelId: 'a\u0000b' }), [
      { path: ['modelId'], type: 'string_pattern_mismatch', msg: 'String should not contain NUL characters' },
    ]);
    expectIssues(create({ modelProvider: 'p', modelName: 'n', modelId: 'a\tb' }), [
      { path: ['modelId'], type: 'string_pattern_mismatch', msg: 'String should not contain control characters' },
    ]);
    expectIssues(create({ modelProvider: 'p', modelName: 'n', modelId: 7 }), [
      { path: ['modelId'], type: 'string_type', msg: STRING_TYPE },
    ]);
  });

  it('the same field rules as update apply, all problems at once', () => {
    expectIssues(create({ modelName: 'n', temperature: 3, abilities: [''], baseUrl: 'nope' }), [
      { path: ['baseUrl'], type: 'url_parsing', msg: 'Input should be a valid URL' },
      { path: ['temperature'], type: 'less_than_equal', msg: 'Input should be less than or equal to 2' },
      tooShort(['abilities', 0]),
      { path: ['modelProvider'], type: 'missing', msg: 'Field required' },
    ]);
  });

  it('every field at once, normalized', () => {
    expect(
      parseCreateInput({
        modelId: ' id-1 ',
        category: ' Speech ',
        modelProvider: 'ElevenLabs',
        modelName: ' eleven ',
        apiKey: ' sk-1 ',
        baseUrl: ' https://api.elevenlabs.io ',
        temperature: 1,
        dimension: 10,
        description: ' d ',
        abilities: ['tts', 'tts', 'asr'],
        shareWithUsers: false,
      }),
    ).toEqual({
      modelId: 'id-1',
      category: 'speech',
      modelProvider: 'elevenlabs',
      modelName: 'eleven',
      apiKey: 'sk-1',
      baseUrl: 'https://api.elevenlabs.io',
      temperature: 1,
      dimension: 10,
      description: ' d ',
      abilities: ['tts', 'asr'],
      shareWithUsers: false,
    });
  });
});

describe('abilityIssues', () => {
  const valueError = (msg: string) => [{ path: ['abilities'], type: 'value_error', msg: `Value error, ${msg}` }];

  it('knows exactly the eight categories', () => {
    expect([...CATEGORIES]).toEqual(['llm', 'embedding', 'rerank', 'image', 'speech', 'video', 'music', 'sound_effect']);
  });

  it.each(CATEGORIES.map((c) => [c]))('%s: null abilities are always fine', (category) => {
    expect(abilityIssues(category as Category, null)).toEqual([]);
  });

  it('llm: anything goes, the empty list too', () => {
    expect(abilityIssues('llm', [])).toEqual([]);
    expect(abilityIssues('llm', ['chat', 'embedding', 'generate', 'whatever'])).toEqual([]);
  });

  it.each([
    ['embedding', ['embedding']],
    ['rerank', ['rerank']],
    ['image', ['generate']],
    ['image', ['edit']],
    ['image', ['edit', 'generate']],
    ['speech', ['asr']],
    ['speech', ['tts']],
    ['speech', ['asr', 'tts']],
    ['video', ['generate']],
  ])('%s allows %j', (category, abilities) => {
    expect(abilityIssues(category as Category, abilities)).toEqual([]);
  });

  it.each(['embedding', 'rerank', 'image', 'speech', 'video'])('%s refuses an empty list', (category) => {
    expect(abilityIssues(category as Category, [])).toEqual(valueError(`abilities of category '${category}' may not be empty`));
  });

  it.each([
    ['embedding', ['embedding', 'chat'], "abilities of category 'embedding' may only be 'embedding'; not allowed: 'chat'"],
    ['rerank', ['embedding'], "abilities of category 'rerank' may only be 'rerank'; not allowed: 'embedding'"],
    ['image', ['generate', 'tts', 'asr'], "abilities of category 'image' may only be 'generate', 'edit'; not allowed: 'tts', 'asr'"],
    ['speech', ['generate'], "abilities of category 'speech' may only be 'asr', 'tts'; not allowed: 'generate'"],
    ['video', ['edit'], "abilities of category 'video' may only be 'generate'; not allowed: 'edit'"],
    ['video', ['Generate'], "abilities of category 'video' may only be 'generate'; not allowed: 'Generate'"],
  ])('%s refuses %j', (category, abilities, msg) => {
    expect(abilityIssues(category as Category, abilities)).toEqual(valueError(msg));
  });
});

describe('sameAbilitySet', () => {
  it.each([
    [
      ['a', 'b'],
      ['b', 'a'],
    ],
    [
      ['a', 'b', 'a'],
      ['b', 'a'],
    ],
    [[], []],
    [null, null],
    [['x'], ['x', 'x']],
  ])('%j and %j are the same set', (a, b) => {
    expect(sameAbilitySet(a, b)).toBe(true);
    expect(sameAbilitySet(b, a)).toBe(true);
  });

  // The contract: `[]` and `null` are the same empty set (forms send `[]` for null abilities).
  it('null and [] are the same empty set', () => {
    expect(sameAbilitySet(null, [])).toBe(true);
    expect(sameAbilitySet([], null)).toBe(true);
  });

  it.each([
    [null, ['a']],
    [['a'], ['a', 'b']],
    [
      ['a', 'b'],
      ['a', 'c'],
    ],
    [['a'], ['A']],
    [
      ['a', 'a'],
      ['a', 'b'],
    ],
  ])('%j and %j differ', (a, b) => {
    expect(sameAbilitySet(a, b)).toBe(false);
    expect(sameAbilitySet(b, a)).toBe(false);
  });
});

describe('lone UTF-16 surrogates (no UTF-8 form) are refused, never stored mangled', () => {
  const LONE = 'model\ud800name';
  it.each([
    ['modelName', { modelName: LONE }, ['modelName']],
    ['description', { description: LONE }, ['description']],
    ['apiKey', { apiKey: LONE }, ['apiKey']],
    ['abilities item', { abilities: ['chat', '\udc00'] }, ['abilities', 1]],
  ])('%s', (_name, input, path) => {
    let thrown: unknown;
    try {
      parseUpdateInput(input);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).issues).toEqual([
      { path, type: 'string_unicode', msg: 'Input should be a valid string, unable to parse raw data as a unicode string' },
    ]);
  });

  it('a well-formed surrogate pair (an emoji) is fine', () => {
    expect(parseUpdateInput({ modelName: 'llama 🦙' })).toEqual({ modelName: 'llama 🦙' });
  });
});

describe('NUL characters (PostgreSQL text cannot hold them) are refused on every backend', () => {
  it.each([
    ['modelProvider', { modelProvider: 'a\u0000b' }, ['modelProvider']],
    ['description', { description: '\u0000' }, ['description']],
    ['abilities item', { abilities: ['ch\u0000at'] }, ['abilities', 0]],
  ])('%s', (_name, input, path) => {
    expect(() => parseUpdateInput(input)).toThrow(AppError);
    try {
      parseUpdateInput(input);
    } catch (err) {
      expect((err as AppError).issues).toEqual([
        { path, type: 'string_pattern_mismatch', msg: 'String should not contain NUL characters' },
      ]);
    }
  });

  it('an unknown category of any length is left for the 400 check, not refused as a 422', () => {
    expect(parseUpdateInput({ category: 'x'.repeat(500) })).toEqual({ category: 'x'.repeat(500) });
    expect(parseUpdateInput({ category: ' ' })).toEqual({ category: '' });
  });
});
