/**
 * Reputation: one model for the whole project (routing, verification sampling, federated
 * aggregation weights, bonus caps all read this score).
 *
 * Beta reputation (Jøsang & Ismail, "The Beta Reputation System", 2002) with forgetting and a
 * stake factor:
 *   s, f   = verified successes and failures, each decayed by 2^(-age / halfLife)
 *   base   = (priorSuccess + s) / (priorSuccess + priorFailure + s + f)
 *   stakeF = 1/2 + 1/2 * stake / (stake + stakeScale)
 *   score  = base * stakeF                         in [0, 1]
 * A proven wrong result or equivocation also resets s to 0 ("one proven wrong result resets its
 * trust", DESIGN.md rule 3). Decay uses the deterministic exponential of math.ts, so the score is
 * the same number on every replica that folds the same ledger.
 */

import { halfLifeDecay } from './math.js';
import type { ReputationParams, SlashFault } from './policy.js';
import { EconomyArgumentError } from './errors.js';

/** Decayed counts of one account; `t` is the time they were last brought up to date (ms). */
export interface ReputationRecord {
  s: number;
  f: number;
  t: number;
}

export function newReputationRecord(t = 0): ReputationRecord {
  return { s: 0, f: 0, t };
}

function age(rec: ReputationRecord, now: number, params: ReputationParams): void {
  if (now > rec.t) {
    const k = halfLifeDecay(now - rec.t, params.halfLifeMs);
    rec.s *= k;
    rec.f *= k;
    rec.t = now;
  }
}

/** Records a verified success of weight `weight` (default 1) at time `now`. */
export function recordSuccess(rec: ReputationRecord, now: number, params: ReputationParams, weight = 1): void {
  age(rec, now, params);
  rec.s += weight;
}

/** Records a proven fault at time `now`. */
export function recordFault(rec: ReputationRecord, fault: SlashFault, now: number, params: ReputationParams): void {
  age(rec, now, params);
  rec.f += params.faultWeight[fault];
  if (fault === 'wrong-result' || fault === 'equivocation') rec.s = 0;
}

/** The score in [0, 1] at time `now` for an account holding `stake`. */
export function reputationScore(rec: ReputationRecord | undefined, stake: number, now: number, params: ReputationParams): number {
  let s = 0;
  let f = 0;
  if (rec !== undefined) {
    const k = now > rec.t ? halfLifeDecay(now - rec.t, params.halfLifeMs) : 1;
    s = rec.s * k;
    f = rec.f * k;
  }
  const base = (params.priorSuccess + s) / (params.priorSuccess + params.priorFailure + s + f);
  const st = Math.max(0, stake);
  return base * (0.5 + (0.5 * st) / (st + params.stakeScale));
}

/** A standalone reputation book keyed by identity, for components outside the ledger fold. */
export interface ReputationBook {
  success(id: string, now: number, weight?: number): void;
  fault(id: string, fault: SlashFault, now: number): void;
  score(id: string, stake: number, now: number): number;
  record(id: string): Readonly<ReputationRecord> | undefined;
}

export function createReputationBook(params: ReputationParams): ReputationBook {
  const book = new Map<string, ReputationRecord>();
  const get = (id: string, now: number) => {
    if (typeof id !== 'string') throw new EconomyArgumentError('id must be a string');
    let r = book.get(id);
    if (r === undefined) {
      r = newReputationRecord(now);
      book.set(id, r);
    }
    return r;
  };
  return {
    success(id, now, weight = 1) {
      if (!(weight >= 0 && Number.isFinite(weight))) throw new EconomyArgumentError('weight must be finite and >= 0');
      recordSuccess(get(id, now), now, params, weight);
    },
    fault(id, fault, now) {
      recordFault(get(id, now), fault, now, params);
    },
    score(id, stake, now) {
      return reputationScore(book.get(id), stake, now, params);
    },
    record(id) {
      const r = book.get(id);
      return r ? { ...r } : undefined;
    },
  };
}
