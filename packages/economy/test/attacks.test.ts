/**
 * The attack suite: every attack must be refused or not counted, with a counted reason, and
 * leave every balance as it was. A tally at the end asserts 0 accepted forgeries, replays and
 * double spends.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, seal, toHex, type PiKey, type Signer } from '@edge/identity';
import { createRac, equivocationEvidence, signClaim, signDecision, wrongResultEvidence, combineDecision } from '@edge/rac';
import { prng, testSeed } from '@edge/tooling/seed';
import { ENTRY_TYPE, entryHash, entryNonce, openLedger, signEntry, signWitness, ZERO_HASH, type Ledger, type EntryBody } from '../src/index.js';
import { bytes32, clock, keyFor, testPolicy, witnesses } from './helpers.js';

const seed = testSeed();
const tally = { attempts: 0, acceptedForgeries: 0, acceptedReplays: 0, doubleSpends: 0 };

type Snapshot = Map<string, string>;
function snapshot(L: Ledger): Snapshot {
  const out = new Map<string, string>();
  for (const [k, a] of L.state().accounts) out.set(k, `${a.balance}/${a.escrow}/${a.stake}/${a.minted}`);
  return out;
}

/** Runs an attack; checks the reason was counted and (unless `changes`) no balance moved. */
async function attack(L: Ledger, reason: string, where: 'refused' | 'rejected', run: () => Promise<unknown>, kind: keyof typeof tally = 'acceptedForgeries') {
  tally.attempts++;
  const before = snapshot(L);
  const count = () => (L.stats()[where][reason] ?? 0) as number;
  const n0 = count();
  const entries0 = L.stats().entries;
  await run();
  const counted = count() - n0;
  if (counted < 1) tally[kind]++;
  expect(counted, `reason ${reason} counted`).toBeGreaterThanOrEqual(1);
  expect(snapshot(L)).toEqual(before);
  if (where === 'refused') expect(L.stats().entries).toBe(entries0);
}

async function world() {
  const c = clock();
  const policy = testPolicy({ authorities: [] });
  const rand = prng(seed);
  const keys = Array.from({ length: 8 }, (_, i) => keyFor(seed, 100 + i));
  const L = await openLedger({ policy, now: c.now });
  for (const k of keys) await L.account(k).genesis();
  c.advance(10);
  for (const k of keys.slice(2)) await L.account(k).stake(50_000);
  c.advance(10);
  return { c, policy, rand, keys, L };
}

/** Signs `body` as an entry by `signer` (no prechecks: attackers write what they like). */
function forge(signer: Signer, body: Record<string, unknown>, net: string) {
  return signEntry(signer, { net, ...body } as unknown as EntryBody);
}

/** The next height of `k`'s chain, stamped now (forged entries must still look current). */
function tipOf(L: Ledger, k: PiKey) {
  const a = L.balanceOf(k.publicKey)!;
  return { h: a.height + 1, prev: a.tip, ts: Math.max(a.tipTs, L.state().ledgerTime) + 1 };
}

describe('attack suite: every attack is rejected with a counted reason', () => {
  it('forged signature', async () => {
    const { L, keys, policy } = await world();
    const t = tipOf(L, keys[0]!);
    const bytes = forge(keys[0]!, { ...t, k: 'stake', amt: 1 }, policy.net);
    const env = (decodeCanonical(bytes) as { value: Record<string, Uint8Array> }).value;
    const sig = env.sig!.slice();
    sig[7]! ^= 0x40;
    const bad = encodeCanonical({ ...env, sig });
    await attack(L, 'bad-signature', 'refused', () => L.addEntry(bad));
  });

  it('entry attributed to another account', async () => {
    const { L, keys, policy, rand, c } = await world();
    const [victim, thief] = [keys[0]!, keys[1]!];
    // 1. The thief names the victim as author but can only sign with its own key.
    const t = tipOf(L, victim);
    const impostor: Signer = { publicKey: victim.publicKey, sign: (m) => thief.sign(m), signAsync: (m) => thief.signAsync(m) };
    await attack(L, 'bad-signature', 'refused', () => L.addEntry(forge(impostor, { ...t, k: 'hold', task: bytes32(rand), amt: 500_000 }, policy.net)));
    // 2. The thief pays itself out of the victim's escrow from its own chain.
    const task = bytes32(rand);
    await L.account(victim).hold(task, 100_000);
    c.advance(5);
    const tt = tipOf(L, thief);
    const res = bytes32(rand);
    await attack(L, 'no-escrow', 'rejected', () => L.addEntry(forge(thief, { ...tt, k: 'pay', task, to: keys[2]!.publicKey, amt: 100_000, res, work: 0, wit: [] }, policy.net)));
    // 3. The thief receives a payment addressed to the victim.
    const pay = await L.account(keys[3]!).hold(bytes32(rand), 50_000);
    void pay;
  });

  it('a payment addressed to someone else cannot be received', async () => {
    const { L, keys, policy, rand, c } = await world();
    const task = bytes32(rand);
    const res = bytes32(rand);
    await L.account(keys[0]!).hold(task, 100_000);
    c.advance(5);
    const p = await L.account(keys[0]!).pay({ task, to: keys[1]!.publicKey, amount: 100_000, result: res, work: 10 });
    c.advance(5);
    const t = tipOf(L, keys[2]!);
    await attack(L, 'recv-not-payee', 'rejected', () => L.addEntry(forge(keys[2]!, { ...t, k: 'recv', pay: p.hash, amt: 100_000 }, policy.net)));
  });

  it('self-declared earnings', async () => {
    const { L, keys, policy, rand, c } = await world();
    const worker = keys[1]!;
    const t = tipOf(L, worker);
    // A receipt of a payment nobody made.
    await attack(L, 'recv-no-payment', 'rejected', () => L.addEntry(forge(worker, { ...t, k: 'recv', pay: bytes32(rand), amt: 5_000_000 }, policy.net)));
    // A receipt for more than was paid.
    const task = bytes32(rand);
    await L.account(keys[0]!).hold(task, 100_000);
    c.advance(5);
    const p = await L.account(keys[0]!).pay({ task, to: worker.publicKey, amount: 100_000, result: bytes32(rand), work: 10 });
    c.advance(5);
    const t2 = tipOf(L, worker);
    await attack(L, 'recv-amount', 'rejected', () => L.addEntry(forge(worker, { ...t2, ts: c.now(), k: 'recv', pay: p.hash, amt: 10_000_000 }, policy.net)));
    // A genesis larger than the policy grant (a fresh identity declaring its own wealth).
    const fresh = keyFor(seed, 999);
    const { solveAdmission } = await import('@edge/rac');
    const pow = solveAdmission(fresh.publicKey, policy.net, policy.genesisPowBits);
    await attack(L, 'genesis-amount', 'refused', () => L.addEntry(forge(fresh, { h: 0, prev: ZERO_HASH, ts: c.now(), k: 'genesis', amt: policy.genesisGrant * 1000, pow }, policy.net)));
    // A genesis without the admission work.
    await attack(L, 'genesis-pow', 'refused', async () => {
      for (let i = 0; i < 64; i++) {
        const bad = new Uint8Array(8);
        bad[0] = i;
        const { verifyAdmission } = await import('@edge/rac');
        if (!verifyAdmission(fresh.publicKey, policy.net, bad, policy.genesisPowBits)) {
          await L.addEntry(forge(fresh, { h: 0, prev: ZERO_HASH, ts: c.now(), k: 'genesis', amt: 1, pow: bad }, policy.net));
          return;
        }
      }
    });
  });

  it('mint without a verified payment', async () => {
    const { L, keys, policy, rand, c } = await world();
    const [payer, worker] = [keys[0]!, keys[1]!];
    const W = L.account(worker);
    // Free-standing mint: no payment at all.
    const t = tipOf(L, worker);
    await attack(L, 'mint-no-payment', 'rejected', () => L.addEntry(forge(worker, { ...t, k: 'mint', pay: bytes32(rand), amt: 900_000 }, policy.net)));
    // A payment without witnesses, received: its bonus is not mintable.
    const task = bytes32(rand);
    await L.account(payer).hold(task, 100_000);
    c.advance(5);
    const p = await L.account(payer).pay({ task, to: worker.publicKey, amount: 100_000, result: bytes32(rand), work: 10 });
    c.advance(5);
    await W.receive(p.hash);
    c.advance(5);
    const t2 = tipOf(L, worker);
    await attack(L, 'mint-unverified', 'rejected', () => L.addEntry(forge(worker, { ...t2, k: 'mint', pay: p.hash, amt: 900_000 }, policy.net)));
    // Witnesses without stake (fresh Sybils) do not verify a payment either.
    const sybils = [keyFor(seed, 500), keyFor(seed, 501)];
    for (const s of sybils) await L.account(s).genesis();
    const task2 = bytes32(rand);
    const res2 = bytes32(rand);
    c.advance(5);
    await L.account(payer).hold(task2, 100_000);
    c.advance(5);
    const p2 = await L.account(payer).pay({ task: task2, to: worker.publicKey, amount: 100_000, result: res2, work: 10, witnesses: witnesses(sybils, policy.net, task2, res2, worker.publicKey, 10, c.now()) });
    expect(L.state().payments.get(toHex(p2.hash))!.verified).toBe(false);
    c.advance(5);
    await W.receive(p2.hash);
    c.advance(5);
    const t3 = tipOf(L, worker);
    await attack(L, 'mint-unverified', 'rejected', () => L.addEntry(forge(worker, { ...t3, k: 'mint', pay: p2.hash, amt: 900_000 }, policy.net)));
    // The payer (or the worker) as its own witness is refused outright.
    const task3 = bytes32(rand);
    const res3 = bytes32(rand);
    c.advance(5);
    await L.account(payer).hold(task3, 10_000);
    const tp = tipOf(L, payer);
    const selfWit = witnesses([payer, keys[2]!], policy.net, task3, res3, worker.publicKey, 1, c.now());
    await attack(L, 'witness-not-independent', 'refused', () => L.addEntry(forge(payer, { ...tp, k: 'pay', task: task3, to: worker.publicKey, amt: 10_000, res: res3, work: 1, wit: selfWit }, policy.net)));
  });

  it('spend beyond balance', async () => {
    const { L, keys, policy, rand } = await world();
    const a = L.balanceOf(keys[0]!.publicKey)!;
    const t = tipOf(L, keys[0]!);
    await attack(L, 'overspend', 'rejected', () => L.addEntry(forge(keys[0]!, { ...t, k: 'hold', task: bytes32(rand), amt: a.balance + 1 }, policy.net)));
    const t2 = tipOf(L, keys[0]!);
    await attack(L, 'overspend', 'rejected', () => L.addEntry(forge(keys[0]!, { ...t2, k: 'stake', amt: a.balance + 1 }, policy.net)));
    // The local writer refuses it before signing, with the same reason.
    await expect(L.account(keys[0]!).hold(bytes32(rand), a.balance + 1)).rejects.toMatchObject({ reason: 'overspend' });
    // Unstaking inside the lock period.
    const t3 = tipOf(L, keys[3]!);
    await attack(L, 'stake-locked', 'rejected', () => L.addEntry(forge(keys[3]!, { ...t3, k: 'unstake', amt: 10_000 }, policy.net)));
  });

  it('replayed entry', async () => {
    const { L, keys, policy, rand, c } = await world();
    const task = bytes32(rand);
    const r = await L.account(keys[0]!).hold(task, 100_000);
    await attack(L, 'duplicate', 'refused', () => L.addEntry(r.bytes), 'acceptedReplays');
    // The same entry replayed into another ledger.
    const other = await openLedger({ policy: testPolicy({ net: 'other-net' }), now: c.now });
    await attack(other, 'wrong-net', 'refused', () => other.addEntry(r.bytes), 'acceptedReplays');
    // A second receipt of one payment.
    c.advance(5);
    const p = await L.account(keys[0]!).pay({ task, to: keys[1]!.publicKey, amount: 100_000, result: bytes32(rand), work: 1 });
    c.advance(5);
    await L.account(keys[1]!).receive(p.hash);
    c.advance(5);
    const t = tipOf(L, keys[1]!);
    await attack(L, 'recv-duplicate', 'rejected', () => L.addEntry(forge(keys[1]!, { ...t, k: 'recv', pay: p.hash, amt: 100_000 }, policy.net)), 'acceptedReplays');
    void policy;
  });

  it('equivocation: detected, evidence produced, rac verifies it, account frozen, slash applied', async () => {
    const c = clock();
    const authority = keyFor(seed, 300);
    const policy = testPolicy({ authorities: [{ publicKey: authority.publicKey, weight: 1 }] });
    const rand = prng(seed + 1);
    const found: Uint8Array[] = [];
    const L = await openLedger({ policy, now: c.now, onEvidence: (ev) => found.push(ev) });
    const [cheat, b, cc, reporter] = [0, 1, 2, 3].map((i) => keyFor(seed, 200 + i));
    for (const k of [cheat!, b!, cc!, reporter!]) await L.account(k).genesis();
    c.advance(5);
    await L.account(cheat!).stake(300_000);
    c.advance(5);
    const task = bytes32(rand);
    await L.account(cheat!).hold(task, 600_000);
    c.advance(5);
    // Two payments of the same escrow at the same height, one to B and one to C.
    const t = tipOf(L, cheat!);
    const toB = forge(cheat!, { ...t, k: 'pay', task, to: b!.publicKey, amt: 600_000, res: bytes32(rand), work: 1, wit: [] }, policy.net);
    const toC = forge(cheat!, { ...t, k: 'pay', task, to: cc!.publicKey, amt: 600_000, res: bytes32(rand), work: 1, wit: [] }, policy.net);
    await L.addEntry(toB);
    await L.addEntry(toC);
    expect(found).toHaveLength(1);
    expect(L.evidence()).toHaveLength(1);
    const st = L.balanceOf(cheat!.publicKey)!;
    expect(st.frozen).toBe(true);
    expect(L.forks()).toHaveLength(1);
    // Both recipients try to collect: neither is credited (0 double spends).
    c.advance(5);
    const bBefore = L.balanceOf(b!.publicKey)!.balance;
    const cBefore = L.balanceOf(cc!.publicKey)!.balance;
    for (const [k, bytes] of [[b!, toB], [cc!, toC]] as const) {
      const tk = tipOf(L, k);
      await attack(L, 'payment-frozen', 'rejected', () => L.addEntry(forge(k, { ...tk, ts: c.now(), k: 'recv', pay: entryHash(bytes), amt: 600_000 }, policy.net)), 'doubleSpends');
    }
    expect(L.balanceOf(b!.publicKey)!.balance).toBe(bBefore);
    expect(L.balanceOf(cc!.publicKey)!.balance).toBe(cBefore);
    // The frozen account cannot write.
    await expect(L.account(cheat!).stake(1)).rejects.toMatchObject({ code: 'ERR_ECONOMY_ACCOUNT_FROZEN' });
    // rac verifies the evidence and blocks the cheat.
    const rac = createRac({ now: c.now, rules: [(await import('../src/index.js')).LEDGER_SEQUENCE_RULE] });
    const verified = await rac.challenge(found[0]!);
    expect(verified.fault).toBe('equivocation');
    expect(rac.status(cheat!.publicKey).level).toBe('blocked');
    // The reporter files the slash; the stake is burned (equivocation burns 100%).
    c.advance(5);
    await L.account(reporter!).slash(cheat!.publicKey, found[0]!);
    const after = L.balanceOf(cheat!.publicKey)!;
    expect(after.stake).toBe(0);
    expect(after.burned).toBe(300_000);
    expect(L.state().totals.burned).toBe(300_000);
    // The same fault cannot be slashed twice (even with the evidence encoded again).
    c.advance(5);
    const tr = tipOf(L, reporter!);
    await attack(L, 'slash-duplicate', 'rejected', () => L.addEntry(forge(reporter!, { ...tr, k: 'slash', acc: cheat!.publicKey, ev: equivocationEvidence(toC, toB) }, policy.net)));
    // The authority resolves the fork: the chain continues on the branch it kept.
    const keep = L.entry(entryHash(toB))!;
    await L.addDecision(signDecision(authority, { ctx: `ledger:${policy.net}`, subject: cheat!.publicKey, verdict: 'resolve-fork', value: keep.hash }));
    expect(L.balanceOf(cheat!.publicKey)!.frozen).toBe(false);
    // B's receipt, written while the fork was open, counts now that its branch was kept; C's never does.
    expect(L.state().status.get(keep.key)).toBe('applied');
    expect(L.balanceOf(b!.publicKey)!.balance).toBe(bBefore + 600_000);
    expect(L.balanceOf(cc!.publicKey)!.balance).toBe(cBefore);
  });

  it('a Sybil ring paying itself to mint bonuses is bounded by the documented cap', async () => {
    const c = clock();
    const policy = testPolicy({ bonusCapBase: 100_000, bonusCapStakePpm: 100_000 });
    const rand = prng(seed + 2);
    const L = await openLedger({ policy, now: c.now });
    const ring = Array.from({ length: 5 }, (_, i) => keyFor(seed, 400 + i));
    const stake = 20_000;
    for (const k of ring) await L.account(k).genesis();
    c.advance(5);
    for (const k of ring) await L.account(k).stake(stake);
    let asked = 0;
    const rounds = 12;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < ring.length; i++) {
        const payer = ring[i]!;
        const worker = ring[(i + 1) % ring.length]!;
        const wits = [ring[(i + 2) % ring.length]!, ring[(i + 3) % ring.length]!];
        const amt = 100_000;
        const task = bytes32(rand);
        const res = bytes32(rand);
        c.advance(5);
        await L.account(payer).hold(task, amt);
        c.advance(5);
        const p = await L.account(payer).pay({ task, to: worker.publicKey, amount: amt, result: res, work: 100, witnesses: witnesses(wits, policy.net, task, res, worker.publicKey, 100, c.now()) });
        c.advance(5);
        await L.account(worker).receive(p.hash);
        c.advance(5);
        await L.account(worker).mint(p.hash);
        asked += Math.floor(amt * (L.getMultiplier() - 1));
      }
    }
    const s = L.state();
    // The bound of docs/economy.md: per account and epoch, bonusCapBase * reputation (<= 1)
    // + stake * bonusCapStakePpm / 1e6. All of this ran inside one epoch.
    const bound = ring.length * (policy.bonusCapBase + Math.floor((stake * policy.bonusCapStakePpm) / 1e6));
    expect(s.totals.minted).toBeGreaterThan(0);
    expect(s.totals.minted).toBeLessThanOrEqual(bound);
    expect(asked).toBeGreaterThan(10 * bound);
    expect(s.notes['mint-capped']).toBeGreaterThan(0);
  });

  it('an unsigned or unauthorised authority decision is never accepted', async () => {
    const c = clock();
    const authority = keyFor(seed, 301);
    const outsider = keyFor(seed, 302);
    const policy = testPolicy({ authorities: [{ publicKey: authority.publicKey, weight: 1 }] });
    const L = await openLedger({ policy, now: c.now });
    const body = { ctx: `ledger:${policy.net}`, subject: outsider.publicKey, verdict: 'resolve-fork', value: new Uint8Array(32) };
    await attack(L, 'decision-unsigned', 'refused', () => L.addDecision(encodeCanonical(body)));
    await attack(L, 'decision-unsigned', 'refused', () => L.addDecision(encodeCanonical([encodeCanonical(body)])));
    await attack(L, 'decision-not-authority', 'refused', () => L.addDecision(signDecision(outsider, body)));
    const forged = signDecision(authority, body);
    const bad = forged.slice();
    bad[bad.length - 3]! ^= 1;
    await attack(L, 'decision-bad-signature', 'refused', () => L.addDecision(bad));
    // A ledger without a registered authority accepts none, even one signed by that key.
    const bare = await openLedger({ policy: testPolicy({ authorities: [] }), now: c.now });
    await attack(bare, 'decision-no-authority', 'refused', () => bare.addDecision(combineDecision([signDecision(authority, body)])));
  });

  it('a challenge with fake evidence changes nothing', async () => {
    const { L, keys, policy, rand, c } = await world();
    const victim = keys[2]!;
    const reporter = keys[0]!;
    const tip = () => tipOf(L, reporter);
    // The "two conflicting entries" are the same entry twice.
    const real = tipOf(L, victim);
    const one = forge(victim, { ...real, k: 'stake', amt: 1 }, policy.net);
    const fakeSame = encodeCanonical({ v: 1, kind: 'equivocation', a: one, b: one });
    await attack(L, 'evidence-invalid', 'refused', () => L.addEntry(forge(reporter, { ...tip(), k: 'slash', acc: victim.publicKey, ev: fakeSame }, policy.net)));
    // Two "conflicting" entries of which one is forged (signed by the reporter in the victim's name).
    const impostor: Signer = { publicKey: victim.publicKey, sign: (m) => reporter.sign(m), signAsync: (m) => reporter.signAsync(m) };
    const other = forge(impostor, { ...real, k: 'stake', amt: 2 }, policy.net);
    await attack(L, 'evidence-invalid', 'refused', () => L.addEntry(forge(reporter, { ...tip(), k: 'slash', acc: victim.publicKey, ev: equivocationEvidence(one, other) }, policy.net)));
    // Real evidence against someone else, filed against the victim.
    const x = keys[3]!;
    const tx = tipOf(L, x);
    const e1 = forge(x, { ...tx, k: 'stake', amt: 1 }, policy.net);
    const e2 = forge(x, { ...tx, k: 'stake', amt: 2 }, policy.net);
    await attack(L, 'evidence-mismatch', 'refused', () => L.addEntry(forge(reporter, { ...tip(), k: 'slash', acc: victim.publicKey, ev: equivocationEvidence(e1, e2) }, policy.net)));
    // A wrong-result accusation whose "witnesses" hold no stake: well formed, signed, but the
    // fold's witness stake rule refuses it, so the victim keeps its stake.
    const subject = bytes32(rand);
    const accused = signClaim(victim, { ctx: 'task', subject, value: bytes32(rand) }, { ts: c.now() });
    const sybils = [keyFor(seed, 600), keyFor(seed, 601)];
    const agreed = bytes32(rand);
    const wit = sybils.map((s) => signClaim(s, { ctx: 'task', subject, value: agreed }, { ts: c.now() }));
    await attack(L, 'slash-evidence', 'rejected', () => L.addEntry(forge(reporter, { ...tip(), k: 'slash', acc: victim.publicKey, ev: wrongResultEvidence(accused, wit) }, policy.net)));
    // rac counts the fake challenge too.
    const rac = createRac({ now: c.now });
    await expect(rac.challenge(fakeSame)).rejects.toMatchObject({ code: 'ERR_RAC_BAD_EVIDENCE' });
    expect(rac.counters()['evidence.rejected']).toBe(1);
    expect(rac.status(victim.publicKey).level).toBe('none');
    // And a wrong result proven by staked witnesses is slashed (the positive control).
    const honest = [keys[4]!, keys[5]!, keys[6]!];
    const wit2 = honest.map((s) => signClaim(s, { ctx: 'task', subject, value: agreed }, { ts: c.now() }));
    const before = L.balanceOf(victim.publicKey)!.stake;
    c.advance(5);
    await L.account(reporter).slash(victim.publicKey, wrongResultEvidence(accused, wit2));
    expect(L.balanceOf(victim.publicKey)!.stake).toBe(before - Math.floor((before * policy.slashPpm['wrong-result']) / 1e6));
  });

  it('garbage written into the replicated document changes nothing; deletions are undone', async () => {
    const { L, keys, rand } = await world();
    const before = snapshot(L);
    const root = toHex(L.merkleRoot());
    const map = L.doc.getMap<Uint8Array>('entries');
    L.doc.transact(() => {
      for (let i = 0; i < 50; i++) map.set(`junk${i}`, bytes32(rand));
      map.set('k', new Uint8Array(0));
    });
    // Delete and overwrite real entries.
    const victimKeys = [...L.entries()].slice(0, 3).map((e) => e.key);
    L.doc.transact(() => {
      map.delete(victimKeys[0]!);
      map.set(victimKeys[1]!, bytes32(rand));
    });
    await L.flush();
    expect(snapshot(L)).toEqual(before);
    expect(toHex(L.merkleRoot())).toBe(root);
    expect(L.stats().refused['bad-key']).toBeGreaterThanOrEqual(50);
    expect(L.stats().restored).toBe(2);
    expect(map.get(victimKeys[0]!)).toBeInstanceOf(Uint8Array);
    void keys;
  });
});

afterAll(() => {
  console.log('[attacks] tally', tally);
  expect(tally.acceptedForgeries).toBe(0);
  expect(tally.acceptedReplays).toBe(0);
  expect(tally.doubleSpends).toBe(0);
  expect(tally.attempts).toBeGreaterThan(20);
});

void seal;
void ENTRY_TYPE;
void entryNonce;
void signWitness;
