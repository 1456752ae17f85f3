// Node: Ed25519 through node:crypto (OpenSSL), synchronous and about 15x faster than noble.
// OpenSSL verifies with the cofactorless equation, the edge-net consensus rule (see ed25519.ts);
// the rule's other checks (canonical S, valid non-small-order key) run before this is called.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { NativeEd25519 } from './native-types.js';

const PKCS8_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = new Uint8Array([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export const native: NativeEd25519 | null = {
  importPublicKey(publicKey) {
    const der = new Uint8Array(SPKI_PREFIX.length + 32);
    der.set(SPKI_PREFIX);
    der.set(publicKey, SPKI_PREFIX.length);
    try {
      return createPublicKey({ key: Buffer.from(der.buffer), format: 'der', type: 'spki' });
    } catch {
      return null;
    }
  },
  importPrivateKey(seed) {
    const der = new Uint8Array(PKCS8_PREFIX.length + 32);
    der.set(PKCS8_PREFIX);
    der.set(seed, PKCS8_PREFIX.length);
    try {
      return createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
    } finally {
      der.fill(0);
    }
  },
  verify(key, signature, message) {
    try {
      return verify(null, message, key as KeyObject, signature);
    } catch {
      return false;
    }
  },
  sign(key, message) {
    const out = sign(null, message, key as KeyObject);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  },
};
