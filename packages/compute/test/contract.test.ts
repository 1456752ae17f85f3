// The contract's door: bad arguments fail with typed errors before any work, on every backend
// (the checks are shared), fuzzed with fast-check; a backend is unchanged afterwards; disposed
// backends refuse work.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { testSeed, prng } from '@edge/tooling/seed';
import {
  createCpuBackend, createWasmSimdBackend, createWorkersBackend, cpuKernels, ComputeError, ShapeError,
  InvalidArgumentError, DisposedError, type Backend,
} from '../src/index.js';
import { assertClose } from './conformance/cases.js';

const seed = testSeed();
const f = (n: number) => new Float32Array(n);

describe(`argument checks (TEST_SEED=${seed})`, () => {
  const backends: Backend[] = [];
  beforeAll(async () => {
    backends.push(createCpuBackend(), await createWasmSimdBackend(), await createWorkersBackend({ threads: 2 }));
  });
  afterAll(async () => { for (const b of backends) await b.dispose(); });

  it('shape mismatches are ShapeError (ERR_SHAPE)', async () => {
    for (const b of backends) {
      const shape = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e: unknown) => e instanceof ShapeError && (e as ShapeError).code === 'ERR_SHAPE');
      await shape(b.matmul(f(6), f(6), { m: 2, k: 3, n: 3 }));
      await shape(b.matmul(f(5), f(6), { m: 2, k: 3, n: 2 }));
      await shape(b.dot(f(3), f(10), { rows: 3, dim: 3 }));
      await shape(b.softmax(f(10), { rows: 3, cols: 3 }));
      await shape(b.attention(f(8), f(8), f(6), { seqQ: 2, seqK: 2, dim: 4 }));
      await shape(b.loraForward(f(8), f(8), f(8), { batch: 2, dIn: 4, dOut: 2, rank: 2, alpha: 1 })); // no base, dIn ≠ dOut
      await shape(b.loraForward(f(8), f(0), f(0), { batch: 2, dIn: 4, dOut: 4, rank: 0, alpha: 1 }));
      await shape(b.add(f(3), f(4)));
      await shape(b.topK(f(6), { k: 4, rows: 2 }));
      await shape(b.sum(f(7), { rows: 2, cols: 3 }));
    }
  });

  it('wrong types and bad options are InvalidArgumentError (ERR_INVALID_ARGUMENT)', async () => {
    for (const b of backends) {
      const bad = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e: unknown) => e instanceof InvalidArgumentError && (e as InvalidArgumentError).code === 'ERR_INVALID_ARGUMENT');
      await bad(b.matmul(new Float64Array(4) as unknown as Float32Array, f(4), { m: 2, k: 2, n: 2 }));
      await bad(b.matmul(f(4), f(4), { m: 2.5, k: 2, n: 2 } as never));
      await bad(b.matmul(f(4), f(4), { m: -2, k: 2, n: 2 }));
      await bad(b.matmul(f(4), f(4), { m: 2, k: 2, n: 2, transA: 'yes' } as never));
      await bad(b.matmul(f(4), f(4), null as never));
      await bad(b.attention(f(4), f(4), f(4), { seqQ: 1, seqK: 1, dim: 4, scale: Number.NaN }));
      await bad(b.loraForward(f(4), f(4), f(4), { batch: 1, dIn: 4, dOut: 4, rank: 1, alpha: Infinity }));
      const x = f(8);
      await bad(b.matmul(x.subarray(0, 4), f(4), { m: 2, k: 2, n: 2, out: x.subarray(2, 6) })); // out overlaps a
      await bad(b.relu(f(3), { out: new Int32Array(3) as unknown as Float32Array }));
      await bad(b.topK(f(3), { k: -1 }));
    }
  });

  it('fuzz: arbitrary arguments only ever raise ComputeErrors, and the backend still computes correctly', async () => {
    const rand = prng(seed);
    const a = Float32Array.from({ length: 12 }, () => rand()), b = Float32Array.from({ length: 12 }, () => rand());
    const want = cpuKernels.matmul(a, b, { m: 3, k: 4, n: 3 });
    const arrays = fc.oneof(
      fc.integer({ min: 0, max: 40 }).map((n) => new Float32Array(n)),
      fc.constantFrom<unknown>(null, undefined, 3, 'x', [1, 2], new Float64Array(4), new Uint8Array(8), {}),
    );
    const dims = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom<unknown>(1.5, Number.NaN, Infinity, '3', null, 2 ** 40));
    const opts = fc.record({
      m: dims, k: dims, n: dims, rows: dims, cols: dims, dim: dims, dimV: dims, seqQ: dims, seqK: dims,
      batch: dims, dIn: dims, dOut: dims, rank: dims, alpha: dims, scale: dims,
      transA: fc.constantFrom<unknown>(true, false, 1, undefined), transB: fc.constantFrom<unknown>(true, false, undefined),
      causal: fc.constantFrom<unknown>(true, false, 'no', undefined),
    }, { requiredKeys: [] });
    const kernels = ['matmul', 'dot', 'cosine', 'softmax', 'attention', 'loraForward', 'add', 'mul', 'relu', 'sigmoid', 'gelu', 'sum', 'max', 'min', 'mean', 'topK'] as const;
    for (const be of backends) {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...kernels), fc.array(arrays, { minLength: 0, maxLength: 3 }), fc.oneof(opts, fc.constantFrom<unknown>(undefined, null, 7)), async (kernel, args, o) => {
          try {
            await (be[kernel] as (...x: unknown[]) => Promise<unknown>)(...args, o);
          } catch (e) {
            if (!ComputeError.isInstance(e)) throw new Error(`${be.name}.${kernel} threw a non-ComputeError: ${String(e)}`);
          }
        }),
        { seed, numRuns: 300 },
      );
      assertClose(await be.matmul(a, b, { m: 3, k: 4, n: 3 }), want, 1e-5, 1e-6, `${be.name} after fuzzing`);
    }
  });

  it('a disposed backend refuses work with DisposedError; dispose is idempotent', async () => {
    for (const make of [async () => createCpuBackend(), () => createWasmSimdBackend(), () => createWorkersBackend({ threads: 1 })]) {
      const b = await make();
      await b.dispose();
      await b.dispose();
      expect(b.disposed).toBe(true);
      await expect(b.matmul(f(1), f(1), { m: 1, k: 1, n: 1 })).rejects.toBeInstanceOf(DisposedError);
      await expect(b.sum(f(1))).rejects.toSatisfy((e: unknown) => ComputeError.isInstance(e) && (e as ComputeError).code === 'ERR_DISPOSED');
    }
  });
});
