import type { OutboundClient } from '../../outbound';
import type { CatalogProvider } from '../../providers/provider.catalog';

/** Where and as whom one provider call goes. */
export interface CallTarget {
  provider: CatalogProvider;
  /** The effective base URL (the model's, else the catalog's default), without a trailing slash. */
  baseUrl: string;
  /** Sent only to `baseUrl`, in the protocol's own header; never in a URL. */
  apiKey: string | null;
}

/** One entry of a provider's model list, as the gateway answers it. */
export interface ProviderModelEntry {
  id: string;
  /** A display name, where the provider gives one. */
  name: string | null;
  /** The model's category, where the provider says (Xinference's model_type); null when unknown. */
  category: string | null;
  /** The model's abilities in the contract's words, where the provider says; null when unknown. */
  abilities: string[] | null;
}

/** How the gateway speaks to one family of providers. A method it lacks: that call is not supported. */
export interface Protocol {
  chat?(http: ProviderHttp, target: CallTarget, model: string): Promise<void>;
  embed?(http: ProviderHttp, target: CallTarget, model: string, dimension: number | null): Promise<void>;
  rerank?(http: ProviderHttp, target: CallTarget, model: string): Promise<void>;
  listModels(http: ProviderHttp, target: CallTarget): Promise<ProviderModelEntry[]>;
}

/** The provider answered, but not with what was asked: its status and message (keys redacted). */
export class UpstreamError extends Error {
  constructor(
    readonly reason: string,
    readonly status?: number,
  ) {
    super(reason);
    this.name = 'UpstreamError';
  }
}

export type { OutboundClient };

/** What the protocols call providers through: JSON over the outbound guard, failures as UpstreamError. */
export interface ProviderHttp {
  json(target: CallTarget, method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: unknown): Promise<unknown>;
}
