/**
 * The outbound guard (issue 12): the one way the gateway calls a URL a user chose, with the
 * user's API key. See ./address-policy for what may be reached and docs/security.md for the threats.
 */
import type { Logger } from 'pino';
import { SlidingWindowBudget } from './budget';
import { createOutboundClient, type OutboundOptions } from './outbound.client';
import type { OutboundBudget, OutboundClient, OutboundSettings } from './outbound.types';

export * from './outbound.types';
export { redactSecrets, MAX_ERROR_TEXT } from './redact';
export {
  CREDENTIAL_HEADERS,
  DEFAULT_MAX_RESPONSE_BYTES,
  MAX_REDIRECTS,
  type OutboundEvent,
  type OutboundOptions,
  type Resolver,
} from './outbound.client';
export { classify, judge, parseAllowEntry, parseAllowList } from './address-policy';

export function createOutbound(
  settings: OutboundSettings,
  logger: Logger,
  options: OutboundOptions = {},
): { client: OutboundClient; budget: OutboundBudget; close(): Promise<void> } {
  const { client, close } = createOutboundClient(settings, logger, options);
  return { client, budget: new SlidingWindowBudget(settings.callsPerMinute), close };
}
