// Unit level: every decoder and schema rejects malformed, oversized, badly signed, wrong-signer,
// replayed, stale and schema-breaking input with its typed error, and a rejected input never
// changes state (the replay guard records nothing). Randomized with fast-check under TEST_SEED.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as v from 'valibot';
import { PiKey, IdentityError, createReplayGuard, decodeCanonical, encodeCanonical, seal } from '@edge/identity';
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id';
import { testSeed } from '@edge/tooling/seed';
import {
  ADVERTS_TOPIC,
  ERROR_TYPE,
  LEDGER_SYNC,
  LEDGER_TOPIC,
  NetError,
  RAC_EVIDENCE_TOPIC,
  decodeMessage,
  defineProtocol,
  encodeMessage,
  peerIdOf,
  publicKeyOf,
  type MessageMap,
  type ReplayWindow,
} from '../src/index.js';

const seed = testSeed();
const NOW = 1_750_000_000_000;
const alice = PiKey.fromSeed(new Uint8Array(32).fill(1));
const mallory = PiKey.fromSeed(new Uint8Array(32).fill(2));

const messages = {
  'test.offer': v.strictObject({
    task: v.picklist(['vector_search', 'embedding']),
    k: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)),
    payload: v.pipe(v.custom<Uint8Array>((x) => x instanceof Uint8Array), v.maxLength(512)),
  }),
} satisfies MessageMap;
const good = { task: 'vector_search', k: 10, payload: new Uint8Array([1, 2, 3]) };
const MAX = 2048;

function window(): ReplayWindow {
  return { guard: createReplayGuard({ now: () => NOW }), maxAgeMs: 120_000, maxFutureMs: 30_000, now: () => NOW };
}

function sealed(signer: PiKey, body: unknown, type = 'test.offer', ts = NOW): Uint8Array {
  return seal(signer, type, body, { ts, maxSize: 1 << 20 });
}

/** Runs decode and returns the code of the typed error it threw (fails on anything untyped). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (NetError.isInstance(error) || IdentityError.isInstance(error)) return error.code;
    throw new Error(`untyped error escaped: ${String(error)}`);
  }
  return 'ACCEPTED';
}

const fcOpts = (numRuns: number) => ({ seed, numRuns });

describe('decodeMessage', () => {
  it('accepts a good message and reports its signer in both forms', async () => {
    const w = window();
    const m = await decodeMessage(sealed(alice, good), messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey });
    expect(m.type).toBe('test.offer');
    expect(m.body).toEqual(good);
    expect(m.signer).toBe(peerIdOf(alice.publicKey));
    expect(m.from).toEqual(alice.publicKey);
    expect(w.guard.size).toBe(1);
  });

  it('rejects random bytes with typed errors and records nothing', async () => {
    const w = window();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
        const code = await codeOf(decodeMessage(bytes, messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey }));
        expect(['ERR_MESSAGE_TOO_LARGE', 'ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_NON_CANONICAL']).toContain(code);
        if (bytes.length > MAX) expect(code).toBe('ERR_MESSAGE_TOO_LARGE');
      }),
      fcOpts(400),
    );
    expect(w.guard.size).toBe(0);
  });

  it('rejects random CBOR values (well-formed, wrong shape)', async () => {
    const w = window();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeCanonical(value);
        } catch {
          return;
        }
        const code = await codeOf(decodeMessage(bytes, messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey }));
        expect(code).not.toBe('ACCEPTED');
      }),
      fcOpts(300),
    );
    expect(w.guard.size).toBe(0);
  });

  it('rejects every single-byte mutation of a valid message', async () => {
    const bytes = sealed(alice, good);
    const w = window();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const mutated = bytes.slice();
        mutated[i] ^= x;
        const code = await codeOf(decodeMessage(mutated, messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey }));
        expect(code).not.toBe('ACCEPTED');
      }),
      fcOpts(500),
    );
    expect(w.guard.size).toBe(0);
  });

  it('rejects bad signatures (ERR_ENVELOPE_BAD_SIGNATURE)', async () => {
    const w = window();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 511 }), async (bit) => {
        const env = decodeCanonical(sealed(alice, good));
        if (!env.ok) throw new Error('unreachable');
        const record = env.value as Record<string, Uint8Array>;
        const sig = record.sig!.slice();
        sig[bit >> 3] ^= 1 << (bit & 7);
        const forged = encodeCanonical({ ...record, sig });
        const code = await codeOf(decodeMessage(forged, messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey }));
        expect(code).toBe('ERR_ENVELOPE_BAD_SIGNATURE');
      }),
      fcOpts(64),
    );
    // A body changed under a valid signature is a bad signature too.
    const env = decodeCanonical(sealed(alice, good));
    const record = (env as { value: Record<string, unknown> }).value;
    const swapped = encodeCanonical({ ...record, body: { ...good, k: 99 } });
    expect(await codeOf(decodeMessage(swapped, messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey }))).toBe('ERR_ENVELOPE_BAD_SIGNATURE');
    expect(w.guard.size).toBe(0);
  });

  it('rejects a message signed by someone other than the sending peer, unless allowed', async () => {
    const w = window();
    const bytes = sealed(mallory, good);
    expect(await codeOf(decodeMessage(bytes, messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey }))).toBe('ERR_ENVELOPE_WRONG_SIGNER');
    expect(await codeOf(decodeMessage(bytes, messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey, allowSigner: () => false }))).toBe(
      'ERR_ENVELOPE_WRONG_SIGNER',
    );
    expect(w.guard.size).toBe(0);
    const m = await decodeMessage(bytes, messages, { maxBytes: MAX, replay: w, expectFrom: alice.publicKey, allowSigner: (s) => peerIdOf(s) === peerIdOf(mallory.publicKey) });
    expect(m.signer).toBe(peerIdOf(mallory.publicKey));
  });

  it('rejects replays, stale and future messages', async () => {
    const w = window();
    const bytes = sealed(alice, good);
    const opts = { maxBytes: MAX, replay: w, expectFrom: alice.publicKey };
    expect(await codeOf(decodeMessage(bytes, messages, opts))).toBe('ACCEPTED');
    expect(await codeOf(decodeMessage(bytes, messages, opts))).toBe('ERR_REPLAY');
    expect(await codeOf(decodeMessage(sealed(alice, good, 'test.offer', NOW - 121_000), messages, opts))).toBe('ERR_STALE');
    expect(await codeOf(decodeMessage(sealed(alice, good, 'test.offer', NOW + 31_000), messages, opts))).toBe('ERR_FUTURE');
    expect(w.guard.size).toBe(1);
  });

  it('rejects unknown types (ERR_ENVELOPE_TYPE) and oversized messages (ERR_MESSAGE_TOO_LARGE)', async () => {
    const w = window();
    const opts = { maxBytes: MAX, replay: w, expectFrom: alice.publicKey };
    expect(await codeOf(decodeMessage(sealed(alice, good, 'test.other'), messages, opts))).toBe('ERR_ENVELOPE_TYPE');
    const big = sealed(alice, { ...good, payload: new Uint8Array(4000) });
    expect(await codeOf(decodeMessage(big, messages, opts))).toBe('ERR_MESSAGE_TOO_LARGE');
    expect(w.guard.size).toBe(0);
  });

  it('rejects validly signed bodies that break the schema (ERR_SCHEMA) without burning the nonce', async () => {
    const w = window();
    const body = fc.record(
      {
        task: fc.oneof(fc.constantFrom('vector_search', 'embedding', 'lora', ''), fc.string(), fc.integer()),
        k: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double({ noNaN: true }), fc.string()),
        payload: fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.string(), fc.constant(null)),
        extra: fc.string(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        let bytes: Uint8Array;
        try {
          bytes = sealed(alice, b);
        } catch {
          return; // not representable in canonical CBOR (e.g. integral floats); seal refuses it
        }
        const before = w.guard.size;
        const ok = v.safeParse(messages['test.offer'], b).success;
        const code = await codeOf(decodeMessage(bytes, messages, { maxBytes: 1 << 20, replay: w, expectFrom: alice.publicKey }));
        expect(code).toBe(ok ? 'ACCEPTED' : 'ERR_SCHEMA');
        expect(w.guard.size).toBe(before + (ok ? 1 : 0));
      }),
      fcOpts(400),
    );
  });

  it('fuzzes every built-in message map: only typed errors escape', async () => {
    const maps: Array<[string, MessageMap, number]> = [
      ['adverts', ADVERTS_TOPIC.messages, ADVERTS_TOPIC.maxBytes],
      ['ledger', LEDGER_TOPIC.messages, LEDGER_TOPIC.maxBytes],
      ['rac', RAC_EVIDENCE_TOPIC.messages, RAC_EVIDENCE_TOPIC.maxBytes],
      ['ledger-sync', LEDGER_SYNC.messages, LEDGER_SYNC.maxBytes],
    ];
    const w = window();
    for (const [, map, max] of maps) {
      const types = Object.keys(map);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...types), fc.anything({ withTypedArray: true, maxDepth: 3 }), async (type, body) => {
          let bytes: Uint8Array;
          try {
            bytes = sealed(alice, body, type);
          } catch {
            return;
          }
          const code = await codeOf(decodeMessage(bytes, map, { maxBytes: max, replay: w, expectFrom: alice.publicKey }));
          expect(['ACCEPTED', 'ERR_SCHEMA', 'ERR_MESSAGE_TOO_LARGE']).toContain(code);
        }),
        fcOpts(150),
      );
    }
  });

  it('encodeMessage refuses bodies that break the schema or the size limit, before signing', async () => {
    await expect(encodeMessage(alice, messages, 'test.offer', { ...good, k: 0 }, MAX)).rejects.toMatchObject({ code: 'ERR_SCHEMA' });
    await expect(encodeMessage(alice, messages, 'test.nope' as 'test.offer', good, MAX)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const huge = v.strictObject({ blob: v.custom<Uint8Array>((x) => x instanceof Uint8Array) });
    await expect(encodeMessage(alice, { 'test.blob': huge }, 'test.blob', { blob: new Uint8Array(5000) }, MAX)).rejects.toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' });
  });

  it('defineProtocol reserves the error reply type and checks its inputs', () => {
    expect(() => defineProtocol({ id: 'no-slash', requests: messages, responses: messages })).toThrow(NetError);
    expect(() => defineProtocol({ id: '/x/1', requests: messages, responses: { [ERROR_TYPE]: messages['test.offer'] } })).toThrow(/reserved/);
    expect(() => defineProtocol({ id: '/x/1', requests: {}, responses: messages })).toThrow(NetError);
    expect(() => defineProtocol({ id: '/x/1', requests: { 'Bad Type': messages['test.offer'] }, responses: messages })).toThrow(NetError);
  });
});

describe('one identity: peer id <-> Pi public key', () => {
  it('the libp2p key made from the Pi-Key seed has the Pi public key and peer id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (s) => {
        const pi = PiKey.fromSeed(s);
        const lk = await generateKeyPairFromSeed('Ed25519', s.slice());
        expect(lk.publicKey.raw).toEqual(pi.publicKey);
        const pid = peerIdFromPublicKey(lk.publicKey).toString();
        expect(peerIdOf(pi.publicKey)).toBe(pid);
        expect(publicKeyOf(pid)).toEqual(pi.publicKey);
      }),
      fcOpts(40),
    );
  });

  it('rejects peer ids that are not Ed25519 or not peer ids', async () => {
    expect(() => publicKeyOf('not-a-peer-id')).toThrow(expect.objectContaining({ code: 'ERR_BAD_PEER_ID' }));
    const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString();
    expect(() => publicKeyOf(secp)).toThrow(expect.objectContaining({ code: 'ERR_BAD_PEER_ID', message: expect.stringContaining('not an Ed25519') }));
    expect(() => peerIdOf(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
