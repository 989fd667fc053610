/**
 * The shapes of the outbound guard (issue 12): what callers (the provider calls) hand it and
 * what they get back. Kept apart from the implementation so both can import them without cycles.
 */

export interface OutboundSettings {
  /** From config.env: loopback and private ranges are reachable in development and test only. */
  env: 'development' | 'test' | 'production';
  /** OUTBOUND_ALLOW entries: hostnames or CIDRs (a bare address is a /32 or /128). */
  allow: readonly string[];
  /** PROVIDER_TIMEOUT_MS: bound of one whole call, connect, redirects and body included. */
  timeoutMs: number;
  /** PROVIDER_CALLS_PER_MINUTE: outbound operations per caller per minute; 0 turns the budget off. */
  callsPerMinute: number;
  /** Bytes of one response body, counted while it streams in; default 1 MiB. */
  maxResponseBytes?: number;
}

export interface OutboundRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Redacted from every error text this module produces (the API key, for one). */
  secrets?: readonly string[];
  /**
   * A low-cardinality label for the metrics (the provider id, e.g. `openai`); never user text.
   * Optional; past a bounded number of distinct values, new ones count as `other`.
   */
  provider?: string;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The URL that answered, after redirects. */
  url: string;
}

export type OutboundFailure = 'refused' | 'timeout' | 'too_large' | 'network' | 'redirect' | 'bad_url';

/** Everything the client throws. Non-2xx statuses are returned, not thrown. */
export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailure,
    message: string,
    /** The address that was refused (kind 'refused'), when there is one. */
    readonly address?: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

export interface OutboundClient {
  request(req: OutboundRequest): Promise<OutboundResponse>;
}

export interface OutboundBudget {
  /** Counts `count` (default 1) operations for the caller; throws AppError RATE_LIMITED past the budget. */
  take(callerKey: string, count?: number): void;
}

/** The outcome of one call, as counted in `outbound_requests_total{outcome}`. */
export type OutboundOutcome = 'ok' | OutboundFailure;
