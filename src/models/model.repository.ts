import { type Database, Prisma, isUniqueViolation } from '../db/database';
import { type Condition, atVersion } from './model.access';
import {
  type Dialect,
  decodeRow,
  deleteUnlessDefaultOf,
  distinctAbilities,
  dialectFor,
  removeOthersDefaults,
  selectPage,
  selectWhere,
  versionedUpdate,
  type Statement,
  type WriteGuards,
} from './model.statements';
import type { ModelRow } from './model.view';

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

/** A model as created: everything but the id the database assigns. */
export type NewModel = Omit<ModelRow, 'id' | 'abilities'> & { abilities: string[] | null };

export interface ListQuery {
  /** Every condition must hold (see model.access.ts). */
  where: readonly Condition[];
  skip: number;
  take: number;
}

/** How many models of one category and provider there are. */
export interface GroupCount {
  category: string;
  modelProvider: string;
  count: number;
}

export interface StoredKey {
  id: number;
  modelId: string;
  apiKeyEncrypted: string;
}

/** Prisma's filter for a condition: an OR of its matches (field names are Prisma's). */
function prismaWhere(conditions: readonly Condition[]): Prisma.ModelWhereInput {
  const relevant = conditions.filter((condition) => !condition.some((match) => Object.keys(match).length === 0));
  return {
    AND: relevant.map((condition) => (condition.length === 1 ? { ...condition[0] } : { OR: condition.map((match) => ({ ...match })) })),
  };
}

/**
 * Every read and write of models, on SQLite and PostgreSQL alike. The hot paths (one model's
 * read, the conditional updates) are prepared statements on the database's connections: under
 * load, Prisma's client cost 120-170 us of CPU per call (query interpretation, promises, result
 * mapping) against 7-18 us for the same statement prepared in better-sqlite3, a third of the
 * gateway's CPU per update (docs/benchmarks.md has the profile). The rest runs through Prisma.
 * Every call waits (asynchronously) while another process holds SQLite's write lock.
 */
export class ModelRepository {
  private readonly dialect: Dialect;
  private readonly findStatement: string;

  constructor(private readonly database: Database) {
    this.dialect = dialectFor(database.provider, database.schema);
    this.findStatement = selectWhere(this.dialect, [[{ modelId: '' }]]).sql;
  }

  /** The model with this public id, or null. */
  find(modelId: string): Promise<ModelRow | null> {
    return this.one({ sql: this.findStatement, values: [modelId] });
  }

  /** One page, in id order, of the models for which every condition holds. */
  async list(query: ListQuery): Promise<ModelRow[]> {
    const statement = selectPage(this.dialect, query.where, query.skip, query.take);
    const rows = await this.database.whenUnlocked(() => this.database.prepared.query(statement.sql, statement.values));
    return rows.map((row) => decodeRow(this.dialect, row));
  }

  /**
   * For the models for which every condition holds: how many there are of each (category,
   * provider) pair, counted by the database (GROUP BY), each model once. Unordered.
   */
  async countGroups(where: readonly Condition[]): Promise<GroupCount[]> {
    const groups = await this.database.whenUnlocked(() =>
      this.database.db.model.groupBy({ by: ['category', 'modelProvider'], where: prismaWhere(where), _count: { _all: true } }),
    );
    return groups.map((group) => ({ category: group.category, modelProvider: group.modelProvider, count: group._count._all }));
  }

  /** The distinct abilities of the models for which every condition holds, unnested in the database. Unordered. */
  async abilities(where: readonly Condition[]): Promise<string[]> {
    const statement = distinctAbilities(this.dialect, where);
    const rows = await this.database.whenUnlocked(() => this.database.prepared.query(statement.sql, statement.values));
    return rows.map((row) => String(row.ability));
  }

  /** The new row, or null when a model with its modelId exists (the unique index decides between racing creates). */
  async create(model: NewModel): Promise<ModelRow | null> {
    try {
      return await this.database.whenUnlocked(() =>
        this.database.db.model.create({ data: { ...model, abilities: model.abilities ?? Prisma.DbNull } }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /**
   * Sets `changes`, `version + 1` and `updatedAt` on `row` if it is still at the version read, in
   * one statement. The new row, or null when another write came first (or the row is gone).
   */
  updateIfVersion(
    row: Pick<ModelRow, 'id' | 'version'>,
    changes: RowChanges,
    updatedAt: Date,
    guards?: WriteGuards,
  ): Promise<ModelRow | null> {
    const update = versionedUpdate(this.dialect, changes, updatedAt, [[{ id: row.id }], atVersion(row.version)], undefined, guards);
    if (!guards) return this.one(update);
    // Guarded: where statements can overlap (PostgreSQL), the row is locked first, so the UPDATE's
    // own look at the defaults (a new statement, a new snapshot) sees every default committed
    // before it; a racing set waits for the lock in turn (see the defaults repository).
    const lock = this.dialect.lockModel(row.id);
    // Un-sharing: the other users' defaults of the model go in the same transaction.
    const cleanup = changes.isShared === false ? removeOthersDefaults(this.dialect, row.id) : null;
    if (!lock && !cleanup) return this.one(update);
    const statements = [lock, update, cleanup].filter((statement): statement is Statement => statement !== null);
    return this.database.whenUnlocked(async () => {
      const results = await this.database.prepared.transaction(statements);
      const rows = results[lock ? 1 : 0];
      return rows?.[0] ? decodeRow(this.dialect, rows[0]) : null;
    });
  }

  /**
   * The common update in one statement: sets `changes`, `version + 1` and `updatedAt` on model
   * `modelId` where every condition holds and at least one of the fields really changes. The new
   * row, or null when any of that does not hold.
   */
  updateIfChanged(modelId: string, conditions: readonly Condition[], changes: RowChanges, updatedAt: Date): Promise<ModelRow | null> {
    return this.one(versionedUpdate(this.dialect, changes, updatedAt, [[{ modelId }], ...conditions], changes));
  }

  /**
   * Deletes the model unless it is `userId`'s default, in one statement (so a default set
   * meanwhile is seen; on PostgreSQL after locking the row, as guarded updates do); every other
   * default of it goes with it (ON DELETE CASCADE). False when nothing was deleted: the row was
   * gone, or it is that user's default.
   */
  async deleteUnlessDefaultOf(id: number, userId: string): Promise<boolean> {
    const statement = deleteUnlessDefaultOf(this.dialect, id, userId);
    const lock = this.dialect.lockModel(id);
    return this.database.whenUnlocked(async () => {
      if (!lock) return (await this.database.prepared.query(statement.sql, statement.values)).length > 0;
      const [, deleted] = await this.database.prepared.transaction([lock, statement]);
      return (deleted?.length ?? 0) > 0;
    });
  }

  /** Rows holding an api_key with an id above `afterId`, in id order, at most `limit` (key rotation). */
  async storedKeys(afterId: number, limit: number): Promise<StoredKey[]> {
    const rows = await this.database.whenUnlocked(() =>
      this.database.db.model.findMany({
        where: { id: { gt: afterId }, apiKeyEncrypted: { not: null } },
        orderBy: { id: 'asc' },
        take: limit,
        select: { id: true, modelId: true, apiKeyEncrypted: true },
      }),
    );
    return rows.flatMap((row) => (row.apiKeyEncrypted === null ? [] : [{ ...row, apiKeyEncrypted: row.apiKeyEncrypted }]));
  }

  /**
   * Writes `next` only if the row still holds `expected`; false when it changed or went away
   * meanwhile. Version and updated_at stay: re-sealing is no change for clients (the key opens
   * to the same plaintext), and moving the version would fail their pending If-Match writes.
   */
  async replaceKey(id: number, expected: string, next: string): Promise<boolean> {
    const { count } = await this.database.whenUnlocked(() =>
      this.database.db.model.updateMany({ where: { id, apiKeyEncrypted: expected }, data: { apiKeyEncrypted: next } }),
    );
    return count === 1;
  }

  private async one(statement: Statement): Promise<ModelRow | null> {
    const rows = await this.database.whenUnlocked(() => this.database.prepared.query(statement.sql, statement.values));
    return rows[0] ? decodeRow(this.dialect, rows[0]) : null;
  }
}
