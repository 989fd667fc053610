/**
 * The config types a default model can be chosen for, and what a model must be to fit one:
 * the contract's compatibility table as data, in the contract's order (which is also the order
 * of every list of defaults this gateway answers with).
 */

export interface ConfigTypeRule {
  /** The category the model must have. */
  readonly category: string;
  /** Abilities the model must have, every one of them. */
  readonly abilities: readonly string[];
}

export const CONFIG_TYPE_RULES = {
  general: { category: 'llm', abilities: [] },
  small_fast: { category: 'llm', abilities: [] },
  compact: { category: 'llm', abilities: [] },
  visual: { category: 'llm', abilities: ['vision'] },
  embedding: { category: 'embedding', abilities: [] },
  image: { category: 'image', abilities: [] },
  image_edit: { category: 'image', abilities: ['edit'] },
  video: { category: 'video', abilities: ['generate'] },
  asr: { category: 'speech', abilities: ['asr'] },
  tts: { category: 'speech', abilities: ['tts'] },
  speech: { category: 'speech', abilities: ['asr', 'tts'] },
  rerank: { category: 'rerank', abilities: [] },
  music: { category: 'music', abilities: ['generate'] },
  sound_effect: { category: 'sound_effect', abilities: ['generate'] },
} as const satisfies Record<string, ConfigTypeRule>;

export type ConfigType = keyof typeof CONFIG_TYPE_RULES;

/** Every config type, in the table's order. */
export const CONFIG_TYPES = Object.keys(CONFIG_TYPE_RULES) as ConfigType[];

/** Extra names `GET /api/models/default/{type}` answers to (besides hyphen/underscore spellings). */
const TYPE_ALIASES: Readonly<Record<string, ConfigType>> = { llm: 'general' };

export function isConfigType(value: unknown): value is ConfigType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CONFIG_TYPE_RULES, value);
}

/**
 * The config type a `/default/{type}` path means: `small-fast` and `small_fast` alike, `llm`
 * for general; null when it names none. Case is kept: config types are lower-case names.
 */
export function configTypeFromPath(value: string): ConfigType | null {
  const underscored = value.replace(/-/g, '_');
  if (isConfigType(underscored)) return underscored;
  return TYPE_ALIASES[underscored] ?? null;
}

/** The contract's 422 message for a config type it does not know. */
export function invalidConfigTypeMessage(value: string): string {
  return `Invalid config_type: ${value}. Valid types are: ${CONFIG_TYPES.join(', ')}`;
}

/** Whether a model of this category and these abilities may be the default of this type. */
export function fits(configType: ConfigType, category: string, abilities: readonly string[] | null): boolean {
  const rule: ConfigTypeRule = CONFIG_TYPE_RULES[configType];
  if (rule.category !== category) return false;
  const have = new Set(abilities ?? []);
  return rule.abilities.every((ability) => have.has(ability));
}

/** Sorts config types into the table's order (the order defaults are listed in). */
export function inTableOrder<T>(items: readonly T[], typeOf: (item: T) => string): T[] {
  const rank = (item: T) => {
    const at = CONFIG_TYPES.indexOf(typeOf(item) as ConfigType);
    return at < 0 ? CONFIG_TYPES.length : at;
  };
  return [...items].sort((a, b) => rank(a) - rank(b));
}
