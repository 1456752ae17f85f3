import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { identityOf, IdentityError, KeyDestroyedError, PiKey, shortIdOf } from '../src/index.js';
import { SEED, bytes, hex, nodePublicKey } from './helpers.js';

describe(`PiKey (seed ${SEED})`, () => {
  it('derives the 40-byte identity with SHA-512 under the documented tag', () => {
    const seed = bytes(32);
    const key = PiKey.fromSeed(seed);
    const expected = createHash('sha512').update(Buffer.concat([Buffer.from('edge-net/pi-key/identity/v1\0'), Buffer.from(key.publicKey)])).digest().subarray(0, 40);
    expect(hex(key.getIdentity())).toBe(expected.toString('hex'));
    expect(hex(identityOf(key.publicKey))).toBe(expected.toString('hex'));
    expect(key.getShortId()).toBe('π:' + expected.subarray(0, 4).toString('hex'));
    expect(shortIdOf(key.publicKey)).toBe(key.getShortId());
  });

  it('is the same Ed25519 key other implementations derive from the seed (libp2p uses the seed)', () => {
    const seed = bytes(32);
    const key = PiKey.fromSeed(seed);
    expect(hex(key.getPublicKey())).toBe(hex(nodePublicKey(seed)));
    expect(hex(key.exportSeed())).toBe(hex(seed));
    seed.fill(0); // the caller's copy is independent
    expect(hex(key.exportSeed())).not.toBe(hex(seed));
  });

  it('signs and verifies, and rejects another key\'s signature', async () => {
    const a = PiKey.generate();
    const b = PiKey.generate();
    const data = bytes(100);
    const sig = a.sign(data);
    expect(a.verify(data, sig)).toBe(true);
    expect(PiKey.verify(data, sig, a.publicKey)).toBe(true);
    expect(PiKey.verify(data, sig, b.publicKey)).toBe(false);
    expect(PiKey.verify(data, await b.signAsync(data), a.publicKey)).toBe(false);
  });

  it('generates distinct keys and never prints its seed', () => {
    const keys = Array.from({ length: 20 }, () => PiKey.generate());
    expect(new Set(keys.map((k) => hex(k.publicKey))).size).toBe(20);
    const k = keys[0]!;
    const seedHex = hex(k.exportSeed());
    expect(String(k)).not.toContain(seedHex);
    expect(JSON.stringify(k)).not.toContain(seedHex);
  });

  it('zeroes its seed on destroy and refuses secret operations afterwards', async () => {
    const k = PiKey.generate();
    k.destroy();
    expect(k.destroyed).toBe(true);
    expect(() => k.sign(new Uint8Array(1))).toThrow(KeyDestroyedError);
    await expect(k.signAsync(new Uint8Array(1))).rejects.toThrow(KeyDestroyedError);
    expect(() => k.exportSeed()).toThrow(KeyDestroyedError);
    await expect(k.createEncryptedBackup('long enough password')).rejects.toThrow(KeyDestroyedError);
  });

  it('checks arguments at the door', () => {
    expect(() => PiKey.fromSeed(new Uint8Array(31))).toThrow(IdentityError);
    expect(() => PiKey.fromSeed('x'.repeat(32) as unknown as Uint8Array)).toThrow(IdentityError);
    expect(() => PiKey.generate().sign('text' as unknown as Uint8Array)).toThrow(IdentityError);
  });
});
