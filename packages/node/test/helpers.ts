import { PiKey, toHex } from '@edge/identity';
import { prng, seededBytes } from '@edge/tooling/seed';
import type { LedgerPolicyInput } from '@edge/economy';
import { EdgeNetConfig, type EdgeNetNode } from '../src/index.js';
import type { MemoryNetwork } from './memory-transport.js';

/** Cheap test ledger: 4-bit admission work, 1 000 rUv grants, 10 rUv witness stake. */
export const POLICY: LedgerPolicyInput = {
  net: 'node-test',
  genesisGrant: 1_000_000_000,
  genesisPowBits: 4,
  genesisBudgetPerEpoch: 1_000_000_000_000,
  minWitnesses: 2,
  minWitnessStake: 10_000_000,
  maxWorkPerUnit: 1,
  bonusCapBase: 1_000_000_000_000,
};

export const WORKER_STAKE = 20_000_000;

export function keyFor(seed: number, i: number): PiKey {
  return PiKey.fromSeed(seededBytes(prng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0), 32));
}

export function config(seed: number, i: number, net?: MemoryNetwork, opts: { latencyMs?: number; wrap?: Parameters<MemoryNetwork['transport']>[0] extends infer O ? (O extends { wrap?: infer W } ? W : never) : never; stake?: number } = {}): EdgeNetConfig {
  const c = new EdgeNetConfig(`site-${i}`)
    .cpuLimit(0.5)
    .ledgerPolicy(POLICY)
    .identity(keyFor(seed, i))
    .stake(opts.stake ?? WORKER_STAKE)
    .taskTimeout(5_000)
    .random(prng(seed + i));
  if (net) c.transport(net.transport({ ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}), ...(opts.wrap ? { wrap: opts.wrap } : {}) }));
  return c;
}

/** Every replica holds every entry and every payment is collected. */
export async function converge(nodes: EdgeNetNode[]): Promise<void> {
  for (let round = 0; round < 400; round++) {
    await Promise.all(nodes.map((n) => n.settled()));
    const roots = nodes.map((n) => toHex(n.ledger.merkleRoot()));
    if (roots.every((r) => r === roots[0])) {
      await new Promise((r) => setTimeout(r, 20));
      await Promise.all(nodes.map((n) => n.settled()));
      const again = nodes.map((n) => toHex(n.ledger.merkleRoot()));
      if (again.every((r) => r === again[0]) && again[0] === roots[0]) return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('ledgers did not converge');
}

/** The ledger invariant of docs/economy.md on one replica. */
export function conserved(node: EdgeNetNode): { lhs: number; rhs: number } {
  const t = node.ledger.state().totals;
  return { lhs: t.balances + t.escrow + t.stake + t.inFlight, rhs: t.granted + t.minted - t.burned };
}
