import type { Dialect, Statement } from '../models/model.statements';
import type { DefaultRow } from './default-model.repository';

/*
 * The one default-model write that runs SQL of its own: setting a default, conditional on the
 * model being still as the service checked it (same version), in one statement. Everything else
 * about defaults goes through Prisma.
 */

export interface DefaultToWrite {
  userId: string;
  configType: string;
  modelDbId: number;
  /** The version of the model the service checked (visible to the caller, fits the type). */
  modelVersion: number;
  setByAdmin: boolean;
  at: Date;
}

const RETURNING =
  'RETURNING id, user_id AS "userId", model_id AS "modelId", config_type AS "configType", ' +
  'set_by_admin AS "setByAdmin", created_at AS "createdAt", updated_at AS "updatedAt"';

/**
 * Inserts or replaces the user's default of the type, only while the model is at the version
 * checked; no row back when it is not (changed or deleted since). On PostgreSQL the model row is
 * share-locked: a change to it in progress is waited for and then seen (a new version: nothing
 * written), and a change that comes later waits for this one and then sees the default.
 * `ON CONFLICT` makes two sets of one user's type racing on a missing row end in one row.
 */
export function upsertIfModelAt(dialect: Dialect, value: DefaultToWrite): Statement {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return dialect.param(values.length, undefined);
  };
  const at = dialect.encode('timestamp', value.at);
  const model = `SELECT ${param(value.userId)}, ${param(value.configType)}, m.id, ${param(dialect.encode('boolean', value.setByAdmin))}, ${param(at)}, ${param(at)} FROM ${dialect.table} m WHERE m.id = ${param(value.modelDbId)} AND m.version = ${param(value.modelVersion)}${dialect.shareLock}`;
  return {
    sql:
      `INSERT INTO ${dialect.defaultsTable} (user_id, config_type, model_id, set_by_admin, created_at, updated_at) ${model} ` +
      'ON CONFLICT (user_id, config_type) DO UPDATE SET model_id = excluded.model_id, set_by_admin = excluded.set_by_admin, ' +
      `updated_at = excluded.updated_at ${RETURNING}`,
    values,
  };
}

export function decodeDefaultRow(dialect: Dialect, raw: Record<string, unknown>): DefaultRow {
  return {
    id: Number(raw.id),
    userId: String(raw.userId),
    modelId: Number(raw.modelId),
    configType: String(raw.configType),
    setByAdmin: dialect.decode('boolean', raw.setByAdmin) as boolean,
    createdAt: dialect.decode('timestamp', raw.createdAt) as Date,
    updatedAt: dialect.decode('timestamp', raw.updatedAt) as Date,
  };
}
