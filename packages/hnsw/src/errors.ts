/**
 * Errors of @edge/hnsw. Every failure has its own class and a stable `code` that callers can
 * switch on; whatever throws, the index is left exactly as it was before the call.
 */

const MARKER = Symbol.for('@edge/hnsw/error');

export type HnswErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_ID'
  | 'ERR_DIMENSION_MISMATCH'
  | 'ERR_NON_FINITE'
  | 'ERR_ZERO_VECTOR'
  | 'ERR_UNKNOWN_ID'
  | 'ERR_CAPACITY'
  | 'ERR_CORRUPT_SNAPSHOT'
  | 'ERR_CORRUPT_DELTA'
  | 'ERR_INCOMPATIBLE'
  | 'ERR_VERSION_GAP'
  | 'ERR_DIVERGED'
  | 'ERR_DELTA_UNAVAILABLE';

/** Base class of every error thrown by @edge/hnsw. */
export class HnswError extends Error {
  /** Stable machine-readable code, e.g. `ERR_DIMENSION_MISMATCH`. */
  readonly code: HnswErrorCode;
  readonly [MARKER] = true;

  constructor(code: HnswErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any HnswError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is HnswError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** A `createIndex` option is missing, of the wrong type or out of range. */
export class InvalidOptionError extends HnswError {
  constructor(message: string) {
    super('ERR_INVALID_OPTION', message);
  }
}

/** A call argument is invalid: k ≤ 0, efSearch ≤ 0, a filter that is not a function, a batch of the wrong shape. */
export class InvalidArgumentError extends HnswError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

/** An id is neither a safe integer nor a well-formed string. */
export class InvalidIdError extends HnswError {
  constructor(message: string) {
    super('ERR_INVALID_ID', message);
  }
}

/** A vector or query has another length than the index dimension. */
export class DimensionMismatchError extends HnswError {
  constructor(message: string) {
    super('ERR_DIMENSION_MISMATCH', message);
  }
}

/** A component is NaN, infinite or beyond float32, or the vector is too long for float32 distances. */
export class NonFiniteError extends HnswError {
  constructor(message: string) {
    super('ERR_NON_FINITE', message);
  }
}

/** A zero vector (in float32) under the cosine metric, which has no direction. */
export class ZeroVectorError extends HnswError {
  constructor(message: string) {
    super('ERR_ZERO_VECTOR', message);
  }
}

/** `remove` of an id that the index does not hold. */
export class UnknownIdError extends HnswError {
  constructor(message: string) {
    super('ERR_UNKNOWN_ID', message);
  }
}

/** The index would outgrow one WebAssembly memory (4 GiB). */
export class CapacityError extends HnswError {
  constructor(message: string) {
    super('ERR_CAPACITY', message);
  }
}

/** Snapshot bytes are not a valid snapshot: magic, version, checksum, truncation or structure. */
export class CorruptSnapshotError extends HnswError {
  constructor(message: string) {
    super('ERR_CORRUPT_SNAPSHOT', message);
  }
}

/** Delta bytes are not a valid delta, or hold an op that cannot apply. */
export class CorruptDeltaError extends HnswError {
  constructor(message: string) {
    super('ERR_CORRUPT_DELTA', message);
  }
}

/** A delta made by an index with another dim, metric, M or efConstruction. */
export class IncompatibleError extends HnswError {
  constructor(message: string) {
    super('ERR_INCOMPATIBLE', message);
  }
}

/** A delta that starts after this index's version: an earlier delta is missing. */
export class VersionGapError extends HnswError {
  constructor(message: string) {
    super('ERR_VERSION_GAP', message);
  }
}

/** A delta whose history differs from this index's history (a second writer). */
export class DivergedError extends HnswError {
  constructor(message: string) {
    super('ERR_DIVERGED', message);
  }
}

/** `exportDelta` from a version the op log no longer reaches: send a snapshot instead. */
export class DeltaUnavailableError extends HnswError {
  constructor(message: string) {
    super('ERR_DELTA_UNAVAILABLE', message);
  }
}

const CLASSES: Record<HnswErrorCode, new (message: string) => HnswError> = {
  ERR_INVALID_OPTION: InvalidOptionError,
  ERR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_INVALID_ID: InvalidIdError,
  ERR_DIMENSION_MISMATCH: DimensionMismatchError,
  ERR_NON_FINITE: NonFiniteError,
  ERR_ZERO_VECTOR: ZeroVectorError,
  ERR_UNKNOWN_ID: UnknownIdError,
  ERR_CAPACITY: CapacityError,
  ERR_CORRUPT_SNAPSHOT: CorruptSnapshotError,
  ERR_CORRUPT_DELTA: CorruptDeltaError,
  ERR_INCOMPATIBLE: IncompatibleError,
  ERR_VERSION_GAP: VersionGapError,
  ERR_DIVERGED: DivergedError,
  ERR_DELTA_UNAVAILABLE: DeltaUnavailableError,
};

/** The error of a code, as its own class. */
export function hnswError(code: HnswErrorCode, message: string): HnswError {
  return new CLASSES[code](message);
}

/** Throws the error of a code. */
export function fail(code: HnswErrorCode, message: string): never {
  throw hnswError(code, message);
}
