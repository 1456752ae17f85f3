import { PiKey } from '@edge/identity';
import { prng, seededBytes } from '@edge/tooling/seed';
import { createPolicy, signWitness, type LedgerPolicyInput } from '../src/index.js';

/** A deterministic key for test actor `i` under `seed`. */
export function keyFor(seed: number, i: number): PiKey {
  return PiKey.fromSeed(seededBytes(prng((seed ^ (i * 0x9e3779b1)) >>> 0), 32));
}

export const T0 = 1_700_000_000_000;

/** A clock tests move by hand. */
export function clock(start = T0) {
  let t = start;
  const now = () => t;
  return { now, advance: (ms: number) => (t += ms), set: (v: number) => (t = v) };
}

/** Cheap policy for tests: 4-bit admission work, small amounts, 1 s stake lock. */
export const TEST_POLICY: LedgerPolicyInput = {
  net: 'test-net',
  genesisGrant: 1_000_000,
  genesisPowBits: 4,
  genesisBudgetPerEpoch: 1_000_000_000,
  lockPeriodMs: 1_000,
  minWitnesses: 2,
  minWitnessStake: 10_000,
  maxWorkPerUnit: 1,
  bonusCapBase: 200_000,
  bonusCapStakePpm: 100_000,
};
export const testPolicy = (over: Partial<LedgerPolicyInput> = {}) => createPolicy({ ...TEST_POLICY, ...over });

export function bytes32(rand: () => number): Uint8Array {
  return seededBytes(rand, 32);
}

export function witnesses(keys: PiKey[], net: string, task: Uint8Array, res: Uint8Array, to: Uint8Array, work: number, ts: number): Uint8Array[] {
  return keys.map((k) => signWitness(k, { net, task, res, to, work }, { ts }));
}
