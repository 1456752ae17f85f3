// The contract of the platform's native Ed25519 (node:crypto in Node; absent in browsers).
// The variant is chosen by the package's `imports` conditions (`#native`), never by sniffing.

export interface NativeEd25519 {
  /** Imports a raw 32-byte public key; null when the platform refuses it. */
  importPublicKey(publicKey: Uint8Array): unknown;
  /** Imports a 32-byte seed as a private key (the temporary DER copy is zeroed). */
  importPrivateKey(seed: Uint8Array): unknown;
  /** Cofactorless RFC 8032 verification, as OpenSSL computes it. */
  verify(key: unknown, signature: Uint8Array, message: Uint8Array): boolean;
  sign(key: unknown, message: Uint8Array): Uint8Array;
}
