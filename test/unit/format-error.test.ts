/**
 * redactValues (src/graphql/format-error.ts): graphql-js prints a refused variable's value into its
 * message, which would hand an apiKey back to the client and into logs. The messages here are the
 * real ones graphql-js produces for a schema shaped like the gateway's inputs, not hand-written copies.
 */
import { buildSchema, graphql, type GraphQLError } from 'graphql';
import { redactValues } from '../../src/graphql/format-error';

const SECRET = 'sk-unit-format-error-SECRET-8c41d2';

const schema = buildSchema(`
  input UpdateModelInput {
    category: String
    modelProvider: String
    modelName: String
    apiKey: String
    baseUrl: String
    temperature: Float
    dimension: Int
    description: String
    abilities: [String!]
    shareWithUsers: Boolean
  }
  input CreateModelInput {
    modelId: String
    modelProvider: String!
    modelName: String!
    apiKey: String
    temperature: Float
    abilities: [String!]
  }
  type Query {
    update(modelId: String!, input: UpdateModelInput!, expectedVersion: Int): Int
    create(input: CreateModelInput!): Int
  }
`);

const UPDATE =
  'query ($modelId: String!, $input: UpdateModelInput!, $v: Int) { update(modelId: $modelId, input: $input, expectedVersion: $v) }';
const CREATE = 'query ($input: CreateModelInput!) { create(input: $input) }';

/** The single error graphql-js produces for this operation. */
async function errorOf(source: string, variableValues?: Record<string, unknown>): Promise<GraphQLError> {
  const result = await graphql({ schema, source, variableValues });
  expect(result.errors).toHaveLength(1);
  return result.errors![0]!;
}

/** As formatError calls it: the message, and the inner error's message that graphql-js keeps. */
const redact = (error: GraphQLError) => redactValues(error.message, error.originalError?.message);

describe('redactValues: variable coercion errors', () => {
  it('an unknown field beside an apiKey: the value goes, the reason and the field stay', async () => {
    const raw = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: SECRET, bogus: 1 } });
    expect(raw.message).toContain(SECRET); // graphql-js does print it: the reason this function exists
    expect(redact(raw)).toEqual({
      message: 'Variable "$input" got invalid value; Field "bogus" is not defined by type "UpdateModelInput".',
      fields: ['bogus'],
    });
  });

  it('a missing required field beside an apiKey', async () => {
    const raw = await errorOf(CREATE, { input: { apiKey: SECRET, modelName: 'n' } });
    expect(raw.message).toContain(SECRET);
    expect(redact(raw)).toEqual({
      message: 'Variable "$input" got invalid value; Field "modelProvider" of required type "String!" was not provided.',
      fields: ['modelProvider'],
    });
  });

  it('a wrong-typed sibling of an apiKey keeps its path', async () => {
    const raw = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: SECRET, temperature: 'hot' } });
    expect(redact(raw)).toEqual({
      message: 'Variable "$input" got invalid value at "input.temperature"; Float cannot represent non numeric value.',
      fields: ['temperature'],
    });
  });

  it('an apiKey given as an object: neither the printed value nor the reason carries it', async () => {
    const raw = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: { value: SECRET } } });
    expect(raw.message.split(SECRET)).toHaveLength(3); // printed twice: in the value and in the reason
    expect(redact(raw)).toEqual({
      message: 'Variable "$input" got invalid value at "input.apiKey"; String cannot represent a non string value.',
      fields: ['apiKey'],
    });
  });

  it('an apiKey given as a number or a list', async () => {
    const number = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: 987654321 } });
    expect(redact(number)).toEqual({
      message: 'Variable "$input" got invalid value at "input.apiKey"; String cannot represent a non string value.',
      fields: ['apiKey'],
    });
    const list = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: [SECRET, SECRET] } });
    expect(JSON.stringify(redact(list))).not.toContain(SECRET);
    expect(redact(list).fields).toEqual(['apiKey']);
  });

  it('a list item path keeps its index', async () => {
    const raw = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: SECRET, abilities: ['chat', 3] } });
    expect(redact(raw)).toEqual({
      message: 'Variable "$input" got invalid value at "input.abilities[1]"; String cannot represent a non string value.',
      fields: ['abilities'],
    });
  });

  it('a null in a non-null list item', async () => {
    const raw = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: SECRET, abilities: ['chat', null] } });
    expect(redact(raw)).toEqual({
      message: 'Variable "$input" got invalid value at "input.abilities[1]"; Expected non-nullable type "String!" not to be null.',
      fields: ['abilities'],
    });
  });

  it('an input that is not an object at all (the secret as the whole variable)', async () => {
    const raw = await errorOf(UPDATE, { modelId: 'm', input: SECRET });
    expect(redact(raw)).toEqual({
      message: 'Variable "$input" got invalid value; Expected type "UpdateModelInput" to be an object.',
      fields: [],
    });
  });

  it('a wrong-typed scalar variable other than input', async () => {
    const raw = await errorOf(UPDATE, { modelId: SECRET, input: {}, v: SECRET });
    expect(redact(raw)).toEqual({
      message: 'Variable "$v" got invalid value; Int cannot represent non-integer value.',
      fields: [],
    });
  });

  it('secrets with quotes, semicolons and the message grammar inside are still removed', async () => {
    const tricky = `${SECRET}"; at "input.temperature"; Field "x" is not defined by type "Y".`;
    const unknownField = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: tricky, bogus: true } });
    const unknownOut = redact(unknownField);
    expect(unknownOut).toEqual({
      message: 'Variable "$input" got invalid value; Field "bogus" is not defined by type "UpdateModelInput".',
      fields: ['bogus'],
    });
    const wrongType = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: tricky, temperature: 'hot' } });
    expect(redact(wrongType)).toEqual({
      message: 'Variable "$input" got invalid value at "input.temperature"; Float cannot represent non numeric value.',
      fields: ['temperature'],
    });
    const multiline = await errorOf(CREATE, { input: { apiKey: `${SECRET}\n; reason`, modelName: 'n' } });
    expect(JSON.stringify(redact(multiline))).not.toContain(SECRET);
  });

  // inspect() prints object keys unquoted, so a key can imitate the ` at "input..."; ` grammar the
  // parser looks for; the value beside it must still not come back.
  it('object keys that imitate the message grammar do not let the apiKey through', async () => {
    const unknownField = await errorOf(UPDATE, { modelId: 'm', input: { [' at "input"; ']: 1, apiKey: SECRET } });
    expect(unknownField.message).toContain(SECRET);
    expect(redact(unknownField).message).not.toContain(SECRET);
    const objectKey = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: { ' at "input.apiKey"; x': SECRET } } });
    expect(objectKey.message).toContain(SECRET);
    expect(redact(objectKey)).toEqual({
      message: 'Variable "$input" got invalid value at "input.apiKey"; String cannot represent a non string value.',
      fields: ['apiKey'],
    });
  });

  it('without the inner reason nothing but the variable name is kept', async () => {
    const raw = await errorOf(UPDATE, { modelId: 'm', input: { apiKey: SECRET, temperature: 'hot' } });
    expect(redactValues(raw.message)).toEqual({ message: 'Variable "$input" got invalid value.', fields: [] });
  });

  it('every variable message of a multi-error request is redacted', async () => {
    const result = await graphql({
      schema,
      source: UPDATE,
      variableValues: { modelId: 7, input: { apiKey: SECRET, temperature: SECRET, dimension: SECRET, bogus: SECRET } },
    });
    expect(result.errors!.length).toBeGreaterThanOrEqual(2);
    const redacted = result.errors!.map((e) => redact(e));
    for (const r of redacted) expect(r.message).not.toContain(SECRET);
    expect(redacted.map((r) => r.message)).toContain('Variable "$modelId" got invalid value; String cannot represent a non string value.');
  });
});

describe('redactValues: literal errors (values written in the operation text)', () => {
  async function literalMessages(input: string): Promise<string[]> {
    const result = await graphql({ schema, source: `{ update(modelId: "m", input: ${input}) }` });
    return result.errors!.map((e) => e.message);
  }

  it('a wrong-typed literal apiKey loses its value', async () => {
    const messages = await literalMessages(`{ apiKey: 4242424242 }`);
    expect(messages).toEqual(['String cannot represent a non string value: 4242424242']);
    expect(messages.map((m) => redactValues(m))).toEqual([{ message: 'String cannot represent a non string value.', fields: [] }]);
  });

  it('an "Expected value of type" message keeps the type and drops the value', () => {
    expect(
      redactValues(`Expected value of type "Float", found "${SECRET}"; Float cannot represent non numeric value: "${SECRET}"`),
    ).toEqual({
      message: 'Expected value of type "Float", found an invalid value; Float cannot represent non numeric value.',
      fields: [],
    });
    expect(redactValues(`Expected value of type "Int", found "${SECRET}".`)).toEqual({
      message: 'Expected value of type "Int", found an invalid value.',
      fields: [],
    });
  });

  it('"found null" is not a value worth hiding and stays', () => {
    expect(redactValues('Expected value of type "String!", found null.')).toEqual({
      message: 'Expected value of type "String!", found null.',
      fields: [],
    });
  });

  it('a real wrong-typed literal sibling of an apiKey', async () => {
    const messages = await literalMessages(`{ apiKey: "${SECRET}", temperature: "${SECRET}" }`);
    const redacted = messages.map((m) => redactValues(m).message);
    for (const m of redacted) expect(m).not.toContain(SECRET);
    expect(redacted).toEqual(['Float cannot represent non numeric value.']);
  });

  it('messages without values pass unchanged', () => {
    for (const message of [
      'Field "bogus" is not defined by type "UpdateModelInput".',
      'Cannot query field "apiKey" on type "Model".',
      'Syntax Error: Expected Name, found <EOF>.',
      'Unknown argument "foo" on field "Mutation.updateModel".',
    ]) {
      expect(redactValues(message)).toEqual({ message, fields: [] });
    }
  });
});
