import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeCanonical, seal, toHex, type Signer } from '@edge/identity';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';
import {
  decodeEvidence,
  equivocationEvidence,
  nonceReuseEvidence,
  signClaim,
  timeoutEvidence,
  verifyEvidence,
  verifyEvidenceSync,
  wrongResultEvidence,
  contentId,
  TIMEOUT_CTX,
  EvidenceError,
  openClaimSync,
} from '../src/index.js';
import { keyFor } from './helpers.js';

const seed = testSeed();
const rand = prng(seed);
const b32 = () => seededBytes(rand, 32);
const T = 1_700_000_000_000;
const [accused, w1, w2, w3, other] = [0, 1, 2, 3, 4].map((i) => keyFor(seed, i));

async function reason(bytes: Uint8Array, opts = {}): Promise<string> {
  try {
    await verifyEvidence(bytes, opts);
    return 'verified';
  } catch (error) {
    expect(EvidenceError.isInstance(error)).toBe(true);
    return (error as EvidenceError).reason;
  }
}

describe('evidence', () => {
  const subject = b32();
  const claimA = signClaim(accused!, { ctx: 'task', subject, value: b32() }, { ts: T });
  const claimB = signClaim(accused!, { ctx: 'task', subject, value: b32() }, { ts: T + 1 });
  const agreed = b32();
  const wit = [w1!, w2!, w3!].map((k) => signClaim(k, { ctx: 'task', subject, value: agreed }, { ts: T + 2 }));

  it('equivocation: two values for one slot, either order, one fault key', async () => {
    const e1 = await verifyEvidence(equivocationEvidence(claimA, claimB));
    const e2 = verifyEvidenceSync(equivocationEvidence(claimB, claimA));
    expect(e1.fault).toBe('equivocation');
    expect(toHex(e1.accused)).toBe(toHex(accused!.publicKey));
    expect(e1.faultKey).toBe(e2.faultKey);
    expect(toHex(e1.id)).toBe(toHex(e2.id));
  });

  it('equivocation fakes are refused with their reason', async () => {
    expect(await reason(encodeCanonical({ v: 1, kind: 'equivocation', a: claimA, b: claimA }))).toBe('non-canonical');
    const byOther = signClaim(other!, { ctx: 'task', subject, value: b32() }, { ts: T });
    expect(await reason(equivocationEvidence(claimA, byOther))).toBe('different-authors');
    const otherSubject = signClaim(accused!, { ctx: 'task', subject: b32(), value: b32() }, { ts: T });
    expect(await reason(equivocationEvidence(claimA, otherSubject))).toBe('different-slots');
    const sameBody = signClaim(accused!, { ctx: 'task', subject, value: new Uint8Array(0) }, { ts: T });
    const sameBody2 = signClaim(accused!, { ctx: 'task', subject, value: new Uint8Array(0) }, { ts: T + 5 });
    expect(await reason(equivocationEvidence(sameBody, sameBody2))).toBe('same-body');
    const unsequenced = [seal(accused!, 'misc/thing', { x: 1 }, { ts: T }), seal(accused!, 'misc/thing', { x: 2 }, { ts: T })];
    expect(await reason(equivocationEvidence(unsequenced[0]!, unsequenced[1]!))).toBe('not-sequenced');
    // A forged second claim in the accused's name.
    const impostor: Signer = { publicKey: accused!.publicKey, sign: (m) => other!.sign(m), signAsync: (m) => other!.signAsync(m) };
    const forged = signClaim(impostor, { ctx: 'task', subject, value: b32() }, { ts: T });
    expect(await reason(equivocationEvidence(claimA, forged))).toBe('bad-signature');
  });

  it('wrong result: proven by independent witnesses that agree on another value', async () => {
    const ev = await verifyEvidence(wrongResultEvidence(claimA, wit));
    expect(ev.fault).toBe('wrong-result');
    expect(ev.witnesses).toHaveLength(3);
    // With stake: witnesses must hold more than twice the accused's stake.
    const stake = new Map([[toHex(accused!.publicKey), 100], [toHex(w1!.publicKey), 40], [toHex(w2!.publicKey), 40], [toHex(w3!.publicKey), 40]]);
    const stakeOf = (pk: Uint8Array) => stake.get(toHex(pk)) ?? 0;
    expect(await reason(wrongResultEvidence(claimA, wit), { stakeOf })).toBe('witness-stake');
    stake.set(toHex(w3!.publicKey), 200);
    expect(await reason(wrongResultEvidence(claimA, wit), { stakeOf, minWitnessStake: 1000 })).toBe('witness-stake');
    expect(await reason(wrongResultEvidence(claimA, wit), { stakeOf })).toBe('verified');
  });

  it('wrong-result fakes are refused with their reason', async () => {
    expect(await reason(wrongResultEvidence(claimA, wit.slice(0, 1)))).toBe('too-few-witnesses');
    const selfWitness = signClaim(accused!, { ctx: 'task', subject, value: agreed }, { ts: T + 3 });
    expect(await reason(wrongResultEvidence(claimA, [wit[0]!, selfWitness]))).toBe('witness-not-independent');
    const disagree = signClaim(w3!, { ctx: 'task', subject, value: b32() }, { ts: T + 2 });
    expect(await reason(wrongResultEvidence(claimA, [wit[0]!, wit[1]!, disagree]))).toBe('witness-disagree');
    const agreeWithAccused = [w1!, w2!].map((k) => signClaim(k, { ctx: 'task', subject, value: openClaimSync(claimA).value }, { ts: T + 2 }));
    expect(await reason(wrongResultEvidence(claimA, agreeWithAccused))).toBe('not-wrong');
    const offSubject = [w1!, w2!].map((k) => signClaim(k, { ctx: 'task', subject: b32(), value: agreed }, { ts: T + 2 }));
    expect(await reason(wrongResultEvidence(claimA, offSubject))).toBe('witness-off-subject');
    expect(await reason(encodeCanonical({ v: 1, kind: 'wrong-result', a: claimA, w: [...wit].sort(byBytes).reverse() }))).toBe('non-canonical');
  });

  it('timeout: witnesses signed after the deadline of an accepted task', async () => {
    const accept = signClaim(accused!, { ctx: 'task/accept', subject, value: new Uint8Array(0), deadline: T + 1000 }, { ts: T });
    const late = [w1!, w2!].map((k) => signClaim(k, { ctx: TIMEOUT_CTX, subject: contentId(accept), value: new Uint8Array(0) }, { ts: T + 2000 }));
    expect((await verifyEvidence(timeoutEvidence(accept, late))).fault).toBe('timeout');
    const early = [w1!, w2!].map((k) => signClaim(k, { ctx: TIMEOUT_CTX, subject: contentId(accept), value: new Uint8Array(0) }, { ts: T + 500 }));
    expect(await reason(timeoutEvidence(accept, early))).toBe('not-late');
    expect(await reason(timeoutEvidence(claimA, late))).toBe('no-deadline');
  });

  it('nonce reuse is a protocol violation', async () => {
    const nonce = seededBytes(rand, 16);
    const a = seal(accused!, 'misc/x', { n: 1 }, { ts: T, nonce });
    const b = seal(accused!, 'misc/y', { n: 2 }, { ts: T, nonce });
    expect((await verifyEvidence(nonceReuseEvidence(a, b))).fault).toBe('protocol-violation');
    const c = seal(accused!, 'misc/y', { n: 2 }, { ts: T });
    expect(await reason(nonceReuseEvidence(a, c))).toBe('different-nonces');
  });

  it('decoders never throw anything but EvidenceError (fuzz)', async () => {
    const samples = [equivocationEvidence(claimA, claimB), wrongResultEvidence(claimA, wit)];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, p, v]) => {
            const s = samples[i % 2]!.slice();
            s[p % s.length] = v;
            return s;
          }),
        ),
        async (bytes) => {
          const r = await reason(bytes);
          expect(typeof r).toBe('string');
          try {
            decodeEvidence(bytes);
          } catch (error) {
            expect(EvidenceError.isInstance(error)).toBe(true);
          }
        },
      ),
      { seed, numRuns: 400 },
    );
  });
});


function byBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
