/**
 * ReplayGuard: rejects a (sender, nonce) pair seen before, and timestamps outside a window.
 *
 * Memory is bounded. Entries expire once their timestamp leaves the window; if the table is
 * still full, the entry with the oldest timestamp is evicted and the guard's floor rises to that
 * timestamp, so every message at or below the floor is rejected as stale. An evicted nonce can
 * therefore never be replayed: bounded memory costs freshness (a narrower window under
 * pressure), never safety.
 */

import { InvalidArgumentError, FutureMessageError, ReplayError, StaleMessageError } from './errors.js';
import { toHex } from './bytes.js';

export interface ReplayGuardOptions {
  /** How old a message may be, in ms. Default 120 000 (2 minutes). */
  maxAgeMs?: number;
  /** How far ahead of our clock a message may be, in ms. Default 30 000. */
  maxFutureMs?: number;
  /** Most (sender, nonce) pairs remembered. Default 100 000. */
  maxEntries?: number;
  /** Clock in ms since the epoch; tests pass their own. */
  now?: () => number;
}

export interface ReplayGuard {
  /** Throws `StaleMessageError` / `FutureMessageError` when `ts` is outside the window. Records nothing. */
  checkTime(ts: number): void;
  /**
   * Checks the window and the nonce, then records the pair. Throws `ReplayError` when seen before.
   * Call only after the message's signature has verified, or a forger could burn others' nonces.
   */
  accept(sender: Uint8Array, nonce: Uint8Array, ts: number): void;
  /** Pairs currently remembered. */
  readonly size: number;
  /** Timestamps at or below this are rejected as stale (raised by eviction under pressure). */
  readonly floor: number;
}

/** Creates a ReplayGuard (see module comment for the memory bound). */
export function createReplayGuard(options: ReplayGuardOptions = {}): ReplayGuard {
  const maxAgeMs = options.maxAgeMs ?? 120_000;
  const maxFutureMs = options.maxFutureMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  if (!(maxAgeMs > 0) || !(maxFutureMs >= 0) || !Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new InvalidArgumentError('invalid ReplayGuard options');
  }

  const seen = new Map<string, number>();
  // Binary min-heap of (ts, key), parallel arrays.
  const heapTs: number[] = [];
  const heapKey: string[] = [];
  let floor = -Infinity;

  const swap = (i: number, j: number) => {
    [heapTs[i], heapTs[j]] = [heapTs[j]!, heapTs[i]!];
    [heapKey[i], heapKey[j]] = [heapKey[j]!, heapKey[i]!];
  };
  const push = (ts: number, key: string) => {
    heapTs.push(ts);
    heapKey.push(key);
    let i = heapTs.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapTs[parent]! <= heapTs[i]!) break;
      swap(i, parent);
      i = parent;
    }
  };
  const pop = (): [number, string] => {
    const top: [number, string] = [heapTs[0]!, heapKey[0]!];
    const lastTs = heapTs.pop()!;
    const lastKey = heapKey.pop()!;
    if (heapTs.length > 0) {
      heapTs[0] = lastTs;
      heapKey[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heapTs.length && heapTs[l]! < heapTs[m]!) m = l;
        if (r < heapTs.length && heapTs[r]! < heapTs[m]!) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    return top;
  };

  const expire = (t: number) => {
    const limit = t - maxAgeMs;
    while (heapTs.length > 0 && heapTs[0]! < limit) seen.delete(pop()[1]);
  };

  const checkTime = (ts: number) => {
    if (!Number.isSafeInteger(ts)) throw new StaleMessageError();
    const t = now();
    if (ts > t + maxFutureMs) throw new FutureMessageError();
    if (ts < t - maxAgeMs || ts <= floor) throw new StaleMessageError();
  };

  return {
    checkTime,
    accept(sender, nonce, ts) {
      checkTime(ts);
      expire(now());
      const key = toHex(sender) + ':' + toHex(nonce);
      if (seen.has(key)) throw new ReplayError();
      seen.set(key, ts);
      push(ts, key);
      while (seen.size > maxEntries) {
        const [oldTs, oldKey] = pop();
        seen.delete(oldKey);
        floor = Math.max(floor, oldTs);
      }
    },
    get size() {
      return seen.size;
    },
    get floor() {
      return floor;
    },
  };
}
