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

export interface Statement {
  sql: string;
  values: unknown[];
}

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
  /** The users' default models (src/defaults/), qualified the same way: the write guards read it. */
  readonly defaultsTable: string;
  /** The `n`th parameter (from 1). */
  param(n: number, encoded: Encoded | undefined): string;
  /** NULL-safe "differs from". */
  readonly differs: string;
  /**
   * A statement that locks the model row until the transaction ends, so that a guarded change
   * and a racing default-model write take turns (PostgreSQL); null where statements never overlap
   * (SQLite: one connection, one writer, each statement atomic).
   */
  lockModel(modelDbId: number): Statement | null;
  /** Appended to a SELECT of a model row that a write depends on: waits for, then re-reads, a row being changed. */
  readonly shareLock: string;
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
  defaultsTable: 'user_default_models',
  param: () => '?',
  differs: 'IS NOT',
  lockModel: () => null,
  shareLock: '',
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

/** The dialect of a database: its provider, and for PostgreSQL the URL's `?schema=`. */
export function dialectFor(provider: DbProvider, schema: string | undefined): Dialect {
  return provider === 'sqlite' ? sqliteDialect : postgresDialect(schema);
}

/** `schema` is the URL's `?schema=`, as Prisma applies it. */
export function postgresDialect(schema: string | undefined): Dialect {
  return {
    provider: 'postgresql',
    table: schema ? `${quoteIdent(schema)}.models` : 'models',
    defaultsTable: schema ? `${quoteIdent(schema)}.user_default_models` : 'user_default_models',
    param: (n, encoded) => `$${n}${encoded === 'json' ? '::jsonb' : ''}`,
    differs: 'IS DISTINCT FROM',
    lockModel: (modelDbId) => ({
      sql: `SELECT id FROM ${schema ? `${quoteIdent(schema)}.models` : 'models'} WHERE id = $1 FOR UPDATE`,
      values: [modelDbId],
    }),
    shareLock: ' FOR SHARE',
    // pg sends Dates as timestamptz and booleans as they are; JSON goes as its text.
    encode: (encoded, value) => (encoded === 'json' && value !== null ? JSON.stringify(value) : value),
    // pg parses timestamptz to Date and jsonb to values already.
    decode: (_encoded, value) => value,
  };
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

  /** A value that needs no encoding (text, integer) for a column that is not a model field. */
  addRaw(value: string | number): string {
    this.values.push(value);
    return this.dialect.param(this.values.length, undefined);
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
 * Conditions on the users' default models that a guarded update (un-share, category or abilities
 * change) must find true at the moment it writes, so that a default set by a racing request
 * cannot slip in between the service's check and the write (src/defaults/default-model.guards.ts).
 */
export interface WriteGuards {
  /** The model's owner has no default pointing at it (un-share). */
  noOwnerDefault?: boolean;
  /** No user has a default of one of these config types pointing at it (category/abilities change). */
  noDefaultOfTypes?: readonly string[];
}

/** The guards as SQL conditions on the updated row (the table is named by its unqualified name). */
function guardsSql(dialect: Dialect, params: Params, guards: WriteGuards | undefined): string[] {
  const parts: string[] = [];
  const pointing = `SELECT 1 FROM ${dialect.defaultsTable} d WHERE d.model_id = models.${COLUMNS.id}`;
  if (guards?.noOwnerDefault) parts.push(`NOT EXISTS (${pointing} AND d.user_id = models.${COLUMNS.ownerId})`);
  const types = guards?.noDefaultOfTypes ?? [];
  if (types.length > 0) {
    parts.push(`NOT EXISTS (${pointing} AND d.config_type IN (${types.map((type) => params.addRaw(type)).join(', ')}))`);
  }
  return parts;
}

/**
 * After an un-share, in its transaction: removes every default pointing at the model but its
 * owner's (the other users no longer see it). Only while the model is unshared, so running it
 * after an update that lost its race is harmless.
 */
export function removeOthersDefaults(dialect: Dialect, modelDbId: number): Statement {
  const params = new Params(dialect);
  const id = params.addRaw(modelDbId);
  // NULL (nothing deleted) unless the model exists and is unshared.
  const owner = `SELECT ${COLUMNS.ownerId} FROM ${dialect.table} WHERE ${COLUMNS.id} = ${params.addRaw(modelDbId)} AND ${COLUMNS.isShared} = ${params.add('isShared', false)}`;
  return { sql: `DELETE FROM ${dialect.defaultsTable} WHERE model_id = ${id} AND user_id <> (${owner})`, values: params.values };
}

/**
 * Deletes the model unless `userId` has it as a default, in one statement; every other default of
 * it goes with it (ON DELETE CASCADE). RETURNING the id: no row back, nothing deleted.
 */
export function deleteUnlessDefaultOf(dialect: Dialect, modelDbId: number, userId: string): Statement {
  const params = new Params(dialect);
  const id = params.addRaw(modelDbId);
  const user = params.addRaw(userId);
  return {
    sql:
      `DELETE FROM ${dialect.table} WHERE ${COLUMNS.id} = ${id} AND NOT EXISTS (SELECT 1 FROM ${dialect.defaultsTable} d ` +
      `WHERE d.model_id = models.${COLUMNS.id} AND d.user_id = ${user}) RETURNING ${COLUMNS.id}`,
    values: params.values,
  };
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
  guards?: WriteGuards,
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
  where.push(...guardsSql(dialect, params, guards));
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
