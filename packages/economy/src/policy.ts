/**
 * The ledger policy: every constant the fold depends on. Replicas of one ledger must run the
 * same policy (its `net` name is signed into every entry, so entries of another ledger never
 * count here). Amounts are integers in base units; `UNITS_PER_RUV` base units make one rUv.
 * Formulas and the reasoning behind each default: docs/economy.md.
 */

import type { AuthorityMember } from '@edge/rac';
import { PolicyError } from './errors.js';
import { expNeg } from './math.js';

/** Base units per rUv. */
export const UNITS_PER_RUV = 1_000_000;
/** Largest amount one entry may carry (2^48 base units, about 281 million rUv). */
export const MAX_AMOUNT = 2 ** 48;

export type SlashFault = 'wrong-result' | 'equivocation' | 'timeout' | 'protocol-violation';

export interface ReputationParams {
  /** Half-life of past successes and failures, ms. Default 30 days. */
  halfLifeMs: number;
  /** Beta prior (pseudo-counts): an unknown account starts at priorSuccess / (priorSuccess + priorFailure). */
  priorSuccess: number;
  priorFailure: number;
  /** Stake (base units) at which the stake factor is 3/4. Default 100 rUv. */
  stakeScale: number;
  /** Failure weight of each proven fault (a success weighs 1). */
  faultWeight: Record<SlashFault, number>;
}

export interface LedgerPolicy {
  /** Ledger (network) name, signed into every entry. */
  net: string;
  /** Largest genesis grant, base units. Default 100 rUv. */
  genesisGrant: number;
  /** Proof-of-work bits a genesis entry must carry (@edge/rac admission). Default 20. */
  genesisPowBits: number;
  /** Total genesis grants per epoch, base units. Default 1 000 000 rUv. */
  genesisBudgetPerEpoch: number;
  /** Epoch length, ms. Default 1 day. */
  epochMs: number;
  /** Stake lock: stake can be withdrawn this long after it was last added. Default 7 days. */
  lockPeriodMs: number;
  /** Independent witnesses that make a payment verified (and its bonus mintable). Default 2. */
  minWitnesses: number;
  /** Stake a witness must hold. Default 10 rUv. */
  minWitnessStake: number;
  /** Most compute-seconds a payment may claim per base unit paid (bounds H inflation). Default 0.01. */
  maxWorkPerUnit: number;
  /** Bonus cap per account and epoch: bonusCapBase * reputation + stake * bonusCapStakePpm / 1e6. */
  bonusCapBase: number;
  bonusCapStakePpm: number;
  /** Part of the stake burned per proven fault, in parts per million. */
  slashPpm: Record<SlashFault, number>;
  /** Entries stamped further than this in the future wait until then. Default 2 minutes. */
  maxClockSkewMs: number;
  /** An account is active if it wrote an entry within this window. Default 30 days. */
  activeWindowMs: number;
  /** Active-account thresholds of the Growth, Maturation and Independence phases. */
  phaseThresholds: readonly [number, number, number];
  /** Window of getEconomicHealth(), ms. Default 1 day. */
  healthWindowMs: number;
  /** Authority that may resolve forks (context `ledger:<net>`); none means forks stay frozen. */
  authorities: readonly AuthorityMember[];
  reputation: ReputationParams;
  /** isSelfSustaining() thresholds. */
  sustain: { minNodes: number; minTasksPerNode: number; minVelocity: number; minGrowth: number };
}

export type LedgerPolicyInput = Partial<Omit<LedgerPolicy, 'reputation' | 'sustain' | 'slashPpm'>> & {
  net: string;
  reputation?: Partial<ReputationParams>;
  sustain?: Partial<LedgerPolicy['sustain']>;
  slashPpm?: Partial<Record<SlashFault, number>>;
};

const DAY = 86_400_000;

/** Fills defaults and checks ranges. */
export function createPolicy(input: LedgerPolicyInput): LedgerPolicy {
  const p: LedgerPolicy = {
    net: input.net,
    genesisGrant: input.genesisGrant ?? 100 * UNITS_PER_RUV,
    genesisPowBits: input.genesisPowBits ?? 20,
    genesisBudgetPerEpoch: input.genesisBudgetPerEpoch ?? 1_000_000 * UNITS_PER_RUV,
    epochMs: input.epochMs ?? DAY,
    lockPeriodMs: input.lockPeriodMs ?? 7 * DAY,
    minWitnesses: input.minWitnesses ?? 2,
    minWitnessStake: input.minWitnessStake ?? 10 * UNITS_PER_RUV,
    maxWorkPerUnit: input.maxWorkPerUnit ?? 0.01,
    bonusCapBase: input.bonusCapBase ?? 50 * UNITS_PER_RUV,
    bonusCapStakePpm: input.bonusCapStakePpm ?? 100_000,
    slashPpm: { 'wrong-result': 100_000, equivocation: 1_000_000, timeout: 20_000, 'protocol-violation': 50_000, ...input.slashPpm },
    maxClockSkewMs: input.maxClockSkewMs ?? 120_000,
    activeWindowMs: input.activeWindowMs ?? 30 * DAY,
    phaseThresholds: input.phaseThresholds ?? [10_000, 50_000, 100_000],
    healthWindowMs: input.healthWindowMs ?? DAY,
    authorities: input.authorities ?? [],
    reputation: {
      halfLifeMs: 30 * DAY,
      priorSuccess: 1,
      priorFailure: 1,
      stakeScale: 100 * UNITS_PER_RUV,
      ...input.reputation,
      faultWeight: { 'wrong-result': 3, equivocation: 10, timeout: 1, 'protocol-violation': 2, ...input.reputation?.faultWeight },
    },
    sustain: { minNodes: 100, minTasksPerNode: 10, minVelocity: 0.05, minGrowth: -0.1, ...input.sustain },
  };
  const enc = new TextEncoder();
  if (typeof p.net !== 'string' || p.net.length === 0 || enc.encode(p.net).length > 56) throw new PolicyError('net must be 1..56 bytes');
  const nonNegInt = (v: number, name: string, max = MAX_AMOUNT) => {
    if (!Number.isSafeInteger(v) || v < 0 || v > max) throw new PolicyError(`${name} must be an integer in [0, ${max}]`);
  };
  nonNegInt(p.genesisGrant, 'genesisGrant');
  nonNegInt(p.genesisPowBits, 'genesisPowBits', 40);
  nonNegInt(p.genesisBudgetPerEpoch, 'genesisBudgetPerEpoch');
  nonNegInt(p.epochMs, 'epochMs', 2 ** 40);
  if (p.epochMs < 1) throw new PolicyError('epochMs must be positive');
  nonNegInt(p.lockPeriodMs, 'lockPeriodMs', 2 ** 40);
  nonNegInt(p.minWitnesses, 'minWitnesses', 16);
  nonNegInt(p.minWitnessStake, 'minWitnessStake');
  if (!(p.maxWorkPerUnit >= 0 && Number.isFinite(p.maxWorkPerUnit))) throw new PolicyError('maxWorkPerUnit must be finite and >= 0');
  nonNegInt(p.bonusCapBase, 'bonusCapBase');
  nonNegInt(p.bonusCapStakePpm, 'bonusCapStakePpm', 1_000_000);
  for (const [k, v] of Object.entries(p.slashPpm)) nonNegInt(v, `slashPpm.${k}`, 1_000_000);
  nonNegInt(p.maxClockSkewMs, 'maxClockSkewMs', 2 ** 40);
  nonNegInt(p.activeWindowMs, 'activeWindowMs', 2 ** 40);
  nonNegInt(p.healthWindowMs, 'healthWindowMs', 2 ** 40);
  const [a, b, c] = p.phaseThresholds;
  if (!(a! > 0 && a! < b! && b! < c!)) throw new PolicyError('phaseThresholds must be increasing and positive');
  const r = p.reputation;
  if (!(r.halfLifeMs > 0 && r.priorSuccess > 0 && r.priorFailure > 0 && r.stakeScale > 0)) throw new PolicyError('reputation parameters must be positive');
  return p;
}

/**
 * The contribution multiplier m(H) = 1 + 9 e^(-H / 10^6), H = verified compute-hours on the
 * ledger. 10x at launch, 1 + 9/e (4.31x) at a million hours, tending to 1x.
 */
export function multiplierFor(computeHours: number): number {
  return 1 + 9 * expNeg(Math.max(0, computeHours) / 1e6);
}

export type NetworkPhase = 'genesis' | 'growth' | 'maturation' | 'independence';

/** The phase for a count of active accounts (thresholds from the policy). */
export function phaseFor(active: number, thresholds: readonly [number, number, number] = [10_000, 50_000, 100_000]): NetworkPhase {
  if (active < thresholds[0]) return 'genesis';
  if (active < thresholds[1]) return 'growth';
  if (active < thresholds[2]) return 'maturation';
  return 'independence';
}
