/**
 * Signed envelope: the unit every edge-net message, ledger entry and verdict travels in.
 *
 * Wire form: the deterministic CBOR encoding (see cbor.ts) of the map
 *   { v: 1, type: string, from: bytes(32), ts: uint (ms since epoch), nonce: bytes(16), body: any, sig: bytes(64) }
 * where `sig` is the Ed25519 signature (edge-net consensus rule, see ed25519.ts) of
 *   "edge-net/envelope/v1" || 0x00 || CBOR({ v, type, from, ts, nonce, body }).
 *
 * `open()` validates in an order that spends no signature check on bytes that fail cheaper
 * tests, and records a nonce only after the signature has verified:
 *   size -> CBOR well-formed -> canonical -> schema -> version -> type -> expected sender ->
 *   timestamp window -> signature -> replay.
 * Each failure is its own error class with a stable code. Nothing is returned unless all pass.
 */

import { decodeCanonical, encodeCanonical } from './cbor.js';
import { concatBytes, domainTag, isBytes, randomBytes, equalBytes } from './bytes.js';
import { defaultVerifier, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, type Signer, type Verifier } from './ed25519.js';
import type { ReplayGuard } from './replay.js';
import {
  EnvelopeMalformedError,
  EnvelopeNonCanonicalError,
  EnvelopeSignatureError,
  EnvelopeTooLargeError,
  EnvelopeTypeError,
  EnvelopeVersionError,
  EnvelopeWrongSignerError,
  FutureMessageError,
  InvalidArgumentError,
  StaleMessageError,
} from './errors.js';

export const ENVELOPE_VERSION = 1;
export const ENVELOPE_NONCE_LENGTH = 16;
/** Default size limit of a whole envelope on the wire: 1 MiB. */
export const DEFAULT_MAX_ENVELOPE_SIZE = 1 << 20;
const ENVELOPE_TAG = domainTag('edge-net/envelope/v1');
const TYPE_PATTERN = /^[a-z][a-z0-9._/-]{0,63}$/;
const KEYS = ['body', 'from', 'nonce', 'sig', 'ts', 'type', 'v'];

/** A verified envelope. `from` is the signer's Ed25519 public key. */
export interface Envelope<T = unknown> {
  readonly v: 1;
  readonly type: string;
  readonly from: Uint8Array;
  readonly ts: number;
  readonly nonce: Uint8Array;
  readonly body: T;
  readonly sig: Uint8Array;
}

export interface SealOptions {
  /** Timestamp to stamp; default `Date.now()`. */
  ts?: number;
  /** 16-byte nonce; default random. */
  nonce?: Uint8Array;
  /** Refuse to produce an envelope larger than this. Default 1 MiB. */
  maxSize?: number;
}

export interface OpenOptions {
  /** Largest accepted envelope in bytes. Default 1 MiB. */
  maxSize?: number;
  /** Accepted types: a list, or a predicate. Default: any well-formed type. */
  types?: readonly string[] | ((type: string) => boolean);
  /** Accept only envelopes from this public key. */
  expectFrom?: Uint8Array;
  /** Replay protection and the timestamp window. Without one, only `maxAgeMs`/`maxFutureMs` apply. */
  guard?: ReplayGuard;
  /** Without a guard: largest accepted age in ms (default: no limit). */
  maxAgeMs?: number;
  /** Without a guard: largest accepted clock skew into the future in ms (default: no limit). */
  maxFutureMs?: number;
  /** Clock for `maxAgeMs`/`maxFutureMs`. */
  now?: () => number;
  /** Verifier to use; default the shared one. */
  verifier?: Verifier;
}

function validateType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
    throw new InvalidArgumentError('type must match /^[a-z][a-z0-9._/-]{0,63}$/');
  }
}

function signedBytes(v: number, type: string, from: Uint8Array, ts: number, nonce: Uint8Array, body: unknown): Uint8Array {
  return concatBytes(ENVELOPE_TAG, encodeCanonical({ v, type, from, ts, nonce, body }));
}

function prepare(signer: Signer, type: string, body: unknown, options: SealOptions) {
  validateType(type);
  const ts = options.ts ?? Date.now();
  if (!Number.isSafeInteger(ts) || ts < 0) throw new InvalidArgumentError('ts must be a non-negative safe integer');
  const nonce = options.nonce ?? randomBytes(ENVELOPE_NONCE_LENGTH);
  if (!isBytes(nonce) || nonce.length !== ENVELOPE_NONCE_LENGTH) throw new InvalidArgumentError('nonce must be 16 bytes');
  let message: Uint8Array;
  try {
    message = signedBytes(ENVELOPE_VERSION, type, signer.publicKey, ts, nonce, body);
  } catch (error) {
    throw new InvalidArgumentError(`body cannot be encoded as CBOR: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { ts, nonce, message };
}

function finish(signer: Signer, type: string, body: unknown, ts: number, nonce: Uint8Array, sig: Uint8Array, maxSize: number): Uint8Array {
  const bytes = encodeCanonical({ v: ENVELOPE_VERSION, type, from: signer.publicKey, ts, nonce, body, sig });
  if (bytes.length > maxSize) throw new EnvelopeTooLargeError(bytes.length, maxSize);
  // A body that does not survive the round trip (e.g. a float that is integral, or undefined
  // inside an array) would be rejected by every receiver; refuse it here instead.
  const check = decodeCanonical(bytes);
  if (!check.ok) throw new InvalidArgumentError('body has no canonical CBOR form (integral floats, undefined or unsupported values)');
  return bytes;
}

/** Builds and signs an envelope synchronously. */
export function seal(signer: Signer, type: string, body: unknown, options: SealOptions = {}): Uint8Array {
  const { ts, nonce, message } = prepare(signer, type, body, options);
  return finish(signer, type, body, ts, nonce, signer.sign(message), options.maxSize ?? DEFAULT_MAX_ENVELOPE_SIZE);
}

/** Builds and signs an envelope on the signer's fastest path. Same bytes as `seal`. */
export async function sealAsync(signer: Signer, type: string, body: unknown, options: SealOptions = {}): Promise<Uint8Array> {
  const { ts, nonce, message } = prepare(signer, type, body, options);
  return finish(signer, type, body, ts, nonce, await signer.signAsync(message), options.maxSize ?? DEFAULT_MAX_ENVELOPE_SIZE);
}

interface Parsed {
  env: Envelope;
  message: Uint8Array;
}

function parse(bytes: unknown, options: OpenOptions): Parsed {
  if (!isBytes(bytes)) throw new EnvelopeMalformedError('envelope must be a Uint8Array');
  const maxSize = options.maxSize ?? DEFAULT_MAX_ENVELOPE_SIZE;
  if (bytes.length > maxSize) throw new EnvelopeTooLargeError(bytes.length, maxSize);
  const decoded = decodeCanonical(bytes);
  if (!decoded.ok) {
    if (decoded.reason === 'non-canonical') throw new EnvelopeNonCanonicalError();
    throw new EnvelopeMalformedError('envelope is not well-formed CBOR');
  }
  const value = decoded.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isBytes(value)) {
    throw new EnvelopeMalformedError('envelope must be a CBOR map');
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length !== KEYS.length || keys.some((k, i) => k !== KEYS[i])) {
    throw new EnvelopeMalformedError('envelope must have exactly the fields v, type, from, ts, nonce, body, sig');
  }
  const { v, type, from, ts, nonce, body, sig } = record;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new EnvelopeMalformedError('v must be an integer');
  if (v !== ENVELOPE_VERSION) throw new EnvelopeVersionError(v);
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) throw new EnvelopeMalformedError('type is not a valid type name');
  if (!isBytes(from) || from.length !== PUBLIC_KEY_LENGTH) throw new EnvelopeMalformedError('from must be 32 bytes');
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) throw new EnvelopeMalformedError('ts must be a non-negative integer');
  if (!isBytes(nonce) || nonce.length !== ENVELOPE_NONCE_LENGTH) throw new EnvelopeMalformedError('nonce must be 16 bytes');
  if (!isBytes(sig) || sig.length !== SIGNATURE_LENGTH) throw new EnvelopeMalformedError('sig must be 64 bytes');

  const types = options.types;
  if (types !== undefined && !(typeof types === 'function' ? types(type) : types.includes(type))) throw new EnvelopeTypeError(type);
  if (options.expectFrom !== undefined && !equalBytes(options.expectFrom, from)) throw new EnvelopeWrongSignerError();

  if (options.guard !== undefined) options.guard.checkTime(ts);
  else {
    const now = (options.now ?? Date.now)();
    if (options.maxAgeMs !== undefined && ts < now - options.maxAgeMs) throw new StaleMessageError();
    if (options.maxFutureMs !== undefined && ts > now + options.maxFutureMs) throw new FutureMessageError();
  }
  const env: Envelope = { v: ENVELOPE_VERSION, type, from, ts, nonce, body, sig };
  return { env, message: signedBytes(v, type, from, ts, nonce, body) };
}

/** Decodes and fully checks an envelope (see module comment), verifying on the fastest path. */
export async function open<T = unknown>(bytes: Uint8Array, options: OpenOptions = {}): Promise<Envelope<T>> {
  const { env, message } = parse(bytes, options);
  const verifier = options.verifier ?? defaultVerifier;
  if (!(await verifier.verifyAsync(env.sig, message, env.from))) throw new EnvelopeSignatureError();
  options.guard?.accept(env.from, env.nonce, env.ts);
  return env as Envelope<T>;
}

/** `open` on the synchronous (noble) path. */
export function openSync<T = unknown>(bytes: Uint8Array, options: OpenOptions = {}): Envelope<T> {
  const { env, message } = parse(bytes, options);
  const verifier = options.verifier ?? defaultVerifier;
  if (!verifier.verify(env.sig, message, env.from)) throw new EnvelopeSignatureError();
  options.guard?.accept(env.from, env.nonce, env.ts);
  return env as Envelope<T>;
}

/**
 * Opens many envelopes with one batched signature check. Result `i` is the envelope or the
 * error for `items[i]`; the guard records nonces in order, so a duplicate inside the batch is
 * a replay.
 */
export async function openBatch(items: readonly Uint8Array[], options: OpenOptions = {}): Promise<(Envelope | Error)[]> {
  const parsed: (Parsed | Error)[] = items.map((bytes) => {
    try {
      return parse(bytes, options);
    } catch (error) {
      return error as Error;
    }
  });
  const verifier = options.verifier ?? defaultVerifier;
  const pending = parsed.filter((p): p is Parsed => !(p instanceof Error));
  const ok = await verifier.verifyBatch(pending.map((p) => ({ signature: p.env.sig, message: p.message, publicKey: p.env.from })));
  let j = 0;
  return parsed.map((p) => {
    if (p instanceof Error) return p;
    if (!ok[j++]) return new EnvelopeSignatureError();
    try {
      options.guard?.accept(p.env.from, p.env.nonce, p.env.ts);
      return p.env;
    } catch (error) {
      return error as Error;
    }
  });
}

/** An envelope that passed every check except its signature and the replay guard. */
export interface UnverifiedEnvelope {
  readonly envelope: Envelope;
  /** The exact bytes the signature must cover (tag || CBOR of the unsigned fields). */
  readonly signedMessage: Uint8Array;
}

/**
 * Runs `open()`'s checks up to, but not including, the signature and the replay guard, and
 * returns the envelope with the bytes its signature covers. For callers that verify many
 * signatures in one batch (a ledger) and must not decode twice. NOTHING in the result is
 * authenticated until `verifier.verify(envelope.sig, signedMessage, envelope.from)` succeeds.
 */
export function parseUnverified(bytes: Uint8Array, options: Omit<OpenOptions, 'guard' | 'verifier'> = {}): UnverifiedEnvelope {
  const { env, message } = parse(bytes, options);
  return { envelope: env, signedMessage: message };
}
