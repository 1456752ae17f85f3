/** Argument checks shared by every backend; each throws a typed error and never returns bad data. */
import { InvalidArgumentError, ShapeError } from './errors.js';

/** Largest element count a kernel accepts: typed-array and WebGPU/WebGL indexing use 32-bit ints. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export function f32(x: unknown, name: string): asserts x is Float32Array {
  if (!(x instanceof Float32Array) && Object.prototype.toString.call(x) !== '[object Float32Array]') {
    throw new InvalidArgumentError(`${name} must be a Float32Array`);
  }
}

export function options(o: unknown, name: string): void {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError(`${name} must be an object`);
}

export function dim(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${String(x)}`);
  }
  if (x > MAX_ELEMENTS) throw new ShapeError(`${name} = ${x} exceeds ${MAX_ELEMENTS}`);
  return x;
}

export function finite(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a finite number`);
  return x;
}

export function bool(x: unknown, name: string): boolean {
  if (x === undefined) return false;
  if (typeof x !== 'boolean') throw new InvalidArgumentError(`${name} must be a boolean`);
  return x;
}

export function len(x: Float32Array, expected: number, name: string, what: string): void {
  if (expected > MAX_ELEMENTS) throw new ShapeError(`${name}: ${what} exceeds ${MAX_ELEMENTS} elements`);
  if (x.length !== expected) throw new ShapeError(`${name} has ${x.length} elements, expected ${what} = ${expected}`);
}

export function shape(message: string): never {
  throw new ShapeError(message);
}

export function missing(what: string): never {
  throw new InvalidArgumentError(`${what} must be given`);
}

/** Rejects an output that overlaps an input (kernels read inputs while writing outputs). */
export function noAlias(out: Float32Array, input: Float32Array): void {
  if (out.buffer !== input.buffer) return;
  const a0 = out.byteOffset, a1 = a0 + out.byteLength, b0 = input.byteOffset, b1 = b0 + input.byteLength;
  if (a0 < b1 && b0 < a1) throw new InvalidArgumentError('out must not overlap an input');
}
