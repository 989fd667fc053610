import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { ModelRow } from './model.view';
import { quoteIdent } from '../db/sql';

/**
 * The two statements every read of one model and every update run, sent to the driver as
 * prepared statements instead of through Prisma's query engine.
 *
 * Why: under load, Prisma's client cost 120-170 us of CPU per call (query interpretation,
 * promises, result mapping) against 7-18 us for the same statement prepared in better-sqlite3
 * (docs/benchmarks.md has the profile). An update is a read and a conditional write, so this was
 * a third of the gateway's CPU per request. Everything else (create, list, delete, the CLI tools)
 * stays on Prisma; these rows are read and written exactly as Prisma reads and writes them, so
 * the two paths see the same data.
 */

/** The fields an update may set. */
export type RowChanges = Partial<
  Pick<
    ModelRow,
    | 'category'
    | 'modelProvider'
    | 'modelName'
    | 'apiKeyEncrypted'
    | 'baseUrl'
    | 'temperature'
    | 'dimension'
    | 'description'
    | 'isShared'
    | 'isActive'
  >
> & {
  abilities?: string[] | null;
};

/**
 * Fields whose update rules need nothing of the stored row except who may edit it and its version:
 * no category/abilities check, no shared-model lock, no sharing permission, no api_key comparison.
 */
export const FREE_FIELDS = ['modelProvider', 'modelName', 'baseUrl', 'temperature', 'dimension', 'description'] as const;
export type FreeChanges = Partial<Pick<ModelRow, (typeof FREE_FIELDS)[number]>>;

export interface ModelStatements {
  /** The row with this public id, or null. */
  findByModelId(modelId: string): Promise<ModelRow | null>;
  /**
   * Sets `changes`, `version + 1` and `updatedAt` on row `id` if it is still at `version`, in one
   * statement. The new row, or null when another write came first (or the row is gone).
   */
  updateIfVersion(id: number, version: number, changes: RowChanges, updatedAt: Date): Promise<ModelRow | null>;
  /**
   * The common update in one statement: sets `changes`, `version + 1` and `updatedAt` on the model
   * `modelId` if it is owned by `ownerId` (any owner when null: an admin), is at `expectedVersion`
   * (when given) and if at least one field really changes. The new row, or null when any of that
   * does not hold: the caller then takes the general path, which says why (404, 403, 412, or no change).
   */
  updateIfChanged(
    modelId: string,
    ownerId: string | null,
    expectedVersion: number | null,
    changes: FreeChanges,
    updatedAt: Date,
  ): Promise<ModelRow | null>;
}

/** Called once per statement with its duration (the db query metrics), as for Prisma's own. */
export type StatementObserver = (durationMs: number, sql: string) => void;

/** Settable columns in one fixed order: the SQL text depends only on which of them an update sets. */
const COLUMNS: readonly (keyof RowChanges)[] = [
  'category',
  'modelProvider',
  'modelName',
  'apiKeyEncrypted',
  'baseUrl',
  'temperature',
  'dimension',
  'description',
  'abilities',
  'isShared',
  'isActive',
];

const COLUMN_NAMES: Record<keyof RowChanges, string> = {
  category: 'category',
  modelProvider: 'model_provider',
  modelName: 'model_name',
  apiKeyEncrypted: 'api_key_encrypted',
  baseUrl: 'base_url',
  temperature: 'temperature',
  dimension: 'dimension',
  description: 'description',
  abilities: 'abilities',
  isShared: 'is_shared',
  isActive: 'is_active',
};

const SELECT_LIST =
  'id, model_id, owner_id, category, model_provider, model_name, api_key_encrypted, base_url, temperature, dimension, description, abilities, is_shared, is_active, version, created_at, updated_at';

/** Distinct update shapes kept prepared; there are at most 2^11, in practice a handful. */
const MAX_STATEMENTS = 256;

interface Raw {
  id: number;
  model_id: string;
  owner_id: string;
  category: string;
  model_provider: string;
  model_name: string;
  api_key_encrypted: string | null;
  base_url: string | null;
  temperature: number | null;
  dimension: number | null;
  description: string | null;
  abilities: unknown;
  is_shared: unknown;
  is_active: unknown;
  version: number;
  created_at: unknown;
  updated_at: unknown;
}

function toRow(raw: Raw, date: (value: unknown) => Date, json: (value: unknown) => unknown): ModelRow {
  return {
    id: Number(raw.id),
    modelId: raw.model_id,
    ownerId: raw.owner_id,
    category: raw.category,
    modelProvider: raw.model_provider,
    modelName: raw.model_name,
    apiKeyEncrypted: raw.api_key_encrypted,
    baseUrl: raw.base_url,
    temperature: raw.temperature === null ? null : Number(raw.temperature),
    dimension: raw.dimension === null ? null : Number(raw.dimension),
    description: raw.description,
    abilities: raw.abilities === null ? null : json(raw.abilities),
    isShared: Boolean(raw.is_shared),
    isActive: Boolean(raw.is_active),
    version: Number(raw.version),
    createdAt: date(raw.created_at),
    updatedAt: date(raw.updated_at),
  };
}

function changedColumns(changes: RowChanges): (keyof RowChanges)[] {
  return COLUMNS.filter((column) => changes[column] !== undefined);
}

/** A bounded map, least recently used evicted first. */
function lru<V>(limit: number): { get(key: string, make: () => V): V } {
  const entries = new Map<string, V>();
  return {
    get(key, make) {
      let value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
      } else {
        value = make();
        if (entries.size >= limit) entries.delete(entries.keys().next().value!);
      }
      entries.set(key, value);
      return value;
    },
  };
}

function timed<T>(observe: StatementObserver | undefined, sql: string, run: () => T): T {
  if (!observe) return run();
  const started = process.hrtime.bigint();
  try {
    return run();
  } finally {
    observe(Number(process.hrtime.bigint() - started) / 1e6, sql);
  }
}

/* ------------------------------------------------------------------ SQLite */

/** Prisma keeps SQLite DateTime values as ISO-8601 text with an explicit offset. */
const sqliteStamp = (date: Date) => date.toISOString().replace('Z', '+00:00');

function sqliteDate(value: unknown): Date {
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const text = String(value);
  // SQLite's CURRENT_TIMESTAMP (a column default) is UTC without a zone: `2026-01-01 10:00:00`.
  return new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text);
}

/** SQLITE_BUSY past the busy timeout: the database is locked by another process, retry later (503). */
class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError';
  /** The driver-adapter kind db-errors.ts recognizes as "unavailable right now", as Prisma reports it. */
  readonly kind = 'SocketTimeout';
}

function sqliteCall<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY'))
      throw new DatabaseBusyError('database is locked', { cause: err });
    throw err;
  }
}

/** Compiles SQL on one better-sqlite3 connection. */
export type SqlitePreparer = (sql: string) => BetterSqlite3.Statement;

/**
 * On Prisma's own better-sqlite3 connection (`connection()` prepares on whichever Prisma has
 * connected), so these statements see what Prisma's do, and no second connection competes for
 * SQLite's lock.
 */
export function sqliteStatements(connection: () => SqlitePreparer | undefined, observe?: StatementObserver): ModelStatements {
  let current: SqlitePreparer | undefined;
  let cache = lru<BetterSqlite3.Statement>(MAX_STATEMENTS);
  const prepare = (sql: string): BetterSqlite3.Statement => {
    const compile = connection();
    if (!compile) throw new Error('the database is not connected');
    if (compile !== current) {
      current = compile;
      cache = lru<BetterSqlite3.Statement>(MAX_STATEMENTS);
    }
    // Prisma's connection returns integers as BigInt; these columns all fit a double.
    return cache.get(sql, () => compile(sql).safeIntegers(false));
  };
  const row = (raw: unknown) => (raw ? toRow(raw as Raw, sqliteDate, (text) => JSON.parse(String(text))) : null);

  const FIND = `SELECT ${SELECT_LIST} FROM models WHERE model_id = ?`;
  return {
    findByModelId: async (modelId) => row(timed(observe, FIND, () => sqliteCall(() => prepare(FIND).get(modelId)))),
    updateIfVersion: async (id, version, changes, updatedAt) => {
      const columns = changedColumns(changes);
      const sql =
        `UPDATE models SET ${columns.map((c) => `${COLUMN_NAMES[c]} = ?`).join(', ')}${columns.length ? ', ' : ''}` +
        `version = version + 1, updated_at = ? WHERE id = ? AND version = ? RETURNING ${SELECT_LIST}`;
      const values = columns.map((c) => {
        const value = changes[c];
        if (c === 'abilities') return value === null ? null : JSON.stringify(value);
        return typeof value === 'boolean' ? (value ? 1 : 0) : value;
      });
      // all(), not get(): an UPDATE ... RETURNING stopped after its first row (get) commits
      // without running SQLite's WAL auto-checkpoint, and the WAL then grows without bound (it
      // reached 40 MB in 10,000 updates, and every read slowed down with it).
      return row(timed(observe, sql, () => sqliteCall(() => prepare(sql).all(...values, sqliteStamp(updatedAt), id, version)[0])));
    },
    updateIfChanged: async (modelId, ownerId, expectedVersion, changes, updatedAt) => {
      const columns = FREE_FIELDS.filter((c) => changes[c] !== undefined);
      const values = columns.map((c) => changes[c]);
      // `IS NOT` is SQLite's NULL-safe "differs from".
      const sql =
        `UPDATE models SET ${columns.map((c) => `${COLUMN_NAMES[c]} = ?, `).join('')}version = version + 1, updated_at = ? ` +
        `WHERE model_id = ?${ownerId === null ? '' : ' AND owner_id = ?'}${expectedVersion === null ? '' : ' AND version = ?'} ` +
        `AND (${columns.map((c) => `${COLUMN_NAMES[c]} IS NOT ?`).join(' OR ')}) RETURNING ${SELECT_LIST}`;
      const args = [...values, sqliteStamp(updatedAt), modelId];
      if (ownerId !== null) args.push(ownerId);
      if (expectedVersion !== null) args.push(expectedVersion);
      args.push(...values);
      return row(timed(observe, sql, () => sqliteCall(() => prepare(sql).all(...args)[0])));
    },
  };
}

/* ------------------------------------------------------------------ PostgreSQL */

/**
 * On the pool Prisma uses. Named statements: each connection parses and plans a statement once,
 * then only binds and executes it. `schema` is the URL's `?schema=`, as Prisma applies it.
 */
export function postgresStatements(pool: pg.Pool, schema: string | undefined, observe?: StatementObserver): ModelStatements {
  const table = schema ? `${quoteIdent(schema)}.models` : 'models';
  let counter = 0;
  const names = lru<string>(MAX_STATEMENTS);
  const asDate = (value: unknown) => value as Date;
  const asJson = (value: unknown) => value;
  const query = async (sql: string, values: unknown[]): Promise<ModelRow | null> => {
    const name = names.get(sql, () => `mg_model_${++counter}`);
    // As pool.query() does, but the statement is timed without the wait for a free connection.
    const client = await pool.connect();
    // A socket that dies while a client is checked out emits 'error' on that client, and the pool
    // listens only while it is idle: unheard, the event would crash the process. The query
    // itself rejects as well; the listener just records that the connection is dead.
    let failure: Error | undefined;
    const onConnectionError = (err: Error) => {
      failure ??= err;
    };
    client.on('error', onConnectionError);
    const started = process.hrtime.bigint();
    try {
      const result = await client.query<Raw>({ name, text: sql, values });
      const raw = result.rows[0];
      // pg parses timestamptz to Date and jsonb to values already.
      return raw ? toRow(raw, asDate, asJson) : null;
    } catch (err) {
      failure = err as Error;
      throw err;
    } finally {
      observe?.(Number(process.hrtime.bigint() - started) / 1e6, sql);
      client.removeListener('error', onConnectionError);
      // A connection that failed mid-statement is discarded, not handed to the next request.
      client.release(failure);
    }
  };

  const FIND = `SELECT ${SELECT_LIST} FROM ${table} WHERE model_id = $1`;
  return {
    findByModelId: (modelId) => query(FIND, [modelId]),
    updateIfVersion: (id, version, changes, updatedAt) => {
      const columns = changedColumns(changes);
      const values: unknown[] = [];
      const sets = columns.map((c) => {
        const value = changes[c];
        values.push(c === 'abilities' && value !== null ? JSON.stringify(value) : value);
        return `${COLUMN_NAMES[c]} = $${values.length}${c === 'abilities' ? '::jsonb' : ''}`;
      });
      values.push(updatedAt, id, version);
      const n = values.length;
      const sql =
        `UPDATE ${table} SET ${sets.join(', ')}${sets.length ? ', ' : ''}version = version + 1, updated_at = $${n - 2} ` +
        `WHERE id = $${n - 1} AND version = $${n} RETURNING ${SELECT_LIST}`;
      return query(sql, values);
    },
    updateIfChanged: (modelId, ownerId, expectedVersion, changes, updatedAt) => {
      const columns = FREE_FIELDS.filter((c) => changes[c] !== undefined);
      const values: unknown[] = columns.map((c) => changes[c]);
      const sets = columns.map((c, i) => `${COLUMN_NAMES[c]} = $${i + 1}`);
      const differs = columns.map((c, i) => `${COLUMN_NAMES[c]} IS DISTINCT FROM $${i + 1}`);
      const param = (value: unknown) => `$${values.push(value)}`;
      const sql =
        `UPDATE ${table} SET ${sets.map((set) => `${set}, `).join('')}version = version + 1, updated_at = ${param(updatedAt)} ` +
        `WHERE model_id = ${param(modelId)}${ownerId === null ? '' : ` AND owner_id = ${param(ownerId)}`}` +
        `${expectedVersion === null ? '' : ` AND version = ${param(expectedVersion)}`} ` +
        `AND (${differs.join(' OR ')}) RETURNING ${SELECT_LIST}`;
      return query(sql, values);
    },
  };
}
