// HNSW (Malkov & Yashunin 2018, arXiv:1603.09320): insertion (Algorithm 1), layer search
// (Algorithm 2), the neighbour-selection heuristic (Algorithm 4) and k-NN search (Algorithm 5),
// plus deletion with graph repair, int8 traversal with exact re-ranking, snapshots and deltas.
import { Reader, Writer } from './binary.js';
import { crc32 } from './crc32.js';
import { HnswError, fail } from './errors.js';
import { MaxHeap, MinHeap } from './heap.js';
import { LinearMemory, simdAvailable, type Kernel, type KernelKind } from './kernel.js';

export type Metric = 'cosine' | 'l2' | 'ip';
export type Id = string | number;
export type Vector = ArrayLike<number>;

export interface IndexOptions {
  /** Vector dimension (1 .. 65536). */
  dim: number;
  /** 'cosine' (distance 1 - cos), 'ip' (distance 1 - dot) or 'l2' (squared Euclidean). Default 'cosine'. */
  metric?: Metric;
  /** Links per node on layers above 0 (layer 0 keeps 2M). Default 32. */
  M?: number;
  /** Beam width while inserting. Default 200. */
  efConstruction?: number;
  /** Default beam width while searching (raised to k when smaller). Default 64. */
  efSearch?: number;
  /** Seed of the level generator; the same seed and operations give the same graph. Default 42. */
  seed?: number;
  /** Initial number of vector slots; the index grows by doubling. Default 1024. */
  capacity?: number;
  /** 'int8': traverse the graph on int8 codes and re-rank the beam with exact float distances. */
  quantization?: 'none' | 'int8';
  /** Distance kernel: 'auto' (WebAssembly SIMD where available, else JS), 'wasm' or 'js'. */
  kernel?: 'auto' | KernelKind;
  /** Keep an op log so that exportDelta() can replicate to peers. Default true. */
  log?: boolean;
}

export interface SearchOptions {
  /** Beam width for this query (>= 1); raised to k when smaller. */
  efSearch?: number;
  /** Only ids for which this returns true are returned (the graph is still traversed through others). */
  filter?: (id: Id) => boolean;
}

export interface SearchResult {
  /** Nearest first. */
  ids: Id[];
  /** Ascending; same metric as the index (see IndexOptions.metric). */
  distances: number[];
}

export interface IndexStats {
  size: number;
  slots: number;
  deleted: number;
  capacity: number;
  maxLevel: number;
  version: number;
  kernel: KernelKind;
  memoryBytes: number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const METRICS: readonly Metric[] = ['cosine', 'l2', 'ip'];
const FLAG_LIVE = 1;
const FLAG_DELETED = 2;
const OP_ADD = 1;
const OP_REMOVE = 2;
const MAX_LEVEL = 31;
/** Largest squared norm accepted: keeps every float32 dot product and squared distance finite. */
const MAX_NORM2 = 1e37;
const SNAPSHOT_MAGIC = 0x57534e48; // 'HNSW' little-endian
const DELTA_MAGIC = 0x44534e48; // 'HNSD'
const FORMAT_VERSION = 1;

const align16 = (n: number) => (n + 15) & ~15;

function isIntegerOption(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function checkId(id: unknown): asserts id is Id {
  if (typeof id === 'number') {
    if (!Number.isSafeInteger(id)) fail('ERR_INVALID_ID', `integer ids must be safe integers, got ${id}`);
  } else if (typeof id === 'string') {
    if (LONE_SURROGATE.test(id)) fail('ERR_INVALID_ID', 'string ids must be well-formed UTF-16 (no lone surrogates)');
  } else {
    fail('ERR_INVALID_ID', `ids are strings or safe integers, got ${typeof id}`);
  }
}

/** Stateless 32-bit mix of (seed, n): the level of the n-th insert is a pure function of both. */
function hashUniform(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n >>> 0, 0x9e3779b1) ^ Math.imul(Math.floor(n / 4294967296), 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h = (h ^ (h >>> 16)) >>> 0;
  return (h + 0.5) / 4294967296;
}

export class HnswIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly M: number;
  readonly M0: number;
  readonly efConstruction: number;
  efSearch: number;
  readonly seed: number;
  readonly quantization: 'none' | 'int8';
  readonly kernelKind: KernelKind;
  private readonly mL: number;
  private readonly metricCode: number; // 0 cosine, 1 l2, 2 ip
  private readonly dimPad: number; // floats per stored vector (multiple of 4)
  private readonly dim8: number; // bytes per int8 code (multiple of 16)
  private readonly logEnabled: boolean;

  // linear memory layout (byte offsets)
  private mem: LinearMemory;
  private k: Kernel;
  private readonly qOff: number;
  private readonly q8Off: number;
  private readonly idsOff: number;
  private readonly outOff: number;
  private readonly batchCap: number;
  private codesOff = 0;
  private regions: number[] = [];
  private vecOff = 0;

  // per-slot state
  private capacity = 0;
  private count = 0; // slots in use (live or deleted), slots [0, count)
  private live = 0;
  private levels: Uint8Array = new Uint8Array(0);
  private flags: Uint8Array = new Uint8Array(0);
  private adj0: Int32Array = new Int32Array(0); // per slot: [count, n_1 .. n_M0]
  private upper: (Int32Array | null)[] = []; // per slot: level * (M + 1), layer l at (l - 1) * (M + 1)
  private visited: Uint32Array = new Uint32Array(0);
  private visitGen = 0;
  private scales: Float32Array = new Float32Array(0);
  private norms2: Float32Array = new Float32Array(0);
  private slotIds: Id[] = [];
  private idToSlot = new Map<Id, number>();
  private freeList: Int32Array = new Int32Array(0);
  private freeCount = 0;
  private entry = -1;
  private maxLevel = -1;

  // search scratch (reused; grows only for a larger ef)
  private readonly cand = new MinHeap(256);
  private readonly best = new MaxHeap(256);
  private sortIds = new Int32Array(256);
  private sortDist = new Float32Array(256);
  private readonly shrinkIds: Int32Array;
  private readonly shrinkDist: Float32Array;
  private qScale = 0;
  private qNorm2 = 0;

  // versioning and op log
  private version = 0;
  private chainHash = 0;
  private logStart = 0;
  private logStartHash = 0;
  private logLen = 0;
  private logKinds = new Uint8Array(64);
  private logLevels = new Uint8Array(64);
  private logVecRef = new Int32Array(64); // >= 0: float offset in logVecs; < 0: -(slot + 1)
  private logHashes = new Uint32Array(64); // chain hash after each logged op
  private logIds: Id[] = [];
  private logVecs = new Float32Array(0);
  private logVecLen = 0;
  private slotLogRef: Int32Array = new Int32Array(0);
  private opScratch = new Writer(64);

  constructor(options: IndexOptions) {
    if (options === null || typeof options !== 'object') fail('ERR_INVALID_OPTION', 'options must be an object');
    const {
      dim,
      metric = 'cosine',
      M = 32,
      efConstruction = 200,
      efSearch = 64,
      seed = 42,
      capacity = 1024,
      quantization = 'none',
      kernel = 'auto',
      log = true,
    } = options;
    if (!isIntegerOption(dim, 1, 65536)) fail('ERR_INVALID_OPTION', `dim must be an integer in 1..65536, got ${dim}`);
    if (!METRICS.includes(metric)) fail('ERR_INVALID_OPTION', `metric must be one of ${METRICS.join(', ')}`);
    if (!isIntegerOption(M, 2, 1024)) fail('ERR_INVALID_OPTION', `M must be an integer in 2..1024, got ${M}`);
    if (!isIntegerOption(efConstruction, 1, 1 << 20)) fail('ERR_INVALID_OPTION', `efConstruction must be a positive integer`);
    if (!isIntegerOption(efSearch, 1, 1 << 20)) fail('ERR_INVALID_OPTION', `efSearch must be a positive integer`);
    if (!isIntegerOption(seed, 0, 0xffffffff)) fail('ERR_INVALID_OPTION', `seed must be an integer in 0..2^32-1`);
    if (!isIntegerOption(capacity, 1, 1 << 28)) fail('ERR_INVALID_OPTION', `capacity must be a positive integer`);
    if (quantization !== 'none' && quantization !== 'int8') fail('ERR_INVALID_OPTION', `quantization must be 'none' or 'int8'`);
    if (kernel !== 'auto' && kernel !== 'wasm' && kernel !== 'js') fail('ERR_INVALID_OPTION', `kernel must be 'auto', 'wasm' or 'js'`);
    if (typeof log !== 'boolean') fail('ERR_INVALID_OPTION', 'log must be a boolean');
    if (kernel === 'wasm' && !simdAvailable()) fail('ERR_INVALID_OPTION', 'WebAssembly SIMD is not available here');

    this.dim = dim;
    this.metric = metric;
    this.metricCode = METRICS.indexOf(metric);
    this.M = M;
    this.M0 = 2 * M;
    this.efConstruction = efConstruction;
    this.efSearch = efSearch;
    this.seed = seed >>> 0;
    this.quantization = quantization;
    this.logEnabled = log;
    this.mL = 1 / Math.log(M);
    this.dimPad = (dim + 3) & ~3;
    this.dim8 = align16(dim);
    this.kernelKind = kernel === 'auto' ? (simdAvailable() ? 'wasm' : 'js') : kernel;

    this.batchCap = 2 * this.M0 + 16;
    this.qOff = 0;
    this.q8Off = align16(this.dimPad * 4);
    this.idsOff = this.q8Off + this.dim8;
    this.outOff = this.idsOff + this.batchCap * 4;
    this.shrinkIds = new Int32Array(this.batchCap);
    this.shrinkDist = new Float32Array(this.batchCap);

    const initial = Math.max(16, capacity);
    this.mem = new LinearMemory(this.kernelKind, this.layoutBytes(initial).total);
    this.k = this.mem.kernel;
    this.resize(initial);
  }

  // ------------------------------------------------------------------ public API

  /** Number of live vectors. */
  get size(): number {
    return this.live;
  }

  /** Version: the number of operations (adds and removes) this index's history holds. */
  get currentVersion(): number {
    return this.version;
  }

  has(id: Id): boolean {
    return this.idToSlot.has(id);
  }

  /** A copy of the stored vector (normalised under cosine), or undefined. */
  get(id: Id): Float32Array | undefined {
    const slot = this.idToSlot.get(id);
    if (slot === undefined) return undefined;
    const start = (this.vecOff >> 2) + slot * this.dimPad;
    return this.mem.f32.slice(start, start + this.dim);
  }

  /** All live ids, in slot order. */
  ids(): Id[] {
    const out: Id[] = [];
    for (let s = 0; s < this.count; s++) if (this.flags[s] === FLAG_LIVE) out.push(this.slotIds[s]!);
    return out;
  }

  stats(): IndexStats {
    return {
      size: this.live,
      slots: this.count,
      deleted: this.freeCount,
      capacity: this.capacity,
      maxLevel: this.maxLevel,
      version: this.version,
      kernel: this.kernelKind,
      memoryBytes: this.memoryBytes(),
    };
  }

  /** Inserts a vector; an existing id is updated (its old vector removed, the new one inserted). */
  add(id: Id, vector: Vector): void {
    checkId(id);
    this.checkVector(vector, 'vector');
    this.addChecked(id, vector, 0);
  }

  /**
   * Inserts many vectors: `vectors` is an array of vectors or one flat array of ids.length * dim
   * numbers. Every input is checked before the first insert, so on error nothing is added.
   */
  addBatch(ids: readonly Id[], vectors: readonly Vector[] | Float32Array | Float64Array, onProgress?: (done: number, total: number) => void): void {
    if (!Array.isArray(ids)) fail('ERR_INVALID_ARGUMENT', 'ids must be an array');
    const n = ids.length;
    const flat = ArrayBuffer.isView(vectors);
    if (flat) {
      if ((vectors as Float32Array).length !== n * this.dim) {
        fail('ERR_DIMENSION_MISMATCH', `flat vectors must hold ids.length * dim = ${n * this.dim} numbers, got ${(vectors as Float32Array).length}`);
      }
    } else if (!Array.isArray(vectors) || vectors.length !== n) {
      fail('ERR_INVALID_ARGUMENT', 'vectors must be an array with one vector per id, or a flat typed array');
    }
    for (let i = 0; i < n; i++) {
      checkId(ids[i]);
      if (flat) this.checkFlat(vectors as Float32Array, i * this.dim, `vectors[${i}]`);
      else this.checkVector((vectors as readonly Vector[])[i]!, `vectors[${i}]`);
    }
    if (onProgress !== undefined && typeof onProgress !== 'function') fail('ERR_INVALID_ARGUMENT', 'onProgress must be a function');
    for (let i = 0; i < n; i++) {
      if (flat) this.addChecked(ids[i]!, vectors as Float32Array, i * this.dim);
      else this.addChecked(ids[i]!, (vectors as readonly Vector[])[i]!, 0);
      if (onProgress && ((i + 1) % 1000 === 0 || i + 1 === n)) onProgress(i + 1, n);
    }
  }

  /** Removes an id and repairs the links of its neighbours. Throws UNKNOWN_ID if absent. */
  remove(id: Id): void {
    checkId(id);
    const slot = this.idToSlot.get(id);
    if (slot === undefined) fail('ERR_UNKNOWN_ID', `no vector with id ${JSON.stringify(id)}`);
    this.removeSlot(slot);
    this.record(OP_REMOVE, id, 0, -1);
  }

  /** The k nearest live vectors to `query`, nearest first. */
  search(query: Vector, k: number, options?: SearchOptions): SearchResult {
    if (!isIntegerOption(k, 1, 0x7fffffff)) fail('ERR_INVALID_ARGUMENT', `k must be a positive integer, got ${k}`);
    let ef = this.efSearch;
    let filter: ((id: Id) => boolean) | undefined;
    if (options !== undefined) {
      if (options === null || typeof options !== 'object') fail('ERR_INVALID_ARGUMENT', 'options must be an object');
      if (options.efSearch !== undefined) {
        if (!isIntegerOption(options.efSearch, 1, 1 << 24)) fail('ERR_INVALID_ARGUMENT', 'efSearch must be a positive integer');
        ef = options.efSearch;
      }
      if (options.filter !== undefined) {
        if (typeof options.filter !== 'function') fail('ERR_INVALID_ARGUMENT', 'filter must be a function');
        filter = options.filter;
      }
    }
    this.checkVector(query, 'query');
    this.loadQuery(query);
    if (ef < k) ef = k;
    const n = this.searchLoaded(k, ef, filter);
    const ids: Id[] = new Array(n);
    const distances: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      ids[i] = this.slotIds[this.sortIds[i]!]!;
      distances[i] = this.sortDist[i]!;
    }
    return { ids, distances };
  }

  /** Exact k nearest neighbours by a linear scan (for tests and recall measurements). */
  bruteForce(query: Vector, k: number, options?: { filter?: (id: Id) => boolean }): SearchResult {
    if (!isIntegerOption(k, 1, 0x7fffffff)) fail('ERR_INVALID_ARGUMENT', `k must be a positive integer, got ${k}`);
    this.checkVector(query, 'query');
    this.loadQuery(query);
    const filter = options?.filter;
    const best = this.best;
    best.clear();
    const idsI = this.idsOff >> 2;
    let nb = 0;
    const flush = () => {
      this.distBatch(this.qOff, nb);
      const out = this.mem.f32, o = this.outOff >> 2, i32 = this.mem.i32;
      for (let i = 0; i < nb; i++) {
        const d = out[o + i]!;
        if (best.size < k || d < best.keys[0]!) {
          best.push(d, i32[idsI + i]!);
          if (best.size > k) best.pop();
        }
      }
      nb = 0;
    };
    for (let s = 0; s < this.count; s++) {
      if (this.flags[s] !== FLAG_LIVE) continue;
      if (filter && !filter(this.slotIds[s]!)) continue;
      this.mem.i32[idsI + nb++] = s;
      if (nb === this.batchCap) flush();
    }
    flush();
    const n = best.size;
    const ids: Id[] = new Array(n);
    const distances: number[] = new Array(n);
    for (let i = n - 1; i >= 0; i--) {
      ids[i] = this.slotIds[best.vals[0]!]!;
      distances[i] = best.keys[0]!;
      best.pop();
    }
    return { ids, distances };
  }

  // ------------------------------------------------------------------ input checks

  private checkVector(v: Vector, what: string): void {
    if (v === null || typeof v !== 'object' || typeof (v as { length?: unknown }).length !== 'number') {
      fail('ERR_INVALID_ARGUMENT', `${what} must be an array or typed array of numbers`);
    }
    if (v.length !== this.dim) fail('ERR_DIMENSION_MISMATCH', `${what} has ${v.length} components, the index has dim ${this.dim}`);
    let norm = 0;
    for (let i = 0; i < this.dim; i++) {
      const x = v[i];
      // checked as stored: float32 (so 1e39 is infinite and 1e-50 is zero)
      const f = Math.fround(x as number);
      if (typeof x !== 'number' || !Number.isFinite(f)) fail('ERR_NON_FINITE', `${what}[${i}] is ${String(x)}${Number.isFinite(x) ? ' (beyond float32)' : ''}`);
      norm += f * f;
    }
    if (this.metricCode === 0 && !(norm > 0 && Number.isFinite(norm))) fail('ERR_ZERO_VECTOR', `${what} has no direction (zero or underflowing norm) under cosine`);
    if (!(norm <= MAX_NORM2)) fail('ERR_NON_FINITE', `${what} is too long: its squared norm exceeds 1e37, so float32 distances would overflow`);
  }

  private checkFlat(v: Float32Array | Float64Array, off: number, what: string): void {
    let norm = 0;
    for (let i = 0; i < this.dim; i++) {
      const x = v[off + i]!, f = Math.fround(x);
      if (!Number.isFinite(f)) fail('ERR_NON_FINITE', `${what}[${i}] is ${x}${Number.isFinite(x) ? ' (beyond float32)' : ''}`);
      norm += f * f;
    }
    if (this.metricCode === 0 && !(norm > 0 && Number.isFinite(norm))) fail('ERR_ZERO_VECTOR', `${what} has no direction under cosine`);
    if (!(norm <= MAX_NORM2)) fail('ERR_NON_FINITE', `${what} is too long: its squared norm exceeds 1e37, so float32 distances would overflow`);
  }

  // ------------------------------------------------------------------ memory

  /**
   * Byte offsets of the per-slot regions in linear memory for a capacity, in address order:
   * int8 codes, float vectors, layer-0 adjacency, visited marks, flags, int8 scales, squared norms,
   * then the candidate and result heaps of the WebAssembly layer-0 search (one entry per slot).
   */
  private layoutBytes(cap: number): { offs: number[]; sizes: number[]; total: number } {
    const sizes = [
      this.quantization === 'int8' ? cap * this.dim8 : 0,
      cap * this.dimPad * 4,
      cap * (this.M0 + 1) * 4,
      cap * 4,
      cap,
      cap * 4,
      cap * 4,
      cap * 4,
      cap * 4,
      cap * 4,
      cap * 4,
    ].map(align16);
    const offs: number[] = [];
    let at = align16(this.outOff + this.batchCap * 4);
    for (const size of sizes) {
      offs.push(at);
      at += size;
    }
    return { offs, sizes, total: at };
  }

  private resize(cap: number): void {
    const old = this.capacity;
    const lay = this.layoutBytes(cap);
    if (lay.total > 4294967296) fail('ERR_CAPACITY', `${cap} vectors of dim ${this.dim} exceed 4 GiB`);
    this.mem.ensure(lay.total);
    const u8 = this.mem.u8;
    if (old > 0) {
      // every region moves up (or stays): move the highest first, then zero each region's new tail
      const o = this.layoutBytes(old);
      for (let r = lay.offs.length - 1; r >= 0; r--) {
        u8.copyWithin(lay.offs[r]!, o.offs[r]!, o.offs[r]! + o.sizes[r]!);
        u8.fill(0, lay.offs[r]! + o.sizes[r]!, lay.offs[r]! + lay.sizes[r]!);
      }
    }
    this.regions = lay.offs;
    this.codesOff = lay.offs[0]!;
    this.vecOff = lay.offs[1]!;
    this.capacity = cap;
    this.refreshViews();
    const levels = new Uint8Array(cap);
    levels.set(this.levels);
    this.levels = levels;
    const fl = new Int32Array(cap);
    fl.set(this.freeList);
    this.freeList = fl;
    const slr = new Int32Array(cap).fill(-1);
    slr.set(this.slotLogRef);
    this.slotLogRef = slr;
  }

  /** Typed-array views on the linear memory regions (replaced whenever the memory grows). */
  private refreshViews(): void {
    const b = this.mem.buffer, r = this.regions, cap = this.capacity;
    this.adj0 = new Int32Array(b, r[2]!, cap * (this.M0 + 1));
    this.visited = new Uint32Array(b, r[3]!, cap);
    this.flags = new Uint8Array(b, r[4]!, cap);
    this.scales = new Float32Array(b, r[5]!, cap);
    this.norms2 = new Float32Array(b, r[6]!, cap);
    this.k.configure?.(this.vecOff, this.dimPad, this.codesOff, this.dim8, r[2]!, this.M0 + 1, r[3]!, r[4]!, r[5]!, r[6]!, r[7]!, r[8]!, r[9]!, r[10]!, this.idsOff, this.outOff);
  }

  private memoryBytes(): number {
    let upper = 0;
    for (let s = 0; s < this.count; s++) upper += this.upper[s] ? this.upper[s]!.byteLength : 0;
    return (
      this.mem.byteLength +
      this.adj0.byteLength +
      upper +
      this.levels.byteLength * 2 +
      this.visited.byteLength +
      this.scales.byteLength * 2 +
      this.freeList.byteLength +
      this.slotLogRef.byteLength +
      this.logVecs.byteLength +
      this.logKinds.length * 6
    );
  }

  // ------------------------------------------------------------------ distances

  /** Writes the query (normalised under cosine) to the query scratch, and its int8 code. */
  private loadQuery(v: Vector): void {
    const f = this.mem.f32, q = this.qOff >> 2, dim = this.dim;
    let norm = 0;
    for (let i = 0; i < dim; i++) {
      const x = Math.fround(v[i]!);
      f[q + i] = x;
      norm += x * x;
    }
    for (let i = dim; i < this.dimPad; i++) f[q + i] = 0;
    if (this.metricCode === 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < dim; i++) f[q + i] = f[q + i]! * inv;
    }
    if (this.quantization === 'int8') this.quantize(this.qOff, this.q8Off, -1);
  }

  /** int8 code of the float vector at byte offset `src` into byte offset `dst`; slot >= 0 stores scale. */
  private quantize(src: number, dst: number, slot: number): void {
    const f = this.mem.f32, i8 = this.mem.i8, s = src >> 2, dim = this.dim;
    let maxAbs = 0, n2 = 0;
    for (let i = 0; i < dim; i++) {
      const x = f[s + i]!;
      const a = x < 0 ? -x : x;
      if (a > maxAbs) maxAbs = a;
      n2 += x * x;
    }
    const scale = maxAbs > 0 ? maxAbs / 127 : 1;
    const inv = 1 / scale;
    for (let i = 0; i < dim; i++) i8[dst + i] = Math.round(f[s + i]! * inv);
    for (let i = dim; i < this.dim8; i++) i8[dst + i] = 0;
    if (slot >= 0) {
      this.scales[slot] = scale;
      this.norms2[slot] = n2;
    } else {
      this.qScale = scale;
      this.qNorm2 = n2;
    }
  }

  /** Exact distances from the vector at byte offset q to the cnt slots in the ids scratch. */
  private distBatch(q: number, cnt: number): void {
    if (cnt === 0) return;
    if (this.metricCode === 1) this.k.l2_batch(q, this.vecOff, this.dimPad, this.idsOff, cnt, this.outOff);
    else this.k.ip_batch(q, this.vecOff, this.dimPad, this.idsOff, cnt, this.outOff, 1);
  }

  /** Approximate (int8) distances from the loaded query to the cnt slots in the ids scratch. */
  private distBatch8(cnt: number): void {
    if (cnt === 0) return;
    this.k.dot8_batch(this.q8Off, this.codesOff, this.dim8, this.idsOff, cnt, this.outOff);
    const i32 = this.mem.i32, f32 = this.mem.f32, o = this.outOff >> 2, ids = this.idsOff >> 2;
    const qs = this.qScale, scales = this.scales;
    if (this.metricCode === 1) {
      const qn = this.qNorm2, norms = this.norms2;
      for (let i = 0; i < cnt; i++) {
        const s = i32[ids + i]!;
        f32[o + i] = qn + norms[s]! - 2 * qs * scales[s]! * i32[o + i]!;
      }
    } else {
      for (let i = 0; i < cnt; i++) f32[o + i] = 1 - qs * scales[i32[ids + i]!]! * i32[o + i]!;
    }
  }

  private vecAt(slot: number): number {
    return this.vecOff + slot * this.dimPad * 4;
  }

  private dist(a: number, bSlot: number): number {
    const b = this.vecAt(bSlot);
    return this.metricCode === 1 ? this.k.l2(a, b, this.dimPad) : 1 - this.k.dot(a, b, this.dimPad);
  }

  // ------------------------------------------------------------------ graph access

  /** Returns [array, offset] of a node's list at a layer: arr[off] is the count, then the links. */
  private listArr(slot: number, layer: number): Int32Array {
    return layer === 0 ? this.adj0 : this.upper[slot]!;
  }
  private listOff(slot: number, layer: number): number {
    return layer === 0 ? slot * (this.M0 + 1) : (layer - 1) * (this.M + 1);
  }

  private nextGen(): number {
    if (++this.visitGen === 0xffffffff) {
      this.visited.fill(0);
      this.visitGen = 1;
    }
    return this.visitGen;
  }

  /** Greedy descent on one upper layer (ef = 1). Returns the closest slot; this.greedyDist its distance. */
  private greedyDist = 0;
  private greedy(q: number, cur: number, curDist: number, layer: number, quant: boolean): number {
    const i32 = this.mem.i32, f32 = this.mem.f32, idsI = this.idsOff >> 2, o = this.outOff >> 2;
    let changed = true;
    while (changed) {
      changed = false;
      const arr = this.upper[cur]!;
      const off = (layer - 1) * (this.M + 1);
      const n = arr[off]!;
      let nb = 0;
      for (let j = 1; j <= n; j++) {
        const x = arr[off + j]!;
        if (this.levels[x]! >= layer) i32[idsI + nb++] = x;
      }
      if (quant) this.distBatch8(nb);
      else this.distBatch(q, nb);
      for (let j = 0; j < nb; j++) {
        const d = f32[o + j]!;
        if (d < curDist) {
          curDist = d;
          cur = i32[idsI + j]!;
          changed = true;
        }
      }
    }
    this.greedyDist = curDist;
    return cur;
  }

  /**
   * Algorithm 2: beam search of width ef on one layer from `ep`. The result set holds only slots
   * that are live (and pass `filter` when given); others are traversed but not returned. The result
   * is left in this.best (a max-heap).
   */
  private searchLayer(q: number, ep: number, epDist: number, ef: number, layer: number, quant: boolean, filter?: (id: Id) => boolean): void {
    const cand = this.cand, best = this.best;
    cand.clear();
    best.clear();
    const gen = this.nextGen();
    const visited = this.visited, flags = this.flags, levels = this.levels, slotIds = this.slotIds;
    const idsI = this.idsOff >> 2, o = this.outOff >> 2;
    const M0 = this.M0, M1 = this.M + 1;
    visited[ep] = gen;
    cand.push(epDist, ep);
    if (flags[ep] === FLAG_LIVE && (!filter || filter(slotIds[ep]!))) best.push(epDist, ep);
    let bound = best.size >= ef ? best.keys[0]! : Infinity;
    while (cand.size > 0) {
      const cd = cand.keys[0]!;
      if (cd > bound) break;
      const c = cand.vals[0]!;
      cand.pop();
      let arr: Int32Array, off: number;
      if (layer === 0) {
        arr = this.adj0;
        off = c * (M0 + 1);
      } else {
        arr = this.upper[c]!;
        off = (layer - 1) * M1;
      }
      const n = arr[off]!;
      const i32 = this.mem.i32;
      let nb = 0;
      for (let j = 1; j <= n; j++) {
        const x = arr[off + j]!;
        if (visited[x] !== gen) {
          visited[x] = gen;
          if (layer === 0 || levels[x]! >= layer) i32[idsI + nb++] = x;
        }
      }
      if (nb === 0) continue;
      if (quant) this.distBatch8(nb);
      else this.distBatch(q, nb);
      const f32 = this.mem.f32;
      for (let j = 0; j < nb; j++) {
        const d = f32[o + j]!;
        if (d < bound || best.size < ef) {
          const x = i32[idsI + j]!;
          cand.push(d, x);
          if (flags[x] === FLAG_LIVE && (!filter || filter(slotIds[x]!))) {
            best.push(d, x);
            if (best.size > ef) best.pop();
            if (best.size >= ef) bound = best.keys[0]!;
          }
        }
      }
    }
  }

  /**
   * Beam search on a layer with the results left ascending in sortIds/sortDist; returns their
   * number. Layer 0 without a filter runs entirely inside the WebAssembly kernel when it is in use.
   */
  private searchSorted(q: number, ep: number, epDist: number, ef: number, layer: number, quant: boolean, filter?: (id: Id) => boolean): number {
    const k = this.k;
    if (layer === 0 && !filter && k.search0) {
      const mode = (quant ? 2 : 0) + (this.metricCode === 1 ? 1 : 0);
      const n = k.search0(q, this.q8Off, ep, epDist, ef, this.nextGen(), mode, this.qScale, this.qNorm2);
      k.drain!(n);
      if (this.sortIds.length < n) {
        this.sortIds = new Int32Array(Math.max(n, this.sortIds.length * 2));
        this.sortDist = new Float32Array(this.sortIds.length);
      }
      const i32 = this.mem.i32, f32 = this.mem.f32, ids = this.sortIds, dists = this.sortDist;
      const cv = this.regions[8]! >> 2, ck = this.regions[7]! >> 2;
      for (let i = 0; i < n; i++) {
        ids[i] = i32[cv + i]!;
        dists[i] = f32[ck + i]!;
      }
      return n;
    }
    this.searchLayer(q, ep, epDist, ef, layer, quant, filter);
    return this.drainBest();
  }

  /** Drains this.best into sortIds/sortDist ascending; returns the count. */
  private drainBest(): number {
    const best = this.best, n = best.size;
    if (this.sortIds.length < n) {
      this.sortIds = new Int32Array(Math.max(n, this.sortIds.length * 2));
      this.sortDist = new Float32Array(this.sortIds.length);
    }
    for (let i = n - 1; i >= 0; i--) {
      this.sortIds[i] = best.vals[0]!;
      this.sortDist[i] = best.keys[0]!;
      best.pop();
    }
    return n;
  }

  /** Algorithm 5 with the query already loaded: results in sortIds/sortDist[0, returned). */
  private searchLoaded(k: number, ef: number, filter?: (id: Id) => boolean): number {
    if (this.entry < 0) return 0;
    const quant = this.quantization === 'int8';
    const q = this.qOff;
    let cur = this.entry;
    let curDist: number;
    if (quant) {
      this.mem.i32[this.idsOff >> 2] = cur;
      this.distBatch8(1);
      curDist = this.mem.f32[this.outOff >> 2]!;
    } else {
      curDist = this.dist(q, cur);
    }
    for (let l = this.maxLevel; l > 0; l--) {
      cur = this.greedy(q, cur, curDist, l, quant);
      curDist = this.greedyDist;
    }
    let n = this.searchSorted(q, cur, curDist, ef, 0, quant, filter);
    if (quant && n > 0) {
      // exact re-ranking of the whole beam
      const best = this.best;
      best.clear();
      const idsI = this.idsOff >> 2, o = this.outOff >> 2;
      for (let start = 0; start < n; start += this.batchCap) {
        const cnt = Math.min(this.batchCap, n - start);
        const i32 = this.mem.i32;
        for (let j = 0; j < cnt; j++) i32[idsI + j] = this.sortIds[start + j]!;
        this.distBatch(q, cnt);
        const f32 = this.mem.f32;
        for (let j = 0; j < cnt; j++) {
          const d = f32[o + j]!;
          if (best.size < k || d < best.keys[0]!) {
            best.push(d, i32[idsI + j]!);
            if (best.size > k) best.pop();
          }
        }
      }
      n = this.drainBest();
    }
    return Math.min(n, k);
  }

  // ------------------------------------------------------------------ insertion

  private levelFor(version: number): number {
    const l = Math.floor(-Math.log(hashUniform(this.seed, version)) * this.mL);
    return l > MAX_LEVEL ? MAX_LEVEL : l;
  }

  /** Adds a checked vector (from v[off, off + dim)); logs it. */
  private addChecked(id: Id, v: Vector, off: number, level = -1, raw = false): void {
    const existing = this.idToSlot.get(id);
    if (existing !== undefined) this.removeSlot(existing);
    if (level < 0) level = this.levelFor(this.version + 1);
    const slot = this.allocSlot();
    // store the vector (normalised under cosine unless raw, i.e. already stored form from a delta)
    const f = this.mem.f32, base = this.vecAt(slot) >> 2, dim = this.dim;
    let norm = 0;
    for (let i = 0; i < dim; i++) {
      const x = Math.fround(v[off + i]!);
      f[base + i] = x;
      norm += x * x;
    }
    for (let i = dim; i < this.dimPad; i++) f[base + i] = 0;
    if (this.metricCode === 0 && !raw) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < dim; i++) f[base + i] = f[base + i]! * inv;
    }
    if (this.quantization === 'int8') this.quantize(this.vecAt(slot), this.codesOff + slot * this.dim8, slot);
    this.slotIds[slot] = id;
    this.idToSlot.set(id, slot);
    this.levels[slot] = level;
    this.adj0[slot * (this.M0 + 1)] = 0;
    this.upper[slot] = level > 0 ? new Int32Array(level * (this.M + 1)) : null;
    // not live while it is being linked: a stale link to a reused slot must not make it its own neighbour
    this.flags[slot] = FLAG_DELETED;
    this.insertSlot(slot, level);
    this.flags[slot] = FLAG_LIVE;
    this.live++;
    this.record(OP_ADD, id, level, slot);
  }

  private allocSlot(): number {
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.freeList[--this.freeCount]!;
      this.detachLog(slot);
    } else {
      if (this.count === this.capacity) this.resize(this.capacity * 2);
      slot = this.count++;
    }
    return slot;
  }

  /** Algorithm 1 for a slot whose vector, level and empty lists are in place. */
  private insertSlot(slot: number, level: number): void {
    if (this.entry < 0) {
      this.entry = slot;
      this.maxLevel = level;
      return;
    }
    const q = this.vecAt(slot);
    let cur = this.entry;
    let curDist = this.dist(q, cur);
    for (let l = this.maxLevel; l > level; l--) {
      cur = this.greedy(q, cur, curDist, l, false);
      curDist = this.greedyDist;
    }
    for (let l = Math.min(level, this.maxLevel); l >= 0; l--) {
      const n = l === 0 && this.quantization === 'int8' && this.k.search0
        ? this.searchInsert8(slot, cur, curDist)
        : this.searchSorted(q, cur, curDist, this.efConstruction, l, false);
      if (n === 0) continue;
      cur = this.sortIds[0]!;
      curDist = this.sortDist[0]!;
      const arr = this.listArr(slot, l), off = this.listOff(slot, l);
      this.selectNeighbors(this.sortIds, this.sortDist, n, this.M, arr, off);
      const m = arr[off]!;
      for (let j = 1; j <= m; j++) this.link(arr[off + j]!, slot, l);
    }
    if (level > this.maxLevel) {
      this.entry = slot;
      this.maxLevel = level;
    }
  }

  /**
   * Layer-0 search of an insert under int8 quantization: the beam runs on the int8 codes (in the
   * WebAssembly kernel), then the beam is re-ranked by exact distances, so the heuristic and the
   * links see exact distances only.
   */
  private searchInsert8(slot: number, ep: number, epDist: number): number {
    const k = this.k;
    const mode = 2 + (this.metricCode === 1 ? 1 : 0);
    const n = k.search0!(this.vecAt(slot), this.codesOff + slot * this.dim8, ep, epDist, this.efConstruction, this.nextGen(), mode, this.scales[slot]!, this.norms2[slot]!);
    k.drain!(n);
    if (this.sortIds.length < n) {
      this.sortIds = new Int32Array(Math.max(n, this.sortIds.length * 2));
      this.sortDist = new Float32Array(this.sortIds.length);
    }
    const ids = this.sortIds, dists = this.sortDist;
    const i32 = this.mem.i32, f32 = this.mem.f32, cv = this.regions[8]! >> 2;
    for (let i = 0; i < n; i++) ids[i] = i32[cv + i]!;
    const q = this.vecAt(slot), idsI = this.idsOff >> 2, o = this.outOff >> 2;
    for (let start = 0; start < n; start += this.batchCap) {
      const cnt = Math.min(this.batchCap, n - start);
      for (let j = 0; j < cnt; j++) i32[idsI + j] = ids[start + j]!;
      this.distBatch(q, cnt);
      for (let j = 0; j < cnt; j++) dists[start + j] = f32[o + j]!;
    }
    // insertion sort by exact distance (the beam is nearly sorted already)
    for (let i = 1; i < n; i++) {
      const d = dists[i]!, x = ids[i]!;
      let j = i - 1;
      while (j >= 0 && dists[j]! > d) {
        dists[j + 1] = dists[j]!;
        ids[j + 1] = ids[j]!;
        j--;
      }
      dists[j + 1] = d;
      ids[j + 1] = x;
    }
    return n;
  }

  /**
   * Algorithm 4 (simple heuristic, no candidate extension, pruned connections not kept): walks the
   * candidates nearest first and keeps one only if it is closer to the base than to every neighbour
   * kept so far. Candidates must be sorted ascending by distance to the base. Writes into
   * out[off] = count, out[off + 1 ..] = slots.
   */
  private selectNeighbors(ids: Int32Array, dists: Float32Array, n: number, max: number, out: Int32Array, off: number): void {
    const k = this.k;
    if (k.select) {
      const cv = this.regions[8]!, ck = this.regions[7]!;
      const i32 = this.mem.i32, f32 = this.mem.f32, cvI = cv >> 2, ckI = ck >> 2;
      for (let j = 0; j < n; j++) {
        i32[cvI + j] = ids[j]!;
        f32[ckI + j] = dists[j]!;
      }
      const m = k.select(cv, ck, n, max, this.idsOff, this.metricCode === 1 ? 1 : 0);
      const idsI = this.idsOff >> 2;
      for (let j = 0; j < m; j++) out[off + 1 + j] = i32[idsI + j]!;
      out[off] = m;
      return;
    }
    let kept = 0;
    const idsI = this.idsOff >> 2, o = this.outOff >> 2;
    for (let i = 0; i < n && kept < max; i++) {
      const e = ids[i]!, de = dists[i]!;
      let good = true;
      if (kept > 0) {
        const i32 = this.mem.i32;
        for (let j = 0; j < kept; j++) i32[idsI + j] = out[off + 1 + j]!;
        this.distBatch(this.vecAt(e), kept);
        const f32 = this.mem.f32;
        for (let j = 0; j < kept; j++) {
          if (f32[o + j]! < de) {
            good = false;
            break;
          }
        }
      }
      if (good) out[off + 1 + kept++] = e;
    }
    out[off] = kept;
  }

  /** Adds the link from -> to on a layer, shrinking from's list with the heuristic when full. */
  private link(from: number, to: number, layer: number): void {
    const arr = this.listArr(from, layer), off = this.listOff(from, layer);
    const max = layer === 0 ? this.M0 : this.M;
    const n = arr[off]!;
    for (let j = 1; j <= n; j++) if (arr[off + j] === to) return;
    if (n < max) {
      arr[off + n + 1] = to;
      arr[off] = n + 1;
      return;
    }
    // full: candidates = current links (live ones) + the new one, sorted by distance to `from`
    const ids = this.shrinkIds;
    let c = 0;
    for (let j = 1; j <= n; j++) {
      const x = arr[off + j]!;
      if (this.flags[x] === FLAG_LIVE && (layer === 0 || this.levels[x]! >= layer)) ids[c++] = x;
    }
    ids[c++] = to;
    this.rewire(from, layer, ids, c, max);
  }

  /** Sorts candidate slots ids[0, c) by distance to `node` and writes the heuristic's choice as its list. */
  private rewire(node: number, layer: number, ids: Int32Array, c: number, max: number): void {
    const dists = this.shrinkDist;
    const i32 = this.mem.i32, idsI = this.idsOff >> 2;
    for (let j = 0; j < c; j++) i32[idsI + j] = ids[j]!;
    this.distBatch(this.vecAt(node), c);
    const f32 = this.mem.f32, o = this.outOff >> 2;
    for (let j = 0; j < c; j++) dists[j] = f32[o + j]!;
    // insertion sort (c <= 2 * M0 + 1), ties by slot
    for (let i = 1; i < c; i++) {
      const d = dists[i]!, x = ids[i]!;
      let j = i - 1;
      while (j >= 0 && (dists[j]! > d || (dists[j] === d && ids[j]! > x))) {
        dists[j + 1] = dists[j]!;
        ids[j + 1] = ids[j]!;
        j--;
      }
      dists[j + 1] = d;
      ids[j + 1] = x;
    }
    this.selectNeighbors(ids, dists, c, max, this.listArr(node, layer), this.listOff(node, layer));
  }

  // ------------------------------------------------------------------ deletion

  /**
   * Marks a slot deleted and repairs the graph: every neighbour that links back to it gets a new
   * list chosen by the heuristic from its other links plus the deleted node's links. The deleted
   * node stays traversable (links that other nodes still hold keep working) until its slot is reused.
   */
  private removeSlot(slot: number): void {
    const id = this.slotIds[slot]!;
    this.idToSlot.delete(id);
    this.flags[slot] = FLAG_DELETED;
    this.live--;
    this.freeList[this.freeCount++] = slot;
    const level = this.levels[slot]!;
    const visited = this.visited;
    const ids = this.shrinkIds;
    for (let l = 0; l <= level; l++) {
      const xa = this.listArr(slot, l), xo = this.listOff(slot, l), xn = xa[xo]!;
      const max = l === 0 ? this.M0 : this.M;
      for (let j = 1; j <= xn; j++) {
        const y = xa[xo + j]!;
        if (this.flags[y] !== FLAG_LIVE || (l > 0 && this.levels[y]! < l)) continue;
        const ya = this.listArr(y, l), yo = this.listOff(y, l), yn = ya[yo]!;
        let links = false;
        for (let t = 1; t <= yn; t++) if (ya[yo + t] === slot) links = true;
        if (!links) continue;
        // candidates: y's links and slot's links, live, deduplicated, without y itself
        const g = this.nextGen();
        visited[y] = g;
        let c = 0;
        for (let t = 1; t <= yn; t++) {
          const z = ya[yo + t]!;
          if (visited[z] !== g && this.flags[z] === FLAG_LIVE && (l === 0 || this.levels[z]! >= l)) {
            visited[z] = g;
            ids[c++] = z;
          }
        }
        for (let t = 1; t <= xn; t++) {
          const z = xa[xo + t]!;
          if (visited[z] !== g && this.flags[z] === FLAG_LIVE && (l === 0 || this.levels[z]! >= l)) {
            visited[z] = g;
            ids[c++] = z;
          }
        }
        this.rewire(y, l, ids, c, max);
      }
    }
    if (slot === this.entry) this.pickEntry();
  }

  private pickEntry(): void {
    let best = -1, bestLevel = -1;
    for (let s = 0; s < this.count; s++) {
      if (this.flags[s] === FLAG_LIVE && this.levels[s]! > bestLevel) {
        best = s;
        bestLevel = this.levels[s]!;
      }
    }
    this.entry = best;
    this.maxLevel = bestLevel;
  }

  // ------------------------------------------------------------------ op log and versions

  /** Encodes an op (without its vector) into the scratch writer; returns the writer. */
  private encodeOpHead(kind: number, id: Id, level: number): Writer {
    const w = this.opScratch;
    w.pos = 0;
    w.u8(kind);
    if (kind === OP_ADD) w.u8(level);
    w.id(id);
    return w;
  }

  /** Hashes the op into the chain, bumps the version and appends it to the log. */
  private record(kind: number, id: Id, level: number, slot: number): void {
    const w = this.encodeOpHead(kind, id, level);
    let h = crc32(w.buf, 0, w.pos, this.chainHash);
    if (kind === OP_ADD) {
      const b = this.vecAt(slot);
      h = crc32(this.mem.u8, b, b + this.dim * 4, h);
    }
    this.chainHash = h;
    this.version++;
    if (!this.logEnabled) {
      this.logStart = this.version;
      this.logStartHash = h;
      return;
    }
    if (this.logLen === this.logKinds.length) {
      const cap = this.logKinds.length * 2;
      const k = new Uint8Array(cap);
      k.set(this.logKinds);
      this.logKinds = k;
      const l = new Uint8Array(cap);
      l.set(this.logLevels);
      this.logLevels = l;
      const r = new Int32Array(cap);
      r.set(this.logVecRef);
      this.logVecRef = r;
      const hs = new Uint32Array(cap);
      hs.set(this.logHashes);
      this.logHashes = hs;
    }
    const i = this.logLen++;
    this.logKinds[i] = kind;
    this.logLevels[i] = level;
    this.logIds[i] = id;
    this.logHashes[i] = h;
    if (kind === OP_ADD) {
      this.logVecRef[i] = -(slot + 1);
      this.slotLogRef[slot] = i;
    } else {
      this.logVecRef[i] = 0;
    }
  }

  /** Before a slot's vector is overwritten, copies it into the log if a logged add refers to it. */
  private detachLog(slot: number): void {
    const i = this.slotLogRef[slot]!;
    if (i < 0) return;
    this.slotLogRef[slot] = -1;
    if (this.logVecLen + this.dim > this.logVecs.length) {
      const next = new Float32Array(Math.max(this.dim * 64, this.logVecs.length * 2, this.logVecLen + this.dim));
      next.set(this.logVecs.subarray(0, this.logVecLen));
      this.logVecs = next;
    }
    const b = this.vecAt(slot) >> 2;
    this.logVecs.set(this.mem.f32.subarray(b, b + this.dim), this.logVecLen);
    this.logVecRef[i] = this.logVecLen;
    this.logVecLen += this.dim;
  }

  /** Forgets the op log: later exportDelta() calls can only start at the current version. */
  truncateLog(): void {
    for (let i = 0; i < this.logLen; i++) {
      const r = this.logVecRef[i]!;
      if (this.logKinds[i] === OP_ADD && r < 0) this.slotLogRef[-r - 1] = -1;
    }
    this.logLen = 0;
    this.logIds = [];
    this.logVecs = new Float32Array(0);
    this.logVecLen = 0;
    this.logStart = this.version;
    this.logStartHash = this.chainHash;
  }

  private writeHeader(w: Writer, magic: number): void {
    w.u32(magic);
    w.u16(FORMAT_VERSION);
    w.u8(this.metricCode);
    w.u8(this.quantization === 'int8' ? 1 : 0);
    w.u32(this.dim);
    w.u16(this.M);
    w.u16(0);
    w.u32(this.efConstruction);
  }

  /**
   * The operations after `sinceVersion`, as bytes for applyDelta() on a peer that holds exactly
   * this index's first `sinceVersion` operations (a replica made from deltas or a snapshot).
   */
  exportDelta(sinceVersion: number): Uint8Array {
    if (!Number.isSafeInteger(sinceVersion) || sinceVersion < 0 || sinceVersion > this.version) {
      fail('ERR_INVALID_ARGUMENT', `sinceVersion must be an integer in 0..${this.version}`);
    }
    if (sinceVersion < this.logStart) {
      fail('ERR_DELTA_UNAVAILABLE', `the op log starts at version ${this.logStart}; send a snapshot instead`);
    }
    const w = new Writer(256);
    this.writeHeader(w, DELTA_MAGIC);
    w.f64(sinceVersion);
    w.f64(this.version);
    // chain hash at sinceVersion
    const first = sinceVersion - this.logStart;
    const h = first === 0 ? this.logStartHash : this.logHashes[first - 1]!;
    const u8 = this.mem.u8;
    const vecBytes = (i: number): Uint8Array => {
      const r = this.logVecRef[i]!;
      if (r < 0) {
        const b = this.vecAt(-r - 1);
        return u8.subarray(b, b + this.dim * 4);
      }
      return new Uint8Array(this.logVecs.buffer, r * 4, this.dim * 4);
    };
    w.u32(h);
    w.u32(this.logLen - first);
    for (let i = first; i < this.logLen; i++) {
      const kind = this.logKinds[i]!;
      w.u8(kind);
      if (kind === OP_ADD) w.u8(this.logLevels[i]!);
      w.id(this.logIds[i]!);
      if (kind === OP_ADD) w.bytes(vecBytes(i));
    }
    w.u32(crc32(w.buf, 0, w.pos));
    return w.finish();
  }

  /**
   * Applies a delta from exportDelta(). Ops this index already has are skipped, so overlapping or
   * repeated deltas are harmless; a delta that starts after this index's version is refused
   * (VERSION_GAP), and so is one whose history differs (DIVERGED). The delta is fully checked before
   * anything is applied: on error the index is unchanged. Returns the number of ops applied.
   */
  applyDelta(delta: Uint8Array): number {
    if (!(delta instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', 'delta must be a Uint8Array');
    const r = new Reader(delta, 'ERR_CORRUPT_DELTA');
    if (delta.length < 48) r.fail('too short');
    const stored = new DataView(delta.buffer, delta.byteOffset, delta.byteLength).getUint32(delta.length - 4, true);
    if (crc32(delta, 0, delta.length - 4) !== stored) r.fail('checksum mismatch');
    const body = new Reader(delta, 'ERR_CORRUPT_DELTA', delta.length - 4);
    if (body.u32() !== DELTA_MAGIC) body.fail('bad magic');
    const fmt = body.u16();
    if (fmt !== FORMAT_VERSION) body.fail(`unsupported format version ${fmt}`);
    const metric = body.u8();
    body.u8();
    const dim = body.u32();
    const M = body.u16();
    body.u16();
    const efC = body.u32();
    if (metric !== this.metricCode || dim !== this.dim || M !== this.M || efC !== this.efConstruction) {
      fail('ERR_INCOMPATIBLE', `delta is for ${METRICS[metric] ?? metric}/dim ${dim}/M ${M}/efC ${efC}, this index is ${this.metric}/dim ${this.dim}/M ${this.M}/efC ${this.efConstruction}`);
    }
    const from = body.f64();
    const to = body.f64();
    const fromHash = body.u32();
    const count = body.u32();
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to !== from + count) body.fail('inconsistent versions');
    if (from > this.version) fail('ERR_VERSION_GAP', `delta starts at version ${from}, this index is at ${this.version}`);
    // parse and check every op, simulating id presence, before touching the index
    type Op = { kind: number; level: number; id: Id; vec: Float32Array | null };
    const ops: Op[] = [];
    let h = fromHash;
    const present = new Map<Id, boolean>();
    const has = (id: Id) => (present.has(id) ? present.get(id)! : this.idToSlot.has(id));
    for (let i = 0; i < count; i++) {
      const start = body.pos;
      const kind = body.u8();
      if (kind !== OP_ADD && kind !== OP_REMOVE) body.fail(`unknown op ${kind}`);
      let level = 0;
      if (kind === OP_ADD) {
        level = body.u8();
        if (level > MAX_LEVEL) body.fail(`level ${level} over ${MAX_LEVEL}`);
      }
      const id = body.id();
      let vec: Float32Array | null = null;
      if (kind === OP_ADD) {
        body.need(this.dim * 4);
        vec = new Float32Array(this.dim);
        let norm = 0;
        for (let j = 0; j < this.dim; j++) {
          const x = body.f32();
          if (!Number.isFinite(x)) body.fail(`op ${i}: non-finite component`);
          vec[j] = x;
          norm += x * x;
        }
        if (!(norm <= MAX_NORM2) || (this.metricCode === 0 && !(Math.abs(norm - 1) < 1e-3))) body.fail(`op ${i}: overflowing vector, or not unit length under cosine`);
      }
      h = crc32(delta, start, body.pos, h);
      const version = from + i + 1;
      if (version === this.version && h !== this.chainHash) fail('ERR_DIVERGED', `history differs from this index at version ${version}`);
      if (version <= this.version) continue;
      if (kind === OP_REMOVE) {
        if (!has(id)) body.fail(`op ${i}: remove of unknown id ${JSON.stringify(id)}`);
        present.set(id, false);
      } else {
        present.set(id, true);
      }
      ops.push({ kind, level, id, vec });
    }
    if (body.pos !== body.end) body.fail('trailing bytes');
    if (from === this.version && fromHash !== this.chainHash) fail('ERR_DIVERGED', `history differs from this index at version ${from}`);
    // apply
    for (const op of ops) {
      if (op.kind === OP_ADD) this.addChecked(op.id, op.vec!, 0, op.level, true);
      else {
        this.removeSlot(this.idToSlot.get(op.id)!);
        this.record(OP_REMOVE, op.id, 0, -1);
      }
    }
    return ops.length;
  }

  // ------------------------------------------------------------------ snapshots

  /** The whole index as versioned bytes with a CRC-32 (see README, "Snapshot format"). */
  serialize(): Uint8Array {
    const w = new Writer(1024 + this.count * (this.dim * 4 + (this.M0 + 1) * 4 + 16));
    this.writeHeader(w, SNAPSHOT_MAGIC);
    w.u32(this.efSearch);
    w.u32(this.seed);
    w.f64(this.version);
    w.u32(this.chainHash);
    w.u32(this.count);
    w.i32(this.entry);
    w.i32(this.maxLevel);
    w.u32(this.freeCount);
    w.u32(this.live);
    w.bytes(this.flags.subarray(0, this.count));
    w.bytes(this.levels.subarray(0, this.count));
    w.align4();
    w.i32s(this.freeList, 0, this.freeCount);
    for (let s = 0; s < this.count; s++) if (this.flags[s] === FLAG_LIVE) w.id(this.slotIds[s]!);
    w.align4();
    const f = this.mem.f32;
    for (let s = 0; s < this.count; s++) w.f32s(f, this.vecAt(s) >> 2, this.dim);
    // fixed-size lists: count, links, zeros after the links
    const list = (arr: Int32Array, off: number, max: number) => {
      const n = arr[off]!;
      w.i32s(arr, off, n + 1);
      w.reserve((max - n) * 4);
      w.buf.fill(0, w.pos, w.pos + (max - n) * 4);
      w.pos += (max - n) * 4;
    };
    for (let s = 0; s < this.count; s++) list(this.adj0, s * (this.M0 + 1), this.M0);
    for (let s = 0; s < this.count; s++) {
      const u = this.upper[s];
      for (let l = 1; l <= this.levels[s]!; l++) list(u!, (l - 1) * (this.M + 1), this.M);
    }
    w.u32(crc32(w.buf, 0, w.pos));
    return w.finish();
  }

  /**
   * Rebuilds an index from serialize() bytes. The bytes are checked (checksum, then every count,
   * link, level and vector) before an index is returned; anything wrong is CORRUPT_SNAPSHOT.
   * `options` may pick the kernel and whether to keep an op log (which starts at the snapshot).
   */
  static deserialize(bytes: Uint8Array, options: { kernel?: 'auto' | KernelKind; log?: boolean } = {}): HnswIndex {
    if (!(bytes instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', 'snapshot must be a Uint8Array');
    const r0 = new Reader(bytes, 'ERR_CORRUPT_SNAPSHOT');
    if (bytes.length < 64) r0.fail('too short');
    const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
    if (crc32(bytes, 0, bytes.length - 4) !== stored) r0.fail('checksum mismatch');
    const r = new Reader(bytes, 'ERR_CORRUPT_SNAPSHOT', bytes.length - 4);
    if (r.u32() !== SNAPSHOT_MAGIC) r.fail('bad magic');
    const fmt = r.u16();
    if (fmt !== FORMAT_VERSION) r.fail(`unsupported format version ${fmt}`);
    const metricCode = r.u8();
    const quant = r.u8();
    const dim = r.u32();
    const M = r.u16();
    r.u16();
    const efConstruction = r.u32();
    const efSearch = r.u32();
    const seed = r.u32();
    if (metricCode > 2 || quant > 1) r.fail('bad metric or quantization');
    let idx: HnswIndex;
    try {
      idx = new HnswIndex({
        dim,
        metric: METRICS[metricCode]!,
        M,
        efConstruction,
        efSearch,
        seed,
        capacity: 16,
        quantization: quant ? 'int8' : 'none',
        kernel: options.kernel ?? 'auto',
        log: options.log ?? true,
      });
    } catch (e) {
      if (e instanceof HnswError && e.code === 'ERR_INVALID_OPTION') r.fail(`bad parameters: ${e.message}`);
      throw e;
    }
    const version = r.f64();
    const chainHash = r.u32();
    const count = r.u32();
    const entry = r.i32();
    const maxLevel = r.i32();
    const freeCount = r.u32();
    const live = r.u32();
    if (!Number.isSafeInteger(version) || version < 0) r.fail('bad version');
    if (count + freeCount > bytes.length || live + freeCount !== count) r.fail('bad counts');
    // the rest needs at least count * (dim * 4 + (M0 + 1) * 4) bytes: check before allocating
    r.need(count * 2 + freeCount * 4 + count * (dim * 4 + (idx.M0 + 1) * 4));
    if (count > idx.capacity) idx.resize(Math.max(count, 16));
    const flags = idx.flags, levels = idx.levels;
    flags.set(bytes.subarray(r.pos, r.pos + count));
    r.pos += count;
    levels.set(bytes.subarray(r.pos, r.pos + count));
    r.pos += count;
    r.skipAlign4();
    let nLive = 0, nDeleted = 0, top = -1;
    for (let s = 0; s < count; s++) {
      if (flags[s] === FLAG_LIVE) nLive++;
      else if (flags[s] === FLAG_DELETED) nDeleted++;
      else r.fail(`slot ${s}: bad flag ${flags[s]}`);
      if (levels[s]! > MAX_LEVEL) r.fail(`slot ${s}: level over ${MAX_LEVEL}`);
      if (flags[s] === FLAG_LIVE && levels[s]! > top) top = levels[s]!;
    }
    if (nLive !== live || nDeleted !== freeCount) r.fail('flag counts disagree with header');
    if (live === 0 ? entry !== -1 || maxLevel !== -1 : entry < 0 || entry >= count || flags[entry] !== FLAG_LIVE || levels[entry] !== maxLevel || maxLevel !== top) {
      r.fail('bad entry point');
    }
    const seen = new Uint8Array(count);
    for (let i = 0; i < freeCount; i++) {
      const s = r.i32();
      if (s < 0 || s >= count || flags[s] !== FLAG_DELETED || seen[s]) r.fail('bad free list');
      seen[s] = 1;
      idx.freeList[i] = s;
    }
    for (let s = 0; s < count; s++) {
      if (flags[s] !== FLAG_LIVE) continue;
      const id = r.id();
      if (idx.idToSlot.has(id)) r.fail(`duplicate id ${JSON.stringify(id)}`);
      idx.idToSlot.set(id, s);
      idx.slotIds[s] = id;
    }
    r.skipAlign4();
    r.need(count * dim * 4);
    const f = idx.mem.f32;
    for (let s = 0; s < count; s++) {
      const b = idx.vecAt(s) >> 2;
      let n2 = 0;
      for (let j = 0; j < dim; j++) {
        const x = r.f32();
        if (!Number.isFinite(x)) r.fail(`slot ${s}: non-finite component`);
        f[b + j] = x;
        n2 += x * x;
      }
      if (!(n2 <= MAX_NORM2) || (metricCode === 0 && !(Math.abs(n2 - 1) < 1e-3))) r.fail(`slot ${s}: overflowing vector, or not unit length under cosine`);
      for (let j = dim; j < idx.dimPad; j++) f[b + j] = 0;
      if (idx.quantization === 'int8') idx.quantize(idx.vecAt(s), idx.codesOff + s * idx.dim8, s);
    }
    const M0 = idx.M0;
    const nAdj = count * (M0 + 1);
    r.need(nAdj * 4);
    const adj = idx.adj0;
    for (let i = 0; i < nAdj; i++) adj[i] = r.i32();
    const checkList = (arr: Int32Array, off: number, max: number, s: number) => {
      const n = arr[off]!;
      if (n < 0 || n > max) r.fail(`slot ${s}: bad link count ${n}`);
      for (let j = 1; j <= n; j++) {
        const x = arr[off + j]!;
        if (x < 0 || x >= count) r.fail(`slot ${s}: link ${x} out of range`);
      }
      for (let j = n + 1; j <= max; j++) arr[off + j] = 0;
    };
    for (let s = 0; s < count; s++) checkList(adj, s * (M0 + 1), M0, s);
    for (let s = 0; s < count; s++) {
      const lv = levels[s]!;
      if (lv === 0) {
        idx.upper[s] = null;
        continue;
      }
      const len = lv * (M + 1);
      r.need(len * 4);
      const u = new Int32Array(len);
      for (let i = 0; i < len; i++) u[i] = r.i32();
      for (let l = 1; l <= lv; l++) checkList(u, (l - 1) * (M + 1), M, s);
      idx.upper[s] = u;
    }
    if (r.pos !== r.end) r.fail('trailing bytes');
    idx.count = count;
    idx.live = live;
    idx.freeCount = freeCount;
    idx.entry = entry;
    idx.maxLevel = maxLevel;
    idx.version = version;
    idx.chainHash = chainHash;
    idx.logStart = version;
    idx.logStartHash = chainHash;
    return idx;
  }
}

/** Creates an empty index. See IndexOptions for the defaults. */
export function createIndex(options: IndexOptions): HnswIndex {
  return new HnswIndex(options);
}

/** Rebuilds an index from serialize() bytes (see HnswIndex.deserialize). */
export function deserialize(bytes: Uint8Array, options?: { kernel?: 'auto' | KernelKind; log?: boolean }): HnswIndex {
  return HnswIndex.deserialize(bytes, options);
}

