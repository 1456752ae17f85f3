/**
 * @packageDocumentation
 * `@edge/compute`: one float32 kernel contract — matmul (with transposed operands), batched
 * dot/cosine, softmax, scaled-dot-product attention (causal or not), LoRA forward, element-wise
 * add/mul/relu/sigmoid/gelu, row reductions sum/max/min/mean and top-k — on five backends:
 * `cpu` (the reference every other backend is tested against), `wasm-simd`, `workers` (a
 * work-stealing pool of wasm-simd workers), `webgpu` and `webgl`. `createCompute()` picks the
 * best backend that starts here and says why.
 *
 * ```ts
 * import { createCompute } from '@edge/compute';
 * const compute = await createCompute();
 * const c = await compute.matmul(a, b, { m: 64, k: 128, n: 32 });
 * await compute.dispose();
 * ```
 */
export type {
  Backend, BackendFactory, BackendInfo, BackendName, CreateOptions, Selection, KernelName,
  MatmulOptions, RowsOptions, SoftmaxOptions, AttentionOptions, LoraOptions, ReduceOptions,
  TopKOptions, TopKResult, OutOption,
} from './types.js';
export {
  ComputeError, InvalidArgumentError, ShapeError, DisposedError, BackendUnavailableError,
  NoBackendError, ResourceLimitError, WorkerCrashError, DeviceLostError,
} from './errors.js';
export { createCompute, registerBackend, listBackends, builtinBackends, type Compute } from './select.js';
export { createCpuBackend, cpuBackend } from './cpu/backend.js';
export { createWasmSimdBackend, wasmSimdBackend } from './wasm/backend.js';
export { createWorkersBackend, workersBackend, type WorkersBackend, type WorkersOptions } from './workers/backend.js';
export { WorkerPool, MAX_WORKERS, type PoolStats, type PoolOptions } from './workers/pool.js';
export type { WorkerHost, WorkerHandle, WorkerHandlers } from './workers/protocol.js';
export { createWebGPUBackend, webgpuBackend, type WebGPUOptions } from './webgpu/backend.js';
export { createWebGLBackend, webglBackend, type WebGLOptions } from './webgl/backend.js';
export { simdSupported } from './wasm/module.js';

import * as kernels from './cpu/kernels.js';
import { matmulShape, rowsShape, matShape, attentionShape, loraShape } from './impl.js';
import type { AttentionOptions, LoraOptions, MatmulOptions, RowsOptions, SoftmaxOptions, ReduceOptions, TopKOptions, TopKResult } from './types.js';

/**
 * The CPU kernels as synchronous functions with the same argument checks as the backends (the
 * oracle of the conformance suite, and handy where a promise is unwanted).
 */
export const cpuKernels = {
  matmul(a: Float32Array, b: Float32Array, o: MatmulOptions): Float32Array {
    const s = matmulShape(a, b, o);
    const out = new Float32Array(s.m * s.n);
    if (out.length > 0 && s.k > 0) kernels.matmul(a, b, s, out);
    return out;
  },
  dot(q: Float32Array, m: Float32Array, o: RowsOptions): Float32Array {
    const s = rowsShape(q, m, o);
    const out = new Float32Array(s.rows);
    kernels.dot(q, m, s, false, out);
    return out;
  },
  cosine(q: Float32Array, m: Float32Array, o: RowsOptions): Float32Array {
    const s = rowsShape(q, m, o);
    const out = new Float32Array(s.rows);
    kernels.dot(q, m, s, true, out);
    return out;
  },
  softmax(x: Float32Array, o: SoftmaxOptions): Float32Array {
    const s = matShape(x, o, 'x', true);
    const out = new Float32Array(x.length);
    kernels.softmax(x, s, out);
    return out;
  },
  attention(q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): Float32Array {
    const s = attentionShape(q, k, v, o);
    const out = new Float32Array(s.seqQ * s.dimV);
    if (s.seqK > 0) kernels.attention(q, k, v, s, out);
    return out;
  },
  loraForward(x: Float32Array, a: Float32Array, b: Float32Array, o: LoraOptions): Float32Array {
    const { s, base } = loraShape(x, a, b, o);
    const out = new Float32Array(s.batch * s.dOut);
    kernels.lora(x, a, b, base, s, out);
    return out;
  },
  reduce(op: 'sum' | 'max' | 'min' | 'mean', x: Float32Array, o?: ReduceOptions): Float32Array {
    const s = matShape(x, o, 'x', false);
    const out = new Float32Array(s.rows);
    kernels.reduce(op, x, s, out);
    return out;
  },
  topK(x: Float32Array, o: TopKOptions): TopKResult {
    const s = matShape(x, { rows: o.rows, cols: o.cols }, 'x', false);
    const values = new Float32Array(s.rows * o.k), indices = new Int32Array(s.rows * o.k);
    kernels.topK(x, s, o.k, values, indices);
    return { values, indices };
  },
};
