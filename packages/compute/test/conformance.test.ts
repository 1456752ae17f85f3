// The conformance suite in Node: cpu, wasm-simd, workers, and webgpu through Dawn (the `webgpu`
// package) on Mesa's llvmpipe via OpenGL/EGL, surfaceless. A backend that cannot start fails its
// tests; nothing is skipped.
import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { create } from 'webgpu';
import { testSeed, prng } from '@edge/tooling/seed';
import { createCpuBackend, createWasmSimdBackend, createWorkersBackend, createWebGPUBackend, type Backend } from '../src/index.js';
import { conformanceCases } from './conformance/cases.js';

const seed = testSeed();

/** Dawn on llvmpipe: the OpenGL backend, surfaceless EGL, compatibility feature level. */
export function nodeGpu(): GPU {
  return create(['backend=opengl']);
}

const factories: Record<string, () => Promise<Backend>> = {
  cpu: async () => createCpuBackend(),
  'wasm-simd': () => createWasmSimdBackend(),
  // minParallelWork 0: every product goes through the pool, however small
  workers: () => createWorkersBackend({ threads: 2, minParallelWork: 0 }),
  'workers (transfer)': () => createWorkersBackend({ threads: 2, sharedMemory: false, minParallelWork: 0 }),
  webgpu: () => createWebGPUBackend({ gpu: nodeGpu(), adapterOptions: { featureLevel: 'compatibility' } as GPURequestAdapterOptions }),
};

for (const [name, make] of Object.entries(factories)) {
  describe(`conformance: ${name} vs the CPU oracle (TEST_SEED=${seed})`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await make();
    });
    afterAll(async () => {
      await backend?.dispose();
    });
    it('starts', () => {
      expect(backend.name).toBe(name.replace(' (transfer)', ''));
      expect(backend.disposed).toBe(false);
    });
    for (const c of conformanceCases(seed, prng)) {
      it(c.name, async () => {
        await c.run(backend);
      });
    }
  });
}
