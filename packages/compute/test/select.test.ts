// Selection: createCompute picks the highest-priority backend that starts, falls back when one
// fails to initialise (a real failure: Dawn's OpenGL backend has no core-feature-level adapter),
// reports why, and routes small calls to the CPU kernels.
import { describe, it, expect } from 'vitest';
import { create } from 'webgpu';
import {
  createCompute, listBackends, registerBackend, builtinBackends, webgpuBackend, wasmSimdBackend, cpuBackend,
  NoBackendError, InvalidArgumentError, type WorkersBackend,
} from '../src/index.js';

describe('backend selection', () => {
  it('registers the five built-ins by priority', () => {
    expect(builtinBackends.map((b) => [b.name, b.priority])).toEqual([['webgpu', 400], ['webgl', 300], ['workers', 200], ['wasm-simd', 100], ['cpu', 0]]);
    expect(listBackends().map((b) => b.name).slice(0, 5)).toEqual(['webgpu', 'webgl', 'workers', 'wasm-simd', 'cpu']);
  });

  it('in Node without a GPU object it skips webgpu and webgl and picks the worker pool', async () => {
    const c = await createCompute({ threads: 2 });
    try {
      expect(c.selection.chosen).toBe('workers');
      expect(c.selection.attempts.map((a) => [a.name, a.outcome])).toEqual([
        ['webgpu', 'unsupported'], ['webgl', 'unsupported'], ['workers', 'chosen'], ['wasm-simd', 'skipped'], ['cpu', 'skipped'],
      ]);
      expect(c.selection.reason).toMatch(/workers has the highest priority \(200\)/);
      expect(c.info.name).toBe('workers');
    } finally {
      await c.dispose();
    }
  });

  it('falls back when a supported backend fails to initialise, and says why', async () => {
    const c = await createCompute({
      backends: [webgpuBackend, wasmSimdBackend, cpuBackend],
      gpu: create(['backend=opengl']),
      adapterOptions: { featureLevel: 'core' } as GPURequestAdapterOptions,
    });
    try {
      expect(c.selection.chosen).toBe('wasm-simd');
      const gpuAttempt = c.selection.attempts.find((a) => a.name === 'webgpu')!;
      expect(gpuAttempt.outcome).toBe('failed');
      expect(gpuAttempt.error).toMatch(/no adapter/);
      expect(c.selection.reason).toMatch(/webgpu failed/);
      const out = await c.matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), { m: 2, k: 2, n: 2 });
      expect([...out]).toEqual([19, 22, 43, 50]);
    } finally {
      await c.dispose();
    }
  });

  it('routes small calls to the CPU kernels and large ones to the chosen backend', async () => {
    const c = await createCompute({ prefer: ['workers'], threads: 2, smallWorkThreshold: 10_000 });
    try {
      const pool = (c.backend as WorkersBackend).stats;
      await c.matmul(new Float32Array(16), new Float32Array(16), { m: 4, k: 4, n: 4 });
      expect(c.routedToCpu.matmul).toBe(1);
      expect(pool().tasks).toBe(0);
      await c.matmul(new Float32Array(288 * 288), new Float32Array(288 * 288), { m: 288, k: 288, n: 288 }); // above the pool's minParallelWork
      expect(c.routedToCpu.matmul).toBe(1);
      expect(pool().tasks).toBeGreaterThan(0);
    } finally {
      await c.dispose();
    }
  });

  it('fails with NoBackendError when nothing can start, and rejects malformed registrations', async () => {
    await expect(createCompute({ prefer: ['webgl', 'webgpu'] })).rejects.toBeInstanceOf(NoBackendError);
    expect(() => registerBackend({ name: 'x' } as never)).toThrow(InvalidArgumentError);
  });

  it('considers registered backends by priority', async () => {
    registerBackend({ name: 'cpu-first', priority: 10_000, isSupported: () => true, create: () => cpuBackend.create({}) });
    try {
      expect(listBackends()[0]!.name).toBe('cpu-first');
      const c = await createCompute();
      expect(c.selection.attempts[0]).toEqual({ name: 'cpu-first', priority: 10_000, outcome: 'chosen' });
      await c.dispose();
    } finally {
      registerBackend({ name: 'cpu-first', priority: -1, isSupported: () => false, create: () => cpuBackend.create({}) });
    }
  });
});
