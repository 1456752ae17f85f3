/**
 * PiKey (π): a node's permanent identity, one Ed25519 key pair (RFC 8032) from a 32-byte seed.
 *
 * Identity (40 bytes, 320 bits >= the 314 of the design):
 *   SHA-512("edge-net/pi-key/identity/v1" || 0x00 || publicKey)[0..40]
 * Short id: "π:" followed by the first 8 hex digits of the identity.
 *
 * The same seed is the libp2p peer key: libp2p's `generateKeyPairFromSeed('Ed25519', seed)`
 * yields the same public key, so a node has exactly one identity (see `exportSeed`).
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { assertBytes, concatBytes, domainTag, randomBytes, toHex, zeroize } from './bytes.js';
import { defaultVerifier, importPrivateKey, nativeEd25519, SEED_LENGTH, webCryptoEd25519Available, type Signer } from './ed25519.js';
import { InvalidArgumentError, KeyDestroyedError } from './errors.js';
import { openSeed, sealSeed, type BackupOptions, type RestoreOptions } from './backup.js';

export const IDENTITY_LENGTH = 40;
const IDENTITY_TAG = domainTag('edge-net/pi-key/identity/v1');

/** The 40-byte identity of an Ed25519 public key (see module comment). */
export function identityOf(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', 32);
  return sha512(concatBytes(IDENTITY_TAG, publicKey)).slice(0, IDENTITY_LENGTH);
}

/** "π:" + the first 8 hex digits of the identity of `publicKey`. */
export function shortIdOf(publicKey: Uint8Array): string {
  return 'π:' + toHex(identityOf(publicKey).subarray(0, 4));
}

/** A node's permanent Ed25519 identity. Implements `Signer`. */
export class PiKey implements Signer {
  #seed: Uint8Array;
  #publicKey: Uint8Array;
  #identity: Uint8Array;
  #webKey: Promise<CryptoKey | null> | undefined;
  #nativeKey: unknown;
  #destroyed = false;

  private constructor(seed: Uint8Array) {
    this.#seed = seed;
    this.#publicKey = ed25519.getPublicKey(seed);
    this.#identity = identityOf(this.#publicKey);
  }

  /** A new key from 32 random bytes of the platform CSPRNG. */
  static generate(): PiKey {
    return new PiKey(randomBytes(SEED_LENGTH));
  }

  /** A key from a 32-byte seed. The seed is copied; the caller may zero its own copy. */
  static fromSeed(seed: Uint8Array): PiKey {
    assertBytes(seed, 'seed', SEED_LENGTH);
    return new PiKey(seed.slice());
  }

  /**
   * Restores a key from `createEncryptedBackup` output. Throws `WeakPasswordError`,
   * `BackupFormatError`, `BackupVersionError`, `KdfParamsError` or `BackupAuthError`;
   * never returns a key for a wrong password or a modified backup.
   */
  static async restore(backup: Uint8Array, password: string, options?: RestoreOptions): Promise<PiKey> {
    const seed = await openSeed(backup, password, options);
    return new PiKey(seed);
  }

  /** Verifies an Ed25519 signature under the edge-net consensus rule. */
  static verify(data: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
    return defaultVerifier.verify(signature, data, publicKey);
  }

  private alive(): Uint8Array {
    if (this.#destroyed) throw new KeyDestroyedError();
    return this.#seed;
  }

  /** The 32-byte Ed25519 public key. */
  get publicKey(): Uint8Array {
    return this.#publicKey.slice();
  }

  getPublicKey(): Uint8Array {
    return this.#publicKey.slice();
  }

  /** The 40-byte identity. */
  getIdentity(): Uint8Array {
    return this.#identity.slice();
  }

  /** "π:" + 8 hex digits. */
  getShortId(): string {
    return 'π:' + toHex(this.#identity.subarray(0, 4));
  }

  /** Signs synchronously: node:crypto in Node, noble elsewhere (identical output). */
  sign(data: Uint8Array): Uint8Array {
    assertBytes(data, 'data');
    const seed = this.alive();
    if (nativeEd25519 !== null) {
      this.#nativeKey ??= nativeEd25519.importPrivateKey(seed);
      return nativeEd25519.sign(this.#nativeKey, data);
    }
    return ed25519.sign(data, seed);
  }

  /**
   * Signs on the fastest path: node:crypto in Node, WebCrypto in browsers, noble as the
   * fallback. Ed25519 is deterministic, so every path gives the same bytes.
   */
  async signAsync(data: Uint8Array): Promise<Uint8Array> {
    assertBytes(data, 'data');
    const seed = this.alive();
    if (nativeEd25519 !== null) return this.sign(data);
    this.#webKey ??= webCryptoEd25519Available().then((ok) => (ok ? importPrivateKey(seed) : null));
    const key = await this.#webKey;
    if (this.#destroyed) throw new KeyDestroyedError();
    if (key === null) return ed25519.sign(data, seed);
    return new Uint8Array(await globalThis.crypto.subtle.sign({ name: 'Ed25519' }, key, data.slice()));
  }

  /** Verifies `signature` of `data` by `publicKey` (default: this key). */
  verify(data: Uint8Array, signature: Uint8Array, publicKey: Uint8Array = this.#publicKey): boolean {
    return defaultVerifier.verify(signature, data, publicKey);
  }

  /**
   * The X25519 secret of this key (RFC 7748 via the birational map of RFC 8032's seed hash),
   * for key agreement. The caller must zero it after use.
   */
  x25519SecretKey(): Uint8Array {
    return ed25519.utils.toMontgomerySecret(this.alive());
  }

  /** The X25519 public key matching `x25519SecretKey()`. */
  x25519PublicKey(): Uint8Array {
    return ed25519.utils.toMontgomery(this.#publicKey);
  }

  /**
   * A copy of the 32-byte seed, for handing the same key to libp2p
   * (`generateKeyPairFromSeed('Ed25519', seed)`). Zero it as soon as it has been used.
   */
  exportSeed(): Uint8Array {
    return this.alive().slice();
  }

  /** Password-encrypted backup of this key (format in docs/identity.md). */
  async createEncryptedBackup(password: string, options?: BackupOptions): Promise<Uint8Array> {
    return sealSeed(this.alive(), password, options);
  }

  /**
   * Zeroes the seed and drops the imported platform keys (WebCrypto and node:crypto keys live in
   * native memory that JavaScript cannot zero; they are freed when collected). Every later
   * secret operation throws `KeyDestroyedError`.
   */
  destroy(): void {
    zeroize(this.#seed);
    this.#destroyed = true;
    this.#webKey = Promise.resolve(null);
    this.#nativeKey = undefined;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Never prints secrets. */
  toString(): string {
    return `PiKey(${this.getShortId()})`;
  }

  toJSON(): { publicKey: string; shortId: string } {
    return { publicKey: toHex(this.#publicKey), shortId: this.getShortId() };
  }
}

export function assertPiKey(value: unknown, name = 'key'): asserts value is PiKey {
  if (!(value instanceof PiKey)) throw new InvalidArgumentError(`${name} must be a PiKey`);
}
