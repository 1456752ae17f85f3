/**
 * JS side of the wasm-simd kernels: compiles the embedded module once, lays buffers out in its
 * linear memory (16-byte aligned, padded to whole vectors), grows the memory when needed and
 * copies results out. Used by the wasm-simd backend on the calling thread and, bundled into the
 * worker source, by every pool worker.
 */
import { KERNELS_WASM_BASE64 } from './kernels.generated.js';
import { ResourceLimitError } from '../errors.js';

interface Exports {
  memory: WebAssembly.Memory;
  pack_a(src: number, dst: number, m: number, k: number, row0: number, rows: number, trans: number): void;
  pack_b(src: number, dst: number, k: number, n: number, trans: number): void;
  gemm(pa: number, pb: number, c: number, mb: number, nb: number, k: number, ldc: number): void;
  rowdots(q: number, mat: number, out: number, rows: number, dim: number, cos: number): void;
  add(a: number, b: number, o: number, n4: number): void;
  mul(a: number, b: number, o: number, n4: number): void;
  unary(op: number, x: number, o: number, n4: number): void;
  reduce(op: number, x: number, o: number, rows: number, cols: number): void;
  softmax(x: number, o: number, rows: number, cols: number, ld: number, causal: number, shift: number): void;
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** The embedded module's bytes. */
export function kernelBytes(): Uint8Array {
  return decodeBase64(KERNELS_WASM_BASE64);
}

/** Compiles the embedded module once per realm. Rejects where WebAssembly SIMD is missing. */
export function kernelModule(bytes?: Uint8Array): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile((bytes ?? kernelBytes()) as BufferSource);
  return compiled;
}

/** Whether this runtime validates a module using a v128 instruction (WebAssembly SIMD). */
export function simdSupported(): boolean {
  try {
    // (module (func (result v128) (v128.const i32x4 0 0 0 0)))
    return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]));
  } catch {
    return false;
  }
}

const UNARY = { relu: 0, sigmoid: 1, gelu: 2 } as const;
const REDUCE = { sum: 0, max: 1, min: 2, mean: 3 } as const;

/** Bytes for `floats` floats, rounded up to a whole 16-byte vector. */
const vbytes = (floats: number): number => (floats * 4 + 15) & ~15;

/** One instance of the kernels module with its own memory. */
export class WasmKernels {
  private readonly ex: Exports;
  private heap: Float32Array;
  // matmul state between prepareMatmul and matmulRows (the worker pool runs many row blocks
  // against one packed B)
  private mm: { m: number; k: number; n: number; transA: number; pb: number; a: number; free: number; src?: Float32Array } = { m: 0, k: 0, n: 0, transA: 0, pb: 0, a: 0, free: 0 };

  private constructor(instance: WebAssembly.Instance) {
    this.ex = instance.exports as unknown as Exports;
    this.heap = new Float32Array(this.ex.memory.buffer);
  }

  static async create(module?: WebAssembly.Module): Promise<WasmKernels> {
    const inst = await WebAssembly.instantiate(module ?? (await kernelModule()), {});
    return new WasmKernels(inst);
  }

  /** Makes the memory at least `bytes` long (one more vector of slack for padded reads). */
  private ensure(bytes: number): Float32Array {
    const need = bytes + 64;
    const have = this.ex.memory.buffer.byteLength;
    if (need > have) {
      try {
        this.ex.memory.grow(Math.ceil((need - have) / 65536));
      } catch (cause) {
        throw new ResourceLimitError(`wasm memory cannot grow to ${need} bytes: ${cause instanceof Error ? cause.message : String(cause)}`);
      }
    }
    if (this.heap.buffer !== this.ex.memory.buffer) this.heap = new Float32Array(this.ex.memory.buffer);
    return this.heap;
  }

  /**
   * Packs op(B) and places A for a matmul whose rows are then computed by matmulRows. With
   * `lazyA` (untransposed A only) A's rows are copied by matmulRows as each block needs them,
   * so a worker that computes a quarter of the rows copies a quarter of A.
   */
  prepareMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean, lazyA = false): void {
    const n8 = (n + 7) & ~7, m4 = (m + 3) & ~3;
    const pb = 0, aAt = pb + vbytes(n8 * k), tmp = aAt + vbytes(m * k);
    const tail = Math.max(vbytes(k * n), vbytes(m4 * k) + vbytes(m4 * n8));
    const heap = this.ensure(tmp + tail);
    heap.set(b, tmp >> 2);
    this.ex.pack_b(tmp, pb, k, n, transB ? 1 : 0);
    const lazy = lazyA && !transA;
    if (!lazy) heap.set(a, aAt >> 2);
    this.mm = { m, k, n, transA: transA ? 1 : 0, pb, a: aAt, free: tmp, src: lazy ? a : undefined };
  }

  /** Rows [row0, row0 + rows) of the prepared product into out[outOffset ...]. */
  matmulRows(row0: number, rows: number, out: Float32Array, outOffset: number): void {
    const { m, k, n, transA, pb, a, free, src } = this.mm;
    const n8 = (n + 7) & ~7, mb = (rows + 3) >> 2;
    const pa = free, c = pa + vbytes(mb * 4 * k);
    const heap = this.ensure(c + vbytes(mb * 4 * n8));
    if (src) heap.set(src.subarray(row0 * k, (row0 + rows) * k), (a >> 2) + row0 * k);
    this.ex.pack_a(a, pa, m, k, row0, rows, transA);
    this.ex.gemm(pa, pb, c, mb, n8 >> 3, k, n8);
    const c4 = c >> 2;
    if (n === n8) out.set(heap.subarray(c4, c4 + rows * n), outOffset);
    else for (let r = 0; r < rows; r++) out.set(heap.subarray(c4 + r * n8, c4 + r * n8 + n), outOffset + r * n);
  }

  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean, out: Float32Array): void {
    this.prepareMatmul(a, b, m, k, n, transA, transB);
    // Row blocks of 256 bound the packed-A and C scratch for tall matrices.
    for (let r = 0; r < m; r += 256) this.matmulRows(r, Math.min(256, m - r), out, r * n);
  }

  /** Dot products (or cosines) of q against rows [row0, row0+rows) of a matrix slice. */
  rowdots(q: Float32Array, mat: Float32Array, rows: number, dim: number, cosine: boolean, out: Float32Array, outOffset = 0): void {
    const qAt = 0, mAt = vbytes(dim), oAt = mAt + vbytes(rows * dim);
    const heap = this.ensure(oAt + vbytes(rows));
    heap.set(q, qAt >> 2);
    heap.set(mat, mAt >> 2);
    this.ex.rowdots(qAt, mAt, oAt, rows, dim, cosine ? 1 : 0);
    out.set(heap.subarray(oAt >> 2, (oAt >> 2) + rows), outOffset);
  }

  binary(op: 'add' | 'mul', a: Float32Array, b: Float32Array, out: Float32Array): void {
    const n = a.length, bAt = vbytes(n), oAt = 2 * bAt;
    const heap = this.ensure(3 * bAt);
    heap.set(a, 0);
    heap.set(b, bAt >> 2);
    this.ex[op](0, bAt, oAt, (n + 3) >> 2);
    out.set(heap.subarray(oAt >> 2, (oAt >> 2) + n));
  }

  unary(op: 'relu' | 'sigmoid' | 'gelu', x: Float32Array, out: Float32Array): void {
    const n = x.length, oAt = vbytes(n);
    const heap = this.ensure(2 * oAt);
    heap.set(x, 0);
    this.ex.unary(UNARY[op], 0, oAt, (n + 3) >> 2);
    out.set(heap.subarray(oAt >> 2, (oAt >> 2) + n));
  }

  reduce(op: 'sum' | 'max' | 'min' | 'mean', x: Float32Array, rows: number, cols: number, out: Float32Array): void {
    const oAt = vbytes(rows * cols);
    const heap = this.ensure(oAt + vbytes(rows));
    heap.set(x, 0);
    this.ex.reduce(REDUCE[op], 0, oAt, rows, cols);
    out.set(heap.subarray(oAt >> 2, (oAt >> 2) + rows));
  }

  /**
   * Row-wise softmax; rows are copied to vector-aligned strides. With `causal`, row r keeps
   * columns ≤ r + shift only (attention's causal mask).
   */
  softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, causal = false, shift = 0): void {
    const ld = (cols + 3) & ~3, oAt = vbytes(rows * ld);
    const heap = this.ensure(2 * oAt);
    if (ld === cols) heap.set(x, 0);
    else for (let r = 0; r < rows; r++) heap.set(x.subarray(r * cols, r * cols + cols), r * ld);
    this.ex.softmax(0, oAt, rows, cols, ld, causal ? 1 : 0, shift);
    const o4 = oAt >> 2;
    if (ld === cols) out.set(heap.subarray(o4, o4 + rows * cols));
    else for (let r = 0; r < rows; r++) out.set(heap.subarray(o4 + r * ld, o4 + r * ld + cols), r * cols);
  }
}
