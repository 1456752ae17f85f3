/**
 * The kernel contract. Every backend implements exactly this interface; the CPU backend's
 * kernels are the reference the others are tested against (the pattern of TensorFlow.js's
 * backends). All arrays are row-major float32. Every kernel is async because GPU readback and
 * worker round trips are; the CPU backend resolves at once and its kernels are also exported as
 * synchronous functions (`cpuKernels`).
 */

/** Names of the built-in backends. */
export type BackendName = 'cpu' | 'wasm-simd' | 'workers' | 'webgpu' | 'webgl';

/** Options every kernel with an output accepts: write into `out` instead of allocating. */
export interface OutOption {
  /** Destination of the right length; it is returned. Must not alias an input. */
  out?: Float32Array;
}

/** C (m×n) = op(A) · op(B), op(A) m×k, op(B) k×n. */
export interface MatmulOptions extends OutOption {
  m: number;
  k: number;
  n: number;
  /** A is stored k×m (C = Aᵀ·B). */
  transA?: boolean;
  /** B is stored n×k (C = A·Bᵀ), the layout of a weight matrix or a set of keys. */
  transB?: boolean;
}

/** A query of `dim` floats against a matrix of `rows`×`dim`; result has `rows` entries. */
export interface RowsOptions extends OutOption {
  rows: number;
  dim: number;
}

/** Row-wise kernel over a rows×cols matrix. */
export interface SoftmaxOptions extends OutOption {
  rows: number;
  cols: number;
}

/**
 * Scaled dot-product attention (Vaswani et al. 2017): O = softmax(scale · Q·Kᵀ [+ causal mask]) · V.
 * Q is seqQ×dim, K is seqK×dim, V is seqK×dimV, O is seqQ×dimV.
 */
export interface AttentionOptions extends OutOption {
  seqQ: number;
  seqK: number;
  dim: number;
  /** Width of V and O; defaults to `dim`. */
  dimV?: number;
  /**
   * Query i sees keys j ≤ i + (seqK − seqQ): the queries are the last seqQ positions of the
   * sequence (the usual layout with a KV cache). A query that sees no key outputs zeros.
   */
  causal?: boolean;
  /** Score scale; defaults to 1/√dim. */
  scale?: number;
}

/**
 * LoRA forward (Hu et al. 2021): Y = base + (alpha/rank) · (X·Aᵀ)·Bᵀ, with X batch×dIn,
 * A rank×dIn (lora_A), B dOut×rank (lora_B). `base` defaults to X itself (dIn must equal dOut),
 * giving y = x + (α/r)·B(Ax).
 */
export interface LoraOptions extends OutOption {
  batch: number;
  dIn: number;
  dOut: number;
  rank: number;
  alpha: number;
  /** batch×dOut residual added to the update (for example the frozen layer's output W₀x). */
  base?: Float32Array;
}

/** A reduction over each row of a rows×cols view; a flat array is one row. */
export interface ReduceOptions extends OutOption {
  rows?: number;
  cols?: number;
}

/** Top-k per row, largest first; ties go to the lower index; NaN ranks below everything. */
export interface TopKOptions {
  k: number;
  rows?: number;
  cols?: number;
}

/** Result of topK: `rows`×`k` values and their column indices. */
export interface TopKResult {
  values: Float32Array;
  indices: Int32Array;
}

/** What a backend tells about itself. */
export interface BackendInfo {
  name: BackendName | string;
  /** Human-readable description: adapter, thread count, SIMD support. */
  detail: string;
  /** Kernels this backend runs on its own hardware path; the rest use the CPU kernels. */
  native: readonly KernelName[];
}

/** The names of the kernels of the contract. */
export type KernelName =
  | 'matmul' | 'dot' | 'cosine' | 'softmax' | 'attention' | 'loraForward'
  | 'add' | 'mul' | 'relu' | 'sigmoid' | 'gelu'
  | 'sum' | 'max' | 'min' | 'mean' | 'topK';

/** The kernel contract. */
export interface Backend {
  readonly name: string;
  readonly info: BackendInfo;
  readonly disposed: boolean;
  matmul(a: Float32Array, b: Float32Array, options: MatmulOptions): Promise<Float32Array>;
  /** out[i] = query · matrix[i]. */
  dot(query: Float32Array, matrix: Float32Array, options: RowsOptions): Promise<Float32Array>;
  /** out[i] = cos(query, matrix[i]); 0 where either vector is all zeros. */
  cosine(query: Float32Array, matrix: Float32Array, options: RowsOptions): Promise<Float32Array>;
  softmax(x: Float32Array, options: SoftmaxOptions): Promise<Float32Array>;
  attention(q: Float32Array, k: Float32Array, v: Float32Array, options: AttentionOptions): Promise<Float32Array>;
  loraForward(x: Float32Array, a: Float32Array, b: Float32Array, options: LoraOptions): Promise<Float32Array>;
  add(a: Float32Array, b: Float32Array, options?: OutOption): Promise<Float32Array>;
  mul(a: Float32Array, b: Float32Array, options?: OutOption): Promise<Float32Array>;
  relu(x: Float32Array, options?: OutOption): Promise<Float32Array>;
  sigmoid(x: Float32Array, options?: OutOption): Promise<Float32Array>;
  /** GELU, tanh form (Hendrycks & Gimpel 2016): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  gelu(x: Float32Array, options?: OutOption): Promise<Float32Array>;
  /** Per-row sums (0 for an empty row). */
  sum(x: Float32Array, options?: ReduceOptions): Promise<Float32Array>;
  /** Per-row maxima (−∞ for an empty row; NaN if the row holds NaN). */
  max(x: Float32Array, options?: ReduceOptions): Promise<Float32Array>;
  /** Per-row minima (+∞ for an empty row; NaN if the row holds NaN). */
  min(x: Float32Array, options?: ReduceOptions): Promise<Float32Array>;
  /** Per-row means (NaN for an empty row). */
  mean(x: Float32Array, options?: ReduceOptions): Promise<Float32Array>;
  topK(x: Float32Array, options: TopKOptions): Promise<TopKResult>;
  /** Frees workers, device buffers, textures and contexts. Idempotent. */
  dispose(): Promise<void>;
}

/** A backend as registered for selection (the tfjs registry pattern). */
export interface BackendFactory {
  name: string;
  /** Higher wins. Built-ins: webgpu 400, webgl 300, workers 200, wasm-simd 100, cpu 0. */
  priority: number;
  /** Cheap probe: false when this runtime clearly cannot run the backend. */
  isSupported(options: CreateOptions): boolean | Promise<boolean>;
  /** Starts the backend; a throw makes selection fall back to the next candidate. */
  create(options: CreateOptions): Promise<Backend>;
}

/** Options for backend creation and selection. */
export interface CreateOptions {
  /** Backends to consider (default: the built-ins plus registered ones). */
  backends?: readonly BackendFactory[];
  /** Restrict selection to these names, tried in this order (default: by priority). */
  prefer?: readonly string[];
  /** Calls whose work (multiply-adds or elements) is below this run on the CPU kernels. Default 32768. */
  smallWorkThreshold?: number;
  /** WebGPU: a GPU object (navigator.gpu, or `create()` of the `webgpu` package in Node). */
  gpu?: GPU;
  /** WebGPU: options for requestAdapter (e.g. `{ featureLevel: 'compatibility' }`). */
  adapterOptions?: GPURequestAdapterOptions;
  /** WebGL: a canvas to get the WebGL2 context from (default: an OffscreenCanvas). */
  canvas?: OffscreenCanvas | HTMLCanvasElement;
  /** Workers: pool size, clamped to 1..16 (default: hardware concurrency). */
  threads?: number;
  /** Workers: use SharedArrayBuffer (default: when available and cross-origin isolated). */
  sharedMemory?: boolean;
}

/** How `createCompute` chose its backend. */
export interface Selection {
  chosen: string;
  reason: string;
  attempts: { name: string; priority: number; outcome: 'chosen' | 'unsupported' | 'failed' | 'skipped'; error?: string }[];
}
