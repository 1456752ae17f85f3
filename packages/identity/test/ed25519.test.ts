import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import vectors from './vectors/rfc8032-ed25519.json' with { type: 'json' };
import { createVerifier, nativeEd25519Available, PiKey, publicKeyFromSeed, webCryptoEd25519Available, InvalidArgumentError } from '../src/index.js';
import { importPrivateKey } from '../src/ed25519.js';
import { SEED, bytes, hex, unhex, nodePublicKey, nodeSignEd25519, nodeVerifyEd25519, rand } from './helpers.js';

const noble = createVerifier({ backend: 'noble' });
const web = createVerifier({ backend: 'webcrypto' });
const nat = createVerifier({ backend: 'native' });
const auto = createVerifier();

async function webSign(seed: Uint8Array, msg: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, await importPrivateKey(seed), msg.slice()));
}
const Point = ed25519.Point;
const L = Point.Fn.ORDER;

describe(`Ed25519 (seed ${SEED})`, () => {
  it('WebCrypto and native Ed25519 are available on this platform (Node 20), and auto picks native', async () => {
    expect(await webCryptoEd25519Available()).toBe(true);
    expect(nativeEd25519Available()).toBe(true);
    expect(auto.backend).toBe('native');
    expect(noble.backend).toBe('noble');
  });

  it.each(vectors.vectors)('RFC 8032 $name: public key, signature and verification', async (v) => {
    const key = PiKey.fromSeed(unhex(v.secretKey));
    const msg = unhex(v.message);
    expect(hex(key.getPublicKey())).toBe(v.publicKey);
    expect(hex(key.sign(msg))).toBe(v.signature);
    expect(hex(await key.signAsync(msg))).toBe(v.signature);
    expect(hex(ed25519.sign(msg, unhex(v.secretKey)))).toBe(v.signature);
    expect(hex(await webSign(unhex(v.secretKey), msg))).toBe(v.signature);
    expect(nat.verify(unhex(v.signature), msg, unhex(v.publicKey))).toBe(true);
    expect(noble.verify(unhex(v.signature), msg, unhex(v.publicKey))).toBe(true);
    expect(await web.verifyAsync(unhex(v.signature), msg, unhex(v.publicKey))).toBe(true);
  });

  it('noble, WebCrypto, the native path and node:crypto agree on keys, signatures and verdicts for random inputs', async () => {
    for (let i = 0; i < 64; i++) {
      const seed = bytes(32);
      const msg = bytes(Math.floor(rand() * 300));
      const key = PiKey.fromSeed(seed);
      const pub = key.getPublicKey();
      expect(hex(pub)).toBe(hex(nodePublicKey(seed)));
      const sig = key.sign(msg);
      expect(hex(await key.signAsync(msg))).toBe(hex(sig));
      expect(hex(nodeSignEd25519(seed, msg))).toBe(hex(sig));
      expect(hex(ed25519.sign(msg, seed))).toBe(hex(sig));
      expect(hex(await webSign(seed, msg))).toBe(hex(sig));

      const cases: [Uint8Array, Uint8Array, Uint8Array][] = [[sig, msg, pub]];
      const badSig = sig.slice();
      badSig[Math.floor(rand() * 64)]! ^= 1 << Math.floor(rand() * 8);
      cases.push([badSig, msg, pub]);
      const badMsg = msg.length > 0 ? msg.slice() : new Uint8Array([1]);
      badMsg[0]! ^= 0x80;
      cases.push([sig, badMsg, pub]);
      cases.push([sig, msg, PiKey.fromSeed(bytes(32)).getPublicKey()]);
      cases.push([bytes(64), msg, pub]);
      for (const [s, m, p] of cases) {
        const expected = nodeVerifyEd25519(s, m, p);
        expect(noble.verify(s, m, p)).toBe(expected);
        expect(await noble.verifyAsync(s, m, p)).toBe(expected);
        expect(await web.verifyAsync(s, m, p)).toBe(expected);
        expect(nat.verify(s, m, p)).toBe(expected);
        expect(await auto.verifyAsync(s, m, p)).toBe(expected);
      }
      expect(await web.verifyBatch(cases.map(([signature, message, publicKey]) => ({ signature, message, publicKey })))).toEqual(
        cases.map(([s, m, p]) => nodeVerifyEd25519(s, m, p)),
      );
    }
  });

  it('rejects a malleated signature (S + L) on every path', async () => {
    const key = PiKey.generate();
    const msg = bytes(40);
    const sig = key.sign(msg);
    const S = bytesToNumberLE(sig.subarray(32));
    const mall = sig.slice();
    mall.set(numberToBytesLE(S + L, 32), 32);
    expect(nodeVerifyEd25519(mall, msg, key.publicKey)).toBe(false);
    expect(noble.verify(mall, msg, key.publicKey)).toBe(false);
    expect(await web.verifyAsync(mall, msg, key.publicKey)).toBe(false);
    expect(nat.verify(mall, msg, key.publicKey)).toBe(false);
  });

  it('uses the cofactorless equation: a torsioned R accepted by cofactored verifiers is rejected', async () => {
    // The signer crafts R = rB + T with T of order 8: [8]([S]B - [k]A - R) = 0 but [S]B - [k]A != R.
    const seed = bytes(32);
    const { scalar: a, pointBytes: publicKey } = ed25519.utils.getExtendedPublicKey(seed);
    const msg = bytes(20);
    const T = Point.fromBytes(unhex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'), true); // order 8
    expect(T.multiply(8n).is0()).toBe(true);
    const r = 12345678901234567890n;
    const R = Point.BASE.multiply(r).add(T);
    const Rb = R.toBytes();
    const k = Point.Fn.create(bytesToNumberLE(sha512(new Uint8Array([...Rb, ...publicKey, ...msg]))));
    const S = Point.Fn.create(r + k * a);
    const sig = new Uint8Array([...Rb, ...numberToBytesLE(S, 32)]);
    expect(ed25519.verify(sig, msg, publicKey)).toBe(true); // noble's default (cofactored, ZIP-215) accepts
    expect(nodeVerifyEd25519(sig, msg, publicKey)).toBe(false); // OpenSSL (cofactorless) rejects
    expect(noble.verify(sig, msg, publicKey)).toBe(false);
    expect(await web.verifyAsync(sig, msg, publicKey)).toBe(false);
    expect(nat.verify(sig, msg, publicKey)).toBe(false);
  });

  it('rejects small-order and non-canonical public keys on every path', async () => {
    const identity = new Uint8Array(32);
    identity[0] = 1; // the neutral point: [S]B - [k]A = R holds for S = 0, R = identity
    const sig = new Uint8Array(64);
    sig.set(identity, 0);
    const msg = new Uint8Array([1, 2, 3]);
    expect(noble.verify(sig, msg, identity)).toBe(false);
    expect(await web.verifyAsync(sig, msg, identity)).toBe(false);
    expect(nat.verify(sig, msg, identity)).toBe(false);
    const nonCanonical = new Uint8Array(32).fill(0xff);
    nonCanonical[0] = 0xed;
    nonCanonical[31] = 0x7f; // y = p, not reduced
    expect(noble.verify(bytes(64), msg, nonCanonical)).toBe(false);
    expect(await web.verifyAsync(bytes(64), msg, nonCanonical)).toBe(false);
  });

  it('treats malformed lengths as invalid and a non-bytes message as a typed error', async () => {
    const key = PiKey.generate();
    const msg = new Uint8Array([9]);
    const sig = key.sign(msg);
    expect(noble.verify(sig.subarray(0, 63), msg, key.publicKey)).toBe(false);
    expect(noble.verify(sig, msg, key.publicKey.subarray(0, 31))).toBe(false);
    expect(await web.verifyAsync(sig, msg, new Uint8Array(33))).toBe(false);
    expect(() => noble.verify(sig, 'hello' as unknown as Uint8Array, key.publicKey)).toThrow(InvalidArgumentError);
    expect(() => publicKeyFromSeed(new Uint8Array(31))).toThrow(InvalidArgumentError);
  });

  it('batch verification returns one verdict per item in order', async () => {
    const keys = Array.from({ length: 5 }, () => PiKey.generate());
    const items = keys.flatMap((k, i) => {
      const message = new Uint8Array([i]);
      const signature = k.sign(message);
      const wrong = signature.slice();
      wrong[0]! ^= 1;
      return [
        { signature, message, publicKey: k.publicKey },
        { signature: wrong, message, publicKey: k.publicKey },
      ];
    });
    const expected = items.map((_, i) => i % 2 === 0);
    expect(await web.verifyBatch(items)).toEqual(expected);
    expect(await noble.verifyBatch(items)).toEqual(expected);
    expect(await nat.verifyBatch(items)).toEqual(expected);
  });
});

describe('canonical S boundary', () => {
  it('accepts S = L - 1 shapes and rejects S = L and S = L + small on every path', async () => {
    const key = PiKey.generate();
    const msg = new Uint8Array([7]);
    const sig = key.sign(msg);
    for (const S of [L, L + 1n, L + 2n ** 200n, 2n ** 256n - 1n]) {
      const t = sig.slice();
      t.set(numberToBytesLE(S, 32), 32);
      expect(noble.verify(t, msg, key.publicKey)).toBe(false);
      expect(nat.verify(t, msg, key.publicKey)).toBe(false);
      expect(await web.verifyAsync(t, msg, key.publicKey)).toBe(false);
    }
    // A valid signature has S < L and passes.
    expect(bytesToNumberLE(sig.subarray(32)) < L).toBe(true);
    expect(nat.verify(sig, msg, key.publicKey)).toBe(true);
  });
});
