/**
 * Apollo Sandbox's docs panel and the generated client types (JSDoc on every field) show the
 * schema's descriptions; an undocumented field or argument is a hole there. This reads the
 * committed schema.graphql (kept in step with the code by `npm run schema:check`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';

const SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schema.graphql');

function undocumented(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const blank = (description: string | null | undefined) => !description || description.trim() === '';
  // Query and Mutation are the entry points Sandbox lists by kind; type-graphql cannot describe them.
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean));

  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (!type.astNode) continue; // built-in scalars (String, Int, ...) are not declared in the SDL
    if (!roots.has(type as never) && blank(type.description)) missing.push(`type ${type.name}`);

    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (blank(field.description)) missing.push(`field ${type.name}.${field.name}`);
        for (const arg of field.args) {
          if (blank(arg.description)) missing.push(`argument ${type.name}.${field.name}(${arg.name})`);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (blank(field.description)) missing.push(`input field ${type.name}.${field.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (blank(value.description)) missing.push(`enum value ${type.name}.${value.name}`);
      }
    }
  }
  return missing;
}

describe('schema.graphql descriptions', () => {
  const schema = buildSchema(fs.readFileSync(SCHEMA_FILE, 'utf8'));

  it('documents every type, field, argument and input field', () => {
    expect(undocumented(schema)).toEqual([]);
  });

  it('covers the whole public surface (the check is not vacuous)', () => {
    const mutation = schema.getMutationType()!;
    expect(Object.keys(mutation.getFields()).sort()).toEqual([
      'clearDefaultModel',
      'createModel',
      'deleteModel',
      'fetchProviderModels',
      'setDefaultModel',
      'setModelActive',
      'testModelConnection',
      'testModels',
      'updateModel',
    ]);
    expect(Object.keys(schema.getQueryType()!.getFields()).sort()).toEqual([
      'defaultModel',
      'defaultModels',
      'model',
      'modelSummary',
      'models',
      'providers',
    ]);
    expect(mutation.getFields().updateModel.args.map((arg) => arg.name)).toEqual(['modelId', 'input', 'expectedVersion']);
    expect(mutation.getFields().fetchProviderModels.args.map((arg) => arg.name)).toEqual(['provider', 'apiKey', 'baseUrl', 'category']);
  });

  it('reports what is missing', () => {
    const bare = buildSchema(`
      "Documented" type Query { "ok" thing(id: ID): Thing  other: Int }
      type Thing { "ok" a: Int }
      input In { b: Int }
    `);
    expect(undocumented(bare).sort()).toEqual([
      'argument Query.thing(id)',
      'field Query.other',
      'input field In.b',
      'type In',
      'type Thing',
    ]);
  });
});
