import type express from 'express';
import { ipKeyGenerator, rateLimit, type ClientRateLimitInfo, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { createClient } from 'redis';
import type { AuthResult } from './auth';
import type { RateLimitConfig } from './config';
import { Errors } from './errors';

/** A Redis that accepts connections but does not answer must not hold requests up for long. */
const REDIS_COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
/** Redis being down for a while must not flood the log: one warning per interval at most. */
const WARN_INTERVAL_MS = 10_000;

export interface RateLimiter {
  middleware: express.RequestHandler;
  close(): Promise<void>;
}

function throttledWarn(logger: Logger, message: string): (err: unknown) => void {
  let last = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < WARN_INTERVAL_MS) {
      suppressed++;
      return;
    }
    last = now;
    const detail = err instanceof Error ? { name: err.name, message: err.message } : { message: String(err) };
    logger.warn({ err: detail, suppressed }, message);
    suppressed = 0;
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * rate-limit-redis loads its Lua scripts once, in init(); if Redis is down at that moment the
 * rejected load is kept and every later call fails, even after Redis is back. This wrapper loads
 * them on first use and again after a failure or a reconnect, so the limiter recovers by itself.
 */
class RecoveringRedisStore implements Store {
  readonly localKeys = false;
  private readonly inner: RedisStore;
  private options?: Options;
  private loaded?: Promise<void>;

  constructor(
    sendCommand: (...args: string[]) => Promise<RedisReply>,
    readonly prefix: string,
  ) {
    this.inner = new RedisStore({ sendCommand, prefix });
  }

  init(options: Options): void {
    this.options = options;
  }

  /** A restarted Redis has lost the scripts; RedisStore reloads on NOSCRIPT, this only resets failures. */
  forgetScripts(): void {
    this.loaded = undefined;
  }

  private load(): Promise<void> {
    if (!this.options) return Promise.reject(new Error('rate limit store used before init'));
    this.loaded ??= this.inner.init(this.options).catch((err: unknown) => {
      this.loaded = undefined;
      throw err;
    });
    return this.loaded;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    await this.load();
    return this.inner.get(key);
  }

  async increment(key: string): Promise<IncrementResponse> {
    await this.load();
    return this.inner.increment(key);
  }

  async decrement(key: string): Promise<void> {
    await this.load();
    await this.inner.decrement(key);
  }

  async resetKey(key: string): Promise<void> {
    await this.load();
    await this.inner.resetKey(key);
  }
}

function redisStore(url: string, prefix: string, logger: Logger): { store: Store; close(): Promise<void> } {
  const client = createClient({
    url,
    // Commands fail at once while disconnected (the request then goes through) instead of queueing.
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) },
  });
  const warnUnreachable = throttledWarn(logger, 'rate limiting: Redis unreachable, retrying');
  client.on('error', warnUnreachable);
  // Not awaited: start-up must not wait for (or fail on) Redis; until it answers, requests pass.
  client.connect().catch(warnUnreachable);
  // Requests that arrive while the first connection is still being made wait for it (briefly),
  // so a healthy Redis counts them too; once it has succeeded or failed, nobody waits.
  let connecting: Promise<void> | undefined = new Promise<void>((resolve) => {
    client.once('ready', resolve);
    client.once('error', () => resolve());
    setTimeout(resolve, CONNECT_TIMEOUT_MS).unref();
  }).finally(() => (connecting = undefined));
  const sendCommand = async (...args: string[]): Promise<RedisReply> => {
    if (connecting) await withTimeout(connecting, REDIS_COMMAND_TIMEOUT_MS).catch(() => undefined);
    return withTimeout(client.sendCommand(args) as Promise<RedisReply>, REDIS_COMMAND_TIMEOUT_MS);
  };
  const store = new RecoveringRedisStore(sendCommand, prefix);
  client.on('ready', () => store.forgetScripts());
  return {
    store,
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}

/** The verified caller's `sub` when signed in; otherwise the client address (IPv6 by /56). */
function callerKey(req: express.Request, res: express.Response): string {
  const auth = res.locals.auth as AuthResult | undefined;
  if (auth?.caller) return `sub:${auth.caller.sub}`;
  return `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
}

/** Needs `res.locals.auth`: mount right after authentication. Undefined when limiting is off. */
export function createRateLimiter(config: RateLimitConfig, logger: Logger): RateLimiter | undefined {
  if (config.max === 0) return undefined;
  const redis = config.redisUrl ? redisStore(config.redisUrl, config.redisPrefix, logger) : undefined;
  const warnStoreDown = throttledWarn(logger, 'rate limiting: store unavailable, requests are let through without limiting (fail open)');
  const middleware = rateLimit({
    windowMs: config.windowMs,
    limit: config.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: callerKey,
    store: redis?.store,
    // A shared-store outage must not take the API down with it.
    passOnStoreError: true,
    logger: {
      error: (err, message) => {
        if (message?.includes('error from store')) warnStoreDown(err);
        else
          logger.warn({ err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, message ?? 'rate limiting');
      },
      warn: (err, message) =>
        logger.warn({ err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, message ?? 'rate limiting'),
    },
    // The answer is the edge's, in the transport of the mount the request came through.
    handler: (_req, res, next) => {
      const retryAfter = Number(res.getHeader('Retry-After') ?? Math.ceil(config.windowMs / 1000));
      next(Errors.rateLimited(retryAfter));
    },
  });
  return { middleware, close: async () => redis?.close() };
}
