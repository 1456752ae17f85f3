// The CPU backend is the oracle of every other backend, so it is checked on its own: known
// answers worked out by hand, and textbook triple loops in double precision on random shapes
// large enough to cross its cache blocks (k > 256, n > 1024).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { testSeed, prng } from '@edge/tooling/seed';
import { createCpuBackend, cpuKernels } from '../src/index.js';
import { assertClose } from './conformance/cases.js';

const seed = testSeed();
const cpu = createCpuBackend();
const f32 = (...x: number[]): Float32Array => Float32Array.from(x);

function naiveMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
    out[i * n + j] = s;
  }
  return out;
}

describe(`cpu kernels: known answers (TEST_SEED=${seed})`, () => {
  it('matmul 2×3 · 3×2', async () => {
    expect([...(await cpu.matmul(f32(1, 2, 3, 4, 5, 6), f32(7, 8, 9, 10, 11, 12), { m: 2, k: 3, n: 2 }))]).toEqual([58, 64, 139, 154]);
    // Aᵀ with A stored 3×2, Bᵀ with B stored 2×3: the same product
    expect([...(await cpu.matmul(f32(1, 4, 2, 5, 3, 6), f32(7, 9, 11, 8, 10, 12), { m: 2, k: 3, n: 2, transA: true, transB: true }))]).toEqual([58, 64, 139, 154]);
  });
  it('softmax, sigmoid, gelu, attention, LoRA', async () => {
    assertClose(await cpu.softmax(f32(1, 2, 3), { rows: 1, cols: 3 }), f32(0.09003057, 0.24472847, 0.66524096), 1e-6, 0, 'softmax');
    assertClose(await cpu.sigmoid(f32(0, 2)), f32(0.5, 0.880797078), 1e-7, 0, 'sigmoid');
    assertClose(await cpu.gelu(f32(1, -1, 0)), f32(0.841192, -0.158808, 0), 1e-5, 0, 'gelu (tanh form)');
    // one query, two keys: weights softmax([1, 0]) = [0.7310586, 0.2689414]
    assertClose(await cpu.attention(f32(1, 0), f32(1, 0, 0, 1), f32(1, 2, 3, 4), { seqQ: 1, seqK: 2, dim: 2, scale: 1 }), f32(1.5378828, 2.5378828), 1e-6, 0, 'attention');
    // causal: the first of two queries sees only the first key
    assertClose(await cpu.attention(f32(1, 0, 1, 0), f32(1, 0, 0, 1), f32(1, 2, 3, 4), { seqQ: 2, seqK: 2, dim: 2, scale: 1, causal: true }), f32(1, 2, 1.5378828, 2.5378828), 1e-6, 0, 'causal');
    // x = [1, 2], A = [[1, 1]] (rank 1), B = [[1], [2]], alpha 2: h = 3, y = x + 2·[3, 6]
    assertClose(await cpu.loraForward(f32(1, 2), f32(1, 1), f32(1, 2), { batch: 1, dIn: 2, dOut: 2, rank: 1, alpha: 2 }), f32(7, 14), 0, 0, 'lora');
  });
  it('reductions, cosine and topK', async () => {
    expect([...(await cpu.sum(f32(1, 2, 3, 4), { rows: 2 }))]).toEqual([3, 7]);
    expect([...(await cpu.mean(f32(1, 2, 3, 4), { cols: 4 }))]).toEqual([2.5]);
    expect([...(await cpu.max(f32(1, 5, 3, -4), { rows: 2 }))]).toEqual([5, 3]);
    expect([...(await cpu.min(f32(1, 5, 3, -4), { rows: 2 }))]).toEqual([1, -4]);
    assertClose(await cpu.cosine(f32(1, 0), f32(1, 0, 0, 1, -1, 0, 1, 1), { rows: 4, dim: 2 }), f32(1, 0, -1, Math.SQRT1_2), 1e-7, 0, 'cosine');
    const t = await cpu.topK(f32(3, 1, 3, 2, Number.NaN, 5), { k: 4 });
    expect([...t.values]).toEqual([5, 3, 3, 2]);
    expect([...t.indices]).toEqual([5, 0, 2, 3]);
  });
});

describe(`cpu kernels against textbook loops (TEST_SEED=${seed})`, () => {
  it('matmul, all transposes, shapes across the cache blocks', async () => {
    const rand = prng(seed);
    const r = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
    for (const [m, k, n] of [[5, 300, 1100], [7, 1, 3], [1, 513, 2], [33, 65, 17], [6, 257, 1030]] as const) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = r(m * k), b = r(k * n);
        assertClose(await cpu.matmul(a, b, { m, k, n, transA: ta, transB: tb }), naiveMatmul(a, b, m, k, n, ta, tb), 1e-5, 1e-5, `${m}×${k}×${n} ${ta} ${tb}`);
      }
    }
  });
  it('topK equals a full sort (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 60 }), fc.nat(), (xs, kk) => {
        const x = Float32Array.from(xs);
        const k = kk % (xs.length + 1);
        const { values, indices } = cpuKernels.topK(x, { k });
        const order = xs.map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]).slice(0, k);
        expect([...values]).toEqual(order.map((o) => o[0]));
        expect([...indices]).toEqual(order.map((o) => o[1]));
      }),
      { seed, numRuns: 200 },
    );
  });
  it('softmax rows sum to 1 and attention equals softmax(QKᵀ)V (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (sq, sk, d, s) => {
        const rand = prng(s >>> 0);
        const r = (n: number) => Float32Array.from({ length: n }, () => rand() * 4 - 2);
        const q = r(sq * d), k = r(sk * d), v = r(sk * d);
        const scores = naiveMatmul(q, k, sq, d, sk, false, true).map((x) => x / Math.sqrt(d));
        const p = cpuKernels.softmax(scores, { rows: sq, cols: sk });
        for (let i = 0; i < sq; i++) expect(p.subarray(i * sk, (i + 1) * sk).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        assertClose(cpuKernels.attention(q, k, v, { seqQ: sq, seqK: sk, dim: d }), naiveMatmul(p, v, sq, sk, d, false, false), 1e-5, 1e-6, 'attention');
      }),
      { seed, numRuns: 100 },
    );
  });
});
