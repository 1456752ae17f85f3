import { describe, expect, it } from 'vitest';
import { createReplayGuard, decodeCanonical, encodeCanonical, IdentityError, PiKey, SessionKey, seal, SESSION_HELLO_TYPE } from '../src/index.js';
import { SEED, bytes, hex } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    if (IdentityError.isInstance(error)) return error.code;
    throw error;
  }
  return 'OK';
}

describe(`SessionKey (seed ${SEED})`, () => {
  const me = PiKey.generate();

  it('round-trips on both paths and has a 34-byte id starting with "e"', async () => {
    const s = SessionKey.create(me, 60);
    expect(s.id.length).toBe(34);
    expect(s.id[0]).toBe(0x65);
    const msg = bytes(1000);
    const a = await s.encrypt(msg, enc('ctx'));
    const b = s.encryptSync(msg, enc('ctx'));
    expect(hex(await s.decrypt(b, enc('ctx')))).toBe(hex(msg));
    expect(hex(s.decryptSync(a, enc('ctx')))).toBe(hex(msg));
    expect(hex(await s.decrypt(await s.encrypt(new Uint8Array(0))))).toBe('');
  });

  it('never reuses a nonce: a per-session prefix and a strictly growing counter', async () => {
    const s = SessionKey.create(me, 60);
    const nonces = new Set<string>();
    let prefix: string | undefined;
    for (let i = 0; i < 2000; i++) {
      const ct = i % 2 === 0 ? await s.encrypt(new Uint8Array([i & 0xff])) : s.encryptSync(new Uint8Array([i & 0xff]));
      const nonce = ct.subarray(1, 13);
      nonces.add(hex(nonce));
      prefix ??= hex(nonce.subarray(0, 4));
      expect(hex(nonce.subarray(0, 4))).toBe(prefix);
      expect(new DataView(nonce.buffer, nonce.byteOffset + 4).getBigUint64(0)).toBe(BigInt(i));
    }
    expect(nonces.size).toBe(2000);
  });

  it('refuses to encrypt or decrypt after expiry', async () => {
    let now = 1_000_000;
    const s = SessionKey.create(me, 10, { now: () => now });
    const ct = await s.encrypt(enc('hello'));
    now += 9_999;
    expect(dec(await s.decrypt(ct))).toBe('hello');
    now += 1;
    expect(s.isExpired()).toBe(true);
    expect(await codeOf(s.decrypt(ct))).toBe('ERR_SESSION_EXPIRED');
    expect(await codeOf(s.encrypt(enc('x')))).toBe('ERR_SESSION_EXPIRED');
    expect(await codeOf(() => s.decryptSync(ct))).toBe('ERR_SESSION_EXPIRED');
  });

  it('detects any tampering, a wrong AAD, truncation and another session\'s ciphertext', async () => {
    const s = SessionKey.create(me, 60);
    const ct = await s.encrypt(enc('attack at dawn'), enc('aad'));
    for (let i = 0; i < ct.length; i++) {
      const t = ct.slice();
      t[i]! ^= 0x01;
      expect(await codeOf(s.decrypt(t, enc('aad'))), `byte ${i}`).toBe('ERR_DECRYPT');
    }
    expect(await codeOf(s.decrypt(ct, enc('aae')))).toBe('ERR_DECRYPT');
    expect(await codeOf(s.decrypt(ct))).toBe('ERR_DECRYPT');
    expect(await codeOf(s.decrypt(ct.subarray(0, 20), enc('aad')))).toBe('ERR_DECRYPT');
    expect(await codeOf(SessionKey.create(me, 60).decrypt(ct, enc('aad')))).toBe('ERR_DECRYPT');
  });

  it('validates ttl and zeroes keys on destroy', async () => {
    expect(() => SessionKey.create(me, 0)).toThrow(IdentityError);
    expect(() => SessionKey.create(me, Number.NaN)).toThrow(IdentityError);
    expect(() => SessionKey.create(me, 31 * 24 * 3600)).toThrow(IdentityError);
    const s = SessionKey.create(me, 60);
    s.destroy();
    expect(await codeOf(s.encrypt(enc('x')))).toBe('ERR_KEY_DESTROYED');
  });
});

describe(`shared sessions (seed ${SEED})`, () => {
  const alice = PiKey.generate();
  const bob = PiKey.generate();
  const eve = PiKey.generate();

  it('both peers derive matching keys and the same id; each direction works', async () => {
    const { session: a, hello } = await SessionKey.initiate(alice, bob.publicKey, 300);
    const b = await SessionKey.accept(bob, hello, { expectFrom: alice.publicKey });
    expect(hex(a.id)).toBe(hex(b.id));
    expect(a.expiresAt).toBe(b.expiresAt);
    expect(hex(b.peer!)).toBe(hex(alice.publicKey));
    expect(dec(await b.decrypt(await a.encrypt(enc('to bob'))))).toBe('to bob');
    expect(dec(await a.decrypt(b.encryptSync(enc('to alice'))))).toBe('to alice');
    // Directions use different keys: a message cannot be reflected back to its sender.
    expect(await codeOf(a.decrypt(await a.encrypt(enc('echo'))))).toBe('ERR_DECRYPT');
  });

  it('a third party can neither accept the hello nor decrypt the traffic', async () => {
    const { session: a, hello } = await SessionKey.initiate(alice, bob.publicKey, 300);
    const ct = await a.encrypt(enc('secret'));
    expect(await codeOf(SessionKey.accept(eve, hello))).toBe('ERR_HANDSHAKE');
    // Eve re-addresses the hello to herself: the signature no longer verifies.
    const d = decodeCanonical(hello);
    const m = { ...(d as { value: Record<string, unknown> }).value };
    m.body = { ...(m.body as Record<string, unknown>), to: eve.publicKey };
    expect(await codeOf(SessionKey.accept(eve, encodeCanonical(m)))).toBe('ERR_ENVELOPE_BAD_SIGNATURE');
    // Eve signs her own hello with Alice's ephemeral key: she derives a different key.
    const body = (d as { value: { body: { epk: Uint8Array; ttl: number } } }).value.body;
    const eveHello = seal(eve, SESSION_HELLO_TYPE, { to: bob.publicKey, epk: body.epk, ttl: body.ttl });
    const bobWithEve = await SessionKey.accept(bob, eveHello);
    expect(await codeOf(bobWithEve.decrypt(ct))).toBe('ERR_DECRYPT');
    // And a session Eve sets up with Alice does not open Alice-Bob traffic.
    const { hello: h2 } = await SessionKey.initiate(eve, alice.publicKey, 300);
    const aliceWithEve = await SessionKey.accept(alice, h2);
    expect(await codeOf(aliceWithEve.decrypt(ct))).toBe('ERR_DECRYPT');
  });

  it('ciphertexts have the documented layout: 0x01 || nonce(12) || ciphertext || tag(16)', async () => {
    const { session: a, hello } = await SessionKey.initiate(alice, bob.publicKey, 300);
    const b = await SessionKey.accept(bob, hello);
    const ct = await a.encrypt(enc('layout'), enc('x'));
    expect(ct[0]).toBe(1);
    expect(ct.length).toBe(1 + 12 + 6 + 16);
    expect(dec(b.decryptSync(ct, enc('x')))).toBe('layout');
  });

  it('rejects replayed, stale and expired hellos', async () => {
    let now = 5_000_000;
    const clock = () => now;
    const guard = createReplayGuard({ now: clock });
    const { hello } = await SessionKey.initiate(alice, bob.publicKey, 60, { now: clock });
    expect(await codeOf(SessionKey.accept(bob, hello, { guard, now: clock }))).toBe('OK');
    expect(await codeOf(SessionKey.accept(bob, hello, { guard, now: clock }))).toBe('ERR_REPLAY');
    now += 121_000;
    expect(await codeOf(SessionKey.accept(bob, hello, { now: clock }))).toBe('ERR_STALE');
    const { hello: short } = await SessionKey.initiate(alice, bob.publicKey, 1, { now: clock });
    now += 1_000;
    expect(await codeOf(SessionKey.accept(bob, short, { now: clock }))).toBe('ERR_SESSION_EXPIRED');
    expect(await codeOf(SessionKey.accept(bob, hello, { expectFrom: eve.publicKey, maxAgeMs: 1e9, now: clock }))).toBe('ERR_ENVELOPE_WRONG_SIGNER');
  });

  it('refuses low-order peer keys', async () => {
    const lowOrder = new Uint8Array(32);
    lowOrder[0] = 1;
    expect(await codeOf(SessionKey.initiate(alice, lowOrder, 60))).toBe('ERR_INVALID_ARGUMENT');
  });
});
