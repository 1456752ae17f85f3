/**
 * Errors of @edge/embed. Every failure has its own class and a stable `code` string that callers
 * (and task counters on the wire) can switch on. Bad input never crashes an embedder and never
 * changes its state: it throws one of these.
 */

const MARKER = Symbol.for('@edge/embed/error');

/** Base class of every error thrown by @edge/embed. */
export class EmbedError extends Error {
  /** Stable machine-readable code, e.g. `ERR_EMPTY_TEXT`. */
  readonly code: string;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any EmbedError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is EmbedError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** An argument has the wrong type, length or range. */
export class InvalidArgumentError extends EmbedError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

/** `embed([])`: a batch must hold at least one text. */
export class EmptyBatchError extends EmbedError {
  constructor() {
    super('ERR_EMPTY_BATCH', 'the batch holds no texts');
  }
}

/** A batch holds more texts than the embedder accepts in one call. */
export class BatchTooLargeError extends EmbedError {
  readonly size: number;
  readonly max: number;
  constructor(size: number, max: number) {
    super('ERR_BATCH_TOO_LARGE', `batch of ${size} texts exceeds the limit of ${max}`);
    this.size = size;
    this.max = max;
  }
}

/** A text is empty, or holds nothing to embed (no letters or digits at all). */
export class EmptyTextError extends EmbedError {
  /** Position of the offending text in its batch. */
  readonly index: number;
  constructor(index: number) {
    super('ERR_EMPTY_TEXT', `text ${index} is empty or holds no words`);
    this.index = index;
  }
}

/** A text is longer (in UTF-16 code units) than the embedder accepts. */
export class TextTooLongError extends EmbedError {
  readonly index: number;
  readonly length: number;
  readonly max: number;
  constructor(index: number, length: number, max: number) {
    super('ERR_TEXT_TOO_LONG', `text ${index} has ${length} characters, more than the limit of ${max}`);
    this.index = index;
    this.length = length;
    this.max = max;
  }
}

/** Model bytes are not a model file of a format this build reads (bad magic, truncated, inconsistent). */
export class ModelFormatError extends EmbedError {
  constructor(message: string) {
    super('ERR_MODEL_FORMAT', message);
  }
}

/** Model bytes are well-formed but their checksum does not match: the file was damaged or altered. */
export class ModelChecksumError extends EmbedError {
  constructor(message: string) {
    super('ERR_MODEL_CHECKSUM', message);
  }
}

/** The model could not be read or fetched (missing file, HTTP error). */
export class ModelLoadError extends EmbedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MODEL_LOAD', message, options);
  }
}

/** A category list for matching is empty, has duplicate ids, or a category has nothing to embed. */
export class InvalidCategoriesError extends EmbedError {
  constructor(message: string) {
    super('ERR_INVALID_CATEGORIES', message);
  }
}

/** Two vectors (or an embedder and a matcher) disagree on the dimension. */
export class DimensionMismatchError extends EmbedError {
  constructor(expected: number, actual: number) {
    super('ERR_DIMENSION_MISMATCH', `expected dimension ${expected}, got ${actual}`);
  }
}
