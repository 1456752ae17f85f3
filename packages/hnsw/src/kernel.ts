// Distance kernels and the memory they read. The index keeps everything a distance needs (query
// scratch, neighbour batch, output distances, int8 codes and float vectors) in one linear memory:
// a WebAssembly.Memory when the SIMD kernel is used, a plain ArrayBuffer for the JS fallback. Both
// kernels have the same signature, taking byte offsets into that memory.
import { KERNEL_WASM_BASE64 } from './kernel-wasm.generated.js';
import { hnswError } from './errors.js';

export type KernelKind = 'wasm' | 'js';

export interface Kernel {
  /** out[k] = c - dot(q, base + ids[k] * n * 4); n floats, a multiple of 4. */
  ip_batch(q: number, base: number, n: number, ids: number, cnt: number, out: number, c: number): void;
  /** out[k] = |q - (base + ids[k] * n * 4)|^2 */
  l2_batch(q: number, base: number, n: number, ids: number, cnt: number, out: number): void;
  /** out[k] (i32) = int8 dot(q, base + ids[k] * n); n bytes, a multiple of 16. */
  dot8_batch(q: number, base: number, n: number, ids: number, cnt: number, out: number): void;
  dot(a: number, b: number, n: number): number;
  l2(a: number, b: number, n: number): number;
  /** WebAssembly only: where the index's per-slot regions are (see kernel.wat). */
  configure?(vec: number, dimp: number, codes: number, dim8: number, adj: number, deg: number, vis: number, flags: number, scales: number, norms: number, ck: number, cv: number, bk: number, bv: number, sid: number, sout: number): void;
  /** WebAssembly only: layer-0 beam search; returns the result count (left in the result heap). */
  search0?(q: number, q8: number, ep: number, epd: number, ef: number, gen: number, mode: number, qs: number, qn: number): number;
  /** WebAssembly only: empties the result heap into the candidate arrays, ascending. */
  drain?(n: number): void;
  /** WebAssembly only: the neighbour-selection heuristic (Algorithm 4); returns the number kept. */
  select?(ids: number, dists: number, n: number, max: number, out: number, mode: number): number;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit

let wasmModule: WebAssembly.Module | null | undefined;

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const g = globalThis as { atob?: (s: string) => string; Buffer?: { from(s: string, e: string): Uint8Array } };
  if (g.Buffer) return Uint8Array.from(g.Buffer.from(b64, 'base64'));
  const bin = g.atob!(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The compiled SIMD kernel, or null where WebAssembly or its SIMD proposal is unavailable. */
export function simdModule(): WebAssembly.Module | null {
  if (wasmModule !== undefined) return wasmModule;
  wasmModule = null;
  try {
    if (typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function') {
      const bytes = base64ToBytes(KERNEL_WASM_BASE64);
      // Feature detection: validate() is false where v128 is not supported.
      if (WebAssembly.validate(bytes)) wasmModule = new WebAssembly.Module(bytes);
    }
  } catch {
    wasmModule = null;
  }
  return wasmModule;
}

/** True when the WebAssembly SIMD kernel can run here. */
export function simdAvailable(): boolean {
  return simdModule() !== null;
}

/** Linear memory shared by the index and its kernel, with views refreshed on growth. */
export class LinearMemory {
  readonly kind: KernelKind;
  kernel!: Kernel;
  private wasmMemory: WebAssembly.Memory | null = null;
  buffer!: ArrayBuffer;
  f32!: Float32Array;
  i32!: Int32Array;
  i8!: Int8Array;
  u8!: Uint8Array;

  constructor(kind: KernelKind, bytes: number) {
    this.kind = kind;
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    if (pages > MAX_PAGES) throw hnswError('ERR_CAPACITY', `index needs ${bytes} bytes, over 4 GiB`);
    if (kind === 'wasm') {
      const mod = simdModule();
      if (!mod) throw hnswError('ERR_INVALID_OPTION', 'WebAssembly SIMD is not available here');
      this.wasmMemory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
      const inst = new WebAssembly.Instance(mod, { env: { memory: this.wasmMemory } });
      this.kernel = inst.exports as unknown as Kernel;
      this.buffer = this.wasmMemory.buffer;
    } else {
      this.buffer = new ArrayBuffer(pages * PAGE);
      this.kernel = new JsKernel(this);
    }
    this.refresh();
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /** Grows to at least `bytes`, keeping the contents; views are replaced. */
  ensure(bytes: number): void {
    if (bytes <= this.buffer.byteLength) return;
    const pages = Math.ceil(bytes / PAGE);
    if (pages > MAX_PAGES) throw hnswError('ERR_CAPACITY', `index needs ${bytes} bytes, over 4 GiB`);
    if (this.wasmMemory) {
      try {
        this.wasmMemory.grow(pages - this.buffer.byteLength / PAGE);
      } catch {
        throw hnswError('ERR_CAPACITY', `could not grow WebAssembly memory to ${bytes} bytes`);
      }
      this.buffer = this.wasmMemory.buffer;
    } else {
      const next = new ArrayBuffer(pages * PAGE);
      new Uint8Array(next).set(new Uint8Array(this.buffer));
      this.buffer = next;
    }
    this.refresh();
  }

  private refresh(): void {
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.i8 = new Int8Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
  }
}

/** Plain-JS kernel with the wasm kernel's signature (byte offsets), reading the same memory. */
class JsKernel implements Kernel {
  constructor(private readonly mem: LinearMemory) {}

  dot(a: number, b: number, n: number): number {
    const f = this.mem.f32;
    let i = a >> 2, j = b >> 2;
    const end = i + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; i < end; i += 4, j += 4) {
      s0 += f[i]! * f[j]!;
      s1 += f[i + 1]! * f[j + 1]!;
      s2 += f[i + 2]! * f[j + 2]!;
      s3 += f[i + 3]! * f[j + 3]!;
    }
    return Math.fround(s0 + s1 + (s2 + s3));
  }

  l2(a: number, b: number, n: number): number {
    const f = this.mem.f32;
    let i = a >> 2, j = b >> 2;
    const end = i + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; i < end; i += 4, j += 4) {
      const d0 = f[i]! - f[j]!, d1 = f[i + 1]! - f[j + 1]!;
      const d2 = f[i + 2]! - f[j + 2]!, d3 = f[i + 3]! - f[j + 3]!;
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    return Math.fround(s0 + s1 + (s2 + s3));
  }

  ip_batch(q: number, base: number, n: number, ids: number, cnt: number, out: number, c: number): void {
    const i32 = this.mem.i32, f32 = this.mem.f32;
    const stride = n << 2, o = out >> 2, id0 = ids >> 2;
    for (let k = 0; k < cnt; k++) f32[o + k] = c - this.dot(q, base + i32[id0 + k]! * stride, n);
  }

  l2_batch(q: number, base: number, n: number, ids: number, cnt: number, out: number): void {
    const i32 = this.mem.i32, f32 = this.mem.f32;
    const stride = n << 2, o = out >> 2, id0 = ids >> 2;
    for (let k = 0; k < cnt; k++) f32[o + k] = this.l2(q, base + i32[id0 + k]! * stride, n);
  }

  dot8_batch(q: number, base: number, n: number, ids: number, cnt: number, out: number): void {
    const i32 = this.mem.i32, i8 = this.mem.i8;
    const o = out >> 2, id0 = ids >> 2;
    for (let k = 0; k < cnt; k++) {
      let p = base + i32[id0 + k]! * n, s = 0;
      for (let i = q, end = q + n; i < end; i++, p++) s += i8[i]! * i8[p]!;
      i32[o + k] = s;
    }
  }
}
