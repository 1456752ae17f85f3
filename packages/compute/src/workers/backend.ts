/**
 * The workers backend: matmul split by rows and dot/cosine split by matrix segments over a
 * work-stealing pool of wasm-simd workers (worker_threads in Node, Web Workers in browsers, picked
 * by package.json's "imports" conditions). Attention and LoRA run their GEMMs on the pool and
 * their softmax / residual on the calling thread's wasm kernels; the memory-bound element-wise
 * kernels and reductions stay on the calling thread (splitting them costs more in copies than it
 * saves), and top-k uses the CPU kernel.
 */
import type { Backend, BackendFactory, CreateOptions } from '../types.js';
import { wrapBackend, type KernelImpl } from '../impl.js';
import { BackendUnavailableError } from '../errors.js';
import * as cpu from '../cpu/kernels.js';
import { WasmKernels, simdSupported } from '../wasm/module.js';
import { wasmAttention, wasmLora } from '../wasm/backend.js';
import { WorkerPool, type PoolStats } from './pool.js';
import { WORKER_SOURCE } from './worker.generated.js';
import type { WorkerHost } from './protocol.js';
import { workerHost } from '#worker-host';

/** The workers backend, with access to its pool for statistics and fault injection. */
export interface WorkersBackend extends Backend {
  readonly pool: WorkerPool;
  stats(): PoolStats;
}

/** Rows per matmul task: about four tasks per worker (room to steal), a multiple of 4. */
function matmulTaskRows(m: number, workers: number): number {
  return Math.max(4, Math.ceil(m / (workers * 4) / 4) * 4);
}

export interface WorkersOptions extends Pick<CreateOptions, 'threads' | 'sharedMemory'> {
  /** The platform host (default: the one package.json's conditions picked). */
  host?: WorkerHost;
  /**
   * Products with less work than this (multiply-adds; default 2²⁴, a 256³ matmul) run on the
   * calling thread's wasm kernels: below it, messages and per-worker packing cost more than the
   * split saves. 0 sends every call to the pool.
   */
  minParallelWork?: number;
}

/** Creates the workers backend; rejects with BackendUnavailableError where workers cannot start. */
export async function createWorkersBackend(options: WorkersOptions = {}): Promise<WorkersBackend> {
  if (!simdSupported()) throw new BackendUnavailableError('workers', 'WebAssembly SIMD is not supported');
  const host = options.host ?? workerHost;
  let pool: WorkerPool;
  let local: WasmKernels;
  try {
    local = await WasmKernels.create();
    pool = new WorkerPool(host, WORKER_SOURCE, { threads: options.threads, sharedMemory: options.sharedMemory });
  } catch (cause) {
    throw new BackendUnavailableError('workers', 'the worker pool failed to start', { cause });
  }
  const minWork = options.minParallelWork ?? 2 ** 24;
  const mm = (a: Float32Array, b: Float32Array, m: number, k: number, n: number, transB: boolean, out: Float32Array): void | Promise<void> =>
    m * k * n < minWork
      ? local.matmul(a, b, m, k, n, false, transB, out)
      : pool.run({ kind: 'matmul', a, b, m, k, n, transA: false, transB }, out, matmulTaskRows(m, pool.size));
  const impl: KernelImpl = {
    info: {
      name: 'workers',
      detail: `${pool.size} ${host.kind} running wasm-simd kernels, ${pool.sharedMemory ? 'SharedArrayBuffer' : 'copy in / transfer out'}`,
      native: ['matmul', 'dot', 'cosine', 'attention', 'loraForward', 'softmax', 'add', 'mul', 'relu', 'sigmoid', 'gelu', 'sum', 'max', 'min', 'mean'],
    },
    matmul: (a, b, s, out) =>
      s.m * s.k * s.n < minWork
        ? local.matmul(a, b, s.m, s.k, s.n, s.transA, s.transB, out)
        : pool.run({ kind: 'matmul', a, b, m: s.m, k: s.k, n: s.n, transA: s.transA, transB: s.transB }, out, matmulTaskRows(s.m, pool.size)),
    // dot products are memory-bound: split only when each worker gets a sizeable segment
    dot: (q, mat, s, cosine, out) =>
      s.rows * s.dim < minWork / 16
        ? local.rowdots(q, mat, s.rows, s.dim, cosine, out)
        : pool.run({ kind: 'dot', q, mat, rows: s.rows, dim: s.dim, cosine }, out, Math.max(64, Math.ceil(s.rows / (pool.size * 4)))),
    softmax: (x, s, out) => local.softmax(x, s.rows, s.cols, out),
    attention: (q, k, v, s, out) => wasmAttention(local, q, k, v, s, out, mm),
    lora: (x, a, b, base, s, out) => wasmLora(local, x, a, b, base, s, out, mm),
    binary: (op, a, b, out) => local.binary(op, a, b, out),
    unary: (op, x, out) => local.unary(op, x, out),
    reduce: (op, x, s, out) => local.reduce(op, x, s.rows, s.cols, out),
    topK: cpu.topK,
    dispose: () => pool.dispose(),
  };
  const backend = wrapBackend('workers', impl);
  return Object.defineProperties(backend, {
    pool: { value: pool, enumerable: true },
    stats: { value: () => pool.stats(), enumerable: true },
  }) as WorkersBackend;
}

/** Registry entry of the workers backend. */
export const workersBackend: BackendFactory = {
  name: 'workers',
  priority: 200,
  isSupported: () => typeof WebAssembly === 'object' && simdSupported() && workerHost.concurrency() > 1,
  create: (o) => createWorkersBackend({ threads: o.threads, sharedMemory: o.sharedMemory }),
};
