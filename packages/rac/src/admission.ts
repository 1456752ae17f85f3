/**
 * Admission cost for new identities (Sybil defence): a hashcash-style proof of work
 * (Back 2002) bound to the public key and the context it is admitted to:
 *   SHA-256("edge-net/rac/admission/v1" || 0x00 || u8(len ctx) || ctx || publicKey || token)
 * must start with `bits` zero bits. The expected cost is 2^bits hashes per identity, paid once;
 * verifying costs one hash. Ledgers use it to make genesis grants cost something.
 */

import { AdmissionError, RacArgumentError } from './errors.js';
import { concat, domainTag, isBytes, sha256, utf8 } from './hash.js';

const TAG = domainTag('edge-net/rac/admission/v1');
/** Most difficulty bits accepted (keeps verification meaningful and inputs bounded). */
export const MAX_ADMISSION_BITS = 40;
export const ADMISSION_TOKEN_LENGTH = 8;

function prefix(ctx: string, publicKey: Uint8Array): Uint8Array {
  const c = utf8(ctx);
  if (c.length === 0 || c.length > 255) throw new RacArgumentError('ctx must be 1..255 bytes');
  if (!isBytes(publicKey) || publicKey.length !== 32) throw new RacArgumentError('publicKey must be 32 bytes');
  return concat(TAG, new Uint8Array([c.length]), c, publicKey);
}

function leadingZeroBits(h: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < h.length; i++) {
    const b = h[i]!;
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_ADMISSION_BITS) throw new RacArgumentError(`bits must be an integer in [0, ${MAX_ADMISSION_BITS}]`);
}

/** Searches for an admission token (expected 2^bits hashes). */
export function solveAdmission(publicKey: Uint8Array, ctx: string, bits: number): Uint8Array {
  checkBits(bits);
  const p = prefix(ctx, publicKey);
  const buf = new Uint8Array(p.length + ADMISSION_TOKEN_LENGTH);
  buf.set(p);
  const view = new DataView(buf.buffer, p.length, ADMISSION_TOKEN_LENGTH);
  for (let i = 0; ; i++) {
    view.setUint32(0, Math.floor(i / 2 ** 32));
    view.setUint32(4, i >>> 0);
    if (leadingZeroBits(sha256(buf)) >= bits) return buf.slice(p.length);
  }
}

/** Whether `token` admits `publicKey` to `ctx` at `bits` of difficulty. Never throws on bad input. */
export function verifyAdmission(publicKey: Uint8Array, ctx: string, token: Uint8Array, bits: number): boolean {
  try {
    checkBits(bits);
    if (!isBytes(token) || token.length !== ADMISSION_TOKEN_LENGTH) return false;
    return leadingZeroBits(sha256(concat(prefix(ctx, publicKey), token))) >= bits;
  } catch {
    return false;
  }
}

/** Throws AdmissionError unless the token is valid. */
export function assertAdmission(publicKey: Uint8Array, ctx: string, token: Uint8Array, bits: number): void {
  if (!verifyAdmission(publicKey, ctx, token, bits)) throw new AdmissionError(`admission token does not meet ${bits} bits`);
}
