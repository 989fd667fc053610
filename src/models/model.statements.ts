import type { DbProvider } from '../lib/config';
import type { Condition } from './model.access';
import type { ModelRow } from './model.view';
import { quoteIdent } from '../db/sql';
import { MODEL_COLUMNS, STORED_FIELDS, type FieldKind } from './model.fields';

/*
 * The model's SQL, built once for both databases: the dialect object holds what differs between
 * SQLite and PostgreSQL (placeholders, table qualification, the NULL-safe comparison, how
 * booleans, timestamps and JSON are stored). Only the repository's hot paths run SQL of their own
 * (see model.repository.ts); everything else goes through Prisma, which reads and writes the
 * same columns the same way, so the two paths see the same data.
 */

export type Field = keyof ModelRow;

/** Each field's column, from the field table (the Prisma schemas' @map). */
export const COLUMNS: Record<Field, string> = MODEL_COLUMNS;

/** Column types SQLite lacks: each dialect encodes them on the way in and decodes them on the way out. */
type Encoded = 'boolean' | 'timestamp' | 'json';
const ENCODING_OF_KIND: Partial<Record<FieldKind, Encoded>> = { 'string-list': 'json', boolean: 'boolean', timestamp: 'timestamp' };
const ENCODED: Partial<Record<Field, Encoded>> = Object.fromEntries(
  STORED_FIELDS.filter((stored) => ENCODING_OF_KIND[stored.kind]).map((stored) => [stored.field, ENCODING_OF_KIND[stored.kind]]),
);

/** Every field in one fixed order: an SQL text then depends only on which fields a statement uses. */
const FIELDS = Object.keys(COLUMNS) as Field[];

export interface Dialect {
  readonly provider: DbProvider;
  /** The table, qualified as Prisma qualifies it. */
  readonly table: string;
  /** The `n`th parameter (from 1). */
  param(n: number, encoded: Encoded | undefined): string;
  /** NULL-safe "differs from". */
  readonly differs: string;
  encode(encoded: Encoded, value: unknown): unknown;
  decode(encoded: Encoded, value: unknown): unknown;
}

function sqliteDate(value: unknown): Date {
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const text = String(value);
  // SQLite's CURRENT_TIMESTAMP (a column default) is UTC without a zone: `2026-01-01 10:00:00`.
  return new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text);
}

export const sqliteDialect: Dialect = {
  provider: 'sqlite',
  table: 'models',
  param: () => '?',
  differs: 'IS NOT',
  encode(encoded, value) {
    if (value === null) return null;
    if (encoded === 'boolean') return value ? 1 : 0;
    // Prisma keeps SQLite DateTime values as ISO-8601 text with an explicit offset.
    if (encoded === 'timestamp') return (value as Date).toISOString().replace('Z', '+00:00');
    return JSON.stringify(value);
  },
  decode(encoded, value) {
    if (value === null) return null;
    if (encoded === 'boolean') return Boolean(value);
    if (encoded === 'timestamp') return sqliteDate(value);
    return JSON.parse(String(value));
  },
};

/** `schema` is the URL's `?schema=`, as Prisma applies it. */
export function postgresDialect(schema: string | undefined): Dialect {
  return {
    provider: 'postgresql',
    table: schema ? `${quoteIdent(schema)}.models` : 'models',
    param: (n, encoded) => `$${n}${encoded === 'json' ? '::jsonb' : ''}`,
    differs: 'IS DISTINCT FROM',
    // pg sends Dates as timestamptz and booleans as they are; JSON goes as its text.
    encode: (encoded, value) => (encoded === 'json' && value !== null ? JSON.stringify(value) : value),
    // pg parses timestamptz to Date and jsonb to values already.
    decode: (_encoded, value) => value,
  };
}

export interface Statement {
  sql: string;
  values: unknown[];
}

/** Every field, selected under its own name, so a result row is a ModelRow once decoded. */
const selectList = FIELDS.map((field) => `${COLUMNS[field]} AS ${quoteIdent(field)}`).join(', ');

export function decodeRow(dialect: Dialect, raw: Record<string, unknown>): ModelRow {
  const row = { ...raw };
  for (const field of FIELDS) {
    const encoded = ENCODED[field];
    if (encoded) row[field] = dialect.decode(encoded, row[field]);
  }
  return row as unknown as ModelRow;
}

/** Collects parameters in the order the text mentions them (SQLite's `?` are positional). */
class Params {
  readonly values: unknown[] = [];

  constructor(private readonly dialect: Dialect) {}

  add(field: Field, value: unknown): string {
    const encoded = ENCODED[field];
    this.values.push(encoded ? this.dialect.encode(encoded, value) : value);
    return this.dialect.param(this.values.length, encoded);
  }
}

/** The conditions, all of them (each an OR of ANDs of equalities); nothing for a condition that holds for every row. */
function conditionsSql(params: Params, conditions: readonly Condition[]): string[] {
  const parts: string[] = [];
  for (const condition of conditions) {
    if (condition.some((match) => Object.keys(match).length === 0)) continue;
    const alternatives = condition.map((match) =>
      (Object.keys(match) as (keyof typeof match)[]).map((field) => `${COLUMNS[field]} = ${params.add(field, match[field])}`).join(' AND '),
    );
    parts.push(alternatives.length === 1 ? alternatives[0]! : `(${alternatives.map((a) => `(${a})`).join(' OR ')})`);
  }
  return parts;
}

export function selectWhere(dialect: Dialect, conditions: readonly Condition[]): Statement {
  const params = new Params(dialect);
  const where = conditionsSql(params, conditions);
  return { sql: `SELECT ${selectList} FROM ${dialect.table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`, values: params.values };
}

/**
 * One page of the models for which every condition holds, in id order: the list query, whose
 * text depends only on which fields the conditions name, so it stays prepared like the others.
 */
export function selectPage(dialect: Dialect, conditions: readonly Condition[], skip: number, take: number): Statement {
  const { sql, values } = selectWhere(dialect, conditions);
  const limit = dialect.param(values.length + 1, undefined);
  const offset = dialect.param(values.length + 2, undefined);
  return { sql: `${sql} ORDER BY ${COLUMNS.id} ASC LIMIT ${limit} OFFSET ${offset}`, values: [...values, take, skip] };
}

/**
 * A model's every update, in one statement: sets `changes`, `version + 1` and `updatedAt` where
 * all `conditions` hold and, with `unlessSame`, where at least one of those fields really differs
 * from what is stored (so an update that changes nothing moves neither version nor timestamp).
 * RETURNING the new row: no row back means some condition did not hold.
 */
export function versionedUpdate(
  dialect: Dialect,
  changes: Partial<ModelRow>,
  updatedAt: Date,
  conditions: readonly Condition[],
  unlessSame?: Partial<ModelRow>,
): Statement {
  const params = new Params(dialect);
  const sets = FIELDS.filter((field) => changes[field] !== undefined).map(
    (field) => `${COLUMNS[field]} = ${params.add(field, changes[field])}`,
  );
  sets.push(`${COLUMNS.version} = ${COLUMNS.version} + 1`, `${COLUMNS.updatedAt} = ${params.add('updatedAt', updatedAt)}`);
  const where = conditionsSql(params, conditions);
  // Never an unconditional UPDATE of the whole table, nor an empty "differs" test.
  if (where.length === 0) throw new Error('versionedUpdate needs a condition');
  if (unlessSame) {
    const compared = FIELDS.filter((field) => unlessSame[field] !== undefined);
    if (compared.length === 0) throw new Error('versionedUpdate: nothing to compare');
    where.push(`(${compared.map((field) => `${COLUMNS[field]} ${dialect.differs} ${params.add(field, unlessSame[field])}`).join(' OR ')})`);
  }
  return {
    sql: `UPDATE ${dialect.table} SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING ${selectList}`,
    values: params.values,
  };
}

/**
 * The distinct abilities (column `ability`, unordered) of the models for which every condition
 * holds, unnested from the JSON arrays in the database: no model row travels to the gateway.
 * Anything but an array of strings in the column (NULL included) contributes nothing.
 */
export function distinctAbilities(dialect: Dialect, conditions: readonly Condition[]): Statement {
  const params = new Params(dialect);
  const where = conditionsSql(params, conditions);
  const models = `SELECT ${COLUMNS.abilities} AS abilities FROM ${dialect.table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  const sql =
    dialect.provider === 'sqlite'
      ? `SELECT DISTINCT j.value AS ability FROM (${models}) AS m, ` +
        `json_each(CASE WHEN json_type(m.abilities) = 'array' THEN m.abilities ELSE '[]' END) AS j WHERE j.type = 'text'`
      : `SELECT DISTINCT e.value #>> '{}' AS ability FROM (${models}) AS m CROSS JOIN LATERAL ` +
        `jsonb_array_elements(CASE WHEN jsonb_typeof(m.abilities) = 'array' THEN m.abilities ELSE '[]'::jsonb END) AS e(value) ` +
        `WHERE jsonb_typeof(e.value) = 'string'`;
  return { sql, values: params.values };
}
