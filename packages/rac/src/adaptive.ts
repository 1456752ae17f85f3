/**
 * Adaptive security: tabular Q-learning (Watkins & Dayan 1992) over discretised attack signals.
 *
 * State: (rejection-rate level, evidence-rate level, current rate-limit level), each in 0..3, so
 * 64 states (the threshold is part of the state so the process is Markov). Actions: hold,
 * tighten or loosen the per-peer rate limit, raise or lower the quarantine-watch sensitivity.
 * Each step the caller reports the signals seen in the last window and a reward (the engine
 * uses: -(attack messages that got through) - lambda * (honest messages that were refused)),
 * and the policy updates Q(s, a) <- Q + alpha * (r + gamma * max Q(s', .) - Q) and picks the
 * next action epsilon-greedily with a seeded generator, so a run replays exactly.
 */

import { RacArgumentError } from './errors.js';

export const ACTIONS = ['hold', 'tighten-rate', 'loosen-rate', 'raise-sensitivity', 'lower-sensitivity'] as const;
export type SecurityAction = (typeof ACTIONS)[number];

export interface SecuritySignals {
  /** Fraction of the messages admitted past the rate limit that then failed verification, [0, 1]. */
  readonly rejectRate: number;
  /** Verified evidence (or rejected fake evidence) per 100 messages in the window. */
  readonly evidenceRate: number;
}

export interface Thresholds {
  /** Messages per window one peer may send. */
  rateLimit: number;
  /** Rejected messages from one peer before it is put on watch. */
  watchThreshold: number;
}

export interface AdaptiveOptions {
  seed?: number;
  alpha?: number;
  gamma?: number;
  epsilon?: number;
  initial?: Partial<Thresholds>;
  /** Bounds of the thresholds. */
  rateLimitRange?: [number, number];
  watchRange?: [number, number];
}

export interface AdaptivePolicy {
  /** Current thresholds. */
  readonly thresholds: Readonly<Thresholds>;
  /** Feeds the last window's signals and reward; applies and returns the next action. */
  step(signals: SecuritySignals, reward: number): SecurityAction;
  /** The greedy action for given signals at the current thresholds (no exploration, no learning). */
  greedy(signals: SecuritySignals): SecurityAction;
  /** Copy of the Q table (64 x 5, row-major). */
  qTable(): Float64Array;
  /** Learning steps taken. */
  readonly steps: number;
  /** Turns exploration off (evaluation) or back on. */
  setExploration(epsilon: number): void;
}

function level(x: number, cuts: readonly number[]): number {
  let l = 0;
  while (l < cuts.length && x >= cuts[l]!) l++;
  return l;
}

const STATES = 64;

/** Discretises signals and the rate-limit position (0..1 on a log scale) into one of 64 states. */
export function stateOf(s: SecuritySignals, ratePosition = 0.5): number {
  const r = level(Number.isFinite(s.rejectRate) ? s.rejectRate : 1, [0.02, 0.1, 0.3]);
  const e = level(Number.isFinite(s.evidenceRate) ? s.evidenceRate : 100, [0.1, 1, 5]);
  const t = Math.min(3, Math.max(0, Math.floor(ratePosition * 4)));
  return r * 16 + e * 4 + t;
}

/** sfc32, seeded (the same generator as the repository's test seeds). */
function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed, b = 0x243f6a88, c = 0xb7e15162, d = seed | 0;
  const next = () => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

export function createAdaptivePolicy(options: AdaptiveOptions = {}): AdaptivePolicy {
  const alpha = options.alpha ?? 0.2;
  const gamma = options.gamma ?? 0.8;
  let epsilon = options.epsilon ?? 0.1;
  for (const [name, v] of [['alpha', alpha], ['gamma', gamma], ['epsilon', epsilon]] as const) {
    if (!(v >= 0 && v <= 1)) throw new RacArgumentError(`${name} must be in [0, 1]`);
  }
  const [rMin, rMax] = options.rateLimitRange ?? [5, 200];
  const [wMin, wMax] = options.watchRange ?? [1, 50];
  const th: Thresholds = { rateLimit: options.initial?.rateLimit ?? 100, watchThreshold: options.initial?.watchThreshold ?? 10 };
  const random = rng(options.seed ?? 1);
  const q = new Float64Array(STATES * ACTIONS.length);
  let prevState = -1;
  let prevAction = 0;
  let steps = 0;

  const position = () => Math.log(th.rateLimit / rMin) / Math.log(rMax / rMin);
  const argmax = (s: number): number => {
    let best = 0;
    for (let a = 1; a < ACTIONS.length; a++) if (q[s * ACTIONS.length + a]! > q[s * ACTIONS.length + best]!) best = a;
    return best;
  };
  const apply = (a: number) => {
    switch (ACTIONS[a]) {
      case 'tighten-rate':
        th.rateLimit = Math.max(rMin, Math.round(th.rateLimit / 2));
        break;
      case 'loosen-rate':
        th.rateLimit = Math.min(rMax, Math.round(th.rateLimit * 2));
        break;
      case 'raise-sensitivity':
        th.watchThreshold = Math.max(wMin, Math.round(th.watchThreshold / 2));
        break;
      case 'lower-sensitivity':
        th.watchThreshold = Math.min(wMax, Math.round(th.watchThreshold * 2));
        break;
      default:
        break;
    }
  };

  return {
    get thresholds() {
      return { ...th };
    },
    get steps() {
      return steps;
    },
    setExploration(e) {
      if (!(e >= 0 && e <= 1)) throw new RacArgumentError('epsilon must be in [0, 1]');
      epsilon = e;
    },
    step(signals, reward) {
      if (!Number.isFinite(reward)) throw new RacArgumentError('reward must be finite');
      const s = stateOf(signals, position());
      if (prevState >= 0) {
        const i = prevState * ACTIONS.length + prevAction;
        q[i] = q[i]! + alpha * (reward + gamma * q[s * ACTIONS.length + argmax(s)]! - q[i]!);
      }
      const a = random() < epsilon ? Math.floor(random() * ACTIONS.length) : argmax(s);
      apply(a);
      prevState = s;
      prevAction = a;
      steps++;
      return ACTIONS[a]!;
    },
    greedy(signals) {
      return ACTIONS[argmax(stateOf(signals, position()))]!;
    },
    qTable() {
      return q.slice();
    },
  };
}
