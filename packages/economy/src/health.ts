/**
 * Economic health, computed from a fold (so every replica reports the same figures for the same
 * ledger). W = policy.healthWindowMs, T = ledger time (largest applied ts); window i is (T-(i+1)W, T-iW].
 *
 *   velocity    = payments in window 0 / circulating supply (balances + escrow + stake + in flight)
 *   utilization = payments in window 0 / escrow held in window 0, clamped to [0, 1]
 *                 (the share of compute demand placed in escrow that was served and paid)
 *   growth      = (active authors in window 0 - in window 1) / max(1, active in window 1)
 *   stability   = 1 / (1 + cv), cv = coefficient of variation of payment volume over windows 0..3
 *
 * isSelfSustaining(nodes, tasks): the network runs on its own demand when
 *   nodes >= sustain.minNodes, tasks >= sustain.minTasksPerNode * nodes (tasks per window),
 *   velocity >= sustain.minVelocity, growth >= sustain.minGrowth,
 *   and bonus minted in window 0 <= payments in window 0 (inflation does not exceed real demand).
 */

import type { FoldResult } from './fold.js';
import type { LedgerPolicy } from './policy.js';

export interface EconomicHealth {
  readonly velocity: number;
  readonly utilization: number;
  readonly growth: number;
  readonly stability: number;
  /** Raw figures behind the ratios. */
  readonly supply: number;
  readonly volume: number;
  readonly held: number;
  readonly minted: number;
  readonly activeNow: number;
  readonly activeBefore: number;
}

export function economicHealth(f: FoldResult, policy: LedgerPolicy): EconomicHealth {
  const W = policy.healthWindowMs;
  const T = f.health.ledgerTime;
  const windowOf = (ts: number) => Math.floor((T - ts) / W);
  const volumes = [0, 0, 0, 0];
  let held = 0;
  let minted = 0;
  for (const p of f.health.pays) {
    const w = windowOf(p.ts);
    if (w >= 0 && w < 4) volumes[w]! += p.amt;
  }
  for (const h of f.health.holds) if (windowOf(h.ts) === 0) held += h.amt;
  for (const m of f.health.mints) if (windowOf(m.ts) === 0) minted += m.amt;
  const a0 = new Set<number>();
  const a1 = new Set<number>();
  const { entryTs, entryAuthor } = f.health;
  for (let i = 0; i < entryTs.length; i++) {
    const w = windowOf(entryTs[i]!);
    if (w === 0) a0.add(entryAuthor[i]!);
    else if (w === 1) a1.add(entryAuthor[i]!);
  }
  const t = f.totals;
  const supply = t.balances + t.escrow + t.stake + t.inFlight;
  const volume = volumes[0]!;
  const mean = (volumes[0]! + volumes[1]! + volumes[2]! + volumes[3]!) / 4;
  let variance = 0;
  for (const v of volumes) variance += (v - mean) * (v - mean);
  variance /= 4;
  const cv = mean === 0 ? 0 : Math.sqrt(variance) / mean;
  return {
    velocity: supply === 0 ? 0 : volume / supply,
    utilization: held === 0 ? 0 : Math.min(1, volume / held),
    growth: (a0.size - a1.size) / Math.max(1, a1.size),
    stability: 1 / (1 + cv),
    supply,
    volume,
    held,
    minted,
    activeNow: a0.size,
    activeBefore: a1.size,
  };
}

export function selfSustaining(h: EconomicHealth, policy: LedgerPolicy, nodes: number, tasks: number): boolean {
  const s = policy.sustain;
  if (!(Number.isFinite(nodes) && Number.isFinite(tasks))) return false;
  return nodes >= s.minNodes && tasks >= s.minTasksPerNode * nodes && h.velocity >= s.minVelocity && h.growth >= s.minGrowth && h.minted <= h.volume;
}
