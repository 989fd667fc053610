/**
 * The fast-check arbitraries of the fuzzer: valid and invalid values per input field, junk JSON,
 * REST bodies, callers, If-Match headers, GraphQL documents and envelopes, oversized bodies.
 * Generation depends only on these definitions and the seed, so moving them changes no run.
 */
import fc from 'fast-check';
import { MODEL_FIELDS } from '../helpers/http';
import { CATEGORIES, INPUT_FIELDS, type InputField, type JVal, MARKER, SNAKE, TARGET_KINDS, type TargetKind } from './values';

/* -------------------------------------------------------------- arbitraries */

export const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
export const alnum = fc.constantFrom(...ALNUM);
export const word = (min: number, max: number) => fc.string({ unit: alnum, minLength: min, maxLength: max });
export const unicode = (max: number) => fc.string({ unit: 'binary', maxLength: max });
export const graphemes = (max: number) => fc.string({ unit: 'grapheme', maxLength: max });
export const controlish = fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 });
export const whitespace = fc.string({
  unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\ufeff'),
  minLength: 1,
  maxLength: 3,
});
export const padded = (arb: fc.Arbitrary<string>) =>
  fc.tuple(fc.option(whitespace, { nil: '' }), arb, fc.option(whitespace, { nil: '' })).map(([a, s, b]) => a + s + b);
export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
export const withLoneSurrogate = fc.tuple(word(0, 4), loneSurrogate, word(0, 4)).map(([a, s, b]) => a + s + b);
export const edgeStrings = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '0',
  '1e308',
  'null',
  'true',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '{}',
  '[]',
  "'; DROP TABLE models; --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '\u0000',
  'a\u0000b',
  '\u202egnp.exe',
  'ʟʟᴍ',
  'LLM',
  ' llm ',
  '\u{1F916}',
);
/** Strings that are fine wherever any string is. */
export const anyString = fc.oneof(
  { weight: 4, arbitrary: word(1, 16) },
  { weight: 2, arbitrary: unicode(24) },
  { weight: 2, arbitrary: graphemes(12) },
  { weight: 2, arbitrary: edgeStrings },
  { weight: 1, arbitrary: controlish },
  { weight: 1, arbitrary: withLoneSurrogate },
);
export const rep = (head: string, chunk: fc.Arbitrary<string>, min: number, max: number): fc.Arbitrary<JVal> =>
  fc.tuple(chunk, fc.integer({ min, max })).map(([c, n]) => ({ $rep: [head, c, Math.max(1, Math.ceil(n / c.length))] }));
/** Up to ~60k UTF-16 units: a few of these stay well under the 1 MiB body limit even when every unit is escaped. */
export const hugeString = (min: number) =>
  rep('', fc.oneof(fc.constant('x'), word(1, 8), fc.string({ unit: 'binary', minLength: 1, maxLength: 6 })), min, 60_000);

export const rawNumbers = fc.constantFrom<JVal>(
  { $n: '-0' },
  { $n: '1e400' },
  { $n: '-1e400' },
  { $n: '9007199254740993' },
  { $n: '1.0' },
  { $n: '1E2' },
  { $n: '0.1e-400' },
  { $n: '123456789012345678901234567890' },
);
/** Tokens that make the whole body invalid JSON (a 422 json_invalid). */
export const invalidJsonTokens = fc.constantFrom<JVal>(
  { $n: 'NaN' },
  { $n: 'Infinity' },
  { $n: '-Infinity' },
  { $n: '+1' },
  { $n: '.5' },
  { $n: '01' },
  { $n: 'undefined' },
  { $n: "'x'" },
);
export const edgeNumbers = fc.oneof(
  fc.constantFrom<JVal>(
    0,
    1,
    -1,
    0.5,
    2,
    2.0000000000000004,
    65536,
    65537,
    2 ** 31,
    2 ** 31 - 1,
    -(2 ** 31) - 1,
    2 ** 53,
    1e308,
    -1e308,
    5e-324,
  ),
  rawNumbers,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
export const deep = fc
  .tuple(fc.integer({ min: 50, max: 20_000 }), fc.constantFrom<'array' | 'object'>('array', 'object'))
  .map((d): JVal => ({ $deep: d }));

export const junkKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'valueOf',
    'hasOwnProperty',
    '__defineGetter__',
    'is_admin',
    'roles',
    '',
  ),
  word(1, 8),
  unicode(8),
);
export const { junk } = fc.letrec<{ junk: JVal }>((tie) => ({
  junk: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    edgeNumbers,
    anyString,
    fc.array(tie('junk'), { maxLength: 4 }),
    fc.array(fc.tuple(junkKey, tie('junk')), { maxLength: 4 }).map((entries): JVal => ({ $o: entries })),
  ),
}));
/** Wrong types for a string/number/boolean field. */
export const wrongType = fc.oneof(
  fc.boolean(),
  edgeNumbers,
  fc.array(junk, { maxLength: 3 }),
  fc.array(fc.tuple(junkKey, junk), { maxLength: 3 }).map((entries): JVal => ({ $o: entries })),
  deep,
);

/** api_key values: every string of them carries MARKER. */
export const secret = fc.oneof(
  { weight: 4, arbitrary: word(6, 32).map((s) => MARKER + s) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }).map((s) => MARKER + s) },
  { weight: 1, arbitrary: fc.tuple(whitespace, word(6, 12), whitespace).map(([a, s, b]) => a + MARKER + s + b) },
);

export const CATEGORY_NAMES = fc.constantFrom(...CATEGORIES);
export const ABILITY_WORDS = ['chat', 'tools', 'vision', 'embedding', 'rerank', 'generate', 'edit', 'asr', 'tts', 'json'];
export const abilityWord = fc.constantFrom(...ABILITY_WORDS);
export const providerish = fc.oneof(fc.constantFrom('openai', 'ollama', 'anthropic', 'google', 'OpenAI', 'Azure'), anyString);
export const nameish = fc.oneof(fc.constantFrom('gpt-4o', 'google/gemini-2.5-flash', 'llama3:8b', 'text-embedding-3-small'), anyString);
export const fitsTrimmed = (max: number) => (s: string) => s.trim().length >= 1 && s.trim().length <= max;

/** Values the contract accepts for the field's shape (a category/abilities/sharing rule may still refuse them). */
export const VALID: Record<InputField, fc.Arbitrary<JVal>> = {
  category: fc.oneof(
    { weight: 4, arbitrary: CATEGORY_NAMES },
    { weight: 2, arbitrary: padded(fc.mixedCase(CATEGORY_NAMES)) },
    // Strings, so the shape is fine, but no category: a 400.
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom('chat', 'LLMs', 'audio', 'text', 'ｌｌｍ', 'llm\u0000'), word(1, 10)) },
  ),
  modelProvider: padded(providerish.filter(fitsTrimmed(128))),
  modelName: padded(nameish.filter(fitsTrimmed(256))),
  apiKey: fc.oneof(
    { weight: 6, arbitrary: secret },
    { weight: 1, arbitrary: fc.constantFrom<JVal>('', '   ', null) },
    { weight: 1, arbitrary: fc.constantFrom(...TARGET_KINDS).map((k): JVal => ({ $key: k })) },
    { weight: 1, arbitrary: fc.constant<JVal>({ $rep: [MARKER, 'k', 4096 - MARKER.length] }) },
  ),
  baseUrl: fc.oneof(
    fc.constant(null),
    padded(
      fc.constantFrom(
        'https://api.openai.com/v1',
        'http://localhost:11434',
        'http://127.0.0.1:8080/v1',
        'https://example.com/a/b?c=d#e',
        'HTTPS://EXAMPLE.COM',
        'http://[::1]:8000/',
        'https://exämple.com/ü',
      ),
    ),
    fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }).filter((u) => u.length <= 2048),
    fc.constant<JVal>({ $rep: ['https://example.com/', 'a', 2048 - 'https://example.com/'.length] }),
  ),
  temperature: fc.oneof(
    fc.double({ min: 0, max: 2, noNaN: true }),
    fc.constantFrom<JVal>(null, 0, 1, 2, { $n: '-0' }, { $n: '2.0' }, { $n: '1e0' }),
  ),
  dimension: fc.oneof(fc.integer({ min: 1, max: 65536 }), fc.constantFrom<JVal>(null, 1, 65536, { $n: '1.0' }, { $n: '1e3' })),
  description: fc.oneof(
    { weight: 4, arbitrary: anyString },
    { weight: 1, arbitrary: fc.constantFrom<JVal>('', null, { $rep: ['', 'd', 4000] }) },
    {
      weight: 1,
      arbitrary: rep(
        '',
        fc.oneof(
          word(1, 8),
          graphemes(4).filter((s) => s.length > 0),
        ),
        1,
        3990,
      ),
    },
  ),
  abilities: fc.oneof(
    fc.constantFrom<JVal>(
      null,
      [],
      ['embedding'],
      ['rerank'],
      ['generate'],
      ['edit', 'generate'],
      ['asr'],
      ['tts', 'asr'],
      ['chat', 'tools'],
      ['tools', 'chat'],
      ['chat', 'vision'],
      ['vision', 'chat'],
      ['chat', 'chat', ' chat '],
    ),
    fc.array(padded(abilityWord), { maxLength: 6 }),
    fc.array(word(1, 10), { maxLength: 5 }),
    fc.array(abilityWord, { minLength: 64, maxLength: 64 }),
  ),
  shareWithUsers: fc.boolean(),
  modelId: fc.oneof(
    { weight: 4, arbitrary: word(1, 20).map((s): JVal => ({ $id: ['new', s] })) },
    { weight: 1, arbitrary: fc.tuple(word(1, 8), word(1, 8)).map(([a, b]): JVal => ({ $id: ['new', `${a}/${b}`] })) },
    { weight: 1, arbitrary: fc.tuple(anyString, whitespace).map(([s, w]): JVal => ({ $id: ['new', s, w, w] })) },
    { weight: 1, arbitrary: fc.constantFrom<JVal>(null, ...TARGET_KINDS.map((k): JVal => ({ $target: k }))) },
  ),
};

/** Values the contract mostly refuses for the field: null for a required field, wrong types, out of range, unknown. */
export const INVALID: Record<InputField, fc.Arbitrary<JVal>> = {
  category: fc.oneof(fc.constant(null), anyString, rep('', fc.constant('c'), 65, 300), wrongType),
  modelProvider: fc.oneof(fc.constantFrom<JVal>(null, ''), whitespace, rep('', fc.constant('p'), 129, 400), wrongType),
  modelName: fc.oneof(fc.constantFrom<JVal>(null, ''), whitespace, rep('', fc.constant('n'), 257, 600), wrongType),
  apiKey: fc.oneof(
    fc.integer({ min: 4097, max: 9000 }).map((n): JVal => ({ $rep: [MARKER, 'k', n - MARKER.length] })),
    fc.boolean(),
    edgeNumbers,
    secret.map((s): JVal => [s]),
    secret.map((s): JVal => ({ $o: [['value', s]] })),
    secret.map((s): JVal => ({ $o: [['__proto__', s]] })),
  ),
  baseUrl: fc.oneof(
    fc.constantFrom<JVal>(
      '',
      ' ',
      'not a url',
      'ftp://example.com',
      'javascript:alert(1)',
      'http://',
      'https://',
      '//example.com',
      'file:///etc/passwd',
      'data:text/plain,hi',
      'mailto:a@b.c',
      'NaN',
    ),
    rep('https://example.com/', fc.constant('a'), 2049 - 'https://example.com/'.length, 5000),
    wrongType,
  ),
  temperature: fc.oneof(
    fc.double({ min: 2, minExcluded: true, max: Number.MAX_VALUE, noNaN: true }),
    fc.double({ min: -Number.MAX_VALUE, max: -Number.MIN_VALUE, noNaN: true }),
    fc.constantFrom<JVal>(
      { $n: '1e400' },
      { $n: '-1e400' },
      1e308,
      -1e-300,
      2.0000000000000004,
      'NaN',
      'Infinity',
      '0.5',
      '-0',
      true,
      [0.5],
    ),
    invalidJsonTokens,
    wrongType,
  ),
  dimension: fc.oneof(
    fc.constantFrom<JVal>(
      0,
      -1,
      65537,
      { $n: '-0' },
      1.5,
      2 ** 31,
      2 ** 31 - 1,
      { $n: '9007199254740993' },
      1e308,
      { $n: '1e400' },
      '1024',
    ),
    fc.double({ min: 1, max: 65536, noNaN: true }).filter((d) => !Number.isInteger(d)),
    invalidJsonTokens,
    wrongType,
  ),
  description: fc.oneof(fc.constant<JVal>({ $rep: ['', 'd', 4001] }), hugeString(4001), wrongType),
  abilities: fc.oneof(
    fc.constantFrom<JVal>('chat', 5, true, { $o: [['0', 'chat']] }, [null], [5], [''], ['  '], [['chat']], ['a'.repeat(65)]),
    fc.array(abilityWord, { minLength: 65, maxLength: 70 }),
    fc.array(junk, { minLength: 1, maxLength: 4 }),
    deep,
  ),
  shareWithUsers: fc.constantFrom<JVal>(null, 'true', 'false', 1, 0, [], { $o: [] }, { $n: '1' }, 'yes'),
  modelId: fc.oneof(
    fc.constantFrom<JVal>('', '  ', 5, true, [], { $o: [] }),
    fc.constantFrom<JVal>({ $id: ['new', 'a\u0000b'] }, { $id: ['new', 'tab\there'] }, { $id: ['new', 'del\u007f'] }),
    fc.constant<JVal>({ $id: ['new', 'x'.repeat(260)] }),
  ),
};

export const fieldEntry = (table: Record<InputField, fc.Arbitrary<JVal>>, fields: readonly InputField[], key: (f: InputField) => string) =>
  fc.oneof(...fields.map((f) => table[f].map((v): [string, JVal] => [key(f), v])));

/** `__proto__` / `constructor` payloads that would matter if the server merged them into anything. */
export const protoPayload = (key: (f: InputField) => string) =>
  fc
    .tuple(
      fieldEntry(VALID, INPUT_FIELDS, key),
      secret,
      fc.constantFrom<[string, JVal]>(['is_admin', true], ['isAdmin', true], ['polluted', 'yes'], ['owner_id', 'mallory'], ['version', 99]),
    )
    .chain(([field, s, extra]) =>
      fc.constantFrom<JVal>(
        { $o: [field, [key('apiKey'), s], extra] },
        { $o: [['prototype', { $o: [field, extra] }]] },
        { $o: [['__proto__', { $o: [extra] }]] },
      ),
    );

/** Keys the REST API must ignore (not input fields), with junk or smuggled values. */
export function restUnknownEntry(op: 'update' | 'create'): fc.Arbitrary<[string, JVal]> {
  const ignored = [
    'id',
    'owner',
    'owner_id',
    'ownerId',
    'version',
    'is_active',
    'isActive',
    'created_at',
    'updated_at',
    'is_owner',
    'can_edit',
    'can_delete',
    'is_shared',
    'has_api_key',
    'modelProvider',
    'modelName',
    'shareWithUsers',
    'roles',
    ...(op === 'update' ? ['model_id'] : []),
  ];
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...ignored), junk) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.constantFrom('__proto__', 'constructor', 'prototype'),
        protoPayload((f) => SNAKE[f]),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constant('apiKey'), secret as fc.Arbitrary<JVal>) },
    { weight: 2, arbitrary: fc.tuple(junkKey, junk) },
  );
}

/** Keys GraphQL must refuse (not fields of the input type). */
export function gqlUnknownEntry(op: 'update' | 'create'): fc.Arbitrary<[string, JVal]> {
  const unknown = [
    'id',
    'version',
    'isActive',
    'ownerId',
    'model_name',
    'hasApiKey',
    '__typename',
    ...(op === 'update' ? ['modelId'] : []),
  ];
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...unknown), junk) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.constantFrom('__proto__', 'constructor', 'prototype'),
        protoPayload((f) => f),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(fc.constant('api_key'), secret as fc.Arbitrary<JVal>) },
    { weight: 1, arbitrary: fc.tuple(junkKey, junk) },
  );
}

/** An input object: often all valid (so requests get accepted), often mixed with junk, sometimes only junk. */
export function inputObject(style: 'rest' | 'gql', op: 'update' | 'create'): fc.Arbitrary<JVal> {
  const key = style === 'rest' ? (f: InputField) => SNAKE[f] : (f: InputField) => f;
  const fields: readonly InputField[] = op === 'create' ? [...INPUT_FIELDS, 'modelId'] : INPUT_FIELDS;
  const valid = fieldEntry(VALID, fields, key);
  const invalid = fieldEntry(INVALID, fields, key);
  const unknown = style === 'rest' ? restUnknownEntry(op) : gqlUnknownEntry(op);
  const mixed = fc.oneof({ weight: 5, arbitrary: valid }, { weight: 3, arbitrary: invalid }, { weight: 2, arbitrary: unknown });
  const entries = fc.oneof(
    { weight: 5, arbitrary: fc.array(valid, { maxLength: 5 }) },
    { weight: 5, arbitrary: fc.array(mixed, { maxLength: 10 }) },
    { weight: 1, arbitrary: fc.array(unknown, { maxLength: 5 }) },
  );
  if (op === 'update') return entries.map((e): JVal => ({ $o: e }));
  // A create without provider and name is refused outright; most carry both so that the rest gets exercised.
  return fc
    .tuple(fc.nat(9), VALID.modelProvider, VALID.modelName, entries)
    .map(([dice, provider, name, e]): JVal => ({ $o: dice < 8 ? [[key('modelProvider'), provider], [key('modelName'), name], ...e] : e }));
}

/** JSON that is not an object where an object belongs. */
export const nonObject = fc.oneof(
  fc.constantFrom<JVal>(null, true, 0, 'model_name', []),
  fc.array(junk, { maxLength: 3 }),
  anyString,
  edgeNumbers,
);

export type BodySpec =
  | { kind: 'json'; value: JVal }
  | { kind: 'bom'; value: JVal }
  | { kind: 'truncated'; value: JVal; cut: number }
  | { kind: 'raw'; text: string }
  | { kind: 'bytes'; prefix: string; bytes: number[]; suffix: string };

export const RAW_BODIES = [
  '',
  ' ',
  '\n',
  '\t\r\n',
  'null',
  'true',
  '0',
  '"x"',
  '[]',
  '[{}]',
  '{}',
  '{',
  '}',
  '{"model_name":}',
  "{'model_name': 'x'}",
  '{"model_name": "x",}',
  '{"model_name": "x"} x',
  '/* c */ {}',
  '{"a":1}{"b":2}',
  'NaN',
  '{"temperature": NaN}',
  '{"temperature": Infinity}',
  '{"dimension": 01}',
  '\u0000',
  '\ufeff',
  '\ufeff\ufeff{}',
  'model_name=x&api_key=y',
  '<model name="x"/>',
  '{"model_name": "\\ud800"}',
  '{"model_name": "\\u00"}',
  '{"model_name": "\\x41"}',
  '{"model_name": "a\nb"}',
  '{"__proto__": {"model_name": "p"}, "__proto__": null}',
];
export function restBody(op: 'update' | 'create'): fc.Arbitrary<BodySpec> {
  const object = inputObject('rest', op);
  return fc.oneof(
    { weight: 20, arbitrary: object.map((value): BodySpec => ({ kind: 'json', value })) },
    { weight: 2, arbitrary: nonObject.map((value): BodySpec => ({ kind: 'json', value })) },
    { weight: 1, arbitrary: object.map((value): BodySpec => ({ kind: 'bom', value })) },
    { weight: 2, arbitrary: fc.tuple(object, fc.nat()).map(([value, cut]): BodySpec => ({ kind: 'truncated', value, cut })) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES).map((text): BodySpec => ({ kind: 'raw', text })) },
    { weight: 1, arbitrary: unicode(40).map((text): BodySpec => ({ kind: 'raw', text })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('[', '{"a":'))
        .map(([n, open]): BodySpec => ({ kind: 'raw', text: open.repeat(n) })),
    },
    { weight: 1, arbitrary: object.map((value): BodySpec => ({ kind: 'json', value: { $o: [['0', value]] } })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('{"model_name": "', '{"description": "', '{"model_provider": "'),
          fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
        )
        .map(([prefix, bytes]): BodySpec => ({ kind: 'bytes', prefix, bytes, suffix: '"}' })),
    },
  );
}

export type Who =
  'owner' | 'other' | 'admin' | 'none' | 'garbage' | 'wrongSecret' | 'expired' | 'noSub' | 'algNone' | 'basic' | 'bearerOnly';
export interface CallerSpec {
  who: Who;
  garbage: string;
}
export const callerArb = fc.record({
  who: fc.oneof(
    { weight: 8, arbitrary: fc.constant<Who>('owner') },
    { weight: 5, arbitrary: fc.constant<Who>('admin') },
    { weight: 3, arbitrary: fc.constant<Who>('other') },
    { weight: 1, arbitrary: fc.constant<Who>('none') },
    { weight: 2, arbitrary: fc.constantFrom<Who>('garbage', 'wrongSecret', 'expired', 'noSub', 'algNone', 'basic', 'bearerOnly') },
  ),
  garbage: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
});
export const isSignedIn = (who: Who): who is 'owner' | 'other' | 'admin' => who === 'owner' || who === 'other' || who === 'admin';

export type IfMatchSpec =
  { kind: 'none' } | { kind: 'strong' | 'weak' | 'bare' | 'list'; delta: number } | { kind: 'star' } | { kind: 'junk'; value: string };
export const versionDelta = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.constantFrom(-1, 1, 2, 1000, -1000) },
);
export const ifMatchArb: fc.Arbitrary<IfMatchSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<IfMatchSpec>({ kind: 'none' }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom<'strong' | 'weak' | 'bare' | 'list'>('strong', 'weak', 'bare', 'list'),
      delta: versionDelta,
    }),
  },
  { weight: 1, arbitrary: fc.constant<IfMatchSpec>({ kind: 'star' }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom('abc', '""', 'W/', 'W/"abc"', '"1.0"', '"99999999999999999999"', '"-1"', ',', '*, "1"', '"1', '1"', 'null', 'NaN'),
        fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
      )
      .map((value): IfMatchSpec => ({ kind: 'junk', value })),
  },
);

export type TargetRef = { kind: TargetKind } | { kind: 'missing'; suffix: string };
export const targetArb: fc.Arbitrary<TargetRef> = fc.oneof(
  { weight: 9, arbitrary: fc.constant<TargetRef>({ kind: 'private' }) },
  { weight: 6, arbitrary: fc.constant<TargetRef>({ kind: 'shared' }) },
  { weight: 3, arbitrary: fc.constant<TargetRef>({ kind: 'embed' }) },
  { weight: 2, arbitrary: fc.constant<TargetRef>({ kind: 'hidden' }) },
  { weight: 2, arbitrary: fc.oneof(word(1, 12), unicode(12)).map((suffix): TargetRef => ({ kind: 'missing', suffix })) },
);

export interface RestPutSpec {
  caller: CallerSpec;
  target: TargetRef;
  byIdPath: boolean;
  ifMatch: IfMatchSpec;
  body: BodySpec;
}
export const restPutArb: fc.Arbitrary<RestPutSpec> = fc.record({
  caller: callerArb,
  target: targetArb,
  byIdPath: fc.boolean(),
  ifMatch: ifMatchArb,
  body: restBody('update'),
});

export interface RestPostSpec {
  caller: CallerSpec;
  registerPath: boolean;
  body: BodySpec;
}
export const restPostArb: fc.Arbitrary<RestPostSpec> = fc.record({
  caller: callerArb,
  registerPath: fc.nat(6).map((n) => n === 0),
  body: restBody('create'),
});

export type DocSpec = { kind: 'standard' } | { kind: 'inline' } | { kind: 'wrongDecl'; index: number } | { kind: 'junk'; text: string };
export type EnvelopeSpec =
  | { kind: 'normal' }
  | { kind: 'bom' }
  | { kind: 'noVariables' }
  | { kind: 'batch' }
  | { kind: 'queryValue'; value: JVal }
  | { kind: 'variablesValue'; value: JVal }
  | { kind: 'truncated'; cut: number }
  | { kind: 'raw'; text: string };
export type VersionSpec = { kind: 'absent' } | { kind: 'value'; value: JVal };
export interface GqlSpec {
  caller: CallerSpec;
  modelId: JVal;
  input: JVal;
  expectedVersion: VersionSpec;
  operationName: boolean;
  doc: DocSpec;
  envelope: EnvelopeSpec;
}

export const UPDATE_DOC = `mutation Fuzz($modelId: String!, $input: UpdateModelInput!, $expectedVersion: Int) {
  updateModel(modelId: $modelId, input: $input, expectedVersion: $expectedVersion) { ${MODEL_FIELDS} }
}`;
export const CREATE_DOC = `mutation Fuzz($input: CreateModelInput!) { createModel(input: $input) { ${MODEL_FIELDS} } }`;
export const WRONG_DECLS = {
  update: [
    UPDATE_DOC.replace('$input: UpdateModelInput!', '$input: CreateModelInput!'),
    UPDATE_DOC.replace('$modelId: String!', '$modelId: Int!'),
    UPDATE_DOC.replace('$input: UpdateModelInput!', '$input: UpdateModelInput'),
    UPDATE_DOC.replace('$expectedVersion: Int', '$expectedVersion: Float'),
    UPDATE_DOC.replace('$input: UpdateModelInput!', '$input: Junk!'),
    UPDATE_DOC.replace('{ id modelId', '{ apiKey id modelId'),
  ],
  create: [
    CREATE_DOC.replace('CreateModelInput!', 'UpdateModelInput!'),
    CREATE_DOC.replace('CreateModelInput!', '[CreateModelInput!]!'),
    CREATE_DOC.replace('CreateModelInput!', 'String'),
    CREATE_DOC.replace('{ id modelId', '{ apiKeyEncrypted id modelId'),
  ],
};
export const JUNK_DOCS = [
  ' ',
  '{',
  'mutation',
  'mutation {',
  'mutation { updateModel }',
  'mutation { updateModel(modelId: "x") { id } }',
  'mutation { createModel(input: {}) { id } }',
  'query { model(modelId: "x") { apiKey } }',
  'subscription { models { id } }',
  'subscription Fuzz { model(modelId: "x") { id } }',
  '{ __typename }',
  'fragment F on Model { id }',
  'query A { __typename } query A { __typename }',
  'mutation Fuzz($input: CreateModelInput!) { createModel(input: $input) { ...F } } fragment F on Model { ...F }',
  '{ model(modelId: "x") { id } }',
  '\u0000',
  '# only a comment',
];
export function junkDocArb(op: 'update' | 'create'): fc.Arbitrary<DocSpec> {
  const base = op === 'update' ? UPDATE_DOC : CREATE_DOC;
  return fc
    .oneof(
      fc.constantFrom(...JUNK_DOCS),
      fc.nat().map((n) => base.slice(0, n % base.length)),
      unicode(40),
      fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
      fc.integer({ min: 100, max: 20_000 }).map((n) => 'query { ' + 'a { '.repeat(n)),
    )
    .map((text): DocSpec => ({ kind: 'junk', text }));
}
export function docArb(op: 'update' | 'create'): fc.Arbitrary<DocSpec> {
  return fc.oneof(
    { weight: 14, arbitrary: fc.constant<DocSpec>({ kind: 'standard' }) },
    { weight: 3, arbitrary: fc.constant<DocSpec>({ kind: 'inline' }) },
    { weight: 1, arbitrary: fc.nat(WRONG_DECLS[op].length - 1).map((index): DocSpec => ({ kind: 'wrongDecl', index })) },
    { weight: 2, arbitrary: junkDocArb(op) },
  );
}
export const envelopeArb: fc.Arbitrary<EnvelopeSpec> = fc.oneof(
  { weight: 40, arbitrary: fc.constant<EnvelopeSpec>({ kind: 'normal' }) },
  { weight: 1, arbitrary: fc.constantFrom<EnvelopeSpec>({ kind: 'bom' }, { kind: 'noVariables' }, { kind: 'batch' }) },
  { weight: 1, arbitrary: fc.oneof(fc.constant<JVal>(null), wrongType).map((value): EnvelopeSpec => ({ kind: 'queryValue', value })) },
  { weight: 1, arbitrary: nonObject.map((value): EnvelopeSpec => ({ kind: 'variablesValue', value })) },
  { weight: 1, arbitrary: fc.nat().map((cut): EnvelopeSpec => ({ kind: 'truncated', cut })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('', 'null', '[]', '{}', '"query"', '{"query": "{ __typename }", "variables": "x"}', '{"variables": {}}', '\ufeff{}')
      .map((text): EnvelopeSpec => ({ kind: 'raw', text })),
  },
);
export const modelIdArb: fc.Arbitrary<JVal> = fc.oneof(
  { weight: 9, arbitrary: fc.constant<JVal>({ $target: 'private' }) },
  { weight: 6, arbitrary: fc.constant<JVal>({ $target: 'shared' }) },
  { weight: 3, arbitrary: fc.constant<JVal>({ $target: 'embed' }) },
  { weight: 2, arbitrary: fc.constant<JVal>({ $target: 'hidden' }) },
  { weight: 2, arbitrary: fc.oneof(word(1, 12), unicode(12)).map((s): JVal => ({ $id: ['missing', s] })) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom<JVal>('', null), wrongType) },
);
export const expectedVersionArb: fc.Arbitrary<VersionSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<VersionSpec>({ kind: 'absent' }) },
  { weight: 6, arbitrary: versionDelta.map((d): VersionSpec => ({ kind: 'value', value: { $ver: d } })) },
  { weight: 1, arbitrary: fc.constant<VersionSpec>({ kind: 'value', value: null }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.constantFrom<JVal>('1', 'abc', 1.5, 2 ** 31, -(2 ** 31) - 1, { $n: '1e400' }, true, [1]), wrongType)
      .map((value): VersionSpec => ({ kind: 'value', value })),
  },
);

export function gqlArb(op: 'update' | 'create'): fc.Arbitrary<GqlSpec> {
  const input = fc.oneof(
    { weight: 12, arbitrary: inputObject('gql', op) },
    { weight: 1, arbitrary: nonObject },
    { weight: 1, arbitrary: fc.constant<JVal>({ $o: [] }) },
  );
  return fc.record({
    caller: callerArb,
    modelId: op === 'update' ? modelIdArb : fc.constant(null),
    input,
    expectedVersion: op === 'update' ? expectedVersionArb : fc.constant<VersionSpec>({ kind: 'absent' }),
    operationName: fc.boolean(),
    doc: docArb(op),
    envelope: envelopeArb,
  });
}

export interface OversizedSpec {
  caller: CallerSpec;
  route: 'put' | 'post' | 'graphql';
  /** Body bytes minus the limit: <= 0 must pass the size check, > 0 must be a 413. */
  over: number;
  pad: string;
}
export const oversizedArb: fc.Arbitrary<OversizedSpec> = fc.record({
  caller: callerArb,
  route: fc.constantFrom<'put' | 'post' | 'graphql'>('put', 'post', 'graphql'),
  over: fc.oneof(fc.constantFrom(-1, 0, 1, 2), fc.integer({ min: 3, max: 300_000 }), fc.integer({ min: -4096, max: -3 })),
  pad: fc.constantFrom('x', 'é', '\u{1F916}', '\u0001'),
});
