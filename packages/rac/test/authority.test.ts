import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeCanonical, toHex } from '@edge/identity';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';
import {
  combineDecision,
  createAuthorityRegistry,
  openClaimSync,
  signClaim,
  signDecision,
  solveAdmission,
  tallyVotes,
  verifyAdmission,
  verifyDecision,
  createEclipseGuard,
  DecisionRejectedError,
} from '../src/index.js';
import { keyFor } from './helpers.js';

const seed = testSeed();
const members = [0, 1, 2, 3].map((i) => keyFor(seed, 10 + i));
const outsider = keyFor(seed, 99);
const body = { ctx: 'ledger:x', subject: seededBytes(prng(seed), 32), verdict: 'release', value: new Uint8Array(0) };

async function reason(bytes: Uint8Array, reg = registry()): Promise<string> {
  try {
    await verifyDecision(bytes, reg);
    return 'accepted';
  } catch (error) {
    expect(DecisionRejectedError.isInstance(error)).toBe(true);
    return (error as DecisionRejectedError).reason;
  }
}
function registry() {
  const r = createAuthorityRegistry();
  r.register('ledger:x', members.map((m) => ({ publicKey: m.publicKey, weight: 1 })));
  return r;
}

describe('authority decisions (> 2/3 of the weight)', () => {
  it('3 of 4 equal members decide; 2 of 4 do not', async () => {
    const parts = members.map((m) => signDecision(m, body));
    expect(await reason(combineDecision(parts.slice(0, 2)))).toBe('insufficient-weight');
    expect(await reason(combineDecision(parts.slice(0, 3)))).toBe('accepted');
    const d = await verifyDecision(combineDecision(parts), registry());
    expect(d.weight).toBe(4);
    // Duplicated signatures count once.
    expect(await reason(combineDecision([parts[0]!, parts[0]!, parts[1]!]))).toBe('insufficient-weight');
  });

  it('an unsigned, badly signed, foreign or mixed decision is never accepted', async () => {
    expect(await reason(encodeCanonical(body))).toBe('unsigned');
    expect(await reason(encodeCanonical([encodeCanonical(body)]))).toBe('unsigned');
    const good = combineDecision(members.slice(0, 3).map((m) => signDecision(m, body)));
    const bad = good.slice();
    bad[bad.length - 2]! ^= 1;
    expect(['bad-signature', 'malformed']).toContain(await reason(bad));
    expect(await reason(combineDecision([...members.slice(0, 2).map((m) => signDecision(m, body)), signDecision(outsider, body)]))).toBe('not-authority');
    expect(await reason(combineDecision([...members.slice(0, 2).map((m) => signDecision(m, body)), signDecision(members[2]!, { ...body, verdict: 'other' })]))).toBe('mixed-bodies');
    // A context without a registered authority accepts nothing at all.
    expect(await reason(good, createAuthorityRegistry())).toBe('no-authority');
  });

  it('verifyDecision never throws anything but DecisionRejectedError (fuzz)', async () => {
    const good = combineDecision(members.slice(0, 3).map((m) => signDecision(m, body)));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([p, v]) => {
          const b = good.slice();
          b[p % b.length] = v;
          return b;
        })),
        async (bytes) => {
          expect(typeof (await reason(bytes))).toBe('string');
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});

describe('stake-weighted votes (Byzantine and Sybil)', () => {
  const subject = new Uint8Array([1]);
  const vote = (k: ReturnType<typeof keyFor>, v: number, ts = 1) => openClaimSync(signClaim(k, { ctx: 'vote', subject, value: new Uint8Array([v]) }, { ts }));

  it('decided iff one value holds more than 2/3 of the electorate (property, brute-force oracle)', () => {
    const voters = Array.from({ length: 7 }, (_, i) => keyFor(seed, 200 + i));
    const votes = voters.map((k, i) => vote(k, i % 3));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 7, maxLength: 7 }), fc.integer({ min: 0, max: 300 }), (weights, absent) => {
        const w = new Map(voters.map((k, i) => [toHex(k.publicKey), weights[i]!]));
        const total = weights.reduce((a, b) => a + b, 0) + absent;
        if (total === 0) return;
        const t = tallyVotes(votes, (pk) => w.get(toHex(pk)) ?? 0, total);
        const per = [0, 1, 2].map((v) => weights.filter((_, i) => i % 3 === v).reduce((a, b) => a + b, 0));
        const winner = per.findIndex((x) => 3 * x > 2 * total);
        expect(t.decided).toBe(winner >= 0);
        if (winner >= 0) expect([...t.value!]).toEqual([winner]);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('f < 1/3 Byzantine stake cannot decide; a Sybil swarm without stake weighs nothing; equivocating voters are void', () => {
    const honest = [0, 1, 2].map((i) => keyFor(seed, 300 + i));
    const byz = keyFor(seed, 310);
    const stake = new Map<string, number>([...honest.map((k) => [toHex(k.publicKey), 30] as [string, number]), [toHex(byz.publicKey), 29]]);
    const weightOf = (pk: Uint8Array) => stake.get(toHex(pk)) ?? 0;
    const total = 119;
    expect(tallyVotes([vote(byz, 9)], weightOf, total).decided).toBe(false);
    const sybils = Array.from({ length: 200 }, (_, i) => vote(keyFor(seed, 1000 + i), 9));
    const t = tallyVotes([vote(byz, 9), ...sybils, vote(honest[0]!, 1)], weightOf, total);
    expect(t.decided).toBe(false);
    expect(t.weights.get('09')).toBe(29);
    expect(tallyVotes(honest.map((k) => vote(k, 1)), weightOf, total).decided).toBe(true);
    // A voter casting two values counts for neither.
    const t2 = tallyVotes([...honest.map((k) => vote(k, 1)), vote(honest[0]!, 2, 2)], weightOf, total);
    expect(t2.equivocators).toEqual([toHex(honest[0]!.publicKey)]);
    expect(t2.decided).toBe(false);
  });
});

describe('admission cost (proof of work)', () => {
  it('tokens verify for their key and context only, at their difficulty', () => {
    const k = keyFor(seed, 1);
    const token = solveAdmission(k.publicKey, 'net', 10);
    expect(verifyAdmission(k.publicKey, 'net', token, 10)).toBe(true);
    expect(verifyAdmission(keyFor(seed, 2).publicKey, 'net', token, 10)).toBe(false);
    expect(verifyAdmission(k.publicKey, 'other', token, 10)).toBe(false);
    expect(verifyAdmission(k.publicKey, 'net', token, 40)).toBe(false);
    expect(verifyAdmission(k.publicKey, 'net', new Uint8Array(3), 0)).toBe(false);
  });
});

describe('eclipse guard', () => {
  it('flags a peer set from too few groups and detects root divergence', () => {
    const g = createEclipseGuard({ minGroups: 3, maxGroupShare: 0.5 });
    const ours = new Uint8Array(32).fill(1);
    const theirs = new Uint8Array(32).fill(2);
    for (let i = 0; i < 6; i++) g.observe(`p${i}`, '10.0', theirs);
    let a = g.assess(ours);
    expect(a.diverse).toBe(false);
    expect(a.suspected).toBe(true);
    expect(a.divergent).toHaveLength(6);
    for (let i = 0; i < 6; i++) g.observe(`q${i}`, `20.${i % 3}`, ours);
    a = g.assess(ours);
    expect(a.diverse).toBe(true);
    expect(a.suspected).toBe(false);
    expect(a.divergent).toHaveLength(6);
    expect(a.agreeingGroups).toBe(3);
  });
});
