/**
 * Argon2id (RFC 9106) through the WebAssembly build of the reference implementation that
 * argon2-browser ships. We drive the module directly instead of through argon2-browser's
 * JavaScript loader, whose emscripten glue fetches a file path in Node (and fails there) and
 * keeps one global module whose 64 MiB heap, holding password-derived blocks, lives forever.
 *
 * Here each call instantiates a fresh instance (compiling happens once), zeroes its inputs and
 * output inside the wasm heap before returning, and drops the instance so the heap is
 * collected. The module imports two functions (memcpy and heap growth) and exports its memory.
 */

import { ARGON2_PLAIN_WASM, ARGON2_SIMD_WASM } from './argon2-wasm.generated.js';
import { InvalidArgumentError, KdfParamsError } from './errors.js';

export interface Argon2Params {
  /** Memory in KiB (m in RFC 9106). */
  memoryKiB: number;
  /** Passes over memory (t). */
  iterations: number;
  /** Lanes (p). */
  parallelism: number;
}

/** Exports of argon2-browser's emscripten build (minified names; see its dist/argon2.js). */
interface Argon2Exports {
  c: WebAssembly.Memory;
  d: () => void; // __wasm_call_ctors
  e: (t: number, m: number, p: number, pwd: number, pwdLen: number, salt: number, saltLen: number, hash: number, hashLen: number, enc: number, encLen: number, type: number, version: number) => number; // argon2_hash
  f: (size: number) => number; // malloc
  g: (ptr: number) => void; // free
}

const ARGON2_ID = 2;
const ARGON2_VERSION_13 = 0x13;
const MAX_HEAP = 2147418112; // what the module was built to allow (2 GiB - 64 KiB)

// wasm-feature-detect's SIMD probe: a function returning an i8x16.splat / i8x16.popcnt.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** Which build runs here: `simd` where WebAssembly SIMD validates, `plain` otherwise. */
export function argon2Build(): 'simd' | 'plain' {
  return WebAssembly.validate(SIMD_PROBE) ? 'simd' : 'plain';
}

function getModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(base64ToBytes(argon2Build() === 'simd' ? ARGON2_SIMD_WASM : ARGON2_PLAIN_WASM));
  return compiled;
}

async function instantiate(): Promise<Argon2Exports> {
  const module = await getModule();
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    a: {
      // emscripten_memcpy_big(dest, src, num)
      a: (dest: number, src: number, num: number) => {
        new Uint8Array(memory!.buffer).copyWithin(dest, src, src + num);
      },
      // emscripten_resize_heap(requestedSize): grow to at least the requested size
      b: (requested: number) => {
        requested >>>= 0;
        const old = memory!.buffer.byteLength;
        if (requested > MAX_HEAP) return 0;
        const target = Math.min(MAX_HEAP, Math.max(requested, old + (old >>> 2)));
        try {
          memory!.grow(Math.ceil((target - old) / 65536));
          return 1;
        } catch {
          try {
            memory!.grow(Math.ceil((requested - old) / 65536));
            return 1;
          } catch {
            return 0;
          }
        }
      },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  const exports = instance.exports as unknown as Argon2Exports;
  memory = exports.c;
  exports.d();
  return exports;
}

/**
 * Argon2id, version 0x13, of `password` and `salt` with `params`, producing `hashLength` bytes.
 * Inputs are copied into the wasm heap and zeroed there afterwards.
 */
export async function argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2Params, hashLength = 32): Promise<Uint8Array> {
  const { memoryKiB, iterations, parallelism } = params;
  for (const [name, v] of [['memoryKiB', memoryKiB], ['iterations', iterations], ['parallelism', parallelism], ['hashLength', hashLength]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) throw new InvalidArgumentError(`${name} must be a positive integer`);
  }
  if (memoryKiB < 8 * parallelism) throw new KdfParamsError('memoryKiB must be at least 8 x parallelism (RFC 9106 section 3.1)');
  if (salt.length < 8) throw new InvalidArgumentError('salt must be at least 8 bytes');
  if (hashLength < 4) throw new InvalidArgumentError('hashLength must be at least 4');

  const wasm = await instantiate();
  const heap = () => new Uint8Array(wasm.c.buffer);
  const pwdPtr = wasm.f(Math.max(1, password.length));
  const saltPtr = wasm.f(salt.length);
  const hashPtr = wasm.f(hashLength);
  if (pwdPtr === 0 || saltPtr === 0 || hashPtr === 0) throw new KdfParamsError('out of WebAssembly memory');
  try {
    heap().set(password, pwdPtr);
    heap().set(salt, saltPtr);
    const rc = wasm.e(iterations, memoryKiB, parallelism, pwdPtr, password.length, saltPtr, salt.length, hashPtr, hashLength, 0, 0, ARGON2_ID, ARGON2_VERSION_13);
    if (rc !== 0) {
      // Codes of argon2.h: -22 ARGON2_MEMORY_ALLOCATION_ERROR; others are parameter errors.
      throw new KdfParamsError(rc === -22 ? 'Argon2 could not allocate its memory' : `Argon2 rejected its parameters (code ${rc})`);
    }
    return heap().slice(hashPtr, hashPtr + hashLength);
  } finally {
    const h = heap();
    h.fill(0, pwdPtr, pwdPtr + password.length);
    h.fill(0, hashPtr, hashPtr + hashLength);
    wasm.g(pwdPtr);
    wasm.g(saltPtr);
    wasm.g(hashPtr);
  }
}
