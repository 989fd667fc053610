import type { Caller } from '../lib/auth';
import type { ModelRow } from './model.view';

/*
 * Who may see and edit a model, and "still at this version", each stated once, as data: the
 * service evaluates a condition on a row it read (`holds`), and the repository sends the same
 * condition to the database (SQL for the one-statement update, a Prisma filter for lists).
 */

/** Row fields a condition may test, each for equality. */
export type Match = Partial<
  Pick<ModelRow, 'id' | 'modelId' | 'ownerId' | 'category' | 'modelProvider' | 'isShared' | 'isActive' | 'version'>
>;

/** True when any of its matches holds (an OR of ANDs); `ANY_ROW` holds for every row. */
export type Condition = readonly Match[];

export const ANY_ROW: Condition = [{}];

export function holds(row: ModelRow, condition: Condition): boolean {
  return condition.some((match) => {
    for (const field in match) if (row[field as keyof Match] !== match[field as keyof Match]) return false;
    return true;
  });
}

/** Who may edit (and delete) a model: its owner, or an admin. */
export const editableBy = (caller: Caller): Condition => (caller.isAdmin ? ANY_ROW : [{ ownerId: caller.sub }]);

/** What every signed-in user may see, and all that the public catalog lists: shared and active models. */
export const SHARED_AND_ACTIVE: Condition = [{ isShared: true, isActive: true }];

/** A model the caller may not see does not exist for them: theirs, or shared and active. */
export const visibleTo = (caller: Caller): Condition => (caller.isAdmin ? ANY_ROW : [{ ownerId: caller.sub }, ...SHARED_AND_ACTIVE]);

/** Aggregates count active models only. */
export const ACTIVE: Condition = [{ isActive: true }];

/** Optimistic concurrency: a write decided against version `version` applies only at that version. */
export const atVersion = (version: number): Condition => [{ version }];

export const isOwner = (caller: Caller, row: Pick<ModelRow, 'ownerId'>): boolean => row.ownerId === caller.sub;
export const canEdit = (caller: Caller, row: ModelRow): boolean => holds(row, editableBy(caller));
export const canSee = (caller: Caller, row: ModelRow): boolean => holds(row, visibleTo(caller));
