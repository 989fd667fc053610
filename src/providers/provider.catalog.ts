import rawCatalog from './provider.catalog.json';

/**
 * Typed, read-only access to the provider catalog. The facts live in provider.catalog.json
 * (one entry per provider, snake_case as the REST API sends them); this module checks that file
 * once, when it is first imported, so a broken entry stops the gateway at start-up instead of
 * surfacing as a wrong answer later.
 */

/** Every model category of the contract; a provider serves some of them. */
export const PROVIDER_CATEGORIES = ['llm', 'embedding', 'rerank', 'image', 'speech', 'video', 'music', 'sound_effect'] as const;
export type ProviderCategory = (typeof PROVIDER_CATEGORIES)[number];

/**
 * How the gateway talks to a provider: `openai` (OpenAI REST: /models, /chat/completions,
 * /embeddings), `anthropic` (Messages API, /v1/models), `gemini` (the Gemini API),
 * `xinference` (its /v1/models, which tells each model's type and abilities), `static` (no
 * model-list endpoint: the catalog's fixed `models`; calls follow `compatibility`).
 */
export const PROVIDER_PROTOCOLS = ['openai', 'anthropic', 'gemini', 'xinference', 'static'] as const;
export type ProviderProtocol = (typeof PROVIDER_PROTOCOLS)[number];

/** The well-known API a provider's calls are compatible with. */
export const PROVIDER_COMPATIBILITIES = ['openai_compatible', 'claude_compatible'] as const;
export type ProviderCompatibility = (typeof PROVIDER_COMPATIBILITIES)[number];

export interface CatalogProvider {
  /** The canonical id, stored as a model's `model_provider`. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /** The provider has no public endpoint: a model of it needs its own base URL. */
  readonly requiresBaseUrl: boolean;
  readonly categories: readonly ProviderCategory[];
  readonly protocol: ProviderProtocol;
  readonly compatibility: ProviderCompatibility | null;
  readonly defaultBaseUrl: string | null;
  /** Other spellings that mean this provider (lower-case). */
  readonly aliases: readonly string[];
  /** The fixed model list of a `static` provider; null for the others. */
  readonly models: readonly string[] | null;
  /** Model names shown by `GET /api/models/types/available`; null when the provider is not listed there. */
  readonly examples: readonly string[] | null;
}

/** An entry of `GET /api/models/types/available`. */
export interface ProviderType {
  readonly type: string;
  readonly name: string;
  readonly description: string;
  readonly examples: readonly string[];
}

const KEYS = new Set([
  'id',
  'name',
  'description',
  'requires_base_url',
  'categories',
  'protocol',
  'compatibility',
  'default_base_url',
  'aliases',
  'models',
  'examples',
]);

/** Lower-case letters, digits and inner hyphens: what canonicalization produces and URLs carry as is. */
const ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A model's base_url may be at most this long; a default must fit too. */
const MAX_URL_LENGTH = 2048;

/** The wire family that protocols other than `static` and `xinference` imply. */
const IMPLIED_COMPATIBILITY: Partial<Record<ProviderProtocol, ProviderCompatibility | null>> = {
  openai: 'openai_compatible',
  anthropic: 'claude_compatible',
  gemini: null,
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '' && value === value.trim();

function isHttpUrl(value: string): boolean {
  if (value.length > MAX_URL_LENGTH) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

export interface Catalog {
  readonly providers: readonly CatalogProvider[];
  readonly byId: ReadonlyMap<string, CatalogProvider>;
  /** Alias → canonical id. */
  readonly aliases: ReadonlyMap<string, string>;
}

/**
 * Checks a catalog document and builds the typed catalog. Every problem is collected, so one
 * start-up failure lists them all. Exported for the tests; the gateway uses the checked file.
 */
export function parseCatalog(raw: unknown): Catalog {
  const problems: string[] = [];
  if (!isRecord(raw) || !Array.isArray(raw.providers) || raw.providers.length === 0) {
    throw new Error('provider catalog: expected {"providers": [...]} with at least one provider');
  }
  const providers: CatalogProvider[] = [];
  const byId = new Map<string, CatalogProvider>();
  const aliases = new Map<string, string>();

  raw.providers.forEach((entry: unknown, index: number) => {
    const where = isRecord(entry) && typeof entry.id === 'string' ? `provider ${JSON.stringify(entry.id)}` : `providers[${index}]`;
    const problem = (text: string) => problems.push(`${where}: ${text}`);
    if (!isRecord(entry)) {
      problem('not an object');
      return;
    }
    for (const key of Object.keys(entry)) if (!KEYS.has(key)) problem(`unknown key ${JSON.stringify(key)}`);

    const { id, name, description, requires_base_url: requiresBaseUrl, protocol, compatibility } = entry;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) problem('id must be lower-case letters, digits and inner hyphens');
    else if (byId.has(id)) problem('duplicate id');
    if (!isText(name)) problem('name must be a non-blank, trimmed string');
    if (!isText(description)) problem('description must be a non-blank, trimmed string');
    if (typeof requiresBaseUrl !== 'boolean') problem('requires_base_url must be a boolean');
    if (!PROVIDER_PROTOCOLS.includes(protocol as ProviderProtocol)) {
      problem(`protocol must be one of ${PROVIDER_PROTOCOLS.join(', ')}`);
    }
    if (compatibility !== undefined && !PROVIDER_COMPATIBILITIES.includes(compatibility as ProviderCompatibility)) {
      problem(`compatibility must be one of ${PROVIDER_COMPATIBILITIES.join(', ')}`);
    }

    const categories = entry.categories;
    if (!Array.isArray(categories) || categories.length === 0) problem('categories must be a non-empty list');
    else {
      for (const category of categories) {
        if (!PROVIDER_CATEGORIES.includes(category as ProviderCategory)) problem(`unknown category ${JSON.stringify(category)}`);
      }
      if (new Set(categories).size !== categories.length) problem('categories has duplicates');
    }

    const defaultBaseUrl = entry.default_base_url;
    if (defaultBaseUrl !== undefined && (typeof defaultBaseUrl !== 'string' || !isHttpUrl(defaultBaseUrl))) {
      problem('default_base_url must be an absolute http(s) URL without credentials');
    }
    // A provider that needs a base URL has no default one: a default would make the requirement a lie.
    if (requiresBaseUrl === true && defaultBaseUrl !== undefined) problem('requires_base_url and default_base_url exclude each other');
    if (requiresBaseUrl === false && defaultBaseUrl === undefined) problem('without default_base_url, requires_base_url must be true');

    const textList = (key: 'aliases' | 'models' | 'examples'): string[] | null => {
      const value = entry[key];
      if (value === undefined) return null;
      if (!Array.isArray(value) || value.length === 0 || !value.every(isText)) {
        problem(`${key} must be a non-empty list of non-blank, trimmed strings`);
        return null;
      }
      if (new Set(value).size !== value.length) problem(`${key} has duplicates`);
      return value as string[];
    };
    const aliasList = textList('aliases');
    const models = textList('models');
    const examples = textList('examples');

    const typedProtocol = protocol as ProviderProtocol;
    if (typedProtocol === 'static') {
      if (compatibility === undefined) problem('a static provider needs compatibility: it says how the gateway calls it');
      if (models === null) problem('a static provider needs its fixed models list');
    } else if (entry.models !== undefined) {
      problem('models (a fixed list) is only for static providers; the others have a model-list endpoint');
    }
    const implied = IMPLIED_COMPATIBILITY[typedProtocol];
    if (implied !== undefined && (compatibility ?? null) !== implied) {
      problem(`protocol ${typedProtocol} means compatibility ${implied ?? '(none)'}`);
    }

    if (typeof id !== 'string') return;
    for (const alias of aliasList ?? []) {
      if (alias !== alias.toLowerCase()) problem(`alias ${JSON.stringify(alias)} must be lower-case`);
      if (aliases.has(alias)) problem(`alias ${JSON.stringify(alias)} already means ${aliases.get(alias)}`);
      aliases.set(alias, id);
    }
    const provider: CatalogProvider = Object.freeze({
      id,
      name: name as string,
      description: description as string,
      requiresBaseUrl: requiresBaseUrl === true,
      categories: Object.freeze([...((categories as ProviderCategory[] | undefined) ?? [])]),
      protocol: typedProtocol,
      compatibility: (compatibility as ProviderCompatibility | undefined) ?? null,
      defaultBaseUrl: typeof defaultBaseUrl === 'string' ? defaultBaseUrl : null,
      aliases: Object.freeze([...(aliasList ?? [])]),
      models: models ? Object.freeze([...models]) : null,
      examples: examples ? Object.freeze([...examples]) : null,
    });
    if (!byId.has(id)) byId.set(id, provider);
    providers.push(provider);
  });

  for (const [alias, id] of aliases) {
    if (byId.has(alias)) problems.push(`provider ${JSON.stringify(id)}: alias ${JSON.stringify(alias)} is another provider's id`);
  }
  if (problems.length > 0) throw new Error(`provider catalog is invalid:\n  ${problems.join('\n  ')}`);
  return { providers: Object.freeze(providers), byId, aliases };
}

/** Trim, lower-case, then the catalog's aliases, then `_` → `-` where that spells a catalog id. */
export function canonicalName(catalog: Catalog, raw: string): string {
  const name = raw.trim().toLowerCase();
  if (catalog.byId.has(name)) return name;
  const aliased = catalog.aliases.get(name);
  if (aliased !== undefined) return aliased;
  // Coding-plan ids are also written with underscores (zai_coding_plan); other names keep theirs.
  const hyphenated = name.replace(/_/g, '-');
  return catalog.byId.has(hyphenated) ? hyphenated : name;
}

const CATALOG: Catalog = parseCatalog(rawCatalog);
const PROVIDER_TYPES: readonly ProviderType[] = Object.freeze(
  CATALOG.providers.flatMap((p) =>
    p.examples ? [Object.freeze({ type: p.id, name: p.name, description: p.description, examples: p.examples })] : [],
  ),
);

/** Every provider of the catalog, in the catalog's order. */
export function listProviders(): readonly CatalogProvider[] {
  return CATALOG.providers;
}

/** The provider a name means (any spelling `canonicalProviderName` accepts), or undefined when the catalog has none. */
export function findProvider(name: string): CatalogProvider | undefined {
  return CATALOG.byId.get(canonicalProviderName(name));
}

/**
 * The id a model's `model_provider` is stored as: trimmed, lower-cased, aliases mapped to their
 * provider (`ark` → `volcengine-ark`, `zai_coding_plan` → `zai-coding-plan`). A name the catalog
 * does not know comes back trimmed and lower-cased, otherwise unchanged.
 */
export function canonicalProviderName(raw: string): string {
  return canonicalName(CATALOG, raw);
}

/** The base URL a model of this provider (any accepted spelling) uses when it has none; null when the provider has no default or is unknown. */
export function defaultBaseUrlFor(provider: string): string | null {
  return findProvider(provider)?.defaultBaseUrl ?? null;
}

/** The answer of `GET /api/models/types/available`: the providers that list example models. */
export function listProviderTypes(): readonly ProviderType[] {
  return PROVIDER_TYPES;
}
