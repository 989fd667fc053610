import type { Caller } from '../lib/auth';
import { Errors, type FieldIssue } from '../lib/errors';
import { ACTIVE, SHARED_AND_ACTIVE, visibleTo, type Condition } from '../models/model.access';
import type { GroupCount, ModelRepository } from '../models/model.repository';
import { isCategory } from '../models/model.validation';
import { abilitiesOf } from '../models/model.view';
import { PROVIDER_CATEGORIES, canonicalProviderName } from '../providers/provider.catalog';

/**
 * Aggregates over models: for a signed-in caller over the active models they may see, and for
 * the public catalog (no token) over shared, active models only. Who may see what is the
 * conditions of model.access.ts; the counting happens in the database (GROUP BY, DISTINCT), so
 * the cost grows with the number of distinct values, not of models.
 *
 * Order: every list and every count's keys are sorted by code unit (plain `<`), the same on
 * both databases (their collations differ, so the sort is not left to ORDER BY).
 */

export interface KeyCount {
  key: string;
  count: number;
}

export interface ModelSummary {
  totalModels: number;
  byCategory: KeyCount[];
  byProvider: KeyCount[];
}

/** A public catalog entry: what a model is, never how to reach it (no key, no URL) or whose it is. */
export interface PublicModel {
  id: number;
  modelId: string;
  category: string;
  modelProvider: string;
  modelName: string;
  abilities: string[] | null;
  description: string | null;
}

export interface PublicListFilter {
  category?: string;
  provider?: string;
  limit?: number;
}

export const PUBLIC_LIST_DEFAULT_LIMIT = 50;
export const PUBLIC_LIST_MAX_LIMIT = 100;

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function tally(groups: readonly GroupCount[], keyOf: (group: GroupCount) => string): KeyCount[] {
  const counts = new Map<string, number>();
  for (const group of groups) counts.set(keyOf(group), (counts.get(keyOf(group)) ?? 0) + group.count);
  return [...counts.keys()].sort(byCodeUnit).map((key) => ({ key, count: counts.get(key)! }));
}

export class ModelAggregates {
  constructor(private readonly models: ModelRepository) {}

  /** The distinct categories of the active models the caller may see, sorted. */
  async categories(caller: Caller): Promise<string[]> {
    return (await this.summaryOf(this.seenBy(caller))).byCategory.map((entry) => entry.key);
  }

  /** The distinct model_provider values of the active models the caller may see, sorted. */
  async providers(caller: Caller): Promise<string[]> {
    return (await this.summaryOf(this.seenBy(caller))).byProvider.map((entry) => entry.key);
  }

  /** The union of the abilities of the active models the caller may see, sorted. */
  async abilities(caller: Caller): Promise<string[]> {
    return (await this.models.abilities(this.seenBy(caller))).sort(byCodeUnit);
  }

  summary(caller: Caller): Promise<ModelSummary> {
    return this.summaryOf(this.seenBy(caller));
  }

  /** Shared, active models in id order; category and provider normalized as stored. */
  async publicList(filter: PublicListFilter): Promise<PublicModel[]> {
    const limit = filter.limit ?? PUBLIC_LIST_DEFAULT_LIMIT;
    const issues: FieldIssue[] = [];
    if (!Number.isInteger(limit) || limit < 1) {
      issues.push({ path: ['limit'], type: 'greater_than_equal', msg: 'Input should be greater than or equal to 1' });
    } else if (limit > PUBLIC_LIST_MAX_LIMIT) {
      issues.push({ path: ['limit'], type: 'less_than_equal', msg: `Input should be less than or equal to ${PUBLIC_LIST_MAX_LIMIT}` });
    }
    if (issues.length > 0) throw Errors.validation(issues);

    const where: Condition[] = [SHARED_AND_ACTIVE];
    const category = filter.category?.trim().toLowerCase() || undefined;
    if (category !== undefined) {
      // As GET /api/models answers a typo: an empty list would hide it.
      if (!isCategory(category)) throw Errors.invalidCategory();
      where.push([{ category }]);
    }
    const provider = filter.provider?.trim() ? canonicalProviderName(filter.provider) : undefined;
    if (provider !== undefined) where.push([{ modelProvider: provider }]);

    const rows = await this.models.list({ where, skip: 0, take: limit });
    return rows.map((row) => ({
      id: row.id,
      modelId: row.modelId,
      category: row.category,
      modelProvider: row.modelProvider,
      modelName: row.modelName,
      abilities: abilitiesOf(row),
      description: row.description,
    }));
  }

  /** The summary of shared, active models: what `/public/categories`, `/public/providers` and `/public/summary` tell. */
  publicSummary(): Promise<ModelSummary> {
    return this.summaryOf([SHARED_AND_ACTIVE]);
  }

  /** The public summary's categories: every category of the contract, 0 where none (so clients may read any), then any other stored one. */
  static everyCategory(summary: ModelSummary): KeyCount[] {
    const counts = new Map(summary.byCategory.map((entry) => [entry.key, entry.count]));
    const known = PROVIDER_CATEGORIES.map((key) => ({ key, count: counts.get(key) ?? 0 }));
    const others = summary.byCategory.filter((entry) => !(PROVIDER_CATEGORIES as readonly string[]).includes(entry.key));
    return [...known, ...others];
  }

  private seenBy(caller: Caller): Condition[] {
    return [visibleTo(caller), ACTIVE];
  }

  private async summaryOf(where: readonly Condition[]): Promise<ModelSummary> {
    const groups = await this.models.countGroups(where);
    return {
      totalModels: groups.reduce((sum, group) => sum + group.count, 0),
      byCategory: tally(groups, (group) => group.category),
      byProvider: tally(groups, (group) => group.modelProvider),
    };
  }
}
