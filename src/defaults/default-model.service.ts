import type { Caller } from '../lib/auth';
import { AppError, Errors, MESSAGES, type FieldIssue } from '../lib/errors';
import type { ModelService } from '../models/model.service';
import { canSee } from '../models/model.access';
import { toView, type ModelView } from '../models/model.view';
import {
  CONFIG_TYPES,
  configTypeFromPath,
  fits,
  inTableOrder,
  invalidConfigTypeMessage,
  isConfigType,
  type ConfigType,
} from './default-model.config-types';
import { DefaultModelRepository, type DefaultRow, type DefaultWithModel } from './default-model.repository';

/**
 * The rules of default models, shared by REST and GraphQL. Which models exist for a caller, and
 * how a model looks to them, is the model service's (and its view's) business; this service adds
 * only what defaults are: one per user and config type, on a model that fits the type.
 */

/** One stored default, as the API reports it. */
export interface DefaultEntry {
  id: number;
  userId: string;
  /** The numeric id of the model. */
  modelDbId: number;
  configType: string;
  createdAt: string;
  updatedAt: string;
}

/** A default with its model as the caller sees it; `inherited`: an admin's (organisation) default. */
export interface ListedDefault extends DefaultEntry {
  inherited: boolean;
  model: ModelView;
}

/** How a caller names the model of a new default: its numeric id, or its model_id. */
export type ModelRef = number | string;

/** Rounds of "the model changed since it was checked" before a set gives up with a 409. */
const MAX_SET_ATTEMPTS = 50;

/** Longest model_id the model service accepts; a longer one cannot name a model. */
const MAX_MODEL_ID_LENGTH = 256;

export const DefaultErrors = {
  notFound: () => new AppError('NOT_FOUND', 'Default configuration not found'),
  incompatible: (configType: string, category: string) =>
    new AppError('BAD_REQUEST', `Config type '${configType}' is incompatible with model category '${category}'`, ['configType']),
};

/** The 422 issue for a config type that is not one of the table's. */
export function configTypeIssue(value: unknown, path: string): FieldIssue | null {
  if (typeof value !== 'string') {
    return value === undefined
      ? { path: [path], type: 'missing', msg: 'Field required' }
      : { path: [path], type: 'string_type', msg: 'Input should be a valid string' };
  }
  return isConfigType(value) ? null : { path: [path], type: 'value_error', msg: invalidConfigTypeMessage(value) };
}

/** The 422 issue for a model reference that is neither a positive integer nor a string; null when it is one. */
export function modelRefIssue(value: unknown, path: string): FieldIssue | null {
  if (value === undefined) return { path: [path], type: 'missing', msg: 'Field required' };
  if (typeof value === 'string') return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { path: [path], type: 'finite_number', msg: 'Input should be a finite number' };
    if (!Number.isInteger(value)) {
      return { path: [path], type: 'int_from_float', msg: 'Input should be a valid integer, got a number with a fractional part' };
    }
    return value < 1 ? { path: [path], type: 'greater_than', msg: 'Input should be greater than 0' } : null;
  }
  // true/false would be 1/0 to a lax parser: a default must name its model unambiguously.
  return { path: [path], type: 'int_type', msg: 'Input should be a valid integer or string' };
}

function entryOf(row: DefaultRow): DefaultEntry {
  return {
    id: row.id,
    userId: row.userId,
    modelDbId: row.modelId,
    configType: row.configType,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export class DefaultModelService {
  constructor(
    private readonly repo: DefaultModelRepository,
    private readonly models: ModelService,
  ) {}

  /**
   * Sets (or replaces) the caller's default of `configType`. Checks run in the contract's order:
   * input (422), the model exists for the caller (404), it fits the type (400).
   */
  async set(caller: Caller, configType: unknown, modelRef: unknown): Promise<ListedDefault> {
    const issues = [configTypeIssue(configType, 'configType'), modelRefIssue(modelRef, 'modelId')].filter(
      (issue): issue is FieldIssue => issue !== null,
    );
    if (issues.length > 0) throw Errors.validation(issues);
    const type = configType as ConfigType;

    for (let attempt = 1; ; attempt++) {
      const model = await this.visibleModel(caller, modelRef as ModelRef);
      if (!model) throw Errors.notFound();
      if (!fits(type, model.category, model.abilities)) throw DefaultErrors.incompatible(type, model.category);
      // Written only while the model is as checked: a change that came in between (un-shared away
      // from the caller, a new category, deleted) makes this decide again against the model as it is.
      const row = await this.repo.upsertIfModelAt({
        userId: caller.sub,
        configType: type,
        modelDbId: model.id,
        modelVersion: model.version,
        // The token's role now is what makes this an organisation default later (see docs/defaults.md).
        setByAdmin: caller.isAdmin,
        at: new Date(),
      });
      // The model as checked: an inactive one may be chosen, and the answer shows what was chosen.
      if (row) return { ...entryOf(row), inherited: false, model };
      if (attempt >= MAX_SET_ATTEMPTS) throw new AppError('CONFLICT', MESSAGES.tooManyWriters);
    }
  }

  /**
   * The caller's defaults, one per config type in the table's order; for a type the caller has
   * no usable default of, the organisation's (an admin's default on a shared, active model).
   */
  async list(caller: Caller): Promise<ListedDefault[]> {
    const own = (await this.repo.listOwn(caller.sub)).filter((row) => this.reportable(caller, row));
    const covered = new Set(own.map((row) => row.configType));
    const missing = CONFIG_TYPES.filter((type) => !covered.has(type));
    const inherited: DefaultWithModel[] = [];
    for (const row of await this.repo.listOrganisation(missing)) {
      // Newest first: the first of each type is the one that counts.
      if (covered.has(row.configType) || !this.reportable(caller, row)) continue;
      covered.add(row.configType);
      inherited.push(row);
    }
    const listed = [...own.map((row) => this.listed(caller, row, false)), ...inherited.map((row) => this.listed(caller, row, true))];
    return inTableOrder(listed, (entry) => entry.configType);
  }

  /** The caller's own default of the type, or null (none, or its model is inactive or out of sight). */
  async getOwn(caller: Caller, configType: ConfigType): Promise<ListedDefault | null> {
    const row = await this.repo.findOwn(caller.sub, configType);
    return row && this.reportable(caller, row) ? this.listed(caller, row, false) : null;
  }

  /** True when the caller had a default of the type (now removed). */
  clear(caller: Caller, configType: ConfigType): Promise<boolean> {
    return this.repo.deleteOwn(caller.sub, configType);
  }

  /** The model of the caller's own default named by a `/default/{type}` path (aliases allowed), or null. */
  async modelOf(caller: Caller, configType: ConfigType): Promise<ModelView | null> {
    return (await this.getOwn(caller, configType))?.model ?? null;
  }

  /** For each model id, the caller's own config types pointing at it, in the table's order; one statement. */
  async ownTypesForModels(caller: Caller, modelDbIds: readonly number[]): Promise<Map<number, string[]>> {
    const byModel = new Map<number, string[]>(modelDbIds.map((id) => [id, []]));
    const rows = inTableOrder(await this.repo.ownTypesForModels(caller.sub, [...new Set(modelDbIds)]), (row) => row.configType);
    for (const row of rows) byModel.get(row.modelId)?.push(row.configType);
    return byModel;
  }

  /** A path's config type (`small-fast`, `llm`, ...) or a 422 on `path`. */
  static typeFromPath(value: string, path: string, aliases: boolean): ConfigType {
    const type = aliases ? configTypeFromPath(value) : isConfigType(value) ? value : null;
    if (type === null) throw Errors.validation([{ path: [path], type: 'value_error', msg: invalidConfigTypeMessage(value) }]);
    return type;
  }

  private async visibleModel(caller: Caller, ref: ModelRef): Promise<ModelView | null> {
    if (typeof ref === 'number') {
      const publicId = await this.repo.publicIdOf(ref);
      return publicId === null ? null : this.models.find(caller, publicId);
    }
    // No model can have such an id; asking the database would only risk its encoding errors.
    if (ref.length === 0 || ref.length > MAX_MODEL_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(ref)) return null;
    return this.models.find(caller, ref);
  }

  /** Inactive models are not reported (they may still be chosen), nor models the caller may no longer see. */
  private reportable(caller: Caller, row: DefaultWithModel): boolean {
    return isConfigType(row.configType) && row.model.isActive && canSee(caller, row.model);
  }

  private listed(caller: Caller, row: DefaultWithModel, inherited: boolean): ListedDefault {
    return { ...entryOf(row), inherited, model: toView(caller, row.model) };
  }
}
