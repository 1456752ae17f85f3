import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createReplayGuard,
  decodeCanonical,
  encodeCanonical,
  IdentityError,
  open,
  openBatch,
  openSync,
  parseUnverified,
  PiKey,
  seal,
  sealAsync,
  type Envelope,
} from '../src/index.js';
import { SEED } from './helpers.js';

const alice = PiKey.generate();
const bob = PiKey.generate();
const T0 = 1_750_000_000_000;
const clock = (t: number) => () => t;

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    if (IdentityError.isInstance(error)) return error.code;
    throw error;
  }
  return 'OK';
}

/** Re-encodes a decoded envelope after `edit`, keeping canonical CBOR (signature untouched). */
function reencode(bytes: Uint8Array, edit: (m: Record<string, unknown>) => void): Uint8Array {
  const d = decodeCanonical(bytes);
  if (!d.ok) throw new Error('fixture');
  const m = { ...(d.value as Record<string, unknown>) };
  edit(m);
  return encodeCanonical(m);
}

describe(`signed envelope (seed ${SEED})`, () => {
  const body = { task: 'vector_search', k: 10, q: new Uint8Array([1, 2, 3]), tags: ['a', 'b'], nested: { x: -5 } };

  it('round-trips on the sync, async and batch paths with identical bytes', async () => {
    const nonce = new Uint8Array(16).fill(7);
    const a = seal(alice, 'edge.test', body, { ts: T0, nonce });
    const b = await sealAsync(alice, 'edge.test', body, { ts: T0, nonce });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const env = await open<typeof body>(a, { now: clock(T0) });
    expect(env.type).toBe('edge.test');
    expect(env.ts).toBe(T0);
    expect(Buffer.from(env.from).equals(Buffer.from(alice.publicKey))).toBe(true);
    expect(env.body).toEqual(body);
    expect(openSync(a).body).toEqual(body);
    const [batched] = await openBatch([a]);
    expect((batched as Envelope).body).toEqual(body);
  });

  it('rejects each attack with its own error code', async () => {
    const guard = () => createReplayGuard({ now: clock(T0), maxAgeMs: 60_000, maxFutureMs: 5_000 });
    const good = seal(alice, 'edge.test', body, { ts: T0 });
    const codes: Record<string, string> = {};

    codes.tamperedBody = await codeOf(open(reencode(good, (m) => ((m.body as Record<string, unknown>) = { ...body, k: 11 })), { guard: guard() }));
    codes.substitutedFrom = await codeOf(open(reencode(good, (m) => (m.from = bob.publicKey)), { guard: guard() }));
    codes.wrongSigner = await codeOf(open(good, { guard: guard(), expectFrom: bob.publicKey }));
    codes.oversized = await codeOf(open(seal(alice, 'edge.test', { blob: new Uint8Array(5000) }, { ts: T0 }), { guard: guard(), maxSize: 4096 }));
    // Non-canonical: the same map with v encoded as 0x18 0x01 (a one-byte integer in two bytes).
    const vAt = Buffer.from(good).indexOf(Buffer.from([0x61, 0x76, 0x01]));
    expect(vAt).toBeGreaterThan(0);
    const nonCanonical = new Uint8Array([...good.subarray(0, vAt + 2), 0x18, 0x01, ...good.subarray(vAt + 3)]);
    codes.nonCanonical = await codeOf(open(nonCanonical, { guard: guard() }));
    const unsorted = new Uint8Array([0xa2, 0x61, 0x76, 0x01, 0x61, 0x61, 0x01]); // {"v":1,"a":1}: keys out of order
    codes.unsortedKeys = await codeOf(open(unsorted, { guard: guard() }));
    const g = guard();
    await open(good, { guard: g });
    codes.replayed = await codeOf(open(good, { guard: g }));
    codes.stale = await codeOf(open(seal(alice, 'edge.test', body, { ts: T0 - 61_000 }), { guard: guard() }));
    codes.future = await codeOf(open(seal(alice, 'edge.test', body, { ts: T0 + 6_000 }), { guard: guard() }));
    codes.wrongType = await codeOf(open(good, { guard: guard(), types: ['edge.other'] }));
    codes.version = await codeOf(open(reencode(good, (m) => (m.v = 2)), { guard: guard() }));
    codes.extraField = await codeOf(open(reencode(good, (m) => (m.x = 1)), { guard: guard() }));
    codes.garbage = await codeOf(open(new Uint8Array([0xff, 0x00, 0x13]), { guard: guard() }));

    expect(codes).toEqual({
      tamperedBody: 'ERR_ENVELOPE_BAD_SIGNATURE',
      substitutedFrom: 'ERR_ENVELOPE_BAD_SIGNATURE',
      wrongSigner: 'ERR_ENVELOPE_WRONG_SIGNER',
      oversized: 'ERR_ENVELOPE_TOO_LARGE',
      nonCanonical: 'ERR_ENVELOPE_NON_CANONICAL',
      unsortedKeys: 'ERR_ENVELOPE_NON_CANONICAL',
      replayed: 'ERR_REPLAY',
      stale: 'ERR_STALE',
      future: 'ERR_FUTURE',
      wrongType: 'ERR_ENVELOPE_TYPE',
      version: 'ERR_ENVELOPE_VERSION',
      extraField: 'ERR_ENVELOPE_MALFORMED',
      garbage: 'ERR_ENVELOPE_MALFORMED',
    });
  });

  it('a forged envelope does not burn the real sender\'s nonce', async () => {
    const g = createReplayGuard({ now: clock(T0) });
    const real = seal(alice, 'edge.test', body, { ts: T0 });
    const forged = reencode(real, (m) => (m.body = 'forged'));
    expect(await codeOf(open(forged, { guard: g }))).toBe('ERR_ENVELOPE_BAD_SIGNATURE');
    expect(await codeOf(open(real, { guard: g }))).toBe('OK');
  });

  it('batch open reports per item and treats a duplicate inside the batch as a replay', async () => {
    const g = createReplayGuard({ now: clock(T0) });
    const a = seal(alice, 'edge.test', 1, { ts: T0 });
    const b = seal(bob, 'edge.test', 2, { ts: T0 });
    const bad = reencode(b, (m) => (m.body = 3));
    const out = await openBatch([a, bad, b, a], { guard: g });
    expect(out.map((r) => (r instanceof Error ? (r as IdentityError).code : (r as Envelope).body))).toEqual([1, 'ERR_ENVELOPE_BAD_SIGNATURE', 2, 'ERR_REPLAY']);
  });

  it('refuses to seal bodies that have no canonical form, and bad type names', () => {
    expect(() => seal(alice, 'edge.test', { f: 1.0 + 0.5 })).not.toThrow();
    expect(() => seal(alice, 'edge.test', { u: undefined })).toThrow(IdentityError);
    expect(() => seal(alice, 'Bad Type', 1)).toThrow(IdentityError);
    expect(() => seal(alice, 'edge.test', () => 1)).toThrow(IdentityError);
  });

  it('fuzz: random bytes never open and only throw typed errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const code = await codeOf(open(bytes));
        expect(code).not.toBe('OK');
      }),
      { seed: SEED, numRuns: 4000 },
    );
  });

  it('fuzz: mutated valid envelopes open only when unchanged, and only throw typed errors', async () => {
    const valid = seal(alice, 'edge.fuzz', { a: [1, 2, 3], b: new Uint8Array(8), c: 'text' }, { ts: T0 });
    const mutation = fc.array(fc.tuple(fc.nat({ max: valid.length + 8 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), {
      minLength: 1,
      maxLength: 4,
    });
    await fc.assert(
      fc.asyncProperty(mutation, async (ops) => {
        const arr = [...valid];
        for (const [pos, val, op] of ops) {
          const i = Math.min(pos, arr.length);
          if (op === 'set' && i < arr.length) arr[i] = val;
          else if (op === 'insert') arr.splice(i, 0, val);
          else if (op === 'delete' && i < arr.length) arr.splice(i, 1);
        }
        const bytes = new Uint8Array(arr);
        const code = await codeOf(open(bytes));
        if (code === 'OK') expect(Buffer.from(bytes).equals(Buffer.from(valid))).toBe(true);
        const syncCode = await codeOf(() => openSync(bytes));
        expect(syncCode).toBe(code);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

describe(`ReplayGuard (seed ${SEED})`, () => {
  it('keeps memory bounded and never accepts a pair twice, even after eviction', () => {
    let now = T0;
    const g = createReplayGuard({ now: () => now, maxEntries: 500, maxAgeMs: 3_600_000 });
    const sender = alice.publicKey;
    const accepted: [Uint8Array, number][] = [];
    for (let i = 0; i < 5000; i++) {
      now += 10;
      const nonce = new Uint8Array(16);
      new DataView(nonce.buffer).setUint32(0, i);
      const ts = now - ((i * 7919) % 2000); // out of order within a window
      try {
        g.accept(sender, nonce, ts);
        accepted.push([nonce, ts]);
      } catch (error) {
        expect((error as IdentityError).code).toBe('ERR_STALE');
      }
      expect(g.size).toBeLessThanOrEqual(500);
    }
    expect(accepted.length).toBeGreaterThan(2500);
    for (const [nonce, ts] of accepted) {
      expect(() => g.accept(sender, nonce, ts)).toThrow(IdentityError);
    }
  });

  it('expires entries that leave the window and enforces both edges of it', () => {
    let now = T0;
    const g = createReplayGuard({ now: () => now, maxAgeMs: 1000, maxFutureMs: 100 });
    for (let i = 0; i < 100; i++) g.accept(alice.publicKey, new Uint8Array(16).fill(i), now);
    expect(g.size).toBe(100);
    now += 2000;
    g.accept(alice.publicKey, new Uint8Array(16).fill(200), now);
    expect(g.size).toBe(1);
    expect(() => g.checkTime(now - 1001)).toThrow(expect.objectContaining({ code: 'ERR_STALE' }));
    expect(() => g.checkTime(now + 101)).toThrow(expect.objectContaining({ code: 'ERR_FUTURE' }));
    expect(() => g.checkTime(now + 100)).not.toThrow();
    // Same nonce from another sender is a different message.
    g.accept(bob.publicKey, new Uint8Array(16).fill(200), now);
    expect(() => g.accept(bob.publicKey, new Uint8Array(16).fill(200), now)).toThrow(expect.objectContaining({ code: 'ERR_REPLAY' }));
  });
});

describe('returned bytes', () => {
  it('are plain Uint8Arrays (never Node Buffers) from seal, sealAsync and encodeCanonical', async () => {
    const k = PiKey.generate();
    for (const b of [seal(k, 'edge.x', { a: new Uint8Array(300) }), await sealAsync(k, 'edge.x', 'y'), encodeCanonical({ big: new Uint8Array(5000) })]) {
      expect(b.constructor).toBe(Uint8Array);
    }
  });
});

describe('parseUnverified', () => {
  it('returns the bytes the signature covers, and authenticates nothing by itself', () => {
    const k = PiKey.generate();
    const bytes = seal(k, 'edge.x', { n: 1 });
    const { envelope, signedMessage } = parseUnverified(bytes);
    expect(PiKey.verify(signedMessage, envelope.sig, envelope.from)).toBe(true);
    const forged = encodeCanonical({ ...(decodeCanonical(bytes) as { value: Record<string, unknown> }).value, body: { n: 2 } });
    const p = parseUnverified(forged);
    expect(p.envelope.body).toEqual({ n: 2 });
    expect(PiKey.verify(p.signedMessage, p.envelope.sig, p.envelope.from)).toBe(false);
    expect(() => parseUnverified(new Uint8Array([1, 2, 3]))).toThrow(IdentityError);
  });
});
