/**
 * Errors of @edge/net. Every failure has its own class and a stable `code`; rejections of
 * remote input are counted under that code in `getNetworkStats()`. Errors raised by
 * @edge/identity while opening an envelope (ERR_ENVELOPE_*, ERR_STALE, ERR_FUTURE, ERR_REPLAY)
 * keep their own codes and classes; they are counted under those codes.
 */

const MARKER = Symbol.for('@edge/net/error');

/** Base class of every error thrown by @edge/net. */
export class NetError extends Error {
  /** Stable machine-readable code, e.g. `ERR_RATE_LIMITED`. */
  readonly code: string;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any NetError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is NetError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** An argument has the wrong type, length or range. */
export class InvalidArgumentError extends NetError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

/** A message body does not match its schema. */
export class SchemaError extends NetError {
  /** Where and why, one line per issue (bounded). */
  readonly issues: readonly string[];
  constructor(type: string, issues: readonly string[]) {
    super('ERR_SCHEMA', `body of ${JSON.stringify(type)} does not match its schema: ${issues.slice(0, 3).join('; ')}`);
    this.issues = issues;
  }
}

/** A frame is larger than its protocol or topic allows; it was not decoded. */
export class MessageTooLargeError extends NetError {
  constructor(size: number | undefined, max: number) {
    super('ERR_MESSAGE_TOO_LARGE', `message${size === undefined ? '' : ` of ${size} bytes`} exceeds the limit of ${max}`);
  }
}

/** A frame is not a well-formed length-prefixed frame (bad varint, truncated, extra data). */
export class FramingError extends NetError {
  constructor(message: string) {
    super('ERR_FRAMING', message);
  }
}

/** The peer exceeded its rate limit for this protocol or topic. */
export class RateLimitedError extends NetError {
  constructor(channel: string) {
    super('ERR_RATE_LIMITED', `rate limit exceeded on ${channel}`);
  }
}

/** The peer is banned for a cool-down after misbehaving. */
export class PeerBannedError extends NetError {
  constructor(peer: string) {
    super('ERR_PEER_BANNED', `peer ${peer} is banned`);
  }
}

/** A request, read or sync step did not finish in time. */
export class TimeoutError extends NetError {
  constructor(what: string, ms: number) {
    super('ERR_TIMEOUT', `${what} timed out after ${ms} ms`);
  }
}

/** The caller aborted the operation. */
export class AbortedError extends NetError {
  constructor(what: string) {
    super('ERR_ABORTED', `${what} was aborted`);
  }
}

/** The stream closed or was reset before the exchange finished. */
export class StreamClosedError extends NetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STREAM_CLOSED', message, options);
  }
}

/** A dial failed (unreachable, refused, gated, or the peer does not speak the protocol). */
export class DialError extends NetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DIAL', message, options);
  }
}

/** Peer routing (kad-dht) did not find the peer. */
export class PeerNotFoundError extends NetError {
  constructor(peer: string) {
    super('ERR_PEER_NOT_FOUND', `peer ${peer} was not found`);
  }
}

/** The remote handler answered with a typed error; `remoteCode` is its code. */
export class RemoteError extends NetError {
  readonly remoteCode: string;
  constructor(remoteCode: string, message: string) {
    super('ERR_REMOTE', `remote error ${remoteCode}: ${message}`);
    this.remoteCode = remoteCode;
  }
}

/**
 * Thrown by a request handler that found the request's content to be the sender's fault (a
 * forged or replayed inner message, say): net refuses it with `code` and counts and scores the
 * sender exactly as if net's own checks had refused it. `code` is one of docs/protocol.md's
 * rejection codes (ERR_ENVELOPE_BAD_SIGNATURE, ERR_ENVELOPE_WRONG_SIGNER, ERR_SCHEMA, ERR_REPLAY...).
 */
export class PeerFaultError extends NetError {
  constructor(code: string, message: string) {
    super(/^ERR_[A-Z0-9_]{1,60}$/.test(code) ? code : 'ERR_SCHEMA', message);
  }
}

/** A message arrived that the exchange does not expect at this step. */
export class UnexpectedMessageError extends NetError {
  constructor(message: string) {
    super('ERR_UNEXPECTED_MESSAGE', message);
  }
}

/** A peer id is not an Ed25519 peer id (and so cannot be a Pi-Key). */
export class BadPeerIdError extends NetError {
  constructor(message: string) {
    super('ERR_BAD_PEER_ID', message);
  }
}

/** A protocol, topic or channel is registered twice, or used without registration. */
export class RegistrationError extends NetError {
  constructor(message: string) {
    super('ERR_REGISTRATION', message);
  }
}

/** The network is not running (not started yet, or stopped). */
export class NotStartedError extends NetError {
  constructor() {
    super('ERR_NOT_STARTED', 'the network is not started');
  }
}
