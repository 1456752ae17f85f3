/**
 * The wasm-simd backend: f32x4 kernels from src/wasm/kernels.wat on the calling thread.
 * Attention and LoRA are composed from the SIMD GEMM and the SIMD softmax; top-k runs the CPU
 * kernel (a selection is branchy and memory-bound; SIMD buys nothing there).
 */
import type { Backend, BackendFactory } from '../types.js';
import { wrapBackend, type KernelImpl } from '../impl.js';
import { BackendUnavailableError, ResourceLimitError } from '../errors.js';
import * as cpu from '../cpu/kernels.js';
import { WasmKernels, simdSupported } from './module.js';

/** wasm32 memory tops out at 4 GiB; keep a margin for scratch and padding. */
const MAX_BYTES = 2 ** 31;

function limit(bytes: number, what: string): void {
  if (bytes > MAX_BYTES) throw new ResourceLimitError(`${what} needs ${bytes} bytes of wasm memory (limit ${MAX_BYTES})`);
}

/** Kernels composed of the wasm GEMM and softmax, shared with the worker backend. */
export function wasmAttention(w: WasmKernels, q: Float32Array, k: Float32Array, v: Float32Array,
  s: { seqQ: number; seqK: number; dim: number; dimV: number; causal: boolean; scale: number }, out: Float32Array,
  mm: (a: Float32Array, b: Float32Array, m: number, kk: number, n: number, transB: boolean, o: Float32Array) => void | Promise<void>,
): void | Promise<void> {
  const { seqQ, seqK, dim, dimV, causal, scale } = s;
  const qs = new Float32Array(seqQ * dim);
  for (let i = 0; i < qs.length; i++) qs[i] = q[i]! * scale;
  const scores = new Float32Array(seqQ * seqK);
  const after = (): void | Promise<void> => {
    w.softmax(scores, seqQ, seqK, scores, causal, seqK - seqQ);
    return mm(scores, v, seqQ, seqK, dimV, false, out);
  };
  const r = mm(qs, k, seqQ, dim, seqK, true, scores);
  return r instanceof Promise ? r.then(after) : after();
}

export function wasmLora(w: WasmKernels, x: Float32Array, a: Float32Array, b: Float32Array, base: Float32Array,
  s: { batch: number; dIn: number; dOut: number; rank: number; scale: number }, out: Float32Array,
  mm: (a: Float32Array, b: Float32Array, m: number, kk: number, n: number, transB: boolean, o: Float32Array) => void | Promise<void>,
): void | Promise<void> {
  const h = new Float32Array(s.batch * s.rank);
  const finish = (): void => w.binary('add', out, base, out);
  const second = (): void | Promise<void> => {
    for (let i = 0; i < h.length; i++) h[i]! *= s.scale;
    const r = mm(h, b, s.batch, s.rank, s.dOut, true, out);
    return r instanceof Promise ? r.then(finish) : finish();
  };
  const r = mm(x, a, s.batch, s.dIn, s.rank, true, h);
  return r instanceof Promise ? r.then(second) : second();
}

/** Creates the wasm-simd backend (rejects with BackendUnavailableError without SIMD). */
export async function createWasmSimdBackend(): Promise<Backend> {
  if (!simdSupported()) throw new BackendUnavailableError('wasm-simd', 'WebAssembly SIMD is not supported');
  let w: WasmKernels;
  try {
    w = await WasmKernels.create();
  } catch (cause) {
    throw new BackendUnavailableError('wasm-simd', 'the kernels module failed to compile', { cause });
  }
  const mm = (a: Float32Array, b: Float32Array, m: number, k: number, n: number, transB: boolean, o: Float32Array): void => {
    limit(4 * (2 * m * k + 2 * k * n + 2 * m * n) + 65536, 'matmul');
    w.matmul(a, b, m, k, n, false, transB, o);
  };
  const impl: KernelImpl = {
    info: {
      name: 'wasm-simd',
      detail: 'WebAssembly SIMD (f32x4) kernels on the calling thread',
      native: ['matmul', 'dot', 'cosine', 'softmax', 'attention', 'loraForward', 'add', 'mul', 'relu', 'sigmoid', 'gelu', 'sum', 'max', 'min', 'mean'],
    },
    matmul(a, b, s, out) {
      limit(4 * (2 * s.m * s.k + 2 * s.k * s.n + 2 * s.m * s.n) + 65536, 'matmul');
      w.matmul(a, b, s.m, s.k, s.n, s.transA, s.transB, out);
    },
    dot(q, mat, s, cosine, out) {
      limit(4 * (mat.length + q.length + s.rows) + 65536, 'dot');
      w.rowdots(q, mat, s.rows, s.dim, cosine, out);
    },
    softmax(x, s, out) {
      limit(8 * (s.rows * (s.cols + 3)) + 65536, 'softmax');
      w.softmax(x, s.rows, s.cols, out);
    },
    attention: (q, k, v, s, out) => wasmAttention(w, q, k, v, s, out, mm),
    lora: (x, a, b, base, s, out) => wasmLora(w, x, a, b, base, s, out, mm),
    binary(op, a, b, out) { limit(12 * a.length + 65536, op); w.binary(op, a, b, out); },
    unary(op, x, out) { limit(8 * x.length + 65536, op); w.unary(op, x, out); },
    reduce(op, x, s, out) { limit(4 * (x.length + s.rows) + 65536, op); w.reduce(op, x, s.rows, s.cols, out); },
    topK: cpu.topK,
    dispose() {},
  };
  return wrapBackend('wasm-simd', impl);
}

/** Registry entry of the wasm-simd backend. */
export const wasmSimdBackend: BackendFactory = {
  name: 'wasm-simd',
  priority: 100,
  isSupported: () => typeof WebAssembly === 'object' && simdSupported(),
  create: () => createWasmSimdBackend(),
};
