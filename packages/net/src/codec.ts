/**
 * The wire codec: every protocol message is an @edge/identity signed envelope (deterministic
 * CBOR, Ed25519, see docs/identity.md) whose `type` names a schema of the protocol or topic.
 *
 * `decodeMessage` checks, cheapest first, each failure with its own stable code:
 *   frame size (ERR_MESSAGE_TOO_LARGE) -> envelope: CBOR, canonical form, shape, version
 *   (ERR_ENVELOPE_*) -> type known to this protocol (ERR_ENVELOPE_TYPE) -> signer is the peer
 *   that sent it (ERR_ENVELOPE_WRONG_SIGNER) -> timestamp window (ERR_STALE, ERR_FUTURE) ->
 *   signature (ERR_ENVELOPE_BAD_SIGNATURE) -> body schema (ERR_SCHEMA) -> replay (ERR_REPLAY).
 * The nonce is recorded only when everything else has passed, so neither a forgery nor a
 * signed-but-invalid message changes the replay guard's state.
 */

import {
  EnvelopeWrongSignerError,
  equalBytes,
  open,
  sealAsync,
  type ReplayGuard,
  type Signer,
  type Verifier,
} from '@edge/identity';
import { InvalidArgumentError, MessageTooLargeError } from './errors.js';
import { peerIdOf } from './peer.js';
import { validateBody, type InferInput, type InferOutput, type MessageMap } from './schema.js';

/** A decoded, verified, schema-checked message. */
export interface IncomingMessage<Type extends string = string, Body = unknown> {
  readonly type: Type;
  readonly body: Body;
  /** The signer's 32-byte Pi public key. */
  readonly from: Uint8Array;
  /** The signer's peer id (same key, libp2p form). */
  readonly signer: string;
  /** Signer's timestamp, ms since the epoch. */
  readonly ts: number;
  readonly nonce: Uint8Array;
}

/** The union of incoming messages of a message map. */
export type Incoming<M extends MessageMap> = {
  [K in keyof M & string]: IncomingMessage<K, InferOutput<M[K]>>;
}[keyof M & string];

/** The union of `{ type, body }` pairs a sender may pass for a message map. */
export type Outgoing<M extends MessageMap> = {
  [K in keyof M & string]: { readonly type: K; readonly body: InferInput<M[K]> };
}[keyof M & string];

/** Replay protection and the timestamp window used by `decodeMessage`. */
export interface ReplayWindow {
  readonly guard: ReplayGuard;
  /** Must equal the guard's own window, so the early check and `guard.accept` agree. */
  readonly maxAgeMs: number;
  readonly maxFutureMs: number;
  readonly now?: () => number;
}

export interface DecodeOptions {
  /** Largest accepted frame in bytes. */
  readonly maxBytes: number;
  readonly replay: ReplayWindow;
  /** The public key of the peer the bytes came from; the signer must be this key ... */
  readonly expectFrom?: Uint8Array;
  /** ... unless this says the actual signer is acceptable too (relayed gossip). */
  readonly allowSigner?: (signer: Uint8Array) => boolean;
  readonly verifier?: Verifier;
}

/**
 * Decodes and fully checks one message against `messages` (see module comment). Throws only
 * typed errors (NetError or IdentityError, each with a stable `code`).
 */
export async function decodeMessage<M extends MessageMap>(bytes: Uint8Array, messages: M, options: DecodeOptions): Promise<Incoming<M>> {
  if (bytes instanceof Uint8Array && bytes.length > options.maxBytes) throw new MessageTooLargeError(bytes.length, options.maxBytes);
  const strict = options.allowSigner === undefined ? options.expectFrom : undefined;
  const env = await open(bytes, {
    maxSize: options.maxBytes,
    types: (t) => Object.prototype.hasOwnProperty.call(messages, t),
    ...(strict !== undefined ? { expectFrom: strict } : {}),
    maxAgeMs: options.replay.maxAgeMs,
    maxFutureMs: options.replay.maxFutureMs,
    ...(options.replay.now !== undefined ? { now: options.replay.now } : {}),
    ...(options.verifier !== undefined ? { verifier: options.verifier } : {}),
  });
  if (
    options.expectFrom !== undefined &&
    options.allowSigner !== undefined &&
    !equalBytes(env.from, options.expectFrom) &&
    !options.allowSigner(env.from)
  ) {
    throw new EnvelopeWrongSignerError();
  }
  const body = validateBody(messages[env.type]!, env.type, env.body);
  options.replay.guard.accept(env.from, env.nonce, env.ts);
  return { type: env.type, body, from: env.from, signer: peerIdOf(env.from), ts: env.ts, nonce: env.nonce } as Incoming<M>;
}

/**
 * Validates `body` against the schema of `type` (so a sender learns of its own mistake before
 * the peer penalises it) and seals it. Throws ERR_SCHEMA, ERR_INVALID_ARGUMENT (unknown type or
 * a body CBOR cannot carry) or ERR_MESSAGE_TOO_LARGE.
 */
export async function encodeMessage<M extends MessageMap>(
  signer: Signer,
  messages: M,
  type: keyof M & string,
  body: unknown,
  maxBytes: number,
): Promise<Uint8Array> {
  const schema = Object.prototype.hasOwnProperty.call(messages, type) ? messages[type] : undefined;
  if (schema === undefined) throw new InvalidArgumentError(`message type ${JSON.stringify(type)} is not defined here`);
  validateBody(schema, type, body);
  try {
    return await sealAsync(signer, type, body, { maxSize: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_ENVELOPE_TOO_LARGE') throw new MessageTooLargeError(undefined, maxBytes);
    throw error;
  }
}
