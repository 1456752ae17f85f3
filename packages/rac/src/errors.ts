/**
 * Errors of @edge/rac. Every failure has its own class and a stable `code`; the engine also
 * counts rejections by the same codes, so a test (or a dashboard) can tell why input was refused.
 */

const MARKER = Symbol.for('@edge/rac/error');

/** Base class of every error thrown by @edge/rac. */
export class RacError extends Error {
  /** Stable machine-readable code, e.g. `ERR_RAC_BAD_EVIDENCE`. */
  readonly code: string;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any RacError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is RacError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** An argument has the wrong type, length or range. */
export class RacArgumentError extends RacError {
  constructor(message: string) {
    super('ERR_RAC_ARGUMENT', message);
  }
}

/** A claim is malformed, badly signed, replayed, stale, or from a refused author. */
export class ClaimRejectedError extends RacError {
  /** Why: `malformed`, `bad-signature`, `replay`, `stale`, `future`, `quarantined`, `not-admitted`, `rate-limited`, `too-large`. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('ERR_RAC_CLAIM_REJECTED', message);
    this.reason = reason;
  }
}

/** Evidence does not prove what it claims (bad encoding, bad signature, too few witnesses...). */
export class EvidenceError extends RacError {
  /** Why, e.g. `malformed`, `bad-signature`, `same-body`, `not-sequenced`, `witness-stake`. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('ERR_RAC_BAD_EVIDENCE', message);
    this.reason = reason;
  }
}

/** An authority decision is unsigned, badly signed, not from the registered authority, or short of weight. */
export class DecisionRejectedError extends RacError {
  /** Why: `malformed`, `unsigned`, `bad-signature`, `no-authority`, `not-authority`, `mixed-bodies`, `insufficient-weight`. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('ERR_RAC_DECISION_REJECTED', message);
    this.reason = reason;
  }
}

/** A Merkle proof is malformed or does not verify against the given root. */
export class ProofError extends RacError {
  constructor(message: string) {
    super('ERR_RAC_PROOF', message);
  }
}

/** An admission (proof-of-work) token does not meet the required difficulty. */
export class AdmissionError extends RacError {
  constructor(message: string) {
    super('ERR_RAC_ADMISSION', message);
  }
}
