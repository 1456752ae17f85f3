/**
 * @packageDocumentation
 * @edge/identity: who a node is and how it proves it.
 *
 * - {@link PiKey} (π): permanent Ed25519 identity, 40-byte identity hash, "π:xxxxxxxx" short id,
 *   password-encrypted backups (Argon2id + AES-256-GCM).
 * - {@link SessionKey} (e): expiring AES-256-GCM sessions, local or shared between two Pi-Keys
 *   via X25519 + HKDF.
 * - {@link GenesisKey} (φ): a network's signed 21-byte origin marker.
 * - Signed envelopes ({@link seal} / {@link open}) in deterministic CBOR with a
 *   {@link ReplayGuard}, and the {@link Signer} / {@link Verifier} contracts other packages use.
 *
 * Byte layouts and the threat model: docs/identity.md.
 */

export { PiKey, identityOf, shortIdOf, IDENTITY_LENGTH } from './pikey.js';
export {
  DEFAULT_KDF_PARAMS,
  DEFAULT_KDF_POLICY,
  MIN_PASSWORD_LENGTH,
  BACKUP_LENGTH,
  BACKUP_VERSION,
  type BackupOptions,
  type RestoreOptions,
  type KdfPolicy,
} from './backup.js';
export type { Argon2Params } from './argon2.js';
export { argon2id, argon2Build } from './argon2.js';
export { SessionKey, SESSION_ID_LENGTH, SESSION_HELLO_TYPE, MAX_SESSION_TTL_SECONDS, type SessionOptions, type AcceptOptions } from './session.js';
export { GenesisKey, GENESIS_ID_LENGTH } from './genesis.js';
export {
  seal,
  sealAsync,
  open,
  openSync,
  openBatch,
  parseUnverified,
  type UnverifiedEnvelope,
  ENVELOPE_VERSION,
  ENVELOPE_NONCE_LENGTH,
  DEFAULT_MAX_ENVELOPE_SIZE,
  type Envelope,
  type SealOptions,
  type OpenOptions,
} from './envelope.js';
export { createReplayGuard, type ReplayGuard, type ReplayGuardOptions } from './replay.js';
export {
  createVerifier,
  defaultVerifier,
  verifySignature,
  publicKeyFromSeed,
  webCryptoEd25519Available,
  nativeEd25519Available,
  PUBLIC_KEY_LENGTH,
  SEED_LENGTH,
  SIGNATURE_LENGTH,
  type Signer,
  type Verifier,
  type VerifierOptions,
  type VerifyItem,
} from './ed25519.js';
export { encodeCanonical, decodeCanonical, type DecodeResult } from './cbor.js';
// Byte helpers every signing package uses; `domainTag` is the one definition of edge-net's
// domain-separation prefix (UTF-8 tag + 0x00), shared so that no package builds its own.
export { toHex, fromHex, equalBytes, zeroize, concatBytes, domainTag, utf8 } from './bytes.js';
export * from './errors.js';
