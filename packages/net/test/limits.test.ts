// Token buckets, peer scores and the advert peer table, on a fake clock.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PiKey } from '@edge/identity';
import { prng, testSeed } from '@edge/tooling/seed';
import {
  CAPABILITY_ADVERT,
  LOAD_ADVERT,
  createLatencyTable,
  createPeerScorer,
  createPeerTable,
  createRateLimiter,
  peerIdOf,
  type IncomingMessage,
} from '../src/index.js';

const seed = testSeed();

describe('token bucket', () => {
  it('admits a burst of `capacity`, then `refillPerSec`', () => {
    let t = 0;
    const rl = createRateLimiter({ now: () => t });
    const limit = { capacity: 5, refillPerSec: 2 };
    for (let i = 0; i < 5; i++) expect(rl.take('p|x', limit)).toBe(true);
    expect(rl.take('p|x', limit)).toBe(false);
    t += 499;
    expect(rl.take('p|x', limit)).toBe(false);
    t += 1;
    expect(rl.take('p|x', limit)).toBe(true);
    expect(rl.take('q|x', limit)).toBe(true); // buckets are per key
    rl.forget('p|');
    expect(rl.size).toBe(1);
  });

  it('never admits more than capacity + rate x elapsed, and admits that much when asked evenly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 300 }),
        (capacity, rate, gaps) => {
          let t = 0;
          const rl = createRateLimiter({ now: () => t });
          let admitted = 0;
          for (const g of gaps) {
            t += g;
            if (rl.take('k', { capacity, refillPerSec: rate })) admitted++;
          }
          expect(admitted).toBeLessThanOrEqual(Math.floor(capacity + (rate * t) / 1000) + 1e-9);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('bounds memory by maxKeys', () => {
    const rl = createRateLimiter({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) rl.take(`peer${i}|x`, { capacity: 1, refillPerSec: 1 });
    expect(rl.size).toBe(100);
  });
});

describe('peer scores and bans', () => {
  it('unban lifts a ban at once and forgives the score', () => {
    const t = 0;
    const s = createPeerScorer({ now: () => t, threshold: 100, banMs: 60_000, recoveryPerSec: 1 });
    s.ban('p');
    for (let i = 0; i < 3; i++) s.penalize('q', 'ERR_ENVELOPE_BAD_SIGNATURE');
    expect(s.isBanned('p')).toBe(true);
    expect(s.isBanned('q')).toBe(true);
    s.unban('p');
    s.unban('q');
    expect(s.isBanned('p')).toBe(false);
    expect(s.isBanned('q')).toBe(false);
    expect(s.score('q')).toBe(0);
    expect(s.banned()).toEqual([]);
    // A fresh start, not immunity: the same offences ban again.
    for (let i = 0; i < 3; i++) s.penalize('q', 'ERR_ENVELOPE_BAD_SIGNATURE');
    expect(s.isBanned('q')).toBe(true);
  });

  it('bans at the threshold, for banMs, and forgives slowly', () => {
    let t = 0;
    const s = createPeerScorer({ now: () => t, threshold: 100, banMs: 60_000, recoveryPerSec: 1 });
    expect(s.penalize('p', 'ERR_ENVELOPE_BAD_SIGNATURE')).toBe(false); // -40
    expect(s.penalize('p', 'ERR_ENVELOPE_BAD_SIGNATURE')).toBe(false); // -80
    expect(s.isBanned('p')).toBe(false);
    expect(s.penalize('p', 'ERR_ENVELOPE_BAD_SIGNATURE')).toBe(true); // -120: banned
    expect(s.isBanned('p')).toBe(true);
    expect(s.penalize('p', 'ERR_SCHEMA')).toBe(false); // already banned: no second ban
    expect(s.bansTotal).toBe(1);
    expect(s.banned()).toEqual(['p']);
    t += 59_999;
    expect(s.isBanned('p')).toBe(true);
    t += 2;
    expect(s.isBanned('p')).toBe(false);
    // -140 recovered by 60 points: a repeat offender is banned again sooner.
    expect(s.score('p')).toBeCloseTo(-80, 2);
    expect(s.penalize('p', 'ERR_ENVELOPE_WRONG_SIGNER')).toBe(true);
    expect(s.bansTotal).toBe(2);
    // An honest peer that trips now and then is never banned.
    for (let i = 0; i < 100; i++) {
      t += 5_000;
      expect(s.penalize('q', 'ERR_STALE')).toBe(false);
    }
  });

  it('rate-limit floods ban after ~50 excess messages', () => {
    let t = 0;
    const s = createPeerScorer({ now: () => t });
    let n = 0;
    while (!s.penalize('f', 'ERR_RATE_LIMITED')) n++;
    expect(n + 1).toBe(50);
  });
});

function advert<T extends string>(signer: PiKey, type: T, body: unknown, ts: number): IncomingMessage<T, any> {
  return { type, body, from: signer.publicKey, signer: peerIdOf(signer.publicKey), ts, nonce: new Uint8Array(16) } as IncomingMessage<T, any>;
}

describe('peer table', () => {
  const cap = { caps: ['vector_search'], backends: ['cpu'], cpuLimit: 0.3, memoryBytes: 1024, version: '1', holds: [], ttlMs: 10_000 };
  const load = { queued: 0, running: 0, capacity: 2, cpu: 0.1, accepting: true, ttlMs: 5_000 };

  it('keeps the newest advert per peer and kind, expires them, and filters', () => {
    let t = 1_000;
    const table = createPeerTable({ now: () => t });
    const a = PiKey.fromSeed(new Uint8Array(32).fill(7));
    const b = PiKey.fromSeed(new Uint8Array(32).fill(8));
    expect(table.update(advert(a, CAPABILITY_ADVERT, cap, 100) as never)).toBe(true);
    expect(table.update(advert(a, CAPABILITY_ADVERT, { ...cap, caps: ['embedding'] }, 99) as never)).toBe(false); // older
    expect(table.update(advert(a, LOAD_ADVERT, load, 100) as never)).toBe(true);
    expect(table.update(advert(b, CAPABILITY_ADVERT, { ...cap, caps: ['embedding'] }, 100) as never)).toBe(true);
    expect(table.list({ capability: 'vector_search' }).map((r) => r.peer)).toEqual([peerIdOf(a.publicKey)]);
    expect(table.list({ accepting: true }).map((r) => r.peer)).toEqual([peerIdOf(a.publicKey)]);
    t += 5_001; // load expired, capability not
    expect(table.get(peerIdOf(a.publicKey))?.load).toBeUndefined();
    expect(table.get(peerIdOf(a.publicKey))?.capability?.advert.caps).toEqual(['vector_search']);
    t += 5_000; // everything expired
    expect(table.list()).toEqual([]);
    expect(table.prune()).toBe(2);
    expect(table.size).toBe(0);
  });

  it('caps the TTL a sender can ask for and the number of peers', () => {
    let t = 0;
    const table = createPeerTable({ now: () => t, maxTtlMs: 1_000, maxPeers: 3 });
    const rand = prng(seed);
    const keys = Array.from({ length: 5 }, () => PiKey.fromSeed(Uint8Array.from({ length: 32 }, () => (rand() * 256) | 0)));
    for (const k of keys) table.update(advert(k, CAPABILITY_ADVERT, { ...cap, ttlMs: 3_600_000 }, 1) as never);
    expect(table.size).toBe(3);
    t += 1_001;
    expect(table.list()).toEqual([]);
  });
});

describe('latency table', () => {
  it('smooths with alpha 1/8 and sorts fastest first', () => {
    const l = createLatencyTable({ now: () => 0 });
    l.record('a', 10, 'ping');
    l.record('a', 18, 'request');
    expect(l.get('a')).toMatchObject({ rttMs: 11, lastMs: 18, samples: 2, source: 'request' });
    l.record('b', 2, 'ping');
    l.record('c', Number.NaN, 'ping');
    expect(l.list().map((e) => e.peer)).toEqual(['b', 'a']);
  });
});
