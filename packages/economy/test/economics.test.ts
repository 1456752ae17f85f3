import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { testSeed, prng } from '@edge/tooling/seed';
import {
  createPolicy,
  createReputationBook,
  expNeg,
  halfLifeDecay,
  multiplierFor,
  openLedger,
  phaseFor,
  reputationScore,
  newReputationRecord,
  recordFault,
  recordSuccess,
} from '../src/index.js';
import { bytes32, clock, keyFor, testPolicy, witnesses } from './helpers.js';

const seed = testSeed();

describe('deterministic math', () => {
  it('expNeg agrees with Math.exp to 1e-13 relative and is monotone', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 700, noNaN: true }), (x) => {
        const a = expNeg(x);
        const b = Math.exp(-x);
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-13 * b + 1e-300);
        expect(expNeg(x + 0.5)).toBeLessThanOrEqual(a);
      }),
      { seed, numRuns: 2000 },
    );
    expect(expNeg(0)).toBe(1);
    expect(halfLifeDecay(1000, 1000)).toBeCloseTo(0.5, 14);
  });
});

describe('multiplier and phases', () => {
  it('m(H) = 1 + 9 e^(-H/1e6)', () => {
    expect(multiplierFor(0)).toBe(10);
    expect(multiplierFor(1e6)).toBeCloseTo(1 + 9 / Math.E, 12);
    expect(multiplierFor(1e9)).toBeCloseTo(1, 12);
    expect(phaseFor(0)).toBe('genesis');
    expect(phaseFor(9_999)).toBe('genesis');
    expect(phaseFor(10_000)).toBe('growth');
    expect(phaseFor(50_000)).toBe('maturation');
    expect(phaseFor(100_000)).toBe('independence');
  });

  it('the ledger derives H, the multiplier and the phase from verified payments and active accounts', async () => {
    const c = clock();
    const policy = testPolicy({ phaseThresholds: [3, 6, 9], maxWorkPerUnit: 100 });
    const rand = prng(seed);
    const L = await openLedger({ policy, now: c.now });
    const keys = Array.from({ length: 4 }, (_, i) => keyFor(seed, 50 + i));
    for (const k of keys) await L.account(k).genesis();
    expect(L.getPhase()).toBe('growth');
    expect(L.getMultiplier()).toBe(10);
    c.advance(5);
    for (const k of keys.slice(2)) await L.account(k).stake(20_000);
    const task = bytes32(rand);
    const res = bytes32(rand);
    c.advance(5);
    await L.account(keys[0]!).hold(task, 100_000);
    c.advance(5);
    const work = 7_200_000; // 2000 compute-hours
    await L.account(keys[0]!).pay({ task, to: keys[1]!.publicKey, amount: 100_000, result: res, work, witnesses: witnesses(keys.slice(2), policy.net, task, res, keys[1]!.publicKey, work, c.now()) });
    expect(L.state().computeHours).toBe(2000);
    expect(L.getMultiplier()).toBe(multiplierFor(2000));
    // An unverified payment adds no compute-hours.
    const task2 = bytes32(rand);
    c.advance(5);
    await L.account(keys[0]!).hold(task2, 100_000);
    c.advance(5);
    await L.account(keys[0]!).pay({ task: task2, to: keys[1]!.publicKey, amount: 100_000, result: res, work });
    expect(L.state().computeHours).toBe(2000);
  });
});

describe('reputation: one model', () => {
  const params = createPolicy({ net: 'r' }).reputation;
  it('rises with verified successes, falls with faults, decays with time, weighs stake', () => {
    const t = 1_000_000;
    const r = newReputationRecord(t);
    const unknown = reputationScore(r, 0, t, params);
    expect(unknown).toBeCloseTo(0.25, 12); // prior 1/2 times stake factor 1/2
    for (let i = 0; i < 20; i++) recordSuccess(r, t, params);
    const good = reputationScore(r, 0, t, params);
    expect(good).toBeGreaterThan(unknown);
    expect(reputationScore(r, params.stakeScale, t, params)).toBeCloseTo(good * 1.5, 12);
    // Half a year later the evidence has decayed towards the prior.
    const later = reputationScore(r, 0, t + 180 * 86_400_000, params);
    expect(later).toBeLessThan(good);
    expect(later).toBeGreaterThan(unknown);
    // One proven wrong result resets the successes.
    recordFault(r, 'wrong-result', t, params);
    expect(reputationScore(r, 0, t, params)).toBeLessThan(unknown);
    for (const s of [0, 1, 1e9]) for (const when of [t, t + 1e12]) {
      const v = reputationScore(r, s, when, params);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('the book API gives the same numbers', () => {
    const book = createReputationBook(params);
    const r = newReputationRecord(0);
    for (let i = 0; i < 5; i++) {
      book.success('a', i * 1000);
      recordSuccess(r, i * 1000, params);
    }
    book.fault('a', 'timeout', 9000);
    recordFault(r, 'timeout', 9000, params);
    expect(book.score('a', 42, 20_000)).toBe(reputationScore(r, 42, 20_000, params));
  });
});

describe('economic health', () => {
  it('velocity, utilization, growth and stability come from the ledger; isSelfSustaining follows its definition', async () => {
    const c = clock();
    const policy = testPolicy({ healthWindowMs: 1000, sustain: { minNodes: 2, minTasksPerNode: 1 } });
    const rand = prng(seed + 5);
    const L = await openLedger({ policy, now: c.now });
    const keys = Array.from({ length: 3 }, (_, i) => keyFor(seed, 70 + i));
    for (const k of keys) await L.account(k).genesis();
    c.advance(2000);
    const task = bytes32(rand);
    await L.account(keys[0]!).hold(task, 400_000);
    c.advance(10);
    const p = await L.account(keys[0]!).pay({ task, to: keys[1]!.publicKey, amount: 300_000, result: bytes32(rand), work: 1 });
    c.advance(10);
    await L.account(keys[1]!).receive(p.hash);
    const h = L.getEconomicHealth();
    expect(h.supply).toBe(3_000_000);
    expect(h.volume).toBe(300_000);
    expect(h.velocity).toBeCloseTo(0.1, 12);
    expect(h.utilization).toBeCloseTo(0.75, 12);
    expect(h.activeNow).toBe(2);
    expect(h.activeBefore).toBe(0);
    expect(h.growth).toBe(2);
    // One busy window out of four: cv = sqrt(3), stability = 1 / (1 + sqrt 3).
    expect(h.stability).toBeCloseTo(1 / (1 + Math.sqrt(3)), 12);
    expect(L.isSelfSustaining(3, 3)).toBe(true);
    expect(L.isSelfSustaining(1, 3)).toBe(false); // too few nodes
    expect(L.isSelfSustaining(3, 2)).toBe(false); // too few tasks per node
  });
});
