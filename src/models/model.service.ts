import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Caller } from '../lib/auth';
import type { SharingPolicy } from '../lib/config';
import { SecretBox } from '../lib/crypto';
import { AppError, Errors, MESSAGES, type FieldIssue } from '../lib/errors';
import {
  CONTROL,
  abilityIssues,
  isCategory,
  parseCreateInput,
  parseUpdateInput,
  sameAbilityList,
  sameAbilitySet,
  type InputRecord,
  type ModelPatch,
} from './model.validation';
import { type Condition, atVersion, canEdit, canSee, editableBy, holds, visibleTo } from './model.access';
import { UPDATE_SPECS, rowKeyOf, type FieldKind } from './model.fields';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SKIP } from './model.limits';
import type { ModelRepository, RowChanges } from './model.repository';
import type { WriteGuards } from './model.statements';
import { typesUnfitFor, type DefaultModelGuards } from '../defaults/default-model.guards';
import { abilitiesOf, toView, type ModelRow, type ModelView } from './model.view';
import { canonicalProviderName, defaultBaseUrlFor } from '../providers/provider.catalog';

/** A stored model and its opened key (see ModelService.withStoredKey). */
export interface StoredCredentials {
  model: ModelView;
  apiKey: string | null;
  /** A key is stored but could not be opened. */
  keyBroken: boolean;
}

export interface ListFilter {
  category?: string | null;
  modelProvider?: string | null;
  /** Omitted: active models only (the REST default). `null`: active and inactive. */
  isActive?: boolean | null;
  skip?: number | null;
  limit?: number | null;
}

/**
 * A losing writer reloads and re-checks the rules against the newer version; past this many
 * rounds of contention on one model the request gives up with a 409 rather than spin.
 */
const MAX_WRITE_ATTEMPTS = 50;

/**
 * Fields whose update rules need nothing of the stored row except who may edit it and its version:
 * no category/abilities check, no shared-model lock, no sharing permission, no api_key comparison.
 */
/**
 * Written fields of a plain kind, with no rule that depends on the stored row (category is not
 * one: abilities are checked against it). A plain scalar field added to the field table joins
 * them by itself: created from the input, changed by a patch, on the one-statement update path.
 */
const PLAIN_KINDS: readonly FieldKind[] = ['string', 'url', 'number', 'integer'];
type FreeField = Exclude<Extract<keyof ModelPatch, keyof ModelRow>, 'category' | 'abilities'>;
const FREE_FIELDS = UPDATE_SPECS.filter((spec) => PLAIN_KINDS.includes(spec.kind) && spec.name !== 'category').map(
  (spec) => rowKeyOf(spec) as FreeField,
);
type FreeChanges = Partial<Pick<ModelRow, FreeField>>;

/** What a write sets, and what must still hold about the model's defaults when it does. */
interface Decision {
  changes: RowChanges;
  guards?: WriteGuards;
  /** Throws the 409 of the guard that refused the write, if one still does. */
  explain?: () => Promise<void>;
}

/**
 * The patch as changes, when it sets only fields free of row-dependent rules (and sets one);
 * otherwise null. Category, abilities and sharing are never free, so the one-statement path can
 * never skip a default-model guard (un-share, category or abilities change).
 */
function freeChanges(patch: ModelPatch): FreeChanges | null {
  const changes: FreeChanges = {};
  let count = 0;
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!(FREE_FIELDS as readonly string[]).includes(field)) return null;
    (changes as Record<string, unknown>)[field] = value;
    count++;
  }
  return count > 0 ? changes : null;
}

export class ModelService {
  private readonly box: SecretBox;

  constructor(
    private readonly models: ModelRepository,
    /** The first key seals; all of them open (key rotation). */
    encryptionKeys: readonly Buffer[],
    private readonly sharing: SharingPolicy,
    private readonly logger: Logger,
    /** The users' defaults that deletes, un-shares and category changes must respect (409). */
    private readonly guards: DefaultModelGuards,
  ) {
    this.box = new SecretBox(encryptionKeys);
  }

  async list(caller: Caller, filter: ListFilter): Promise<ModelView[]> {
    const issues: FieldIssue[] = [];
    const skip = filter.skip ?? 0;
    const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(skip) || skip < 0) {
      issues.push({ path: ['skip'], type: 'greater_than_equal', msg: 'Input should be greater than or equal to 0' });
    } else if (skip > MAX_SKIP) {
      issues.push({ path: ['skip'], type: 'less_than_equal', msg: `Input should be less than or equal to ${MAX_SKIP}` });
    }
    if (!Number.isInteger(limit) || limit < 1) {
      issues.push({ path: ['limit'], type: 'greater_than_equal', msg: 'Input should be greater than or equal to 1' });
    } else if (limit > MAX_PAGE_SIZE) {
      issues.push({ path: ['limit'], type: 'less_than_equal', msg: `Input should be less than or equal to ${MAX_PAGE_SIZE}` });
    }
    if (issues.length > 0) throw Errors.validation(issues);

    const category = filter.category?.trim().toLowerCase() || undefined;
    if (category !== undefined && !isCategory(category)) throw Errors.invalidCategory();
    // An alias filters as its canonical id, which is what create and update store.
    const rawProvider = filter.modelProvider?.trim().toLowerCase() || undefined;
    const modelProvider = rawProvider === undefined ? undefined : canonicalProviderName(rawProvider);
    const isActive = filter.isActive === undefined ? true : (filter.isActive ?? undefined);

    const where: Condition[] = [visibleTo(caller)];
    if (category !== undefined) where.push([{ category }]);
    if (modelProvider !== undefined) where.push([{ modelProvider }]);
    if (isActive !== undefined) where.push([{ isActive }]);
    const rows = await this.models.list({ where, skip, take: limit });
    return rows.map((row) => toView(caller, row));
  }

  /** The model, or null when it does not exist for this caller. */
  async find(caller: Caller, modelId: string): Promise<ModelView | null> {
    const row = await this.visibleRow(caller, modelId);
    return row ? toView(caller, row) : null;
  }

  async get(caller: Caller, modelId: string): Promise<ModelView> {
    const row = await this.visibleRow(caller, modelId);
    if (!row) throw Errors.notFound();
    return toView(caller, row);
  }

  async create(caller: Caller, input: InputRecord): Promise<ModelView> {
    const fields = parseCreateInput(input);
    const category = fields.category ?? 'llm';
    const modelProvider = canonicalProviderName(fields.modelProvider);
    if (!isCategory(category)) throw Errors.invalidCategory();
    const abilities = fields.abilities ?? null;
    const abilityProblems = abilityIssues(category, abilities);
    if (abilityProblems.length > 0) throw Errors.validation(abilityProblems);

    const modelId = fields.modelId ?? randomUUID();
    // URL parsers drop `.` and `..` path segments, so no REST client could reach such a model.
    if (/^\.+$/.test(modelId)) {
      throw Errors.validation([{ path: ['modelId'], type: 'value_error', msg: 'Value error, model_id cannot consist only of dots' }]);
    }
    if (await this.models.find(modelId)) throw Errors.duplicateModelId();
    const share = fields.shareWithUsers ?? false;
    // A new model's owner is its creator, so under SHARING=owners anyone may share what they create.
    if (share && !caller.isAdmin && this.sharing !== 'owners') throw Errors.sharingNotAllowedOnCreate();

    const now = new Date();
    const plain = Object.fromEntries(FREE_FIELDS.map((field) => [field, fields[field] ?? null])) as Pick<ModelRow, FreeField>;
    const row = await this.models.create({
      ...plain,
      modelId,
      ownerId: caller.sub,
      category,
      modelProvider,
      modelName: fields.modelName,
      apiKeyEncrypted: fields.apiKey ? this.box.seal(fields.apiKey, modelId) : null,
      // Blank or missing: the provider's own endpoint. An explicit `null` is "no URL", as on update,
      // and the one way to create a model without the catalog's default.
      baseUrl: fields.baseUrl ?? (input.baseUrl === null ? null : defaultBaseUrlFor(modelProvider)),
      abilities,
      isShared: share,
      isActive: true,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    // Two creates of one id racing: the unique index decides, the loser gets the same 400.
    if (!row) throw Errors.duplicateModelId();
    return toView(caller, row);
  }

  /**
   * JSON Merge Patch update. Checks run in the contract's order of precedence: input (422), then
   * existence (404), edit permission (403), version (412), category (400), abilities against
   * the resulting category (422), the shared-model lock (409), sharing permission (403).
   */
  async update(caller: Caller, modelId: string, input: InputRecord, expectedVersion?: number | null): Promise<ModelView> {
    const patch = parseUpdateInput(input);
    if (patch.modelProvider !== undefined) patch.modelProvider = canonicalProviderName(patch.modelProvider);
    // An id no model can have goes the general way, whose lookup answers it 404.
    const free = CONTROL.test(modelId) ? null : freeChanges(patch);
    if (free) {
      // The common update (names, URL, temperature, ...) in one statement: it applies only where
      // every rule is already known to pass (the caller may edit, the version matches, something
      // changes), so anything else, including every refusal, goes the general way below.
      const conditions = [editableBy(caller)];
      if (expectedVersion != null) conditions.push(atVersion(expectedVersion));
      const row = await this.models.updateIfChanged(modelId, conditions, free, new Date());
      if (row) return toView(caller, row);
    }
    return this.write(caller, modelId, expectedVersion ?? null, (row) => this.decide(caller, row, patch));
  }

  async setActive(caller: Caller, modelId: string, active: boolean): Promise<ModelView> {
    return this.write(caller, modelId, null, (row) => Promise.resolve(row.isActive === active ? null : { changes: { isActive: active } }));
  }

  /**
   * 404, 403, then 409 when the model is the caller's own default; otherwise the model goes with
   * every default pointing at it. The delete itself re-checks the caller's defaults in its one
   * statement, so a default set meanwhile is never deleted from under its user.
   */
  async delete(caller: Caller, modelId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const row = await this.visibleRow(caller, modelId);
      if (!row) throw Errors.notFound();
      if (!canEdit(caller, row)) throw Errors.noDeletePermission();
      if (await this.models.deleteUnlessDefaultOf(row.id, caller.sub)) return;
      // Nothing deleted: the model is the caller's default now (409), or it went away (404 next round).
      await this.guards.checkDelete(caller.sub, row.id);
      if (attempt >= MAX_WRITE_ATTEMPTS) throw new AppError('CONFLICT', MESSAGES.tooManyWriters);
    }
  }

  /**
   * A stored model with its key opened, for calling its provider on the caller's behalf; null when
   * the model does not exist for the caller. The key is plaintext from here on: it may only go to
   * the model's own base URL (the provider calls see to that) and never into a log or an answer.
   */
  async withStoredKey(caller: Caller, modelId: string): Promise<StoredCredentials | null> {
    const row = await this.visibleRow(caller, modelId);
    if (!row) return null;
    let apiKey: string | null = null;
    let keyBroken = false;
    if (row.apiKeyEncrypted !== null) {
      try {
        apiKey = this.box.open(row.apiKeyEncrypted, row.modelId);
      } catch (err) {
        // Corrupt, tampered with, or sealed with a key no longer configured: say so (never the value).
        this.logger.error({ modelId: row.modelId, reason: (err as Error).message }, 'stored api_key failed to decrypt');
        keyBroken = true;
      }
    }
    return { model: toView(caller, row), apiKey, keyBroken };
  }

  private async visibleRow(caller: Caller, modelId: string): Promise<ModelRow | null> {
    // Validation refuses control characters in a new model_id, so no such model exists; asked
    // of PostgreSQL, a NUL fails the whole statement (500) instead of matching nothing.
    if (CONTROL.test(modelId)) return null;
    const row = await this.models.find(modelId);
    return row && canSee(caller, row) ? row : null;
  }

  /**
   * Optimistic concurrency: every write is `UPDATE ... WHERE id = ? AND version = ?`, decided
   * against the row as read. A writer that loses the race re-reads and re-decides (all rules,
   * not just the merge), so no write is lost and no rule is checked against stale state; with
   * an expected version there is nothing to retry: the version moved, 412.
   */
  private async write(
    caller: Caller,
    modelId: string,
    expectedVersion: number | null,
    decide: (row: ModelRow) => Promise<Decision | null>,
  ): Promise<ModelView> {
    for (let attempt = 1; ; attempt++) {
      const row = await this.visibleRow(caller, modelId);
      if (!row) throw Errors.notFound();
      if (!canEdit(caller, row)) throw Errors.noEditPermission();
      if (expectedVersion !== null && !holds(row, atVersion(expectedVersion))) throw Errors.preconditionFailed(row.version);

      const decision = await decide(row);
      if (decision === null) return toView(caller, row);

      const updatedAt = new Date();
      const updated = await this.models.updateIfVersion(row, decision.changes, updatedAt, decision.guards);
      if (updated) return toView(caller, updated);
      // Refused: a newer version, the row gone, or (guarded writes) a default in the way.
      const current = decision.explain || expectedVersion !== null ? await this.visibleRow(caller, modelId) : null;
      if (decision.explain && current?.version === row.version) {
        // Still the row that was decided on: a default stopped the write. The 409 names it; if
        // that default has gone again meanwhile, the next round writes.
        await decision.explain();
      } else if (expectedVersion !== null) {
        throw Errors.preconditionFailed(current?.version);
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new AppError('CONFLICT', MESSAGES.tooManyWriters);
      }
    }
  }

  /** What the patch changes on this row, or null when it changes nothing. Throws when a rule refuses it. */
  private async decide(caller: Caller, row: ModelRow, patch: ModelPatch): Promise<Decision | null> {
    const storedAbilities = abilitiesOf(row);
    if (patch.category !== undefined && !isCategory(patch.category)) throw Errors.invalidCategory();

    const category = patch.category ?? row.category;
    const abilities = patch.abilities !== undefined ? patch.abilities : storedAbilities;
    if ((patch.category !== undefined || patch.abilities !== undefined) && isCategory(category)) {
      const problems = abilityIssues(category, abilities);
      if (problems.length > 0) throw Errors.validation(problems);
    }

    // Other users depend on what a shared model is; the lock reads the model as it was.
    if (row.isShared) {
      const locked: ('category' | 'abilities')[] = [];
      if (category !== row.category) locked.push('category');
      if (!sameAbilitySet(abilities, storedAbilities)) locked.push('abilities');
      if (locked.length > 0) throw Errors.sharedLocked(locked);
    }

    const changes: RowChanges = {};
    if (category !== row.category) changes.category = category;
    // "Something changes" for a plain field, as the one-statement update's SQL states it too.
    for (const field of FREE_FIELDS) {
      const value = patch[field];
      if (value !== undefined && value !== row[field]) (changes as Record<string, unknown>)[field] = value;
    }
    if (patch.abilities !== undefined && !sameAbilityList(patch.abilities, storedAbilities)) changes.abilities = patch.abilities;
    if (patch.shareWithUsers !== undefined && patch.shareWithUsers !== row.isShared) changes.isShared = patch.shareWithUsers;
    if (patch.apiKey === null) {
      if (row.apiKeyEncrypted !== null) changes.apiKeyEncrypted = null;
    } else if (patch.apiKey !== undefined && !this.storedKeyEquals(row, patch.apiKey)) {
      changes.apiKeyEncrypted = this.box.seal(patch.apiKey, row.modelId);
    }

    // Users' defaults (409). The guarded UPDATE itself finds out whether a default is in the way
    // (no read beforehand); `explain` reads the defaults only when it was refused, to answer the
    // 409. The contract puts these 409s before the sharing 403, so that one case asks first.
    const guards: WriteGuards = {};
    if (changes.isShared === false) guards.noOwnerDefault = true;
    if (changes.category !== undefined || changes.abilities !== undefined) guards.noDefaultOfTypes = typesUnfitFor(category, abilities);
    const explain = async () => {
      if (guards.noOwnerDefault) await this.guards.checkUnshare(row.ownerId, row.id);
      if (guards.noDefaultOfTypes) await this.guards.checkCategoryChange(row.id, category, abilities);
    };

    // Turning sharing on is the privileged act; re-sending `true` for a shared model is not.
    if (patch.shareWithUsers === true && !row.isShared && !this.mayShare(caller, row)) {
      await explain();
      throw Errors.sharingNotAllowed();
    }

    if (Object.keys(changes).length === 0) return null;
    return guards.noOwnerDefault || guards.noDefaultOfTypes ? { changes, guards, explain } : { changes };
  }

  private mayShare(caller: Caller, row: ModelRow): boolean {
    return caller.isAdmin || (this.sharing === 'owners' && row.ownerId === caller.sub);
  }

  private storedKeyEquals(row: ModelRow, candidate: string): boolean {
    if (row.apiKeyEncrypted === null) return false;
    try {
      return this.box.matches(row.apiKeyEncrypted, row.modelId, candidate);
    } catch (err) {
      // A ciphertext that does not open is corrupt or tampered with. Say so (never the value)
      // and let this write replace it: the caller is handing us the key right now.
      this.logger.error({ modelId: row.modelId, reason: (err as Error).message }, 'stored api_key failed to decrypt; replacing it');
      return false;
    }
  }
}
