/**
 * The model's field table (src/models/model.fields.ts) against the other places that name the
 * same facts and cannot import it: the two Prisma schemas (columns, optionality, types) and the
 * contract's REST body (its keys, in its order). Everything else is derived from the table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MODEL_COLUMNS, MODEL_FIELDS, REST_BODY_SPECS, STORED_FIELDS, type FieldKind } from '../../src/models/model.fields';
import { toRestBody } from '../../src/models/model.rest';

const ROOT = path.resolve(__dirname, '..', '..');
const SCHEMAS = ['prisma/schema.prisma', 'prisma/postgresql/schema.prisma'];

interface PrismaField {
  type: string;
  optional: boolean;
  column: string;
}

/** The fields of `model Model { ... }`: name → type, optionality and column (the @map, else the name). */
function prismaFields(file: string): Record<string, PrismaField> {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const body = /model Model \{([\s\S]*?)\n\}/.exec(text)?.[1];
  if (!body) throw new Error(`no model Model in ${file}`);
  const fields: Record<string, PrismaField> = {};
  for (const line of body.split('\n')) {
    const match = /^\s+(\w+)\s+(\w+)(\??)(.*)$/.exec(line);
    if (!match) continue;
    const [, name, type, optional, rest] = match;
    // Relation fields (`defaults DefaultModel[]`) are Prisma's, not columns of the table.
    if (rest!.startsWith('[]') || rest!.includes('@relation')) continue;
    fields[name!] = { type: type!, optional: optional === '?', column: /@map\("([^"]+)"\)/.exec(rest!)?.[1] ?? name! };
  }
  return fields;
}

const PRISMA_TYPE: Record<FieldKind, string> = {
  string: 'String',
  secret: 'String',
  url: 'String',
  number: 'Float',
  integer: 'Int',
  boolean: 'Boolean',
  'string-list': 'Json',
  timestamp: 'DateTime',
};

describe('the field table', () => {
  test.each(SCHEMAS)('names every column of %s, with its type and nullability, and nothing else', (file) => {
    const prisma = prismaFields(file);
    expect(Object.keys(prisma).length).toBeGreaterThan(10);
    expect(Object.keys(MODEL_COLUMNS).sort()).toEqual(Object.keys(prisma).sort());
    for (const stored of STORED_FIELDS) {
      const column = prisma[stored.field]!;
      expect([stored.field, stored.column, PRISMA_TYPE[stored.kind], stored.nullable]).toEqual([
        stored.field,
        column.column,
        column.type,
        column.optional,
      ]);
      expect(MODEL_COLUMNS[stored.field]).toBe(column.column);
    }
  });

  test("gives the REST body the contract's keys, in the contract's order", () => {
    const contract = [
      'id',
      'model_id',
      'category',
      'model_provider',
      'model_name',
      'base_url',
      'temperature',
      'dimension',
      'abilities',
      'description',
      'created_at',
      'updated_at',
      'is_active',
      'is_owner',
      'can_edit',
      'can_delete',
      'is_shared',
    ];
    expect(REST_BODY_SPECS.map((field) => field.rest)).toEqual(contract);
    const orders = MODEL_FIELDS.flatMap((field) => ('restOrder' in field ? [field.restOrder] : []));
    expect(new Set(orders).size).toBe(orders.length);
    const view = Object.fromEntries(MODEL_FIELDS.map((field) => [field.name, `value of ${field.name}`]));
    const body = toRestBody(view as never);
    expect(Object.keys(body)).toEqual(contract);
    expect(body.model_id).toBe('value of modelId');
    expect(body.is_shared).toBe('value of isShared');
  });

  test('has one entry per name', () => {
    const names = MODEL_FIELDS.map((field) => field.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
