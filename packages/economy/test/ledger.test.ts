import { describe, expect, it } from 'vitest';
import { prng, testSeed } from '@edge/tooling/seed';
import { verifyInclusion } from '@edge/rac';
import { toHex } from '@edge/identity';
import { openLedger, createMemoryStorage, createSyncSession, UNITS_PER_RUV, type Ledger } from '../src/index.js';
import { bytes32, clock, keyFor, testPolicy, witnesses } from './helpers.js';

const seed = testSeed();

async function sync(a: Ledger, b: Ledger) {
  await b.receive(a.encodeUpdate(b.encodeStateVector()));
  await a.receive(b.encodeUpdate(a.encodeStateVector()));
}

describe('ledger: a task from escrow to bonus', () => {
  it('holds, pays with witnesses, receives, mints; balances conserve', async () => {
    const c = clock();
    const policy = testPolicy();
    const rand = prng(seed);
    const [payer, worker, w1, w2] = [0, 1, 2, 3].map((i) => keyFor(seed, i));
    const L = await openLedger({ policy, now: c.now, storage: createMemoryStorage() });
    const A = L.account(payer!);
    const W = L.account(worker!);
    const X = L.account(w1!);
    const Y = L.account(w2!);
    for (const acct of [A, W, X, Y]) await acct.genesis();
    c.advance(10);
    await X.stake(20_000);
    await Y.stake(20_000);
    c.advance(10);
    const task = bytes32(rand);
    const res = bytes32(rand);
    await A.hold(task, 300_000);
    expect(L.balanceOf(payer!.publicKey)!.balance).toBe(700_000);
    expect(L.balanceOf(payer!.publicKey)!.escrow).toBe(300_000);
    c.advance(10);
    const wit = witnesses([w1!, w2!], policy.net, task, res, worker!.publicKey, 3600, c.now());
    const pay = await A.pay({ task, to: worker!.publicKey, amount: 200_000, result: res, work: 3600, witnesses: wit });
    expect(L.state().payments.get(Buffer.from(pay.hash).toString('hex'))!.verified).toBe(true);
    c.advance(10);
    await W.receive(pay.hash);
    expect(L.balanceOf(worker!.publicKey)!.balance).toBe(1_200_000);
    c.advance(10);
    await W.mint(pay.hash);
    const st = L.state();
    const wb = st.accounts.get(Buffer.from(worker!.publicKey).toString('hex'))!;
    // m(1 hour) is just under 10x: bonus = floor(200 000 * (m - 1)), capped by 200 000 * reputation.
    const rep = wb.reputation;
    expect(wb.minted).toBeGreaterThan(0);
    expect(wb.minted).toBeLessThanOrEqual(Math.floor(200_000 * 1));
    expect(rep).toBeGreaterThan(0);
    await A.refund(task, 100_000);
    const t = L.state().totals;
    expect(t.balances + t.escrow + t.stake + t.inFlight).toBe(t.granted + t.minted - t.burned);
    expect(L.state().rejected).toEqual({});
    expect(UNITS_PER_RUV).toBe(1_000_000);
  });

  it('replicates to another replica with identical state and root', async () => {
    const c = clock();
    const policy = testPolicy();
    const a = await openLedger({ policy, now: c.now });
    const b = await openLedger({ policy, now: c.now });
    const k = keyFor(seed, 10);
    await a.account(k).genesis();
    await a.account(k).stake(5000);
    await sync(a, b);
    expect(b.balanceOf(k.publicKey)!.stake).toBe(5000);
    expect(Buffer.from(b.merkleRoot()).toString('hex')).toBe(Buffer.from(a.merkleRoot()).toString('hex'));
    const s = createSyncSession(a, () => {});
    s.close();
  });

  it('state-vector sync over a byte channel sends only what the other side lacks', async () => {
    const c = clock();
    const policy = testPolicy();
    const rand = prng(seed ^ 3);
    const a = await openLedger({ policy, now: c.now });
    const b = await openLedger({ policy, now: c.now });
    const k = keyFor(seed, 11);
    const A = a.account(k);
    await A.genesis();
    for (let i = 0; i < 30; i++) {
      c.advance(2);
      await A.hold(bytes32(rand), 10);
    }
    // Wire the two replicas through a queue of byte messages.
    const toA: Uint8Array[] = [];
    const toB: Uint8Array[] = [];
    const sa = createSyncSession(a, (m) => toB.push(m));
    const sb = createSyncSession(b, (m) => toA.push(m));
    const pump = async () => {
      while (toA.length + toB.length > 0) {
        while (toB.length) await sb.receive(toB.shift()!);
        while (toA.length) await sa.receive(toA.shift()!);
      }
    };
    sa.start();
    sb.start();
    await pump();
    expect(b.balanceOf(k.publicKey)!.escrow).toBe(300);
    const full = sa.bytesSent;
    // One more entry travels live, costing a small fraction of the first exchange.
    c.advance(2);
    await A.hold(bytes32(rand), 10);
    await pump();
    expect(b.balanceOf(k.publicKey)!.escrow).toBe(310);
    expect(sa.bytesSent - full).toBeLessThan(full / 10);
    // A late joiner asks with its state vector and receives only the missing entries.
    const sv = b.encodeStateVector();
    c.advance(2);
    await A.hold(bytes32(rand), 10);
    const delta = a.encodeUpdate(sv);
    expect(delta.length).toBeLessThan(a.encodeUpdate().length / 10);
    await b.receive(delta);
    expect(toHex(b.merkleRoot())).toBe(toHex(a.merkleRoot()));
    sa.close();
    sb.close();
  });

  it('merkle inclusion proofs of entries verify against the root', async () => {
    const c = clock();
    const L = await openLedger({ policy: testPolicy(), now: c.now });
    const keys = [0, 1, 2, 3, 4].map((i) => keyFor(seed, 20 + i));
    for (const k of keys) await L.account(k).genesis();
    for (const e of L.entries()) {
      const p = L.proveEntry(e.hash)!;
      expect(verifyInclusion(e.hash, p.index, p.size, p.proof, L.merkleRoot())).toBe(true);
      expect(verifyInclusion(bytes32(prng(1)), p.index, p.size, p.proof, L.merkleRoot())).toBe(false);
    }
  });
});
