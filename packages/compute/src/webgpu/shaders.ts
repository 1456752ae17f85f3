/**
 * WGSL kernels of the webgpu backend. Every workgroup has 64 invocations, within the 128 that
 * compatibility-mode devices allow (and the 256 of core devices). Shaders that keep per-thread
 * arrays are specialised per size (the constants are substituted into the source).
 */

/** Shared parameter block: eight 32-bit scalars, read as u32/f32/i32 as each kernel needs. */
const PARAMS = `struct P { u0: u32, u1: u32, u2: u32, u3: u32, u4: u32, u5: u32, f0: f32, f1: f32 }`;

/**
 * Tiled shared-memory GEMM: C (m×n) = alpha · op(A)·op(B). A 32×32 output tile per workgroup of
 * 8×8 threads, each thread a 4×4 register block; K advances in slices of 16 staged through
 * workgroup memory (the tiling of Volkov & Demmel, "Benchmarking GPUs to tune dense linear
 * algebra", 2008). Out-of-range loads read 0, so any m, k, n works.
 * u0 m, u1 k, u2 n, u3 transA, u4 transB, u5 workgroups along x, f0 alpha.
 */
export const MATMUL = /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
var<workgroup> As: array<f32, 512>; // 32 rows × 16 k
var<workgroup> Bs: array<f32, 512>; // 16 k × 32 cols

fn a_at(i: u32, q: u32) -> f32 {
  if (i >= p.u0 || q >= p.u1) { return 0.0; }
  if (p.u3 != 0u) { return A[q * p.u0 + i]; }
  return A[i * p.u1 + q];
}
fn b_at(q: u32, j: u32) -> f32 {
  if (q >= p.u1 || j >= p.u2) { return 0.0; }
  if (p.u4 != 0u) { return B[j * p.u1 + q]; }
  return B[q * p.u2 + j];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * 32u;
  let col0 = wg.x * 32u;
  let t = lid.y * 8u + lid.x;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < p.u1; k0 += 16u) {
    for (var e = 0u; e < 8u; e++) {
      let idx = t + e * 64u;
      As[idx] = a_at(row0 + idx / 16u, k0 + idx % 16u);
      Bs[idx] = b_at(k0 + idx / 32u, col0 + idx % 32u);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let a0 = As[(lid.y * 4u) * 16u + kk];
      let a1 = As[(lid.y * 4u + 1u) * 16u + kk];
      let a2 = As[(lid.y * 4u + 2u) * 16u + kk];
      let a3 = As[(lid.y * 4u + 3u) * 16u + kk];
      let bv = vec4f(Bs[kk * 32u + lid.x * 4u], Bs[kk * 32u + lid.x * 4u + 1u], Bs[kk * 32u + lid.x * 4u + 2u], Bs[kk * 32u + lid.x * 4u + 3u]);
      for (var c = 0u; c < 4u; c++) {
        acc[c] += a0 * bv[c];
        acc[4u + c] += a1 * bv[c];
        acc[8u + c] += a2 * bv[c];
        acc[12u + c] += a3 * bv[c];
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let i = row0 + lid.y * 4u + r;
    for (var c = 0u; c < 4u; c++) {
      let j = col0 + lid.x * 4u + c;
      if (i < p.u0 && j < p.u2) { C[i * p.u2 + j] = p.f0 * acc[r * 4u + c]; }
    }
  }
}`;

/**
 * Flash-attention-style kernel (Dao et al., "FlashAttention", 2022): K and V are streamed through
 * workgroup memory in tiles of BC keys and each query keeps a running maximum, normaliser and
 * output (the online softmax of Milakov & Gimelshein, 2018), so the seqQ×seqK score matrix is
 * never materialised. One query row per invocation, 64 rows per workgroup.
 * u0 seqQ, u1 seqK, u2 dim, u3 dimV, u4 causal, u5 (shift as i32), f0 scale.
 */
export function flashAttention(D: number, BC: number): string {
  return /* wgsl */ `
${PARAMS}
const D: u32 = ${D}u;
const BC: u32 = ${BC}u;
@group(0) @binding(0) var<storage, read> Q: array<f32>;
@group(0) @binding(1) var<storage, read> K: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
var<workgroup> Ks: array<f32, ${BC * D}>;
var<workgroup> Vs: array<f32, ${BC * D}>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = wg.x * 64u + lid.x;
  let live = i < p.u0;
  let dim = p.u2;
  let dimV = p.u3;
  var q: array<f32, D>;
  var o: array<f32, D>;
  if (live) {
    for (var d = 0u; d < dim; d++) { q[d] = Q[i * dim + d] * p.f0; }
  }
  var last = i32(p.u1) - 1;
  if (p.u4 != 0u) { last = min(last, i32(i) + bitcast<i32>(p.u5)); }
  var m = -3.0e38;
  var l = 0.0;
  for (var j0 = 0u; j0 < p.u1; j0 += BC) {
    for (var e = lid.x; e < BC * D; e += 64u) {
      let j = j0 + e / D;
      let d = e % D;
      var kv = 0.0;
      var vv = 0.0;
      if (j < p.u1 && d < dim) { kv = K[j * dim + d]; }
      if (j < p.u1 && d < dimV) { vv = V[j * dimV + d]; }
      Ks[e] = kv;
      Vs[e] = vv;
    }
    workgroupBarrier();
    if (live) {
      for (var jj = 0u; jj < BC; jj++) {
        if (i32(j0 + jj) > last) { break; }
        var s = 0.0;
        for (var d = 0u; d < dim; d++) { s += q[d] * Ks[jj * D + d]; }
        let mNew = max(m, s);
        let corr = exp(m - mNew);
        let w = exp(s - mNew);
        l = l * corr + w;
        for (var d = 0u; d < dimV; d++) { o[d] = o[d] * corr + w * Vs[jj * D + d]; }
        m = mNew;
      }
    }
    workgroupBarrier();
  }
  if (live) {
    for (var d = 0u; d < dimV; d++) { O[i * dimV + d] = select(0.0, o[d] / l, l > 0.0); }
  }
}`;
}

/** Row index of a workgroup in a 2-D grid (rows beyond 65535 wrap onto y). */
const ROW = `let row = wg.y * p.u5 + wg.x;`;

/**
 * Fused LoRA forward (Hu et al. 2021): one workgroup per batch row computes h = scale·A·x by
 * tree reductions into workgroup memory, then Y[row] += B·h. Y arrives holding the base.
 * u0 batch, u1 dIn, u2 dOut, u3 rank (≤ 64), u5 workgroups along x, f0 scale.
 */
export const LORA = /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bm: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
var<workgroup> part: array<f32, 64>;
var<workgroup> h: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW}
  if (row >= p.u0) { return; }
  let dIn = p.u1;
  for (var r = 0u; r < p.u3; r++) {
    var s = 0.0;
    for (var i = lid.x; i < dIn; i += 64u) { s += X[row * dIn + i] * A[r * dIn + i]; }
    part[lid.x] = s;
    workgroupBarrier();
    for (var stride = 32u; stride > 0u; stride >>= 1u) {
      if (lid.x < stride) { part[lid.x] += part[lid.x + stride]; }
      workgroupBarrier();
    }
    if (lid.x == 0u) { h[r] = part[0] * p.f0; }
    workgroupBarrier();
  }
  for (var j = lid.x; j < p.u2; j += 64u) {
    var acc = 0.0;
    for (var r = 0u; r < p.u3; r++) { acc += Bm[j * p.u3 + r] * h[r]; }
    Y[row * p.u2 + j] += acc;
  }
}`;

/** Element-wise kernels; u0 length, u5 workgroups along x. */
export function elementwise(op: 'add' | 'mul' | 'relu' | 'sigmoid' | 'gelu'): string {
  const binary = op === 'add' || op === 'mul';
  const expr = {
    add: 'X[i] + Y[i]',
    mul: 'X[i] * Y[i]',
    relu: 'max(X[i], 0.0)',
    sigmoid: '1.0 / (1.0 + exp(-clamp(X[i], -88.0, 88.0)))',
    // ½(1 + tanh u) = σ(2u); u clamped where tanh is ±1 in float32
    gelu: 'X[i] / (1.0 + exp(-2.0 * clamp(0.7978845608 * (X[i] + 0.044715 * X[i] * X[i] * X[i]), -15.0, 15.0)))',
  }[op];
  return /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
${binary ? '@group(0) @binding(1) var<storage, read> Y: array<f32>;' : ''}
@group(0) @binding(${binary ? 2 : 1}) var<storage, read_write> Out: array<f32>;
@group(0) @binding(${binary ? 3 : 2}) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let i = (wg.y * p.u5 + wg.x) * 64u + lid.x;
  if (i < p.u0) { Out[i] = ${expr}; }
}`;
}

const TREE = (name: string, combine: (a: string, b: string) => string) => `
  for (var stride = 32u; stride > 0u; stride >>= 1u) {
    if (lid.x < stride) { ${name}[lid.x] = ${combine(`${name}[lid.x]`, `${name}[lid.x + stride]`)}; }
    workgroupBarrier();
  }`;

/** Row reductions: one workgroup per row. u0 rows, u1 cols, u5 workgroups along x. */
export function reduceRows(op: 'sum' | 'max' | 'min' | 'mean'): string {
  const id = op === 'max' ? '-3.402823e38' : op === 'min' ? '3.402823e38' : '0.0';
  const comb = (a: string, b: string): string => (op === 'max' ? `max(${a}, ${b})` : op === 'min' ? `min(${a}, ${b})` : `${a} + ${b}`);
  return /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
var<workgroup> part: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW}
  if (row >= p.u0) { return; }
  var acc = ${id};
  for (var j = lid.x; j < p.u1; j += 64u) { acc = ${comb('acc', 'X[row * p.u1 + j]')}; }
  part[lid.x] = acc;
  workgroupBarrier();
  ${TREE('part', comb)}
  if (lid.x == 0u) { Out[row] = part[0]${op === 'mean' ? ' / f32(p.u1)' : ''}; }
}`;
}

/** Row softmax: one workgroup per row, max then Σexp by tree reductions. u0 rows, u1 cols. */
export const SOFTMAX = /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Out: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
var<workgroup> part: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW}
  if (row >= p.u0) { return; }
  let o = row * p.u1;
  var mx = -3.402823e38;
  for (var j = lid.x; j < p.u1; j += 64u) { mx = max(mx, X[o + j]); }
  part[lid.x] = mx;
  workgroupBarrier();
  ${TREE('part', (a, b) => `max(${a}, ${b})`)}
  mx = part[0];
  workgroupBarrier();
  var s = 0.0;
  for (var j = lid.x; j < p.u1; j += 64u) { s += exp(X[o + j] - mx); }
  part[lid.x] = s;
  workgroupBarrier();
  ${TREE('part', (a, b) => `${a} + ${b}`)}
  let inv = 1.0 / part[0];
  for (var j = lid.x; j < p.u1; j += 64u) { Out[o + j] = exp(X[o + j] - mx) * inv; }
}`;

/**
 * Causal mask for the composed (large-dim) attention path: scores beyond the visible keys of a
 * row become −3.4e38 before the softmax. u0 rows, u1 cols, u2 (shift as i32), u5 groups along x.
 */
export const CAUSAL_MASK = /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read_write> S: array<f32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW}
  if (row >= p.u0) { return; }
  for (var j = lid.x; j < p.u1; j += 64u) {
    if (i32(j) > i32(row) + bitcast<i32>(p.u2)) { S[row * p.u1 + j] = -3.402823e38; }
  }
}`;

/** Dot products / cosines of a query with each matrix row. u0 rows, u1 dim, u2 cosine, u5 groups along x. */
export const ROWDOTS = /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> Qv: array<f32>;
@group(0) @binding(1) var<storage, read> M: array<f32>;
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
var<workgroup> pd: array<f32, 64>;
var<workgroup> pm: array<f32, 64>;
var<workgroup> pq: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${ROW}
  if (row >= p.u0) { return; }
  var d = 0.0;
  var mm = 0.0;
  var qq = 0.0;
  for (var j = lid.x; j < p.u1; j += 64u) {
    let x = Qv[j];
    let y = M[row * p.u1 + j];
    d += x * y;
    mm += y * y;
    qq += x * x;
  }
  pd[lid.x] = d;
  pm[lid.x] = mm;
  pq[lid.x] = qq;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride >>= 1u) {
    if (lid.x < stride) {
      pd[lid.x] += pd[lid.x + stride];
      pm[lid.x] += pm[lid.x + stride];
      pq[lid.x] += pq[lid.x + stride];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    var r = pd[0];
    if (p.u2 != 0u) {
      let den = sqrt(pm[0]) * sqrt(pq[0]);
      r = select(0.0, r / den, den > 0.0);
    }
    Out[row] = r;
  }
}`;
