/**
 * Errors of @edge/node. One base class with a `Symbol.for` marker (so `isInstance` works across
 * duplicate installs) and one subclass per failure, each with a stable `code`.
 */

const MARKER = Symbol.for('@edge/node/error');

/** Base class of every error thrown by @edge/node. */
export class NodeError extends Error {
  readonly code: string;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  static isInstance(error: unknown): error is NodeError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** An `EdgeNetConfig` value is missing, of the wrong type or out of range. */
export class ConfigError extends NodeError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('ERR_NODE_CONFIG', `${field}: ${message}`);
    this.field = field;
  }
}

/** A call needs a started node (or one that is not stopped). */
export class NodeStateError extends NodeError {
  constructor(message: string) {
    super('ERR_NODE_STATE', message);
  }
}

/** No handler is registered for this task type. */
export class UnknownTaskTypeError extends NodeError {
  readonly type: string;
  constructor(type: string) {
    super('ERR_UNKNOWN_TASK_TYPE', `no handler is registered for task type "${type}"`);
    this.type = type;
  }
}

/** A task type was registered twice, or a registration is malformed. */
export class TaskRegistrationError extends NodeError {
  constructor(message: string) {
    super('ERR_TASK_REGISTRATION', message);
  }
}

/** The payload does not fit the task type. */
export class InvalidPayloadError extends NodeError {
  constructor(message: string) {
    super('ERR_INVALID_PAYLOAD', message);
  }
}

/** The quote for the planned executions is above the caller's `maxCost`. */
export class MaxCostExceededError extends NodeError {
  readonly required: number;
  readonly maxCost: number;
  constructor(required: number, maxCost: number) {
    super('ERR_MAX_COST_EXCEEDED', `the task costs ${required} base units (quote x planned executions), above maxCost ${maxCost}`);
    this.required = required;
    this.maxCost = maxCost;
  }
}

/** The spendable balance does not cover the escrow. */
export class InsufficientBalanceError extends NodeError {
  readonly required: number;
  readonly balance: number;
  constructor(required: number, balance: number) {
    super('ERR_INSUFFICIENT_BALANCE', `the task needs an escrow of ${required} base units; the balance is ${balance}`);
    this.required = required;
    this.balance = balance;
  }
}

/** No worker completed the task with a verified result; the escrow was refunded. */
export class TaskFailedError extends NodeError {
  readonly reason: string;
  readonly refunded: number;
  constructor(reason: string, refunded: number, message: string) {
    super('ERR_TASK_FAILED', message);
    this.reason = reason;
    this.refunded = refunded;
  }
}

/** The task ran locally (in the worker thread) and its handler threw. */
export class TaskExecutionError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TASK_EXECUTION', message, options);
  }
}

/** A task-protocol message was refused. `reason` is a stable counter key. */
export class ProtocolError extends NodeError {
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super('ERR_PROTOCOL', message, options);
    this.reason = reason;
  }
}

/** A transport request failed (timeout, abort, unreachable peer). */
export class TransportError extends NodeError {
  readonly reason: 'timeout' | 'aborted' | 'unreachable' | 'failed';
  constructor(reason: 'timeout' | 'aborted' | 'unreachable' | 'failed', message: string) {
    super('ERR_TRANSPORT', message);
    this.reason = reason;
  }
}

/** A named index does not exist, or an index operation was refused. */
export class IndexError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NODE_INDEX', message, options);
  }
}

/** Persisted node state could not be read back. */
export class StorageError extends NodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NODE_STORAGE', message, options);
  }
}
