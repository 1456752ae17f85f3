/**
 * Errors of @edge/compute. Every failure has its own class and a stable `code`. Argument and
 * shape errors are thrown before any work is started or any device memory is touched, so a bad
 * call never leaves a backend in a different state than before.
 */

const MARKER = Symbol.for('@edge/compute/error');

/** Base class of every error thrown by @edge/compute. */
export class ComputeError extends Error {
  /** Stable machine-readable code, e.g. `ERR_SHAPE`. */
  readonly code: string;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any ComputeError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is ComputeError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** An argument has the wrong type (not a Float32Array, not an integer, ...). */
export class InvalidArgumentError extends ComputeError {
  constructor(message: string) {
    super('ERR_INVALID_ARGUMENT', message);
  }
}

/** Array lengths do not match the declared shape, or shapes do not agree with each other. */
export class ShapeError extends ComputeError {
  constructor(message: string) {
    super('ERR_SHAPE', message);
  }
}

/** The backend (or compute instance) was disposed and can no longer run kernels. */
export class DisposedError extends ComputeError {
  constructor(name: string) {
    super('ERR_DISPOSED', `backend ${name} has been disposed`);
  }
}

/** The backend cannot run here (no WebGPU adapter, no WebGL2, no WASM SIMD, no workers). */
export class BackendUnavailableError extends ComputeError {
  constructor(name: string, reason: string, options?: { cause?: unknown }) {
    super('ERR_BACKEND_UNAVAILABLE', `backend ${name} is unavailable: ${reason}`, options);
  }
}

/** No registered backend could be started (every candidate was unsupported or failed). */
export class NoBackendError extends ComputeError {
  constructor(message: string) {
    super('ERR_NO_BACKEND', message);
  }
}

/** The input exceeds a device limit (buffer size, texture size, dispatch size). */
export class ResourceLimitError extends ComputeError {
  constructor(message: string) {
    super('ERR_RESOURCE_LIMIT', message);
  }
}

/** A worker crashed more times than the pool retries a task. */
export class WorkerCrashError extends ComputeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WORKER_CRASH', message, options);
  }
}

/** The GPU device or context was lost while a kernel was running. */
export class DeviceLostError extends ComputeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DEVICE_LOST', message, options);
  }
}
