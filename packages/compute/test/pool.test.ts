// The worker pool on real worker_threads: work stealing under skewed load (counted), a killed
// worker's task re-runs on a replacement and the call still returns the right answer, and
// dispose leaves no thread behind (counted by the OS, /proc/self/task).
import { describe, it, expect } from 'vitest';
import { readdirSync, existsSync } from 'node:fs';
import { testSeed, prng } from '@edge/tooling/seed';
import { createWorkersBackend, cpuKernels, WorkerPool, DisposedError, ComputeError, MAX_WORKERS } from '../src/index.js';
import { WORKER_SOURCE } from '../src/workers/worker.generated.js';
import { workerHost } from '../src/worker-host.node.js';
import { assertClose } from './conformance/cases.js';

const seed = testSeed();
const rand = prng(seed);
const random = (n: number): Float32Array => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const threads = (): number => (existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : -1);

describe(`worker pool (TEST_SEED=${seed})`, () => {
  it('idle workers steal from an overloaded deque, and the result is exact to the oracle', async () => {
    const pool = new WorkerPool(workerHost, WORKER_SOURCE, { threads: 2 });
    try {
      const m = 96, k = 64, n = 80;
      const a = random(m * k), b = random(k * n), out = new Float32Array(m * n);
      // every task goes to worker 0's deque: worker 1 only gets work by stealing
      await pool.run({ kind: 'matmul', a, b, m, k, n, transA: false, transB: false }, out, 4, 0);
      const s = pool.stats();
      expect(s.tasks).toBe(m / 4);
      expect(s.steals).toBeGreaterThan(0);
      expect(s.steals).toBeLessThan(m / 4);
      assertClose(out, cpuKernels.matmul(a, b, { m, k, n }), 1e-4, 1e-4, 'stolen matmul');
    } finally {
      await pool.dispose();
    }
  });

  it('balanced load needs no stealing at the start: each worker begins with its own deque', async () => {
    const pool = new WorkerPool(workerHost, WORKER_SOURCE, { threads: 2 });
    try {
      const rows = 4096, dim = 16;
      const q = random(dim), mat = random(rows * dim), out = new Float32Array(rows);
      await pool.run({ kind: 'dot', q, mat, rows, dim, cosine: false }, out, 2048);
      expect(pool.stats().steals).toBe(0);
      assertClose(out, cpuKernels.dot(q, mat, { rows, dim }), 1e-4, 1e-4, 'dot segments');
    } finally {
      await pool.dispose();
    }
  });

  for (const sharedMemory of [true, false]) {
    it(`a killed worker is replaced and its task re-runs (${sharedMemory ? 'SharedArrayBuffer' : 'transfer'})`, async () => {
      const backend = await createWorkersBackend({ threads: 2, sharedMemory, minParallelWork: 0 });
      try {
        expect(backend.pool.sharedMemory).toBe(sharedMemory);
        const m = 256, k = 256, n = 256;
        const a = random(m * k), b = random(k * n);
        const pending = backend.matmul(a, b, { m, k, n });
        // the call is dispatched synchronously after validation; wait a tick, then kill a busy worker
        await Promise.resolve();
        await new Promise((r) => setTimeout(r, 0));
        const busy = backend.pool.busyWorker();
        expect(busy).toBeDefined();
        backend.pool.killWorker(busy!);
        const got = await pending;
        assertClose(got, cpuKernels.matmul(a, b, { m, k, n }), 1e-4, 1e-4, 'matmul across a crash');
        const s = backend.stats();
        expect(s.crashes).toBe(1);
        expect(s.replaced).toBe(1);
        expect(s.reruns).toBe(1); // the task the worker was running when it died
        expect(s.live).toBe(2);
        // the replacement works for the next call too
        const again = await backend.matmul(a, b, { m, k, n });
        assertClose(again, got, 0, 0, 'after replacement');
      } finally {
        await backend.dispose();
      }
    });
  }

  it('dispose terminates every worker: no thread left, calls after it fail typed', async () => {
    // warm up once so lazily created runtime threads are part of the baseline
    const warm = await createWorkersBackend({ threads: 2 });
    await warm.matmul(random(64), random(64), { m: 8, k: 8, n: 8 });
    await warm.dispose();
    const before = threads();
    const backend = await createWorkersBackend({ threads: 4, minParallelWork: 0 });
    await backend.matmul(random(32 * 32), random(32 * 32), { m: 32, k: 32, n: 32 });
    if (before > 0) expect(threads()).toBeGreaterThanOrEqual(before + 4);
    await backend.dispose();
    expect(backend.stats().live).toBe(0);
    if (before > 0) {
      // an OS thread may take a moment to be reaped after its worker's exit event
      for (let i = 0; i < 40 && threads() > before; i++) await new Promise((r) => setTimeout(r, 50));
      expect(threads()).toBe(before);
    }
    await expect(backend.matmul(random(4), random(4), { m: 2, k: 2, n: 2 })).rejects.toBeInstanceOf(DisposedError);
    await expect(backend.pool.run({ kind: 'dot', q: random(2), mat: random(4), rows: 2, dim: 2, cosine: false }, new Float32Array(2), 1)).rejects.toSatisfy(ComputeError.isInstance);
  });

  it('pending calls reject when the pool is disposed under them', async () => {
    const backend = await createWorkersBackend({ threads: 2 });
    const m = 384;
    const settled = backend.matmul(random(m * m), random(m * m), { m, k: m, n: m }).then(() => 'resolved', (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 0));
    await backend.dispose();
    expect(await settled).toBeInstanceOf(DisposedError);
  });

  it(`the pool never runs more than ${MAX_WORKERS} workers`, async () => {
    const pool = new WorkerPool(workerHost, WORKER_SOURCE, { threads: 64 });
    expect(pool.size).toBe(MAX_WORKERS);
    await pool.dispose();
    expect(pool.stats().live).toBe(0);
  });
});
