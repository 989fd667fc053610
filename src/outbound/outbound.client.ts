/**
 * The guarded HTTP client: every connection it makes goes to an address the policy
 * (./address-policy) accepted, checked inside the socket's own lookup, so the address checked is
 * the address connected to (a DNS answer that changes between a check and the connect, DNS
 * rebinding, has no window). IP literals never reach a lookup (net.connect skips it), so the
 * connector checks them itself. Redirects are followed here, hop by hop, each through the same
 * connector; the whole call, body included, is bounded in time and size.
 */
import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { judge, normalizeHost, parseAddress, parseAllowList, type AllowList } from './address-policy';
import { redactSecrets } from './redact';
import {
  OutboundError,
  type OutboundClient,
  type OutboundOutcome,
  type OutboundRequest,
  type OutboundResponse,
  type OutboundSettings,
} from './outbound.types';

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
export const MAX_REDIRECTS = 3;

/**
 * Headers that carry a credential. On a redirect to another origin they are dropped (as fetch
 * does with Authorization), along with any header whose value holds one of the request's secrets.
 */
export const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'cookie']);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Distinct `provider` label values before new ones count as `other`. */
const MAX_PROVIDER_LABELS = 50;

/** Resolves a name to every address it has (the system resolver unless a test supplies one). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface OutboundEvent {
  outcome: OutboundOutcome;
  /** The request's `provider` label, bounded (`other` past the bound, `none` when not given). */
  provider: string;
  durationMs: number;
}

export interface OutboundOptions {
  /** The gateway's prom-client registry: `outbound_requests_total{provider,outcome}` is registered on it. */
  registry?: Registry;
  /** Called once per request with its outcome (for extra metrics or logs); must not throw. */
  onOutcome?: (event: OutboundEvent) => void;
  /** Replaces the system resolver: for tests that need a name to resolve to a given address. */
  resolve?: Resolver;
}

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The host part shown in messages: never userinfo, path or query. */
function shownHost(url: URL): string {
  return url.host;
}

/** host[:port] as URL.host writes it (brackets around IPv6, no default port), from the connector's options. */
function connectHost(opts: buildConnector.Options): string {
  const host = opts.hostname.includes(':') && !opts.hostname.startsWith('[') ? `[${opts.hostname}]` : opts.hostname;
  const fallback = opts.protocol === 'https:' ? '443' : '80';
  return opts.port && String(opts.port) !== fallback ? `${host}:${opts.port}` : host;
}

function refusedError(host: string, address: string, reason: string): OutboundError {
  return new OutboundError('refused', `Refused to connect to ${host}: ${reason}`, address);
}

/**
 * The lookup every socket of the agent uses: resolves the name, judges every address it has, and
 * hands the socket exactly the addresses it judged. One refused address refuses the name: an
 * answer mixing a public address with a metadata one is an attack, not a configuration.
 */
function guardedLookup(env: string, allow: AllowList, resolve: Resolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (found) => {
        const wanted = options.family === 4 || options.family === 6 ? found.filter((entry) => entry.family === options.family) : found;
        for (const entry of found) {
          const address = parseAddress(entry.address);
          if (!address) {
            callback(refusedError(hostname, entry.address, `${entry.address} is not an IP address`), '');
            return;
          }
          const verdict = judge(address, hostname, env, allow);
          if (!verdict.allowed) {
            callback(refusedError(hostname, entry.address, verdict.reason), '');
            return;
          }
        }
        if (wanted.length === 0) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          err.code = 'ENOTFOUND';
          callback(err, '');
          return;
        }
        if (options.all)
          callback(
            null,
            wanted.map((entry) => ({ address: entry.address, family: entry.family })),
          );
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/** The URL a caller gave, or bad_url. Messages never echo it: it may carry a key in its query. */
export function parseTarget(raw: string, kind: 'bad_url' | 'redirect' = 'bad_url', base?: URL): URL {
  const what = kind === 'redirect' ? 'The redirect target' : 'The URL';
  let url: URL;
  try {
    url = base ? new URL(raw, base) : new URL(raw);
  } catch {
    throw new OutboundError(kind, `${what} is not a valid absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError(kind, `${what} must use http or https, not ${url.protocol.slice(0, 20)}`);
  }
  if (url.username || url.password) {
    throw new OutboundError(kind, `${what} must not contain credentials (user:password@); send keys as the provider expects`);
  }
  url.hash = '';
  return url;
}

/** Drops a body not worth reading; undici reports the destroy as an error nobody needs. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function headerRecord(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function withoutCredentials(headers: Record<string, string>, secrets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (CREDENTIAL_HEADERS.has(name.toLowerCase())) continue;
    if (secrets.some((secret) => secret.length > 0 && value.includes(secret))) continue;
    out[name] = value;
  }
  return out;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

const COUNTER_NAME = 'outbound_requests_total';

/** One counter per registry: a second client on the same registry (a restart in tests) shares it. */
function outboundCounter(registry: Registry): Counter<'provider' | 'outcome'> {
  const existing = registry.getSingleMetric(COUNTER_NAME);
  if (existing) return existing as Counter<'provider' | 'outcome'>;
  return new Counter({
    name: COUNTER_NAME,
    help: 'Calls to providers through the outbound guard, by provider id and outcome (ok, refused, timeout, too_large, network, redirect, bad_url)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
}

export function createOutboundClient(
  settings: OutboundSettings,
  logger: Logger,
  options: OutboundOptions = {},
): { client: OutboundClient; close(): Promise<void> } {
  const allow = parseAllowList(settings.allow);
  const maxBytes = settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const timeoutMs = settings.timeoutMs;
  const lookup = guardedLookup(settings.env, allow, options.resolve ?? systemResolver);
  const baseConnect = buildConnector({ lookup, timeout: timeoutMs } as buildConnector.BuildOptions);
  // IP literals skip the lookup: judged here, on every connection, whatever the caller checked before.
  const connect: buildConnector.connector = (opts, callback) => {
    const address = parseAddress(opts.hostname);
    if (address) {
      const verdict = judge(address, opts.hostname, settings.env, allow);
      if (!verdict.allowed) {
        callback(refusedError(connectHost(opts), address.toString(), verdict.reason), null);
        return;
      }
    }
    baseConnect(opts, callback);
  };
  const agent = new Agent({ connect, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connections: 64 });

  const counter = options.registry ? outboundCounter(options.registry) : undefined;
  const providers = new Set<string>();
  const providerLabel = (provider: string | undefined): string => {
    if (!provider) return 'none';
    if (!/^[a-z0-9_.-]{1,40}$/i.test(provider)) return 'other';
    if (providers.has(provider)) return provider;
    if (providers.size >= MAX_PROVIDER_LABELS) return 'other';
    providers.add(provider);
    return provider;
  };

  async function run(req: OutboundRequest, signal: AbortSignal): Promise<OutboundResponse> {
    const secrets = req.secrets ?? [];
    let url = parseTarget(req.url);
    let method: 'GET' | 'POST' = req.method;
    let body = req.body;
    let headers: Record<string, string> = { ...(req.headers ?? {}) };
    for (let hop = 0; ; hop++) {
      // Every hop connects through the agent: its connector and lookup judge the address.
      const res = await request(url, { method, headers, body, dispatcher: agent, signal });
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(res.statusCode) && location !== undefined) {
        discard(res.body);
        if (hop >= MAX_REDIRECTS) {
          throw new OutboundError(
            'redirect',
            `Too many redirects from ${shownHost(parseTarget(req.url))} (at most ${MAX_REDIRECTS} are followed)`,
          );
        }
        const next = parseTarget(Array.isArray(location) ? location[0]! : location, 'redirect', url);
        if (next.origin !== url.origin) headers = withoutCredentials(headers, secrets);
        if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          for (const name of Object.keys(headers)) {
            if (/^content-(type|length)$/i.test(name)) delete headers[name];
          }
        }
        url = next;
        continue;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        discard(res.body);
        throw tooLarge(url);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > maxBytes) {
          discard(res.body);
          throw tooLarge(url);
        }
        chunks.push(buf);
      }
      return {
        status: res.statusCode,
        headers: headerRecord(res.headers),
        text: Buffer.concat(chunks).toString('utf8'),
        url: url.toString(),
      };
    }
  }

  function tooLarge(url: URL): OutboundError {
    return new OutboundError('too_large', `The response from ${shownHost(url)} is larger than ${maxBytes} bytes`);
  }

  function hostOf(raw: string): string {
    try {
      return new URL(raw).host;
    } catch {
      return 'an invalid URL';
    }
  }

  /** Any failure as an OutboundError whose message holds no secret. */
  function toOutboundError(err: unknown, req: OutboundRequest, timedOut: boolean): OutboundError {
    const secrets = req.secrets ?? [];
    if (err instanceof OutboundError) {
      return new OutboundError(err.kind, redactSecrets(err.message, secrets), err.address);
    }
    const host = hostOf(req.url);
    const code = (err as { code?: unknown } | null)?.code;
    if (timedOut || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
      return new OutboundError('timeout', `The call to ${redactSecrets(host, secrets)} timed out after ${timeoutMs} ms`);
    }
    const detail = err instanceof Error ? err.message : String(err);
    const prefix = typeof code === 'string' && !detail.includes(code) ? `${code}: ` : '';
    return new OutboundError('network', redactSecrets(`Could not reach ${host}: ${prefix}${detail}`, secrets));
  }

  const client: OutboundClient = {
    async request(req) {
      const started = performance.now();
      const controller = new AbortController();
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      // The lookup cannot be aborted; the race bounds the call even while it hangs.
      const deadline = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort();
          reject(new Error('deadline'));
        }, timeoutMs);
      });
      let outcome: OutboundOutcome = 'ok';
      try {
        return await Promise.race([run(req, controller.signal), deadline]);
      } catch (err) {
        const error = toOutboundError(err, req, timedOut);
        outcome = error.kind;
        if (error.kind === 'refused') {
          const host = redactSecrets(normalizeHost(hostOf(req.url)), req.secrets ?? []);
          logger.warn({ host, address: error.address, reason: error.message }, 'outbound call refused');
        }
        throw error;
      } finally {
        clearTimeout(timer);
        const event: OutboundEvent = { outcome, provider: providerLabel(req.provider), durationMs: performance.now() - started };
        counter?.inc({ provider: event.provider, outcome });
        try {
          options.onOutcome?.(event);
        } catch {
          // A metrics hook must never turn an answer into a failure.
        }
      }
    },
  };
  return {
    client,
    close: async () => {
      await agent.destroy();
    },
  };
}
