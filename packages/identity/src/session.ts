/**
 * SessionKey (e): a short-lived AES-256-GCM key with a 34-byte session id.
 *
 * Session id: 0x65 ('e') || 0x01 (version) || 32 bytes (see below).
 * Ciphertext: 0x01 (version) || nonce (12) || AES-256-GCM(plaintext) || tag (16), with
 *   AAD = session id || 0x01 || caller's associated data.
 * Nonces: 4 random bytes chosen per session and direction, then a 64-bit big-endian counter
 *   that only grows, so no nonce repeats under one key. A session refuses to encrypt more than
 *   2^32 messages (NonceExhaustedError).
 * Expiry: after `expiresAt` both encrypt and decrypt fail with SessionExpiredError.
 *
 * Local sessions (`create`): a random key; id bytes = SHA-256(tag || Pi identity || 32 random).
 *
 * Shared sessions (`initiate` / `accept`), so two nodes can talk privately:
 *   the initiator makes an ephemeral X25519 key e and sends a signed envelope
 *   "edge.session.hello" { to: responder's Ed25519 key, epk: e.public, ttl };
 *   both sides compute dh1 = X25519(e, R) and dh2 = X25519(I, R), where I and R are the X25519
 *   forms of the two Pi-Keys (RFC 7748, birational map), and
 *   HKDF-SHA256(ikm = dh1 || dh2, salt = SHA-256(hello), info = "edge-net/session/v1") gives
 *   96 bytes: initiator->responder key, responder->initiator key, session id bytes.
 *   Only the holder of R's secret (or of e and I) can derive the keys; the hello is signed by I,
 *   so the responder knows who it talks to. Each direction has its own key, so the two sides'
 *   counters can never produce the same (key, nonce).
 */

import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { GcmKey, gcmDecryptSync, gcmEncryptSync, GCM_TAG_LENGTH } from './aead.js';
import { assertBytes, concatBytes, domainTag, equalBytes, isBytes, randomBytes, utf8, zeroize } from './bytes.js';
import { open, seal, type OpenOptions } from './envelope.js';
import { assertPiKey, type PiKey } from './pikey.js';
import type { ReplayGuard } from './replay.js';
import {
  DecryptError,
  HandshakeError,
  IdentityError,
  InvalidArgumentError,
  NonceExhaustedError,
  SessionExpiredError,
} from './errors.js';

export const SESSION_ID_LENGTH = 34;
const SESSION_ID_PREFIX = new Uint8Array([0x65, 0x01]);
const CIPHERTEXT_VERSION = 0x01;
const HEADER_LENGTH = 1 + 12;
const MAX_MESSAGES = 2 ** 32;
/** Longest accepted session lifetime: 30 days. */
export const MAX_SESSION_TTL_SECONDS = 30 * 24 * 3600;
export const SESSION_HELLO_TYPE = 'edge.session.hello';
const LOCAL_TAG = domainTag('edge-net/session/local/v1');
const HKDF_INFO = utf8('edge-net/session/v1');

export interface SessionOptions {
  /** Clock in ms since the epoch; tests pass their own. */
  now?: () => number;
}

export interface AcceptOptions extends SessionOptions {
  /** Replay protection for hellos (recommended on a network). */
  guard?: ReplayGuard;
  /** Accept only a hello from this Ed25519 public key. */
  expectFrom?: Uint8Array;
  /** Without a guard: how old a hello may be, in ms (default 120 000). */
  maxAgeMs?: number;
}

function checkTtl(ttlSeconds: unknown): number {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_SESSION_TTL_SECONDS) {
    throw new InvalidArgumentError(`ttlSeconds must be in (0, ${MAX_SESSION_TTL_SECONDS}]`);
  }
  return ttlSeconds;
}

class Direction {
  readonly prefix = randomBytes(4);
  counter = 0;
  constructor(readonly key: GcmKey) {}

  nextNonce(): Uint8Array {
    if (this.counter >= MAX_MESSAGES) throw new NonceExhaustedError();
    const nonce = new Uint8Array(12);
    nonce.set(this.prefix, 0);
    new DataView(nonce.buffer).setBigUint64(4, BigInt(this.counter++));
    return nonce;
  }
}

/** A session key: local (`create`) or shared between two Pi-Keys (`initiate`/`accept`). */
export class SessionKey {
  readonly #id: Uint8Array;
  readonly #send: Direction;
  readonly #recv: GcmKey;
  readonly #now: () => number;
  /** Expiry in ms since the epoch. */
  readonly expiresAt: number;
  /** The peer's Ed25519 public key for a shared session, `undefined` for a local one. */
  readonly peer: Uint8Array | undefined;
  #destroyed = false;

  private constructor(id: Uint8Array, send: GcmKey, recv: GcmKey, expiresAt: number, now: () => number, peer?: Uint8Array) {
    this.#id = id;
    this.#send = new Direction(send);
    this.#recv = recv;
    this.expiresAt = expiresAt;
    this.#now = now;
    this.peer = peer;
  }

  /** A local session owned by `identity`, valid for `ttlSeconds`. */
  static create(identity: PiKey, ttlSeconds: number, options: SessionOptions = {}): SessionKey {
    assertPiKey(identity, 'identity');
    const ttl = checkTtl(ttlSeconds);
    const now = options.now ?? Date.now;
    const id = concatBytes(SESSION_ID_PREFIX, sha256(concatBytes(LOCAL_TAG, identity.getIdentity(), randomBytes(32))));
    const key = new GcmKey(randomBytes(32));
    return new SessionKey(id, key, key, now() + Math.round(ttl * 1000), now);
  }

  /**
   * Starts a shared session with `peerPublicKey` (an Ed25519 Pi public key). Send `hello` to the
   * peer, who calls `SessionKey.accept`; both then hold matching keys.
   */
  static async initiate(me: PiKey, peerPublicKey: Uint8Array, ttlSeconds: number, options: SessionOptions = {}): Promise<{ session: SessionKey; hello: Uint8Array }> {
    assertPiKey(me, 'me');
    assertBytes(peerPublicKey, 'peerPublicKey', 32);
    const ttl = checkTtl(ttlSeconds);
    const now = options.now ?? Date.now;
    let peerX: Uint8Array;
    try {
      peerX = ed25519.utils.toMontgomery(peerPublicKey);
    } catch {
      throw new InvalidArgumentError('peerPublicKey is not a valid Ed25519 public key');
    }
    const eph = x25519.utils.randomSecretKey();
    const ts = now();
    const hello = seal(me, SESSION_HELLO_TYPE, { to: peerPublicKey, epk: x25519.getPublicKey(eph), ttl: Math.round(ttl * 1000) }, { ts });
    const mine = me.x25519SecretKey();
    let dh1: Uint8Array | undefined;
    let dh2: Uint8Array | undefined;
    try {
      dh1 = x25519.getSharedSecret(eph, peerX);
      dh2 = x25519.getSharedSecret(mine, peerX);
    } catch {
      throw new InvalidArgumentError('key agreement with peerPublicKey failed (low-order key)');
    } finally {
      zeroize(eph, mine);
    }
    const session = SessionKey.derive(dh1, dh2, hello, true, ts + Math.round(ttl * 1000), now, peerPublicKey);
    return { session, hello };
  }

  /** Accepts a hello addressed to `me`; throws HandshakeError (or the envelope's error) otherwise. */
  static async accept(me: PiKey, hello: Uint8Array, options: AcceptOptions = {}): Promise<SessionKey> {
    assertPiKey(me, 'me');
    const now = options.now ?? Date.now;
    const openOptions: OpenOptions = { types: [SESSION_HELLO_TYPE], maxSize: 4096, now };
    if (options.guard !== undefined) openOptions.guard = options.guard;
    else {
      openOptions.maxAgeMs = options.maxAgeMs ?? 120_000;
      openOptions.maxFutureMs = 30_000;
    }
    if (options.expectFrom !== undefined) openOptions.expectFrom = options.expectFrom;
    const env = await open<Record<string, unknown>>(hello, openOptions);
    const body = env.body;
    if (typeof body !== 'object' || body === null) throw new HandshakeError('hello body must be a map');
    const { to, epk, ttl } = body;
    if (!isBytes(to) || !isBytes(epk) || epk.length !== 32 || typeof ttl !== 'number' || !Number.isSafeInteger(ttl)) {
      throw new HandshakeError('hello body is malformed');
    }
    if (!equalBytes(to, me.getPublicKey())) throw new HandshakeError('hello is addressed to another key');
    if (ttl <= 0 || ttl > MAX_SESSION_TTL_SECONDS * 1000) throw new HandshakeError('hello ttl is out of range');
    const expiresAt = env.ts + ttl;
    if (expiresAt <= now()) throw new SessionExpiredError();
    const mine = me.x25519SecretKey();
    let dh1: Uint8Array;
    let dh2: Uint8Array;
    try {
      dh1 = x25519.getSharedSecret(mine, epk);
      dh2 = x25519.getSharedSecret(mine, ed25519.utils.toMontgomery(env.from));
    } catch {
      throw new HandshakeError('key agreement failed (low-order key)');
    } finally {
      zeroize(mine);
    }
    return SessionKey.derive(dh1, dh2, hello, false, expiresAt, now, env.from);
  }

  private static derive(dh1: Uint8Array, dh2: Uint8Array, hello: Uint8Array, initiator: boolean, expiresAt: number, now: () => number, peer: Uint8Array): SessionKey {
    const ikm = concatBytes(dh1, dh2);
    const okm = hkdf(sha256, ikm, sha256(hello), HKDF_INFO, 96);
    zeroize(dh1, dh2, ikm);
    const i2r = new GcmKey(okm.slice(0, 32));
    const r2i = new GcmKey(okm.slice(32, 64));
    const id = concatBytes(SESSION_ID_PREFIX, okm.subarray(64, 96));
    zeroize(okm);
    return initiator ? new SessionKey(id, i2r, r2i, expiresAt, now, peer.slice()) : new SessionKey(id, r2i, i2r, expiresAt, now, peer.slice());
  }

  /** The 34-byte session id (equal on both sides of a shared session). */
  get id(): Uint8Array {
    return this.#id.slice();
  }

  get shared(): boolean {
    return this.peer !== undefined;
  }

  isExpired(): boolean {
    return this.#now() >= this.expiresAt;
  }

  private live(): void {
    if (this.#destroyed) throw new IdentityError('ERR_KEY_DESTROYED', 'the session has been destroyed');
    if (this.isExpired()) throw new SessionExpiredError();
  }

  private aad(extra: Uint8Array | undefined): Uint8Array {
    if (extra !== undefined) assertBytes(extra, 'aad');
    return concatBytes(this.#id, new Uint8Array([CIPHERTEXT_VERSION]), extra ?? new Uint8Array(0));
  }

  private split(ciphertext: Uint8Array): { nonce: Uint8Array; sealed: Uint8Array } {
    if (!isBytes(ciphertext)) throw new InvalidArgumentError('ciphertext must be a Uint8Array');
    if (ciphertext.length < HEADER_LENGTH + GCM_TAG_LENGTH) throw new DecryptError('ciphertext is truncated');
    if (ciphertext[0] !== CIPHERTEXT_VERSION) throw new DecryptError('unknown ciphertext version');
    return { nonce: ciphertext.subarray(1, HEADER_LENGTH), sealed: ciphertext.subarray(HEADER_LENGTH) };
  }

  /** Encrypts on the fastest path (WebCrypto where present). */
  async encrypt(plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
    assertBytes(plaintext, 'plaintext');
    this.live();
    const nonce = this.#send.nextNonce();
    const sealed = await this.#send.key.encrypt(nonce, plaintext, this.aad(aad));
    return concatBytes(new Uint8Array([CIPHERTEXT_VERSION]), nonce, sealed);
  }

  /** Decrypts a ciphertext of this session (from the peer, for a shared session). */
  async decrypt(ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
    this.live();
    const { nonce, sealed } = this.split(ciphertext);
    return this.#recv.decrypt(nonce, sealed, this.aad(aad));
  }

  /** `encrypt` on the synchronous (noble) path; same format. */
  encryptSync(plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
    assertBytes(plaintext, 'plaintext');
    this.live();
    const nonce = this.#send.nextNonce();
    return concatBytes(new Uint8Array([CIPHERTEXT_VERSION]), nonce, gcmEncryptSync(this.#send.key.raw, nonce, plaintext, this.aad(aad)));
  }

  /** `decrypt` on the synchronous (noble) path. */
  decryptSync(ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array {
    this.live();
    const { nonce, sealed } = this.split(ciphertext);
    return gcmDecryptSync(this.#recv.raw, nonce, sealed, this.aad(aad));
  }

  /** Zeroes the keys; the session can no longer be used. */
  destroy(): void {
    this.#send.key.destroy();
    this.#recv.destroy();
    this.#destroyed = true;
  }
}
