/**
 * Ed25519 signing and verification (RFC 8032, section 5.1) behind the `Signer` / `Verifier`
 * contracts that every other edge-net package uses.
 *
 * Two implementations give bit-identical results:
 *  - `noble`: @noble/curves, synchronous, available everywhere;
 *  - `webcrypto`: `crypto.subtle` Ed25519 (Node >= 20, Chromium, Firefox >= 129, Safari 17),
 *    asynchronous and about 10x faster; used when a probe shows the platform has it.
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
import { assertBytes, concatBytes, copyBytes, equalBytes, isBytes, toHex, zeroize } from './bytes.js';

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
  /** The path `verifyAsync` and `verifyBatch` take: `webcrypto` or `noble`. */
  readonly backend: 'noble' | 'webcrypto';
  /** Synchronous check on the noble path. Malformed input gives `false`, not an exception. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** The same answer as `verify`, on the fastest path. */
  verifyAsync(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
  /** Verifies many signatures concurrently; result `i` is the answer for `items[i]`. */
  verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]>;
}

export interface VerifierOptions {
  /** `auto` (default) uses WebCrypto when the probe succeeds, noble otherwise. */
  backend?: 'auto' | 'noble' | 'webcrypto';
  /** How many public keys to keep decoded (and imported into WebCrypto). Default 4096. */
  keyCacheSize?: number;
}

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

interface CachedKey {
  /** The decoded point, or null when the key breaks rule 1. */
  point: ReturnType<typeof Point.fromBytes> | null;
  crypto?: Promise<CryptoKey | null>;
}

/** A small LRU of decoded public keys: ledgers verify the same few keys over and over. */
class KeyCache {
  private readonly map = new Map<string, CachedKey>();
  constructor(private readonly max: number) {}

  get(publicKey: Uint8Array): CachedKey {
    const id = toHex(publicKey);
    let entry = this.map.get(id);
    if (entry !== undefined) {
      this.map.delete(id);
      this.map.set(id, entry);
      return entry;
    }
    entry = { point: decodePublicKey(publicKey) };
    this.map.set(id, entry);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
    return entry;
  }
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

/** Rule 2: S < L. S is the little-endian second half of the signature. */
function canonicalS(signature: Uint8Array): boolean {
  return bytesToNumberLE(signature.subarray(32, 64)) < L;
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

/** Creates a verifier. Most callers use the shared `defaultVerifier`. */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  const mode = options.backend ?? 'auto';
  const cache = new KeyCache(options.keyCacheSize ?? 4096);
  let useWeb: boolean | undefined = mode === 'noble' ? false : undefined;

  const precheck = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): CachedKey | null => {
    if (!wellFormed(signature, message, publicKey)) return null;
    if (!canonicalS(signature)) return null;
    const entry = cache.get(publicKey);
    return entry.point === null ? null : entry;
  };

  const verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => {
    const entry = precheck(signature, message, publicKey);
    if (entry === null) return false;
    return nobleVerify(entry.point!, signature, message, publicKey);
  };

  const webVerify = async (entry: CachedKey, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> => {
    entry.crypto ??= globalThis.crypto.subtle
      .importKey('raw', copyBytes(publicKey), { name: 'Ed25519' }, false, ['verify'])
      .catch(() => null);
    const key = await entry.crypto;
    if (key === null) return nobleVerify(entry.point!, signature, message, publicKey);
    return globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key, copyBytes(signature), copyBytes(message));
  };

  const decide = async (): Promise<boolean> => {
    if (useWeb === undefined) {
      const ok = await webCryptoEd25519Available();
      if (mode === 'webcrypto' && !ok) throw new InvalidArgumentError('WebCrypto Ed25519 is not available on this platform');
      useWeb = ok;
    }
    return useWeb;
  };

  const verifyAsync = async (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> => {
    const entry = precheck(signature, message, publicKey);
    if (entry === null) return false;
    if (!(await decide())) return nobleVerify(entry.point!, signature, message, publicKey);
    return webVerify(entry, signature, message, publicKey);
  };

  const verifier: Verifier = {
    get backend() {
      return useWeb === true ? 'webcrypto' : 'noble';
    },
    verify,
    verifyAsync,
    async verifyBatch(items) {
      if (!Array.isArray(items)) throw new InvalidArgumentError('items must be an array');
      const web = await decide();
      // WebCrypto work runs on the platform's crypto threads, so issuing all calls at once
      // lets a multi-core machine verify in parallel.
      return Promise.all(
        items.map((item) => {
          const entry = precheck(item.signature, item.message, item.publicKey);
          if (entry === null) return false;
          return web ? webVerify(entry, item.signature, item.message, item.publicKey) : nobleVerify(entry.point!, item.signature, item.message, item.publicKey);
        }),
      );
    },
  };
  return verifier;
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

/** Signs with a raw seed on the noble path (RFC 8032 section 5.1.6). */
export function signWithSeed(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed);
}
