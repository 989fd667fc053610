import type { Caller } from '../lib/auth';
import { canEdit, isOwner } from './model.access';

/** A stored model as the service reads it (provider-neutral: both Prisma clients produce it). */
export interface ModelRow {
  id: number;
  modelId: string;
  ownerId: string;
  category: string;
  modelProvider: string;
  modelName: string;
  apiKeyEncrypted: string | null;
  baseUrl: string | null;
  temperature: number | null;
  dimension: number | null;
  description: string | null;
  abilities: unknown;
  isShared: boolean;
  isActive: boolean;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A model as one caller sees it: no secret, access flags computed for that caller. */
export interface ModelView {
  id: number;
  modelId: string;
  category: string;
  modelProvider: string;
  modelName: string;
  hasApiKey: boolean;
  baseUrl: string | null;
  temperature: number | null;
  dimension: number | null;
  description: string | null;
  abilities: string[] | null;
  isShared: boolean;
  isActive: boolean;
  createdAt: string;
  updatedAt: string;
  isOwner: boolean;
  canEdit: boolean;
  canDelete: boolean;
  version: number;
}

export function abilitiesOf(row: Pick<ModelRow, 'abilities'>): string[] | null {
  const value = row.abilities;
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : null;
}

export function toView(caller: Caller, row: ModelRow): ModelView {
  const editable = canEdit(caller, row);
  return {
    id: row.id,
    modelId: row.modelId,
    category: row.category,
    modelProvider: row.modelProvider,
    modelName: row.modelName,
    hasApiKey: row.apiKeyEncrypted !== null,
    baseUrl: row.baseUrl,
    temperature: row.temperature,
    dimension: row.dimension,
    description: row.description,
    abilities: abilitiesOf(row),
    isShared: row.isShared,
    isActive: row.isActive,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    isOwner: isOwner(caller, row),
    canEdit: editable,
    canDelete: editable,
    version: row.version,
  };
}
