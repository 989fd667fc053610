import { type Db, Prisma, isUniqueViolation } from '../db/database';
import type { ModelRow } from '../models/model.view';

/**
 * Storage of the users' default models (table user_default_models). Every method takes an
 * optional client so that the model service can run the guards and the clean-up inside the
 * transaction of the change they belong to.
 */

/** The client itself, or the one of an interactive transaction. */
export type DbClient = Db | Prisma.TransactionClient;

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

export interface DefaultToSet {
  userId: string;
  configType: string;
  modelDbId: number;
  setByAdmin: boolean;
}

/** The largest value of an `Int` column (PostgreSQL int4): larger ids cannot exist. */
export const MAX_DB_ID = 2_147_483_647;

/**
 * Two sets of one user's type racing: with no row yet both may try to insert; the unique index
 * lets one win and the other finds the row on its next attempt and replaces it.
 */
const UPSERT_ATTEMPTS = 5;

export function isForeignKeyViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003';
}

export class DefaultModelRepository {
  constructor(private readonly db: Db) {}

  findOwn(userId: string, configType: string, client: DbClient = this.db): Promise<DefaultWithModel | null> {
    return client.defaultModel.findUnique({ where: { userId_configType: { userId, configType } }, include: { model: true } });
  }

  listOwn(userId: string, client: DbClient = this.db): Promise<DefaultWithModel[]> {
    return client.defaultModel.findMany({ where: { userId }, include: { model: true }, orderBy: { id: 'asc' } });
  }

  /**
   * Defaults that admins set on shared, active models (the organisation's defaults), of these
   * types, the most recently set first: when several admins chose one type, the latest choice wins.
   */
  listOrganisation(configTypes: readonly string[], client: DbClient = this.db): Promise<DefaultWithModel[]> {
    if (configTypes.length === 0) return Promise.resolve([]);
    return client.defaultModel.findMany({
      where: { configType: { in: [...configTypes] }, setByAdmin: true, model: { isShared: true, isActive: true } },
      include: { model: true },
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    });
  }

  /** Sets or replaces the user's default of the type; exactly one row per user and type, whatever races it. */
  async upsert(value: DefaultToSet, client: DbClient = this.db): Promise<DefaultRow> {
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      try {
        return await client.defaultModel.upsert({
          where: { userId_configType: { userId: value.userId, configType: value.configType } },
          create: {
            userId: value.userId,
            configType: value.configType,
            modelId: value.modelDbId,
            setByAdmin: value.setByAdmin,
            createdAt: now,
            updatedAt: now,
          },
          update: { modelId: value.modelDbId, setByAdmin: value.setByAdmin, updatedAt: now },
        });
      } catch (err) {
        if (isUniqueViolation(err) && attempt < UPSERT_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** True when there was a default to delete. */
  async deleteOwn(userId: string, configType: string, client: DbClient = this.db): Promise<boolean> {
    const { count } = await client.defaultModel.deleteMany({ where: { userId, configType } });
    return count > 0;
  }

  /** The user's defaults pointing at any of these models (one statement for a whole page of models). */
  ownTypesForModels(userId: string, modelDbIds: readonly number[], client: DbClient = this.db) {
    if (modelDbIds.length === 0) return Promise.resolve([]);
    return client.defaultModel.findMany({
      where: { userId, modelId: { in: [...modelDbIds] } },
      select: { modelId: true, configType: true },
    });
  }

  /** Every user's defaults pointing at the model. */
  defaultsOfModel(modelDbId: number, client: DbClient = this.db): Promise<{ userId: string; configType: string }[]> {
    return client.defaultModel.findMany({ where: { modelId: modelDbId }, select: { userId: true, configType: true } });
  }

  /** Deletes the defaults pointing at the model, except those of these users; the number deleted. */
  async deleteForModelExcept(modelDbId: number, exceptUserIds: readonly string[], client: DbClient = this.db): Promise<number> {
    const { count } = await client.defaultModel.deleteMany({
      where: { modelId: modelDbId, ...(exceptUserIds.length > 0 ? { userId: { notIn: [...exceptUserIds] } } : {}) },
    });
    return count;
  }

  /**
   * The public id (model_id) of the model with this numeric id, or null. Only the id is read
   * here: whether the caller may see the model is the model service's decision.
   */
  async publicIdOf(modelDbId: number, client: DbClient = this.db): Promise<string | null> {
    if (!Number.isSafeInteger(modelDbId) || modelDbId < 1 || modelDbId > MAX_DB_ID) return null;
    const row = await client.model.findUnique({ where: { id: modelDbId }, select: { modelId: true } });
    return row?.modelId ?? null;
  }
}
