/**
 * Per-peer token buckets (the classic token bucket of Turner 1986 / RFC 2697's single-rate
 * meter without colours): a bucket holds at most `capacity` tokens and refills at
 * `refillPerSec`; each message takes one. Buckets live in a Map keyed by `peer|channel`, bounded
 * by `maxKeys` (the oldest-created bucket is dropped first; a peer needs a connection per key,
 * so the bound is a memory guard, not a fairness rule).
 */

import { InvalidArgumentError } from './errors.js';

export interface RateLimit {
  /** Burst size: tokens a fresh bucket holds. */
  readonly capacity: number;
  /** Sustained rate: tokens added per second. */
  readonly refillPerSec: number;
}

export interface RateLimiter {
  /** Takes `cost` tokens from the bucket of `key`; false (and nothing taken) when there are too few. */
  take(key: string, limit: RateLimit, cost?: number): boolean;
  /** Forgets every bucket whose key starts with `prefix` (a peer that left). */
  forget(prefix: string): void;
  readonly size: number;
}

export function checkRateLimit(limit: RateLimit, what: string): void {
  if (!(limit.capacity >= 1) || !Number.isFinite(limit.capacity) || !(limit.refillPerSec > 0) || !Number.isFinite(limit.refillPerSec)) {
    throw new InvalidArgumentError(`${what}: rate limit needs capacity >= 1 and refillPerSec > 0`);
  }
}

export function createRateLimiter(options: { maxKeys?: number; now?: () => number } = {}): RateLimiter {
  const maxKeys = options.maxKeys ?? 65_536;
  const now = options.now ?? Date.now;
  // Two numbers per bucket: tokens and the time they were last brought up to date.
  const buckets = new Map<string, Float64Array>();
  return {
    take(key, limit, cost = 1) {
      const t = now();
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
        b = new Float64Array(2);
        b[0] = limit.capacity;
        b[1] = t;
        buckets.set(key, b);
      } else {
        const elapsed = Math.max(0, t - b[1]!);
        b[0] = Math.min(limit.capacity, b[0]! + (elapsed * limit.refillPerSec) / 1000);
        b[1] = t;
      }
      if (b[0]! < cost) return false;
      b[0] = b[0]! - cost;
      return true;
    },
    forget(prefix) {
      for (const key of buckets.keys()) if (key.startsWith(prefix)) buckets.delete(key);
    },
    get size() {
      return buckets.size;
    },
  };
}
