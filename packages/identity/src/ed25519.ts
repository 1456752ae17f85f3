/**
 * Ed25519 signing and verification (RFC 8032, section 5.1) behind the `Signer` / `Verifier`
 * contracts that every other edge-net package uses.
 *
 * Three implementations give bit-identical results:
 *  - `native`: node:crypto (OpenSSL), synchronous, Node only (chosen by the package's `imports`
 *    conditions, so browser bundles never see it); about 15x faster than noble;
 *  - `webcrypto`: `crypto.subtle` Ed25519 (Node >= 20, Chromium, Firefox >= 129, Safari 17),
 *    asynchronous and about 10x faster than noble; used when a probe shows the platform has it;
 *  - `noble`: @noble/curves, synchronous, available everywhere.
 *
 * Consensus rule. A ledger replicated between browsers and Node processes must agree on which
 * signatures are valid, yet Ed25519 libraries differ on edge cases (ZIP-215 vs RFC 8032,
 * cofactored vs cofactorless equations, small-order keys). edge-net therefore defines one
 * verification rule and enforces it on both paths:
 *  1. the public key is a canonical encoding (y < p) of a point that is not of small order;
 *  2. S is canonical (S < L, RFC 8032 section 5.1.7 step 1);
 *  3. the cofactorless equation holds exactly: encode([S]B - [k]A) == R, with
 *     k = SHA-512(R || A || M) mod L.
 * (1) and (2) are checked here before either backend runs; (3) is what OpenSSL and BoringSSL
 * (behind WebCrypto) compute, and what the noble path below computes explicitly instead of
 * noble's default cofactored check. Tests cross-check both paths and node:crypto.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { InvalidArgumentError } from './errors.js';
import { native } from '#native';
import { assertBytes, bufferSource, concatBytes, copyBytes, equalBytes, isBytes, zeroize } from './bytes.js';

/** Length in bytes of an Ed25519 public key, seed and signature. */
export const PUBLIC_KEY_LENGTH = 32;
export const SEED_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

/** Something that signs with one Ed25519 key. Implemented by `PiKey`. */
export interface Signer {
  /** The 32-byte Ed25519 public key of the signer. */
  readonly publicKey: Uint8Array;
  /** Signs synchronously (pure JavaScript path). */
  sign(message: Uint8Array): Uint8Array;
  /** Signs on the fastest path the platform has; the result equals `sign(message)`. */
  signAsync(message: Uint8Array): Promise<Uint8Array>;
}

/** One signature to check. */
export interface VerifyItem {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Verifies Ed25519 signatures under the edge-net consensus rule (see module comment). */
export interface Verifier {
  /** The path `verifyAsync` and `verifyBatch` take. */
  readonly backend: 'native' | 'noble' | 'webcrypto';
  /** Synchronous check (native where present, else noble). Malformed input gives `false`, not an exception. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** The same answer as `verify`, on the fastest path. */
  verifyAsync(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
  /** Verifies many signatures concurrently; result `i` is the answer for `items[i]`. */
  verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]>;
}

export interface VerifierOptions {
  /**
   * `auto` (default): native where present, else WebCrypto when its probe succeeds, else noble.
   * `native`, `webcrypto` and `noble` force one path (`native`/`webcrypto` throw where absent);
   * synchronous `verify` uses native (auto/native) or noble.
   */
  backend?: 'auto' | 'native' | 'noble' | 'webcrypto';
  /** How many public keys to keep decoded (and imported into WebCrypto). Default 4096. */
  keyCacheSize?: number;
}

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

interface CachedKey {
  /** The decoded point, or null when the key breaks rule 1. */
  point: ReturnType<typeof Point.fromBytes> | null;
  crypto?: Promise<CryptoKey | null>;
  native?: unknown;
}

/**
 * A bounded cache of decoded (and imported) public keys: ledgers verify the same few keys over
 * and over. Eviction is first-in-first-out, which keeps a hit to one Map lookup.
 */
class KeyCache {
  private readonly map = new Map<string, CachedKey>();
  constructor(private readonly max: number) {}

  get(publicKey: Uint8Array): CachedKey {
    const id = keyId(publicKey);
    let entry = this.map.get(id);
    if (entry !== undefined) return entry;
    entry = { point: decodePublicKey(publicKey) };
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as string);
    this.map.set(id, entry);
    return entry;
  }
}

/** A compact Map key for 32 bytes: 16 UTF-16 code units. */
function keyId(publicKey: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 32; i += 2) s += String.fromCharCode(publicKey[i]! | (publicKey[i + 1]! << 8));
  return s;
}

function decodePublicKey(publicKey: Uint8Array): CachedKey['point'] {
  try {
    const p = Point.fromBytes(publicKey, false);
    return p.isSmallOrder() ? null : p;
  } catch {
    return null;
  }
}

function wellFormed(signature: unknown, message: unknown, publicKey: unknown): boolean {
  if (!isBytes(message)) throw new InvalidArgumentError('message must be a Uint8Array');
  return isBytes(signature) && signature.length === SIGNATURE_LENGTH && isBytes(publicKey) && publicKey.length === PUBLIC_KEY_LENGTH;
}

/** L = 2^252 + 27742317777372353535851937790883648493 as 32 little-endian bytes. */
const L_BYTES = new Uint8Array([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/** Rule 2: S < L, comparing the little-endian second half of the signature from the top byte. */
function canonicalS(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i]!;
    const l = L_BYTES[i]!;
    if (s !== l) return s < l;
  }
  return false; // S == L
}

/** Rule 3 on the noble path: encode([S]B - [k]A) == R, compared byte for byte. */
function nobleVerify(point: NonNullable<CachedKey['point']>, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const R = signature.subarray(0, 32);
  const S = bytesToNumberLE(signature.subarray(32, 64));
  const k = Point.Fn.create(bytesToNumberLE(sha512(concatBytes(R, publicKey, message))));
  // Everything here is public, so the variable-time multiplications are safe.
  const SB = Point.BASE.multiplyUnsafe(S);
  const kA = point.multiplyUnsafe(k);
  return equalBytes(SB.subtract(kA).toBytes(), R);
}

let webCryptoProbe: Promise<boolean> | undefined;

/**
 * Whether this platform's WebCrypto implements Ed25519 and agrees with noble on a known-answer
 * vector (RFC 8032 test 1). The answer is computed once.
 */
export function webCryptoEd25519Available(): Promise<boolean> {
  webCryptoProbe ??= (async () => {
    try {
      const subtle = globalThis.crypto?.subtle;
      if (subtle === undefined) return false;
      const seed = new Uint8Array(32);
      seed[0] = 1;
      const pub = ed25519.getPublicKey(seed);
      const key = await subtle.importKey('raw', copyBytes(pub), { name: 'Ed25519' }, false, ['verify']);
      const msg = new Uint8Array([0x65, 0x64, 0x67, 0x65]);
      const sig = ed25519.sign(msg, seed);
      const priv = await importPrivateKey(seed);
      const sig2 = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, priv, msg));
      return (await subtle.verify({ name: 'Ed25519' }, key, copyBytes(sig), msg)) && equalBytes(sig, sig2);
    } catch {
      return false;
    }
  })();
  return webCryptoProbe;
}

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 section 7). */
const PKCS8_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** Imports a seed as a non-extractable WebCrypto signing key; the temporary copy is zeroed. */
export async function importPrivateKey(seed: Uint8Array): Promise<CryptoKey> {
  const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + 32);
  pkcs8.set(PKCS8_PREFIX);
  pkcs8.set(seed, PKCS8_PREFIX.length);
  try {
    return await globalThis.crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  } finally {
    zeroize(pkcs8);
  }
}

/** Whether this platform build has a native Ed25519 (node:crypto in Node). */
export function nativeEd25519Available(): boolean {
  return native !== null;
}

/** Creates a verifier. Most callers use the shared `defaultVerifier`. */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  const mode = options.backend ?? 'auto';
  if (mode === 'native' && native === null) throw new InvalidArgumentError('native Ed25519 is not available on this platform');
  const cache = new KeyCache(options.keyCacheSize ?? 4096);
  const nat = (mode === 'auto' || mode === 'native') && native !== null ? native : null;
  let asyncPath: 'native' | 'noble' | 'webcrypto' | undefined = nat !== null ? 'native' : mode === 'noble' ? 'noble' : undefined;

  const precheck = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): CachedKey | null => {
    if (!wellFormed(signature, message, publicKey)) return null;
    if (!canonicalS(signature)) return null;
    const entry = cache.get(publicKey);
    return entry.point === null ? null : entry;
  };

  const check = (entry: CachedKey, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => {
    if (nat !== null) {
      entry.native ??= nat.importPublicKey(publicKey);
      if (entry.native !== null) return nat.verify(entry.native, signature, message);
    }
    return nobleVerify(entry.point!, signature, message, publicKey);
  };

  const verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => {
    const entry = precheck(signature, message, publicKey);
    return entry !== null && check(entry, signature, message, publicKey);
  };

  const webVerify = async (entry: CachedKey, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> => {
    entry.crypto ??= globalThis.crypto.subtle
      .importKey('raw', copyBytes(publicKey), { name: 'Ed25519' }, false, ['verify'])
      .catch(() => null);
    const key = await entry.crypto;
    if (key === null) return nobleVerify(entry.point!, signature, message, publicKey);
    return globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key, bufferSource(signature), bufferSource(message));
  };

  const decide = async (): Promise<'native' | 'noble' | 'webcrypto'> => {
    if (asyncPath === undefined) {
      const ok = await webCryptoEd25519Available();
      if (mode === 'webcrypto' && !ok) throw new InvalidArgumentError('WebCrypto Ed25519 is not available on this platform');
      asyncPath = ok ? 'webcrypto' : 'noble';
    }
    return asyncPath;
  };

  const verifyAsync = async (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> => {
    const entry = precheck(signature, message, publicKey);
    if (entry === null) return false;
    if ((await decide()) !== 'webcrypto') return check(entry, signature, message, publicKey);
    return webVerify(entry, signature, message, publicKey);
  };

  return {
    get backend() {
      return asyncPath ?? (mode === 'webcrypto' ? 'webcrypto' : 'noble');
    },
    verify,
    verifyAsync,
    async verifyBatch(items) {
      if (!Array.isArray(items)) throw new InvalidArgumentError('items must be an array');
      const path = await decide();
      if (path !== 'webcrypto') return items.map((item) => verify(item.signature, item.message, item.publicKey));
      // WebCrypto work runs on the platform's crypto threads, so issuing all calls at once
      // lets a multi-core machine verify in parallel.
      return Promise.all(
        items.map((item) => {
          const entry = precheck(item.signature, item.message, item.publicKey);
          return entry === null ? false : webVerify(entry, item.signature, item.message, item.publicKey);
        }),
      );
    },
  };
}

/** The shared verifier (WebCrypto where available). */
export const defaultVerifier: Verifier = createVerifier();

/** Verifies one signature synchronously with the shared verifier. */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return defaultVerifier.verify(signature, message, publicKey);
}

/** Derives the Ed25519 public key of a 32-byte seed (RFC 8032 section 5.1.5). */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  assertBytes(seed, 'seed', SEED_LENGTH);
  return ed25519.getPublicKey(seed);
}

/** The platform's native Ed25519, or null (internal: PiKey signs through it in Node). */
export const nativeEd25519 = native;
