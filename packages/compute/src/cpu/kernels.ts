/**
 * The CPU kernels: plain TypeScript on Float32Arrays, the reference (oracle) every other
 * backend is tested against, and the small-input path of `createCompute`.
 *
 * Matmul follows the classic blocked i-k-j order (Goto & van de Geijn, "Anatomy of
 * high-performance matrix multiplication", 2008, simplified): the k and n loops are tiled so
 * the B panel in use stays in cache, four rows of A are processed together so each loaded B
 * element feeds four multiply-adds, and the innermost loop walks contiguous memory. The
 * transposed-B form uses dot products with a 2×2 register block. Reductions and dot products
 * accumulate in double precision (JS numbers), which makes the oracle more accurate than any
 * float32 backend it judges.
 */
import type { AttentionShape, LoraShape, MatmulShape, MatShape, ReduceOp, RowsShape, UnaryOp, BinaryOp } from '../shapes.js';

const KC = 256; // k-tile: 256 rows of a B panel
const NC = 1024; // n-tile: a 256×1024 float32 panel is 1 MiB, sized for a typical L2

// One growable scratch buffer for transposes, reused across calls (no per-call allocation once warm).
let scratch = new Float32Array(0);
function scratchOf(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/** dst (cols×rows) = srcᵀ, src rows×cols. Blocked 32×32 so both sides stay in cache. */
export function transpose(src: Float32Array, rows: number, cols: number, dst: Float32Array): Float32Array {
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols);
      for (let i = i0; i < i1; i++) {
        const s = i * cols;
        for (let j = j0; j < j1; j++) dst[j * rows + i] = src[s + j]!;
      }
    }
  }
  return dst;
}

/** C (m×n) = op(A)·op(B). */
export function matmul(a: Float32Array, b: Float32Array, s: MatmulShape, out: Float32Array): void {
  const { m, k, n } = s;
  let A = a;
  if (s.transA) {
    // Aᵀ is k×m; an O(mk) transpose makes the O(mkn) loop contiguous.
    A = transpose(a, k, m, scratchOf(m * k)).subarray(0, m * k);
  }
  if (s.transB) matmulNT(A, b, out, m, k, n);
  else matmulNN(A, b, out, m, k, n);
}

function matmulNN(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const p1 = Math.min(p0 + KC, k);
    for (let j0 = 0; j0 < n; j0 += NC) {
      const j1 = Math.min(j0 + NC, n);
      let i = 0;
      for (; i + 3 < m; i += 4) {
        const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        const r0 = i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
        for (let p = p0; p < p1; p++) {
          const a0 = a[r0 + p]!, a1 = a[r1 + p]!, a2 = a[r2 + p]!, a3 = a[r3 + p]!;
          const bo = p * n;
          for (let j = j0; j < j1; j++) {
            const bv = b[bo + j]!;
            c[c0 + j]! += a0 * bv;
            c[c1 + j]! += a1 * bv;
            c[c2 + j]! += a2 * bv;
            c[c3 + j]! += a3 * bv;
          }
        }
      }
      for (; i < m; i++) {
        const c0 = i * n, r0 = i * k;
        for (let p = p0; p < p1; p++) {
          const a0 = a[r0 + p]!, bo = p * n;
          for (let j = j0; j < j1; j++) c[c0 + j]! += a0 * b[bo + j]!;
        }
      }
    }
  }
}

function matmulNT(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  // B is n×k: C[i][j] = A_i · B_j. Tile over j so a block of B rows stays in cache for all i.
  const JB = Math.max(2, Math.floor(65536 / Math.max(1, k)) & ~1);
  for (let j0 = 0; j0 < n; j0 += JB) {
    const j1 = Math.min(j0 + JB, n);
    let i = 0;
    for (; i + 1 < m; i += 2) {
      const ra = i * k, rb = ra + k;
      let j = j0;
      for (; j + 1 < j1; j += 2) {
        const q0 = j * k, q1 = q0 + k;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (let p = 0; p < k; p++) {
          const x0 = a[ra + p]!, x1 = a[rb + p]!, y0 = b[q0 + p]!, y1 = b[q1 + p]!;
          s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
        }
        c[i * n + j] = s00; c[i * n + j + 1] = s01; c[(i + 1) * n + j] = s10; c[(i + 1) * n + j + 1] = s11;
      }
      for (; j < j1; j++) {
        const q0 = j * k;
        let s0 = 0, s1 = 0;
        for (let p = 0; p < k; p++) { const y = b[q0 + p]!; s0 += a[ra + p]! * y; s1 += a[rb + p]! * y; }
        c[i * n + j] = s0; c[(i + 1) * n + j] = s1;
      }
    }
    for (; i < m; i++) {
      const ra = i * k;
      for (let j = j0; j < j1; j++) c[i * n + j] = dotAt(a, ra, b, j * k, k);
    }
  }
}

/** Σ x[xo+p]·y[yo+p], unrolled by 4 with independent accumulators. */
export function dotAt(x: Float32Array, xo: number, y: Float32Array, yo: number, len: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, p = 0;
  for (; p + 3 < len; p += 4) {
    s0 += x[xo + p]! * y[yo + p]!;
    s1 += x[xo + p + 1]! * y[yo + p + 1]!;
    s2 += x[xo + p + 2]! * y[yo + p + 2]!;
    s3 += x[xo + p + 3]! * y[yo + p + 3]!;
  }
  for (; p < len; p++) s0 += x[xo + p]! * y[yo + p]!;
  return s0 + s1 + s2 + s3;
}

/** out[i] = q·M_i, or the cosine when `cosine` (0 where a norm is 0). */
export function dot(q: Float32Array, mat: Float32Array, s: RowsShape, cosine: boolean, out: Float32Array): void {
  const { rows, dim } = s;
  const qn = cosine ? Math.sqrt(dotAt(q, 0, q, 0, dim)) : 1;
  for (let i = 0; i < rows; i++) {
    const d = dotAt(q, 0, mat, i * dim, dim);
    if (!cosine) { out[i] = d; continue; }
    const mn = Math.sqrt(dotAt(mat, i * dim, mat, i * dim, dim));
    out[i] = qn === 0 || mn === 0 ? 0 : d / (qn * mn);
  }
}

/** Row-wise softmax, max-subtracted; a row of all −∞ gives zeros (it has no mass). */
export function softmax(x: Float32Array, s: MatShape, out: Float32Array): void {
  const { rows, cols } = s;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) { const t = x[o + j]!; if (t > mx || t !== t) mx = t; }
    if (mx === -Infinity) { out.fill(0, o, o + cols); continue; }
    let sum = 0;
    for (let j = 0; j < cols; j++) { const e = Math.exp(x[o + j]! - mx); out[o + j] = e; sum += e; }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) out[o + j]! *= inv;
  }
}

/** Scaled dot-product attention, one query at a time, scores kept in double precision. */
export function attention(q: Float32Array, k: Float32Array, v: Float32Array, s: AttentionShape, out: Float32Array): void {
  const { seqQ, seqK, dim, dimV, causal, scale } = s;
  const scores = new Float64Array(seqK);
  const acc = new Float64Array(dimV);
  const shift = seqK - seqQ;
  for (let i = 0; i < seqQ; i++) {
    const last = causal ? Math.min(seqK - 1, i + shift) : seqK - 1;
    const o = i * dimV;
    if (last < 0) { out.fill(0, o, o + dimV); continue; }
    let mx = -Infinity;
    for (let j = 0; j <= last; j++) {
      const t = dotAt(q, i * dim, k, j * dim, dim) * scale;
      scores[j] = t;
      if (t > mx) mx = t;
    }
    acc.fill(0);
    let sum = 0;
    for (let j = 0; j <= last; j++) {
      const w = Math.exp(scores[j]! - mx);
      sum += w;
      const vo = j * dimV;
      for (let c = 0; c < dimV; c++) acc[c]! += w * v[vo + c]!;
    }
    for (let c = 0; c < dimV; c++) out[o + c] = acc[c]! / sum;
  }
}

/** Y = base + scale·(X·Aᵀ)·Bᵀ; the rank-sized intermediate is tiny. */
export function lora(x: Float32Array, a: Float32Array, b: Float32Array, base: Float32Array, s: LoraShape, out: Float32Array): void {
  const { batch, dIn, dOut, rank, scale } = s;
  const h = new Float64Array(rank);
  for (let r = 0; r < batch; r++) {
    for (let t = 0; t < rank; t++) h[t] = dotAt(x, r * dIn, a, t * dIn, dIn) * scale;
    const o = r * dOut;
    for (let j = 0; j < dOut; j++) {
      let acc = 0;
      const bo = j * rank;
      for (let t = 0; t < rank; t++) acc += b[bo + t]! * h[t]!;
      out[o + j] = base[o + j]! + acc;
    }
  }
}

export function binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const n = a.length;
  if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
  else for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
}

/** √(2/π), the GELU tanh-form constant. */
export const GELU_C = Math.sqrt(2 / Math.PI);

export function unary(op: UnaryOp, x: Float32Array, out: Float32Array): void {
  const n = x.length;
  if (op === 'relu') {
    for (let i = 0; i < n; i++) { const t = x[i]!; out[i] = t > 0 ? t : 0; }
  } else if (op === 'sigmoid') {
    for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[i]!));
  } else {
    for (let i = 0; i < n; i++) {
      const t = x[i]!;
      out[i] = 0.5 * t * (1 + Math.tanh(GELU_C * (t + 0.044715 * t * t * t)));
    }
  }
}

export function reduce(op: ReduceOp, x: Float32Array, s: MatShape, out: Float32Array): void {
  const { rows, cols } = s;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let acc: number;
    if (op === 'sum' || op === 'mean') {
      acc = 0;
      for (let j = 0; j < cols; j++) acc += x[o + j]!;
      if (op === 'mean') acc /= cols;
    } else if (op === 'max') {
      acc = -Infinity;
      for (let j = 0; j < cols; j++) { const t = x[o + j]!; if (t > acc || t !== t) { acc = t; if (t !== t) break; } }
    } else {
      acc = Infinity;
      for (let j = 0; j < cols; j++) { const t = x[o + j]!; if (t < acc || t !== t) { acc = t; if (t !== t) break; } }
    }
    out[r] = acc;
  }
}

/** Ranks a before b: larger first, NaN last, ties by lower index. */
function before(va: number, ia: number, vb: number, ib: number): boolean {
  if (va !== va) return vb !== vb && ia < ib;
  if (vb !== vb) return true;
  return va > vb || (va === vb && ia < ib);
}

/**
 * Per-row top-k with a size-k binary min-heap (worst kept element at the root): O(cols·log k)
 * time, O(k) memory, one pass over the row.
 */
export function topK(x: Float32Array, s: MatShape, k: number, values: Float32Array, indices: Int32Array): void {
  const { rows, cols } = s;
  const hv = new Float64Array(k), hi = new Int32Array(k);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let size = 0;
    for (let j = 0; j < cols; j++) {
      const t = x[o + j]!;
      if (size < k) {
        // sift up: the root holds the element that ranks last
        let c = size++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          if (!before(hv[p]!, hi[p]!, t, j)) break;
          hv[c] = hv[p]!; hi[c] = hi[p]!; c = p;
        }
        hv[c] = t; hi[c] = j;
      } else if (before(t, j, hv[0]!, hi[0]!)) {
        let c = 0;
        for (;;) {
          const l = 2 * c + 1;
          if (l >= size) break;
          let w = l;
          const rr = l + 1;
          if (rr < size && before(hv[l]!, hi[l]!, hv[rr]!, hi[rr]!)) w = rr;
          if (!before(t, j, hv[w]!, hi[w]!)) break;
          hv[c] = hv[w]!; hi[c] = hi[w]!; c = w;
        }
        hv[c] = t; hi[c] = j;
      }
    }
    // pop the heap worst-first into the row's slots from the end
    const d = r * k;
    for (let e = size - 1; e >= 0; e--) {
      values[d + e] = hv[0]!; indices[d + e] = hi[0]!;
      const lv = hv[e]!, li = hi[e]!;
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= e) break;
        let w = l;
        const rr = l + 1;
        if (rr < e && before(hv[l]!, hi[l]!, hv[rr]!, hi[rr]!)) w = rr;
        if (!before(lv, li, hv[w]!, hi[w]!)) break;
        hv[c] = hv[w]!; hi[c] = hi[w]!; c = w;
      }
      hv[c] = lv; hi[c] = li;
    }
  }
}
