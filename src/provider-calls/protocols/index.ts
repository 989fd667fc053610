import type { CatalogProvider } from '../../providers/provider.catalog';
import { anthropic } from './anthropic';
import { gemini } from './gemini';
import { openai } from './openai';
import type { Protocol, ProviderModelEntry } from './types';
import { xinference } from './xinference';

export * from './types';
export { providerHttp, scrubKey } from './provider-http';

/**
 * The protocol a catalog entry's `protocol` names. A `static` provider (no model-list endpoint)
 * is called as its `compatibility` says, and lists the catalog's fixed models.
 */
export function protocolFor(provider: CatalogProvider): Protocol {
  switch (provider.protocol) {
    case 'openai':
      return openai;
    case 'anthropic':
      return anthropic;
    case 'gemini':
      return gemini;
    case 'xinference':
      return xinference;
    case 'static': {
      const calls = provider.compatibility === 'claude_compatible' ? anthropic : openai;
      const fixed: ProviderModelEntry[] = (provider.models ?? []).map((id) => ({ id, name: null, category: 'llm', abilities: null }));
      return { ...calls, listModels: () => Promise.resolve(fixed.map((entry) => ({ ...entry }))) };
    }
  }
}

/** Whether listing this provider's models calls out (static lists do not). */
export const listCallsOut = (provider: CatalogProvider): boolean => provider.protocol !== 'static';
