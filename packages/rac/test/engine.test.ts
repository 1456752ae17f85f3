import { describe, expect, it } from 'vitest';
import { encodeCanonical, toHex } from '@edge/identity';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';
import { createRac, signClaim, signDecision, solveAdmission, verifyInclusion, ClaimRejectedError, type Rac } from '../src/index.js';
import { clock, keyFor } from './helpers.js';

const seed = testSeed();

async function rejection(rac: Rac, bytes: Uint8Array, peer?: string): Promise<string> {
  try {
    await rac.submitClaim(bytes, peer ? { peer } : {});
    return 'accepted';
  } catch (error) {
    expect(ClaimRejectedError.isInstance(error)).toBe(true);
    return (error as ClaimRejectedError).reason;
  }
}

describe('coherence engine', () => {
  it('accepts signed claims once; refuses forgeries, replays, stale claims (counted)', async () => {
    const c = clock();
    const rac = createRac({ now: c.now });
    const k = keyFor(seed, 1);
    const subject = seededBytes(prng(seed), 32);
    const claim = signClaim(k, { ctx: 'task', subject, value: new Uint8Array([1]) }, { ts: c.now() });
    expect(await rejection(rac, claim)).toBe('accepted');
    expect(await rejection(rac, claim)).toBe('replay');
    const forged = Uint8Array.from(claim);
    forged[forged.length - 40]! ^= 1;
    expect(['bad-signature', 'malformed']).toContain(await rejection(rac, forged));
    expect(await rejection(rac, signClaim(k, { ctx: 'task', subject, value: new Uint8Array([1]) }, { ts: c.now() - 10 * 60_000 }))).toBe('stale');
    expect(await rejection(rac, encodeCanonical({ ctx: 'task', subject, value: new Uint8Array(0) }))).toBe('malformed');
    const counters = rac.counters();
    expect(counters['claim.accepted']).toBe(1);
    expect(counters['claim.rejected.replay']).toBe(1);
    expect(counters['claim.rejected.stale']).toBe(1);
    // The accepted claim is in the authenticated log.
    const p = rac.proveClaim(new (await import('../src/index.js')).MerkleLog().root().subarray(0, 0))!;
    expect(p).toBeUndefined();
    const id = (await import('../src/index.js')).contentId(claim);
    const proof = rac.proveClaim(id)!;
    expect(verifyInclusion(claim, proof.index, proof.size, proof.proof, rac.logRoot())).toBe(true);
  });

  it('rate limits a flooding peer and puts it on watch; admission gates new identities', async () => {
    const c = clock();
    const rac = createRac({ now: c.now, adaptive: { initial: { rateLimit: 5, watchThreshold: 3 } }, requireAdmission: true, admissionBits: 6 });
    const k = keyFor(seed, 2);
    const claim = (i: number) => signClaim(k, { ctx: 'task', subject: new Uint8Array([i + 1]), value: new Uint8Array([1]) }, { ts: c.now() });
    expect(await rejection(rac, claim(0), 'peerA')).toBe('not-admitted');
    rac.admit(k.publicKey, solveAdmission(k.publicKey, 'edge-net', 6));
    expect(() => rac.admit(keyFor(seed, 3).publicKey, new Uint8Array(8))).toThrow(/admission/);
    const reasons: string[] = [];
    for (let i = 1; i < 12; i++) reasons.push(await rejection(rac, claim(i), 'peerA'));
    expect(reasons.filter((r) => r === 'accepted')).toHaveLength(4);
    expect(reasons.filter((r) => r === 'rate-limited').length).toBeGreaterThan(0);
    expect(rac.status(new TextEncoder().encode('x')).level).toBe('none');
  });

  it('an author claiming two values for one subject is blocked by its own signatures', async () => {
    const c = clock();
    const rac = createRac({ now: c.now });
    const k = keyFor(seed, 4);
    const subject = new Uint8Array([7]);
    expect(await rejection(rac, signClaim(k, { ctx: 'task', subject, value: new Uint8Array([1]) }, { ts: c.now() }))).toBe('accepted');
    expect(await rejection(rac, signClaim(k, { ctx: 'task', subject, value: new Uint8Array([2]) }, { ts: c.now() }))).toBe('equivocation');
    expect(rac.status(k.publicKey).level).toBe('blocked');
    expect(await rejection(rac, signClaim(k, { ctx: 'task', subject: new Uint8Array([8]), value: new Uint8Array([1]) }, { ts: c.now() }))).toBe('quarantined');
  });

  it('conflicts are resolved by > 2/3 of stake; the losers are quarantined on wrong-result evidence; an authority can release', async () => {
    const c = clock();
    const workers = [0, 1, 2, 3].map((i) => keyFor(seed, 20 + i));
    const stake = new Map(workers.map((w) => [toHex(w.publicKey), 10]));
    const authority = [0, 1, 2, 3].map((i) => keyFor(seed, 40 + i));
    const rac = createRac({ now: c.now, stakeOf: (pk) => stake.get(toHex(pk)) ?? 0, totalStake: () => 40, minWitnesses: 2 });
    rac.authorities.register('task', authority.map((a) => ({ publicKey: a.publicKey, weight: 1 })));
    const subject = new Uint8Array([9]);
    for (let i = 0; i < 4; i++) await rac.submitClaim(signClaim(workers[i]!, { ctx: 'task', subject, value: new Uint8Array([i === 3 ? 2 : 1]) }, { ts: c.now() }));
    expect(rac.conflicts()).toHaveLength(1);
    // With an authority registered for 'task' the electorate is the authority (no member voted).
    const undecided = await rac.resolveConflict('task', subject);
    expect(undecided.decided).toBe(false);
    rac.authorities.unregister('task');
    const t = await rac.resolveConflict('task', subject);
    expect(t.decided).toBe(true);
    expect([...t.value!]).toEqual([1]);
    expect(t.evidence).toHaveLength(1);
    expect(rac.status(workers[3]!.publicKey).level).toBe('quarantined');
    expect(rac.status(workers[0]!.publicKey).level).toBe('none');
    // Release needs a decision of > 2/3 of a registered authority.
    rac.authorities.register('ops', authority.map((a) => ({ publicKey: a.publicKey, weight: 1 })));
    const release = { ctx: 'ops', subject: workers[3]!.publicKey, verdict: 'release', value: new Uint8Array(0) };
    await expect(rac.applyDecision(encodeCanonical(release))).rejects.toMatchObject({ reason: 'unsigned' });
    await expect(rac.applyDecision(signDecision(authority[0]!, release))).rejects.toMatchObject({ reason: 'insufficient-weight' });
    expect(rac.status(workers[3]!.publicKey).level).toBe('quarantined');
    const { combineDecision } = await import('../src/index.js');
    await rac.applyDecision(combineDecision(authority.slice(0, 3).map((a) => signDecision(a, release))));
    expect(rac.status(workers[3]!.publicKey).level).toBe('none');
    expect(rac.counters()['decision.rejected']).toBe(2);
  });

  it('runSecurityAudit scores live counters and configuration', async () => {
    const c = clock();
    const weak = createRac({ now: c.now, replay: { maxAgeMs: 3_600_000 } });
    const members = [0, 1, 2, 3].map((i) => keyFor(seed, 60 + i));
    const strong = createRac({ now: c.now, requireAdmission: true, admissionBits: 16, stakeOf: () => 5 });
    strong.authorities.register('task', members.map((m) => ({ publicKey: m.publicKey, weight: 1 })));
    for (let i = 0; i < 4; i++) strong.eclipse.observe(`p${i}`, `g${i}`);
    const sw = weak.runSecurityAudit();
    const ss = strong.runSecurityAudit();
    expect(ss.score).toBeGreaterThan(sw.score);
    expect(sw.checks.find((x) => x.name === 'replay-window')!.score).toBe(0.5);
    expect(ss.checks.find((x) => x.name === 'sybil-admission')!.score).toBe(1);
    // Live: an eclipse-looking peer set and a flood of fake evidence lower the score.
    for (let i = 0; i < 12; i++) strong.eclipse.observe(`bad${i}`, 'g0');
    for (let i = 0; i < 3; i++) await strong.challenge(new Uint8Array([i])).catch(() => undefined);
    const after = strong.runSecurityAudit();
    expect(after.score).toBeLessThan(ss.score);
    expect(after.checks.find((x) => x.name === 'evidence-quality')!.score).toBe(0);
    expect(after.counters['evidence.rejected']).toBe(3);
    const sum = after.checks.reduce((s, x) => s + x.weight * x.score, 0);
    expect(after.score).toBeCloseTo(sum, 6);
  });
});
