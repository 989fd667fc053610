import { AppError } from '../lib/errors';
import { fits, inTableOrder, isConfigType } from './default-model.config-types';
import type { DbClient, DefaultModelRepository } from './default-model.repository';

/**
 * What changes to a model must respect because users chose it as a default: the contract's 409s
 * on delete, un-share and category/abilities changes, and the clean-up of other users' defaults.
 * Meant to be called by the model service inside the transaction of the change it guards (pass
 * the transaction's client as `client`), after its 403 checks and before the sharing 403, so that
 * a refusal changes nothing and a change never leaves a default behind that it should have removed.
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

export class DefaultModelGuards {
  constructor(private readonly repo: DefaultModelRepository) {}

  /** The user's config types whose default is this model, in the table's order. */
  async defaultTypesOf(userSub: string, modelDbId: number, client?: DbClient): Promise<string[]> {
    const rows = await this.repo.ownTypesForModels(userSub, [modelDbId], client);
    return inTableOrder(rows, (row) => row.configType).map((row) => row.configType);
  }

  /**
   * Before deleting: 409 when the model is the caller's own default. Other users' defaults of it
   * go with the model (ON DELETE CASCADE), in the delete's own statement.
   */
  async guardDelete(callerSub: string, modelDbId: number, client?: DbClient): Promise<void> {
    if ((await this.defaultTypesOf(callerSub, modelDbId, client)).length > 0) throw GuardErrors.deleteRefused();
  }

  /** Before un-sharing (share_with_users false on a shared model): 409 when it is the caller's own default. */
  async guardUnshare(callerSub: string, modelDbId: number, client?: DbClient): Promise<void> {
    if ((await this.defaultTypesOf(callerSub, modelDbId, client)).length > 0) throw GuardErrors.unshareRefused();
  }

  /**
   * Before a category or abilities change: 409 naming the config types (any user's) that the
   * model would no longer fit. Compare with the values the model will have after the update.
   */
  async guardCategoryChange(
    modelDbId: number,
    newCategory: string,
    newAbilities: readonly string[] | null,
    client?: DbClient,
  ): Promise<void> {
    const broken = new Set<string>();
    for (const { configType } of await this.repo.defaultsOfModel(modelDbId, client)) {
      if (isConfigType(configType) && !fits(configType, newCategory, newAbilities)) broken.add(configType);
    }
    if (broken.size > 0) throw GuardErrors.categoryRefused(inTableOrder([...broken], (type) => type));
  }

  /**
   * After un-sharing (same transaction): removes the defaults of every user but these (the owner,
   * who still sees the model); returns how many went. Those users can no longer see the model.
   */
  removeOthersDefaults(modelDbId: number, exceptUserSubs: string | readonly string[], client?: DbClient): Promise<number> {
    const except = typeof exceptUserSubs === 'string' ? [exceptUserSubs] : exceptUserSubs;
    return this.repo.deleteForModelExcept(modelDbId, except, client);
  }
}
