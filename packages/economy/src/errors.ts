/**
 * Errors of @edge/economy. Each failure has its own class with a stable `code`. Entries that fail
 * validation are not thrown at the replica that receives them (they are counted by reason, see
 * `Ledger.stats()`); errors are thrown to the caller that asked for something impossible.
 */

const MARKER = Symbol.for('@edge/economy/error');

/** Base class of every error thrown by @edge/economy. */
export class EconomyError extends Error {
  /** Stable machine-readable code, e.g. `ERR_ECONOMY_INSUFFICIENT_BALANCE`. */
  readonly code: string;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any EconomyError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is EconomyError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** An argument has the wrong type, length or range. */
export class EconomyArgumentError extends EconomyError {
  constructor(message: string) {
    super('ERR_ECONOMY_ARGUMENT', message);
  }
}

/** A policy value is out of range. */
export class PolicyError extends EconomyError {
  constructor(message: string) {
    super('ERR_ECONOMY_POLICY', message);
  }
}

/** Entry bytes do not decode to a ledger entry (schema, size, encoding). */
export class EntryFormatError extends EconomyError {
  /** `malformed`, `bad-nonce`, `too-large`. */
  readonly reason: string;
  constructor(message: string, reason = 'malformed') {
    super('ERR_ECONOMY_ENTRY_FORMAT', message);
    this.reason = reason;
  }
}

/** The entry the caller wants to write would be invalid in the fold (balance, escrow, lock...). */
export class EntryRejectedError extends EconomyError {
  /** The fold's reason code, e.g. `overspend`, `stake-locked`. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('ERR_ECONOMY_ENTRY_REJECTED', message);
    this.reason = reason;
  }
}

/** The account is frozen (it equivocated) and may not write. */
export class AccountFrozenError extends EconomyError {
  constructor() {
    super('ERR_ECONOMY_ACCOUNT_FROZEN', 'the account is frozen after an equivocation');
  }
}

/** A swap would give less than the caller's minimum (slippage bound). Nothing changed. */
export class SlippageError extends EconomyError {
  constructor(out: bigint, min: bigint) {
    super('ERR_ECONOMY_SLIPPAGE', `swap would return ${out}, below the minimum ${min}`);
  }
}

/** The pool cannot fill the request (zero output, or more than its reserve). Nothing changed. */
export class LiquidityError extends EconomyError {
  constructor(message: string) {
    super('ERR_ECONOMY_LIQUIDITY', message);
  }
}

/** A sync message is malformed, oversized or of an unknown type. Nothing changed. */
export class SyncMessageError extends EconomyError {
  constructor(message: string) {
    super('ERR_ECONOMY_SYNC_MESSAGE', message);
  }
}

/** Stored data is corrupt somewhere other than a torn last record. */
export class StorageCorruptError extends EconomyError {
  constructor(message: string) {
    super('ERR_ECONOMY_STORAGE_CORRUPT', message);
  }
}

/** The storage was closed. */
export class StorageClosedError extends EconomyError {
  constructor() {
    super('ERR_ECONOMY_STORAGE_CLOSED', 'storage is closed');
  }
}
