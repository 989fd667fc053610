/**
 * PROVIDER_CALLS_PER_MINUTE: every outbound call spends the caller's key (or the gateway's
 * bandwidth) and can be aimed at a third party, so each caller gets a budget per minute, on top of
 * the HTTP rate limit. A sliding window of timestamps per caller: no burst of 2× at a window edge.
 *
 * In memory, per process: with N replicas a caller can make up to N× the budget. That bounds the
 * abuse well enough for its purpose (not a billing limit); a shared store can replace this class.
 */
import { Errors } from '../lib/errors';
import type { OutboundBudget } from './outbound.types';

const WINDOW_MS = 60_000;
/** Callers idle for a whole window are forgotten, at most this often. */
const SWEEP_INTERVAL_MS = WINDOW_MS;

export class SlidingWindowBudget implements OutboundBudget {
  private readonly calls = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(callerKey: string, count = 1): void {
    if (this.perMinute <= 0) return;
    const now = this.now();
    this.sweep(now);
    const since = now - WINDOW_MS;
    const times = (this.calls.get(callerKey) ?? []).filter((time) => time > since);
    if (times.length + count > this.perMinute) {
      // The wait until enough earlier calls have left the window; a request larger than the
      // whole budget waits a full window (and will be refused again: the caller must ask for less).
      const mustExpire = times.length + count - this.perMinute;
      const freeAt = mustExpire <= times.length ? times[mustExpire - 1]! + WINDOW_MS : now + WINDOW_MS;
      this.calls.set(callerKey, times);
      throw Errors.rateLimited(Math.max(1, Math.ceil((freeAt - now) / 1000)));
    }
    for (let i = 0; i < count; i++) times.push(now);
    this.calls.set(callerKey, times);
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [key, times] of this.calls) {
      if (times.length === 0 || times[times.length - 1]! <= now - WINDOW_MS) this.calls.delete(key);
    }
  }
}
