import type { Database } from '../db/database';
import { type Dialect, dialectFor } from '../models/model.statements';
import { decodeDefaultRow, upsertIfModelAt, type DefaultToWrite } from './default-model.statements';
import type { ModelRow } from '../models/model.view';

/**
 * Storage of the users' default models (table user_default_models). Every call goes through the
 * database's `whenUnlocked`, as the model repository's do: on SQLite a statement that meets
 * another process's write lock is retried asynchronously (the connection does not busy-wait),
 * instead of failing at once. Setting a default is a statement of its own (default-model.statements.ts);
 * the writes that guard a model change (un-share clean-up, the
 * conditions on the model's update and delete) are the model repository's own statements.
 */

/** One stored default. */
export interface DefaultRow {
  id: number;
  userId: string;
  /** The numeric id of the model (models.id). */
  modelId: number;
  configType: string;
  setByAdmin: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A default with the model it points at, read in the same statement. */
export interface DefaultWithModel extends DefaultRow {
  model: ModelRow;
}

/** The largest value of an `Int` column (PostgreSQL int4): larger ids cannot exist. */
export const MAX_DB_ID = 2_147_483_647;

export class DefaultModelRepository {
  private readonly dialect: Dialect;

  constructor(private readonly database: Database) {
    this.dialect = dialectFor(database.provider, database.schema);
  }

  /** Prisma's client, each call waiting (asynchronously) while another process holds SQLite's write lock. */
  private run<T>(operation: (db: Database['db']) => Promise<T>): Promise<T> {
    return this.database.whenUnlocked(() => operation(this.database.db));
  }

  findOwn(userId: string, configType: string): Promise<DefaultWithModel | null> {
    return this.run((db) => db.defaultModel.findUnique({ where: { userId_configType: { userId, configType } }, include: { model: true } }));
  }

  listOwn(userId: string): Promise<DefaultWithModel[]> {
    return this.run((db) => db.defaultModel.findMany({ where: { userId }, include: { model: true }, orderBy: { id: 'asc' } }));
  }

  /**
   * Defaults that admins set on shared, active models (the organisation's defaults), of these
   * types, the most recently set first: when several admins chose one type, the latest choice wins.
   */
  listOrganisation(configTypes: readonly string[]): Promise<DefaultWithModel[]> {
    if (configTypes.length === 0) return Promise.resolve([]);
    return this.run((db) =>
      db.defaultModel.findMany({
        where: { configType: { in: [...configTypes] }, setByAdmin: true, model: { isShared: true, isActive: true } },
        include: { model: true },
        orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      }),
    );
  }

  /**
   * Sets or replaces the user's default of the type, if the model is still at the version the
   * caller's checks read; null when it is not (changed or gone since). Exactly one row per user
   * and type, whatever races it.
   */
  async upsertIfModelAt(value: DefaultToWrite): Promise<DefaultRow | null> {
    const statement = upsertIfModelAt(this.dialect, value);
    const rows = await this.database.whenUnlocked(() => this.database.prepared.query(statement.sql, statement.values));
    return rows[0] ? decodeDefaultRow(this.dialect, rows[0]) : null;
  }

  /** True when there was a default to delete. */
  async deleteOwn(userId: string, configType: string): Promise<boolean> {
    const { count } = await this.run((db) => db.defaultModel.deleteMany({ where: { userId, configType } }));
    return count > 0;
  }

  /** The user's defaults pointing at any of these models (one statement for a whole page of models). */
  ownTypesForModels(userId: string, modelDbIds: readonly number[]): Promise<{ modelId: number; configType: string }[]> {
    if (modelDbIds.length === 0) return Promise.resolve([]);
    return this.run((db) =>
      db.defaultModel.findMany({ where: { userId, modelId: { in: [...modelDbIds] } }, select: { modelId: true, configType: true } }),
    );
  }

  /** Every user's defaults pointing at the model. */
  defaultsOfModel(modelDbId: number): Promise<{ userId: string; configType: string }[]> {
    return this.run((db) => db.defaultModel.findMany({ where: { modelId: modelDbId }, select: { userId: true, configType: true } }));
  }

  /**
   * The public id (model_id) of the model with this numeric id, or null. Only the id is read
   * here: whether the caller may see the model is the model service's decision.
   */
  async publicIdOf(modelDbId: number): Promise<string | null> {
    if (!Number.isSafeInteger(modelDbId) || modelDbId < 1 || modelDbId > MAX_DB_ID) return null;
    const row = await this.run((db) => db.model.findUnique({ where: { id: modelDbId }, select: { modelId: true } }));
    return row?.modelId ?? null;
  }
}
