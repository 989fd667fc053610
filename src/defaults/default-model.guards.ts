import { AppError } from '../lib/errors';
import { CONFIG_TYPES, fits, inTableOrder, type ConfigType } from './default-model.config-types';
import type { DefaultModelRepository } from './default-model.repository';

/**
 * What changes to a model must respect because users chose it as a default: the contract's 409s
 * on delete, un-share and category/abilities changes. The model service asks these checks after
 * its 403 (edit/delete permission), 412 and 400 checks and before the sharing 403, so that the
 * answer follows the contract's order. The checks alone could be outrun by a default set right
 * after them, so the write repeats each one as a condition of its own statement (see
 * `WriteGuards` in model.statements.ts and `ModelRepository.deleteUnlessDefaultOf`): a write
 * that finds a default in its way changes nothing, and the service re-reads and re-decides.
 */

export const GuardErrors = {
  deleteRefused: () => new AppError('CONFLICT', 'Cannot delete: you have this model as your default. Change default first.'),
  unshareRefused: () => new AppError('CONFLICT', 'Cannot un-share: you have this model as your default. Change default first.'),
  categoryRefused: (types: readonly string[]) =>
    new AppError('CONFLICT', `Cannot change category or abilities: this model is a default (${types.join(', ')}). Change default first.`, [
      'category',
      'abilities',
    ]),
};

/** The config types a model of this category and these abilities could not be the default of. */
export function typesUnfitFor(category: string, abilities: readonly string[] | null): ConfigType[] {
  return CONFIG_TYPES.filter((type) => !fits(type, category, abilities));
}

export class DefaultModelGuards {
  constructor(private readonly repo: DefaultModelRepository) {}

  /** The user's config types whose default is this model, in the table's order. */
  async defaultTypesOf(userSub: string, modelDbId: number): Promise<string[]> {
    const rows = await this.repo.ownTypesForModels(userSub, [modelDbId]);
    return inTableOrder(rows, (row) => row.configType).map((row) => row.configType);
  }

  /** Delete: 409 when the model is the caller's own default (other users' defaults go with it). */
  async checkDelete(callerSub: string, modelDbId: number): Promise<void> {
    if ((await this.defaultTypesOf(callerSub, modelDbId)).length > 0) throw GuardErrors.deleteRefused();
  }

  /**
   * Un-share (share_with_users false on a shared model): 409 when it is the owner's own default.
   * Everyone else's defaults of it are removed with the change: they no longer see the model.
   */
  async checkUnshare(ownerSub: string, modelDbId: number): Promise<void> {
    if ((await this.defaultTypesOf(ownerSub, modelDbId)).length > 0) throw GuardErrors.unshareRefused();
  }

  /**
   * A category or abilities change: 409 naming the config types (of any user's default of the
   * model) that the model would no longer fit with the values it will have after the update.
   */
  async checkCategoryChange(modelDbId: number, newCategory: string, newAbilities: readonly string[] | null): Promise<void> {
    const unfit = new Set<string>(typesUnfitFor(newCategory, newAbilities));
    const broken = new Set<string>();
    for (const { configType } of await this.repo.defaultsOfModel(modelDbId)) {
      if (unfit.has(configType)) broken.add(configType);
    }
    if (broken.size > 0) throw GuardErrors.categoryRefused(inTableOrder([...broken], (type) => type));
  }
}
