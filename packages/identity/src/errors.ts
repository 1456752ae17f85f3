/**
 * Errors of @edge/identity. Every failure has its own class and a stable `code` string that
 * callers (and counters on the wire) can switch on. Messages never contain secret material.
 */

const MARKER = Symbol.for('@edge/identity/error');

/** Base class of every error thrown by @edge/identity. */
export class IdentityError extends Error {
  /** Stable machine-readable code, e.g. `ERR_BACKUP_AUTH`. */
  readonly code: string;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any IdentityError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is IdentityError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** An argument has the wrong type, length or range. */
export class InvalidArgumentError extends IdentityError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

/** The key was destroyed (its secret zeroed) and can no longer be used. */
export class KeyDestroyedError extends IdentityError {
  constructor() {
    super('ERR_KEY_DESTROYED', 'the key has been destroyed');
  }
}

/** A password is too short to protect a backup. */
export class WeakPasswordError extends IdentityError {
  constructor(min: number) {
    super('ERR_WEAK_PASSWORD', `password must be at least ${min} characters`);
  }
}

/** Backup bytes are not a backup (wrong magic, wrong length, truncated). */
export class BackupFormatError extends IdentityError {
  constructor(message: string) {
    super('ERR_BACKUP_FORMAT', message);
  }
}

/** The backup uses a format version or KDF this build does not accept. */
export class BackupVersionError extends IdentityError {
  constructor(message: string) {
    super('ERR_BACKUP_VERSION', message);
  }
}

/** The KDF parameters are below the accepted minimum or above the accepted maximum. */
export class KdfParamsError extends IdentityError {
  constructor(message: string) {
    super('ERR_KDF_PARAMS', message);
  }
}

/** Wrong password, or the backup was modified: authentication failed. */
export class BackupAuthError extends IdentityError {
  constructor() {
    super('ERR_BACKUP_AUTH', 'backup authentication failed (wrong password or modified backup)');
  }
}

/** The session has expired: it neither encrypts nor decrypts any more. */
export class SessionExpiredError extends IdentityError {
  constructor() {
    super('ERR_SESSION_EXPIRED', 'session key has expired');
  }
}

/** A ciphertext is malformed or fails authentication. */
export class DecryptError extends IdentityError {
  constructor(message = 'ciphertext failed authentication') {
    super('ERR_DECRYPT', message);
  }
}

/** The session has used every nonce it may use; create a new session. */
export class NonceExhaustedError extends IdentityError {
  constructor() {
    super('ERR_NONCE_EXHAUSTED', 'session message limit reached; create a new session');
  }
}

/** A session handshake message is malformed, not addressed to us, or badly signed. */
export class HandshakeError extends IdentityError {
  constructor(message: string) {
    super('ERR_HANDSHAKE', message);
  }
}

/** A genesis marker is malformed or does not verify. */
export class GenesisError extends IdentityError {
  constructor(message: string) {
    super('ERR_GENESIS', message);
  }
}

/** Envelope bytes exceed the size limit; nothing was decoded. */
export class EnvelopeTooLargeError extends IdentityError {
  constructor(size: number, max: number) {
    super('ERR_ENVELOPE_TOO_LARGE', `envelope of ${size} bytes exceeds the limit of ${max}`);
  }
}

/** Envelope bytes are not valid CBOR or do not match the envelope schema. */
export class EnvelopeMalformedError extends IdentityError {
  constructor(message: string) {
    super('ERR_ENVELOPE_MALFORMED', message);
  }
}

/** Envelope bytes decode, but are not the deterministic (canonical) encoding of their value. */
export class EnvelopeNonCanonicalError extends IdentityError {
  constructor() {
    super('ERR_ENVELOPE_NON_CANONICAL', 'envelope is not deterministically encoded');
  }
}

/** Envelope version is not supported. */
export class EnvelopeVersionError extends IdentityError {
  constructor(v: unknown) {
    super('ERR_ENVELOPE_VERSION', `unsupported envelope version ${String(v)}`);
  }
}

/** Envelope type is not one the receiver accepts. */
export class EnvelopeTypeError extends IdentityError {
  constructor(type: string) {
    super('ERR_ENVELOPE_TYPE', `unexpected envelope type ${JSON.stringify(type)}`);
  }
}

/** Envelope is validly signed, but by someone other than the expected sender. */
export class EnvelopeWrongSignerError extends IdentityError {
  constructor() {
    super('ERR_ENVELOPE_WRONG_SIGNER', 'envelope is not from the expected sender');
  }
}

/** The signature does not verify for the envelope's sender and content. */
export class EnvelopeSignatureError extends IdentityError {
  constructor() {
    super('ERR_ENVELOPE_BAD_SIGNATURE', 'envelope signature does not verify');
  }
}

/** The timestamp is older than the accepted window. */
export class StaleMessageError extends IdentityError {
  constructor() {
    super('ERR_STALE', 'message timestamp is too old');
  }
}

/** The timestamp is further in the future than the accepted clock skew. */
export class FutureMessageError extends IdentityError {
  constructor() {
    super('ERR_FUTURE', 'message timestamp is too far in the future');
  }
}

/** The (sender, nonce) pair has been seen before. */
export class ReplayError extends IdentityError {
  constructor() {
    super('ERR_REPLAY', 'message nonce was already seen');
  }
}
