import type { Caller } from '../lib/auth';
import { canEdit, isOwner } from './model.access';
import { MODEL_FIELDS, type FieldSpec, type ModelFields, type StoredModel } from './model.fields';

/** A stored model as the service reads it (provider-neutral: both Prisma clients produce it). */
export type ModelRow = StoredModel;

/** A model as one caller sees it: no secret, access flags computed for that caller. */
export type ModelView = ModelFields;

export function abilitiesOf(row: Pick<ModelRow, 'abilities'>): string[] | null {
  return stringsOf(row.abilities);
}

/** The view's fields that are not stored: computed per caller. */
type Computed = Exclude<keyof ModelView, keyof ModelRow>;

const COMPUTED: Record<Computed, (caller: Caller, row: ModelRow) => ModelView[Computed]> = {
  hasApiKey: (_caller, row) => row.apiKeyEncrypted !== null,
  isOwner: (caller, row) => isOwner(caller, row),
  canEdit: (caller, row) => canEdit(caller, row),
  canDelete: (caller, row) => canEdit(caller, row),
};

const COMPUTED_ENTRIES = Object.entries(COMPUTED) as [Computed, (caller: Caller, row: ModelRow) => boolean][];

type Copy = (view: Record<string, unknown>, row: ModelRow) => void;

/** Stored fields the view shows, each copied as its kind is shown (dates as ISO-8601, lists as strings). */
const COPIES: Copy[] = MODEL_FIELDS.filter((field) => 'column' in field && !('graphql' in field && field.graphql === false)).map(
  (field: FieldSpec): Copy => {
    const key = field.name as keyof ModelRow;
    if (field.kind === 'timestamp') return (view, row) => (view[key] = (row[key] as Date).toISOString());
    if (field.kind === 'string-list') return (view, row) => (view[key] = stringsOf(row[key]));
    return (view, row) => (view[key] = row[key]);
  },
);

function stringsOf(value: unknown): string[] | null {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null;
}

export function toView(caller: Caller, row: ModelRow): ModelView {
  const view: Record<string, unknown> = {};
  for (const copy of COPIES) copy(view, row);
  for (const [name, compute] of COMPUTED_ENTRIES) view[name] = compute(caller, row);
  return view as ModelView;
}
