import { describe, expect, it } from 'vitest';
import { testSeed } from '@edge/tooling/seed';
import { createAdaptivePolicy, stateOf, type AdaptivePolicy } from '../src/index.js';

const seed = testSeed();

/**
 * A simulated network: calm phases with busy honest traffic (150 messages per window) and attack
 * phases where one peer floods 1000 junk messages beside 50 honest ones. The rate limit decides
 * how much junk gets through (cost) and how much honest traffic is refused (cost).
 */
function env(policy: AdaptivePolicy, steps: number, phaseLength = 25) {
  let total = 0;
  let attackLimitSum = 0;
  let calmLimitSum = 0;
  let signals = { rejectRate: 0, evidenceRate: 0 };
  let reward = 0;
  for (let t = 0; t < steps; t++) {
    policy.step(signals, reward);
    const L = policy.thresholds.rateLimit;
    const attack = Math.floor(t / phaseLength) % 2 === 1;
    const honest = attack ? 50 : 150;
    const junk = attack ? 1000 : 0;
    const honestPassed = Math.min(honest, L);
    const junkPassed = Math.min(junk, L);
    reward = -junkPassed / 1000 - (honest - honestPassed) / honest;
    // What the engine reports: the share of admitted messages that then failed verification.
    signals = { rejectRate: junkPassed / (honestPassed + junkPassed), evidenceRate: 0 };
    total += reward;
    if (attack) attackLimitSum += L;
    else calmLimitSum += L;
  }
  return { mean: total / steps, attackLimit: attackLimitSum / (steps / 2), calmLimit: calmLimitSum / (steps / 2) };
}

describe('adaptive security (Q-learning)', () => {
  it('learns to tighten under attack and loosen in calm, beating the fixed threshold', () => {
    const policy = createAdaptivePolicy({ seed, epsilon: 0.2, alpha: 0.3, gamma: 0.8 });
    env(policy, 6000);
    policy.setExploration(0);
    const learned = env(policy, 400);
    const fixed = createAdaptivePolicy({ seed, epsilon: 0, alpha: 0 });
    // alpha 0 and an all-zero table: the greedy action is always 'hold' (a fixed threshold of 100).
    const baseline = env(fixed, 400);
    expect(fixed.thresholds.rateLimit).toBe(100);
    expect(learned.mean).toBeGreaterThan(baseline.mean);
    expect(learned.attackLimit).toBeLessThan(learned.calmLimit);
    expect(policy.steps).toBe(6400);
  });

  it('replays exactly from its seed and discretises signals into 64 states', () => {
    const a = createAdaptivePolicy({ seed: 7 });
    const b = createAdaptivePolicy({ seed: 7 });
    env(a, 300);
    env(b, 300);
    expect([...a.qTable()]).toEqual([...b.qTable()]);
    const states = new Set<number>();
    for (const r of [0, 0.05, 0.2, 0.9]) for (const e of [0, 0.5, 2, 10]) for (const p of [0, 0.3, 0.6, 0.99]) states.add(stateOf({ rejectRate: r, evidenceRate: e }, p));
    expect(states.size).toBe(64);
    expect(() => a.step({ rejectRate: 0, evidenceRate: 0 }, Number.NaN)).toThrow();
  });
});
