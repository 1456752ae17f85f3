/**
 * The one conformance suite: every backend against the CPU oracle (`cpuKernels`), on seeded
 * random shapes (odd sizes, sizes that straddle tile edges), edge values and empty inputs.
 * Platform-neutral: vitest runs it in Node, and test/browser/entry.ts runs it in Chromium.
 *
 * Tolerances (|got − want| ≤ atol + rtol·|want|, per element):
 *   matmul, attention scores, LoRA, dot: rtol 1e-4, atol 2e-6 · depth · max|x| · max|y| (float32
 *     accumulation error grows with the summed length; the oracle accumulates in double);
 *   cosine, softmax, attention output: rtol 1e-4, atol 1e-5;
 *   sigmoid, gelu: rtol 1e-5, atol 1e-6 (exp approximations differ by a few ulp);
 *   add, mul, relu, max, min: exact;  sum, mean: rtol 1e-5, atol 1e-6 · cols · max|x|;
 *   topK: exact values and indices.
 */
import type { Backend } from '../../src/index.js';
import { cpuKernels } from '../../src/index.js';
import { unary as cpuUnary } from '../../src/cpu/kernels.js';

type Rand = () => number;

export interface Case {
  name: string;
  run(backend: Backend): Promise<void>;
}

class Mismatch extends Error {}

const maxAbs = (x: Float32Array): number => { let m = 0; for (const v of x) m = Math.max(m, Math.abs(v)); return m; };

/** Throws a descriptive error at the worst element outside tolerance. */
export function assertClose(got: Float32Array, want: Float32Array, rtol: number, atol: number, what: string): void {
  if (!(got instanceof Float32Array)) throw new Mismatch(`${what}: result is not a Float32Array`);
  if (got.length !== want.length) throw new Mismatch(`${what}: length ${got.length}, expected ${want.length}`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;
    const excess = Math.abs(g - w) - (atol + rtol * Math.abs(w));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) { worst = i; worstExcess = excess; }
  }
  if (worst >= 0) throw new Mismatch(`${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} (tolerance ${atol} + ${rtol}·|x|)`);
}

function assertExact<T extends Float32Array | Int32Array>(got: T, want: T, what: string): void {
  if (got.length !== want.length) throw new Mismatch(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (!(g === w || (Number.isNaN(g) && Number.isNaN(w)))) throw new Mismatch(`${what}: element ${i} is ${g}, expected ${w}`);
  }
}

const EDGE = [0, -0, 1, -1, 0.5, -0.5, 1e-30, -1e-30, 3e4, -3e4, 1e-3, 7];

function randArray(rand: Rand, n: number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (rand() * 2 - 1) * scale;
  return x;
}
function edgeArray(rand: Rand, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = EDGE[Math.floor(rand() * EDGE.length)]!;
  return x;
}
const int = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

export function conformanceCases(seed: number, prngOf: (seed: number) => Rand): Case[] {
  const cases: Case[] = [];
  const add = (name: string, run: (b: Backend, rand: Rand) => Promise<void>): void => {
    // each case has its own stream, so cases replay alone and in any order
    const s = (seed ^ (cases.length * 0x9e3779b1)) >>> 0;
    cases.push({ name, run: (b) => run(b, prngOf(s)) });
  };

  // ---- matmul -------------------------------------------------------------------------------
  const matmulCase = async (b: Backend, a: Float32Array, bb: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean, what: string) => {
    const want = cpuKernels.matmul(a, bb, { m, k, n, transA, transB });
    const got = await b.matmul(a, bb, { m, k, n, transA, transB });
    assertClose(got, want, 1e-4, 2e-6 * Math.max(1, k) * maxAbs(a) * maxAbs(bb) + 1e-30, `${what} ${m}×${k}×${n}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`);
  };
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    add(`matmul random odd shapes${transA ? ' transA' : ''}${transB ? ' transB' : ''}`, async (b, rand) => {
      for (let t = 0; t < 6; t++) {
        const m = int(rand, 1, 70), k = int(rand, 1, 90), n = int(rand, 1, 70);
        await matmulCase(b, randArray(rand, m * k), randArray(rand, k * n), m, k, n, transA, transB, 'random');
      }
    });
  }
  add('matmul shapes across tile edges', async (b, rand) => {
    for (const [m, k, n] of [[1, 1, 1], [1, 257, 1], [33, 1, 17], [64, 64, 64], [127, 129, 65], [4, 16, 8], [257, 3, 5], [5, 300, 9]] as const) {
      await matmulCase(b, randArray(rand, m * k), randArray(rand, k * n), m, k, n, false, false, 'tile');
    }
  });
  add('matmul edge values', async (b, rand) => {
    await matmulCase(b, edgeArray(rand, 17 * 9), edgeArray(rand, 9 * 13), 17, 9, 13, false, false, 'edge');
    await matmulCase(b, edgeArray(rand, 17 * 9), edgeArray(rand, 9 * 13), 17, 9, 13, true, true, 'edge');
  });
  add('matmul empty dimensions', async (b) => {
    assertExact(await b.matmul(new Float32Array(0), new Float32Array(0), { m: 0, k: 0, n: 0 }), new Float32Array(0), 'm=k=n=0');
    assertExact(await b.matmul(new Float32Array(0), new Float32Array(0), { m: 3, k: 0, n: 2 }), new Float32Array(6), 'k=0 gives zeros');
    assertExact(await b.matmul(new Float32Array(0), new Float32Array(12), { m: 0, k: 4, n: 3 }), new Float32Array(0), 'm=0');
    assertExact(await b.matmul(new Float32Array(8), new Float32Array(0), { m: 2, k: 4, n: 0 }), new Float32Array(0), 'n=0');
  });
  add('matmul writes into out', async (b, rand) => {
    const a = randArray(rand, 6 * 5), bb = randArray(rand, 5 * 7);
    const out = new Float32Array(42).fill(Number.NaN);
    const got = await b.matmul(a, bb, { m: 6, k: 5, n: 7, out });
    if (got !== out) throw new Mismatch('matmul did not return the given out array');
    assertClose(out, cpuKernels.matmul(a, bb, { m: 6, k: 5, n: 7 }), 1e-4, 1e-5, 'out');
  });

  // ---- dot / cosine -----------------------------------------------------------------------
  add('dot and cosine, random shapes', async (b, rand) => {
    for (let t = 0; t < 6; t++) {
      const rows = int(rand, 1, 300), dim = int(rand, 1, 130);
      const q = randArray(rand, dim), m = randArray(rand, rows * dim);
      assertClose(await b.dot(q, m, { rows, dim }), cpuKernels.dot(q, m, { rows, dim }), 1e-4, 2e-6 * dim, `dot ${rows}×${dim}`);
      assertClose(await b.cosine(q, m, { rows, dim }), cpuKernels.cosine(q, m, { rows, dim }), 1e-4, 1e-5, `cosine ${rows}×${dim}`);
    }
  });
  add('cosine of zero vectors is 0; empty inputs', async (b, rand) => {
    const dim = 7, rows = 5;
    const m = randArray(rand, rows * dim);
    m.fill(0, 2 * dim, 3 * dim);
    assertExact(await b.cosine(new Float32Array(dim), m, { rows, dim }), new Float32Array(rows), 'zero query');
    const c = await b.cosine(randArray(rand, dim), m, { rows, dim });
    if (c[2] !== 0) throw new Mismatch(`cosine with a zero row is ${c[2]}, expected 0`);
    assertExact(await b.dot(new Float32Array(3), new Float32Array(0), { rows: 0, dim: 3 }), new Float32Array(0), 'rows=0');
    assertExact(await b.dot(new Float32Array(0), new Float32Array(0), { rows: 4, dim: 0 }), new Float32Array(4), 'dim=0');
  });
  add('dot edge values', async (b, rand) => {
    const q = edgeArray(rand, 33), m = edgeArray(rand, 40 * 33);
    assertClose(await b.dot(q, m, { rows: 40, dim: 33 }), cpuKernels.dot(q, m, { rows: 40, dim: 33 }), 1e-4, 2e-6 * 33 * 9e8, 'dot edge');
  });

  // ---- softmax ----------------------------------------------------------------------------
  add('softmax rows', async (b, rand) => {
    for (const [rows, cols, scale] of [[1, 1, 1], [3, 7, 1], [17, 130, 5], [5, 1000, 80], [64, 3, 0.01]] as const) {
      const x = randArray(rand, rows * cols, scale);
      assertClose(await b.softmax(x, { rows, cols }), cpuKernels.softmax(x, { rows, cols }), 1e-4, 1e-6, `softmax ${rows}×${cols}`);
    }
    const e = edgeArray(rand, 4 * 25);
    assertClose(await b.softmax(e, { rows: 4, cols: 25 }), cpuKernels.softmax(e, { rows: 4, cols: 25 }), 1e-4, 1e-6, 'softmax edge');
    assertExact(await b.softmax(new Float32Array(0), { rows: 0, cols: 5 }), new Float32Array(0), 'softmax empty');
  });

  // ---- attention --------------------------------------------------------------------------
  const attn = async (b: Backend, rand: Rand, seqQ: number, seqK: number, dim: number, dimV: number, causal: boolean, scale?: number) => {
    const q = randArray(rand, seqQ * dim), k = randArray(rand, seqK * dim), v = randArray(rand, seqK * dimV);
    const o = { seqQ, seqK, dim, dimV, causal, scale };
    assertClose(await b.attention(q, k, v, o), cpuKernels.attention(q, k, v, o), 1e-4, 1e-5, `attention ${seqQ}q ${seqK}k d${dim} dv${dimV}${causal ? ' causal' : ''}`);
  };
  add('attention random shapes', async (b, rand) => {
    for (let t = 0; t < 5; t++) await attn(b, rand, int(rand, 1, 70), int(rand, 1, 150), int(rand, 1, 40), int(rand, 1, 40), false);
    await attn(b, rand, 65, 129, 64, 64, false);
    await attn(b, rand, 9, 11, 300, 12, false, 0.02); // head wider than the flash kernel's registers
  });
  add('attention causal', async (b, rand) => {
    await attn(b, rand, 33, 33, 16, 16, true);
    await attn(b, rand, 7, 70, 8, 5, true); // queries at the end of a longer sequence (KV cache)
    await attn(b, rand, 70, 20, 8, 8, true); // early queries see no key: zeros
    await attn(b, rand, 9, 11, 300, 12, true, 0.02);
  });
  add('attention empty and edge', async (b, rand) => {
    assertExact(await b.attention(new Float32Array(8), new Float32Array(0), new Float32Array(0), { seqQ: 2, seqK: 0, dim: 4 }), new Float32Array(8), 'seqK=0');
    assertExact(await b.attention(new Float32Array(0), new Float32Array(12), new Float32Array(12), { seqQ: 0, seqK: 3, dim: 4 }), new Float32Array(0), 'seqQ=0');
    const q = randArray(rand, 5 * 8, 30), k = randArray(rand, 6 * 8, 30), v = edgeArray(rand, 6 * 8);
    const o = { seqQ: 5, seqK: 6, dim: 8 };
    assertClose(await b.attention(q, k, v, o), cpuKernels.attention(q, k, v, o), 1e-4, 1e-5 * maxAbs(v), 'attention large scores');
  });

  // ---- LoRA -------------------------------------------------------------------------------
  add('loraForward y = x + (alpha/r)·B(Ax)', async (b, rand) => {
    for (let t = 0; t < 4; t++) {
      const batch = int(rand, 1, 20), d = int(rand, 1, 150), rank = int(rand, 1, 16), alpha = int(rand, 1, 32);
      const x = randArray(rand, batch * d), A = randArray(rand, rank * d), B = randArray(rand, d * rank);
      const o = { batch, dIn: d, dOut: d, rank, alpha };
      assertClose(await b.loraForward(x, A, B, o), cpuKernels.loraForward(x, A, B, o), 1e-4, 2e-6 * (d + rank) * alpha, `lora ${batch}×${d} r${rank}`);
    }
  });
  add('loraForward with base, dIn ≠ dOut, wide rank', async (b, rand) => {
    for (const [batch, dIn, dOut, rank] of [[3, 40, 17, 4], [5, 33, 65, 70], [1, 1, 1, 1]] as const) {
      const x = randArray(rand, batch * dIn), A = randArray(rand, rank * dIn), B = randArray(rand, dOut * rank), base = randArray(rand, batch * dOut);
      const o = { batch, dIn, dOut, rank, alpha: 8, base };
      assertClose(await b.loraForward(x, A, B, o), cpuKernels.loraForward(x, A, B, o), 1e-4, 2e-6 * (dIn + rank) * 8, `lora base ${batch}×${dIn}→${dOut} r${rank}`);
    }
    assertExact(await b.loraForward(new Float32Array(0), new Float32Array(8), new Float32Array(8), { batch: 0, dIn: 4, dOut: 4, rank: 2, alpha: 1 }), new Float32Array(0), 'batch=0');
  });

  // ---- element-wise -----------------------------------------------------------------------
  add('element-wise add/mul/relu exact', async (b, rand) => {
    for (const n of [1, 3, 4, 5, 1001, 4099]) {
      const x = randArray(rand, n, 10), y = randArray(rand, n, 10);
      const ref = (f: (a: number, c: number) => number) => Float32Array.from(x, (a, i) => f(a, y[i]!));
      assertExact(await b.add(x, y), ref((a, c) => a + c), `add ${n}`);
      assertExact(await b.mul(x, y), ref((a, c) => a * c), `mul ${n}`);
      assertExact(await b.relu(x), Float32Array.from(x, (a) => (a > 0 ? a : 0)), `relu ${n}`);
    }
    const e = edgeArray(rand, 64), f = edgeArray(rand, 64);
    assertExact(await b.add(e, f), Float32Array.from(e, (a, i) => a + f[i]!), 'add edge');
    assertExact(await b.mul(e, f), Float32Array.from(e, (a, i) => a * f[i]!), 'mul edge');
    assertExact(await b.add(new Float32Array(0), new Float32Array(0)), new Float32Array(0), 'add empty');
  });
  add('sigmoid and gelu', async (b, rand) => {
    const cpuOut = async (op: 'sigmoid' | 'gelu', x: Float32Array) => {
      const out = new Float32Array(x.length);
      cpuUnary(op, x, out);
      return out;
    };
    for (const x of [randArray(rand, 1003, 12), edgeArray(rand, 100), Float32Array.of(-100, -30, -15, -5, 0, 5, 15, 30, 100)]) {
      for (const op of ['sigmoid', 'gelu'] as const) assertClose(await b[op](x), await cpuOut(op, x), 1e-5, 1e-6, `${op} (${x.length})`);
    }
    const inPlace = randArray(rand, 10);
    const want = await cpuOut('gelu', inPlace);
    const got = await b.gelu(inPlace, { out: inPlace });
    if (got !== inPlace) throw new Mismatch('in-place gelu did not return out');
    assertClose(inPlace, want, 1e-5, 1e-6, 'gelu in place');
  });

  // ---- reductions -------------------------------------------------------------------------
  add('reductions sum/max/min/mean', async (b, rand) => {
    for (const [rows, cols] of [[1, 1], [1, 1000], [7, 3], [33, 129], [200, 5]] as const) {
      const x = randArray(rand, rows * cols, 4);
      for (const op of ['sum', 'max', 'min', 'mean'] as const) {
        const want = cpuKernels.reduce(op, x, { rows, cols });
        const got = await b[op](x, { rows, cols });
        if (op === 'max' || op === 'min') assertExact(got, want, `${op} ${rows}×${cols}`);
        else assertClose(got, want, 1e-5, 1e-6 * cols * 4, `${op} ${rows}×${cols}`);
      }
    }
    const e = edgeArray(rand, 6 * 20);
    for (const op of ['sum', 'max', 'min', 'mean'] as const) {
      assertClose(await b[op](e, { rows: 6 }), cpuKernels.reduce(op, e, { rows: 6 }), 1e-5, 1e-6 * 20 * 3e4, `${op} edge`);
    }
    assertClose(await b.sum(Float32Array.of(1, 2, 3, 4.5)), Float32Array.of(10.5), 0, 0, 'flat sum');
  });
  add('reductions of empty rows give the identities', async (b) => {
    assertExact(await b.sum(new Float32Array(0), { rows: 3, cols: 0 }), new Float32Array(3), 'sum');
    assertExact(await b.max(new Float32Array(0), { rows: 2, cols: 0 }), Float32Array.of(-Infinity, -Infinity), 'max');
    assertExact(await b.min(new Float32Array(0), { rows: 2, cols: 0 }), Float32Array.of(Infinity, Infinity), 'min');
    assertExact(await b.mean(new Float32Array(0), { rows: 1, cols: 0 }), Float32Array.of(Number.NaN), 'mean');
    assertExact(await b.sum(new Float32Array(0), { rows: 0, cols: 4 }), new Float32Array(0), 'rows=0');
  });

  // ---- topK -------------------------------------------------------------------------------
  add('topK per row, ties by index', async (b, rand) => {
    for (const [rows, cols, k] of [[1, 10, 3], [5, 100, 10], [3, 7, 7], [4, 50, 0], [1, 1, 1]] as const) {
      const x = new Float32Array(rows * cols);
      for (let i = 0; i < x.length; i++) x[i] = Math.floor(rand() * 20); // many ties
      const got = await b.topK(x, { k, rows, cols });
      const want = cpuKernels.topK(x, { k, rows, cols });
      assertExact(got.values, want.values, `topK values ${rows}×${cols} k${k}`);
      assertExact(got.indices, want.indices, `topK indices ${rows}×${cols} k${k}`);
    }
  });

  return cases;
}
