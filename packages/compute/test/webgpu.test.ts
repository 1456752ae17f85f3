// WebGPU specifics on Dawn + llvmpipe: the compatibility device's limits are respected (64-wide
// workgroups under its 128 cap; a buffer over the binding limit is refused before any upload),
// and a lost device turns into DeviceLostError.
import { describe, it, expect } from 'vitest';
import { create } from 'webgpu';
import { createWebGPUBackend, ResourceLimitError, DeviceLostError, ComputeError } from '../src/index.js';

const compat = { featureLevel: 'compatibility' } as GPURequestAdapterOptions;

describe('webgpu on a compatibility device', () => {
  it('reports the device and refuses inputs beyond its binding limit with ResourceLimitError', async () => {
    const gpu = create(['backend=opengl']);
    const b = await createWebGPUBackend({ gpu, adapterOptions: compat });
    try {
      expect(b.info.detail).toMatch(/128 invocations\/workgroup/);
      const adapter = (await gpu.requestAdapter(compat))!;
      const limit = adapter.limits.maxStorageBufferBindingSize;
      const rows = Math.ceil(limit / 4 / 64) + 1;
      const big = new Float32Array(rows * 64);
      await expect(b.dot(new Float32Array(64), big, { rows, dim: 64 })).rejects.toBeInstanceOf(ResourceLimitError);
      // and the backend is still usable
      expect([...(await b.add(Float32Array.of(1, 2), Float32Array.of(3, 4)))]).toEqual([4, 6]);
    } finally {
      await b.dispose();
    }
  });

  it('a destroyed device makes calls fail with a typed error', async () => {
    const gpu = create(['backend=opengl']);
    const adapter = (await gpu.requestAdapter(compat))!;
    let captured: GPUDevice | undefined;
    const spy = new Proxy(adapter, {
      get(target, key) {
        if (key === 'requestDevice') return async (d?: GPUDeviceDescriptor) => (captured = await target.requestDevice(d));
        const v = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const shim = { requestAdapter: async () => spy, getPreferredCanvasFormat: () => 'rgba8unorm' } as unknown as GPU;
    const b = await createWebGPUBackend({ gpu: shim });
    captured!.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const e = await b.relu(Float32Array.of(-1, 1)).then(() => undefined, (x: unknown) => x);
    expect(ComputeError.isInstance(e)).toBe(true);
    expect(e).toBeInstanceOf(DeviceLostError);
    await b.dispose();
  });
});
