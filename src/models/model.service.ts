import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Caller } from '../lib/auth';
import type { SharingPolicy } from '../lib/config';
import { SecretBox } from '../lib/crypto';
import { AppError, Errors, type FieldIssue } from '../lib/errors';
import { type Db, Prisma, isUniqueViolation } from '../lib/prisma';
import {
  abilityIssues,
  isCategory,
  parseCreateInput,
  parseUpdateInput,
  sameAbilityList,
  sameAbilitySet,
  type InputRecord,
  type ModelPatch,
} from './model.validation';
import { FREE_FIELDS, type FreeChanges, type ModelStatements, type RowChanges } from './model.statements';
import { abilitiesOf, canEdit, canSee, toView, type ModelRow, type ModelView } from './model.view';

/** What no model id can contain (model.validation refuses it on create). */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export interface ListFilter {
  category?: string | null;
  modelProvider?: string | null;
  /** Omitted: active models only (the REST default). `null`: active and inactive. */
  isActive?: boolean | null;
  skip?: number | null;
  limit?: number | null;
}

export const LIST_DEFAULT_LIMIT = 100;
export const LIST_MAX_LIMIT = 1000;

/**
 * A losing writer reloads and re-checks the rules against the newer version; past this many
 * rounds of contention on one model the request gives up with a 409 rather than spin.
 */
const MAX_WRITE_ATTEMPTS = 50;

/** The patch as changes, when it sets only fields free of row-dependent rules (and sets one); otherwise null. */
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
    private readonly db: Db,
    /** The first key seals; all of them open (key rotation). */
    encryptionKeys: readonly Buffer[],
    private readonly sharing: SharingPolicy,
    private readonly logger: Logger,
    /** The hot path's prepared statements; without them (tools, tests of the service) Prisma runs everything. */
    private readonly statements?: ModelStatements,
  ) {
    this.box = new SecretBox(encryptionKeys);
  }

  async list(caller: Caller, filter: ListFilter): Promise<ModelView[]> {
    const issues: FieldIssue[] = [];
    const skip = filter.skip ?? 0;
    const limit = filter.limit ?? LIST_DEFAULT_LIMIT;
    if (!Number.isInteger(skip) || skip < 0) {
      issues.push({ path: ['skip'], type: 'greater_than_equal', msg: 'Input should be greater than or equal to 0' });
    } else if (skip > Number.MAX_SAFE_INTEGER) {
      issues.push({ path: ['skip'], type: 'less_than_equal', msg: `Input should be less than or equal to ${Number.MAX_SAFE_INTEGER}` });
    }
    if (!Number.isInteger(limit) || limit < 1) {
      issues.push({ path: ['limit'], type: 'greater_than_equal', msg: 'Input should be greater than or equal to 1' });
    } else if (limit > LIST_MAX_LIMIT) {
      issues.push({ path: ['limit'], type: 'less_than_equal', msg: `Input should be less than or equal to ${LIST_MAX_LIMIT}` });
    }
    if (issues.length > 0) throw Errors.validation(issues);

    const category = filter.category?.trim().toLowerCase() || undefined;
    if (category !== undefined && !isCategory(category)) throw Errors.invalidCategory();
    const modelProvider = filter.modelProvider?.trim().toLowerCase() || undefined;
    const isActive = filter.isActive === undefined ? true : (filter.isActive ?? undefined);

    const where: Prisma.ModelWhereInput = { category, modelProvider, isActive };
    if (!caller.isAdmin) where.OR = [{ ownerId: caller.sub }, { isShared: true, isActive: true }];
    const rows = await this.db.model.findMany({ where, orderBy: { id: 'asc' }, skip, take: limit });
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
    if (!isCategory(category)) throw Errors.invalidCategory();
    const abilities = fields.abilities ?? null;
    const abilityProblems = abilityIssues(category, abilities);
    if (abilityProblems.length > 0) throw Errors.validation(abilityProblems);

    const modelId = fields.modelId ?? randomUUID();
    if (await this.db.model.findUnique({ where: { modelId }, select: { id: true } })) throw Errors.duplicateModelId();
    const share = fields.shareWithUsers ?? false;
    // A new model's owner is its creator, so under SHARING=owners anyone may share what they create.
    if (share && !caller.isAdmin && this.sharing !== 'owners') throw Errors.sharingNotAllowed();

    const now = new Date();
    try {
      const row = await this.db.model.create({
        data: {
          modelId,
          ownerId: caller.sub,
          category,
          modelProvider: fields.modelProvider,
          modelName: fields.modelName,
          apiKeyEncrypted: fields.apiKey ? this.box.seal(fields.apiKey, modelId) : null,
          baseUrl: fields.baseUrl ?? null,
          temperature: fields.temperature ?? null,
          dimension: fields.dimension ?? null,
          description: fields.description ?? null,
          abilities: abilities ?? Prisma.DbNull,
          isShared: share,
          isActive: true,
          version: 1,
          createdAt: now,
          updatedAt: now,
        },
      });
      return toView(caller, row);
    } catch (err) {
      // Two creates of one id racing: the unique index decides, the loser gets the same 400.
      if (isUniqueViolation(err)) throw Errors.duplicateModelId();
      throw err;
    }
  }

  /**
   * JSON Merge Patch update. Checks run in the contract's order of precedence: input (422), then
   * existence (404), edit permission (403), version (412), category (400), abilities against
   * the resulting category (422), the shared-model lock (409), sharing permission (403).
   */
  async update(caller: Caller, modelId: string, input: InputRecord, expectedVersion?: number | null): Promise<ModelView> {
    const patch = parseUpdateInput(input);
    // An id no model can have goes the general way, whose lookup answers it 404.
    const free = this.statements && !CONTROL_CHARACTER.test(modelId) ? freeChanges(patch) : null;
    if (free) {
      // The common update (names, URL, temperature, ...) in one statement: it applies only where
      // every rule is already known to pass (the caller may edit, the version matches, something
      // changes), so anything else, including every refusal, goes the general way below.
      const row = await this.statements!.updateIfChanged(
        modelId,
        caller.isAdmin ? null : caller.sub,
        expectedVersion ?? null,
        free,
        new Date(),
      );
      if (row) return toView(caller, row);
    }
    return this.write(caller, modelId, expectedVersion ?? null, (row) => this.changesFor(caller, row, patch));
  }

  async setActive(caller: Caller, modelId: string, active: boolean): Promise<ModelView> {
    return this.write(caller, modelId, null, (row) => (row.isActive === active ? null : { isActive: active }));
  }

  async delete(caller: Caller, modelId: string): Promise<void> {
    const row = await this.visibleRow(caller, modelId);
    if (!row) throw Errors.notFound();
    if (!canEdit(caller, row)) throw Errors.noDeletePermission();
    const { count } = await this.db.model.deleteMany({ where: { id: row.id } });
    if (count === 0) throw Errors.notFound();
  }

  private async visibleRow(caller: Caller, modelId: string): Promise<ModelRow | null> {
    // Validation refuses control characters in a new model_id, so no such model exists; asked
    // of PostgreSQL, a NUL fails the whole statement (500) instead of matching nothing.
    if (CONTROL_CHARACTER.test(modelId)) return null;
    const row = this.statements ? await this.statements.findByModelId(modelId) : await this.db.model.findUnique({ where: { modelId } });
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
    decide: (row: ModelRow) => RowChanges | null,
  ): Promise<ModelView> {
    for (let attempt = 1; ; attempt++) {
      const row = await this.visibleRow(caller, modelId);
      if (!row) throw Errors.notFound();
      if (!canEdit(caller, row)) throw Errors.noEditPermission();
      if (expectedVersion !== null && row.version !== expectedVersion) throw Errors.preconditionFailed(row.version);

      const changes = decide(row);
      if (changes === null) return toView(caller, row);

      const updatedAt = new Date();
      const updated = await this.updateIfVersion(row, changes, updatedAt);
      if (updated) return toView(caller, updated);
      if (expectedVersion !== null) throw Errors.preconditionFailed((await this.visibleRow(caller, modelId))?.version);
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw new AppError('CONFLICT', 'The model is being changed by too many requests at once; retry');
      }
    }
  }

  /** The row with `changes` applied, if it was still at the version read; null when another write came first. */
  private async updateIfVersion(row: ModelRow, changes: RowChanges, updatedAt: Date): Promise<ModelRow | null> {
    if (this.statements) return this.statements.updateIfVersion(row.id, row.version, changes, updatedAt);
    const { abilities, ...scalarChanges } = changes;
    const { count } = await this.db.model.updateMany({
      where: { id: row.id, version: row.version },
      data: {
        ...scalarChanges,
        ...(abilities !== undefined ? { abilities: abilities ?? Prisma.DbNull } : {}),
        version: { increment: 1 },
        updatedAt,
      },
    });
    return count === 1 ? { ...row, ...changes, version: row.version + 1, updatedAt } : null;
  }

  /** What the patch changes on this row, or null when it changes nothing. Throws when a rule refuses it. */
  private changesFor(caller: Caller, row: ModelRow, patch: ModelPatch): RowChanges | null {
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

    // Turning sharing on is the privileged act; re-sending `true` for a shared model is not.
    if (patch.shareWithUsers === true && !row.isShared && !this.mayShare(caller, row)) throw Errors.sharingNotAllowed();

    const changes: RowChanges = {};
    if (category !== row.category) changes.category = category;
    if (patch.modelProvider !== undefined && patch.modelProvider !== row.modelProvider) changes.modelProvider = patch.modelProvider;
    if (patch.modelName !== undefined && patch.modelName !== row.modelName) changes.modelName = patch.modelName;
    if (patch.baseUrl !== undefined && patch.baseUrl !== row.baseUrl) changes.baseUrl = patch.baseUrl;
    if (patch.temperature !== undefined && patch.temperature !== row.temperature) changes.temperature = patch.temperature;
    if (patch.dimension !== undefined && patch.dimension !== row.dimension) changes.dimension = patch.dimension;
    if (patch.description !== undefined && patch.description !== row.description) changes.description = patch.description;
    if (patch.abilities !== undefined && !sameAbilityList(patch.abilities, storedAbilities)) changes.abilities = patch.abilities;
    if (patch.shareWithUsers !== undefined && patch.shareWithUsers !== row.isShared) changes.isShared = patch.shareWithUsers;
    if (patch.apiKey === null) {
      if (row.apiKeyEncrypted !== null) changes.apiKeyEncrypted = null;
    } else if (patch.apiKey !== undefined && !this.storedKeyEquals(row, patch.apiKey)) {
      changes.apiKeyEncrypted = this.box.seal(patch.apiKey, row.modelId);
    }
    return Object.keys(changes).length > 0 ? changes : null;
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
