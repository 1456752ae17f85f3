/**
 * The webgpu backend: WGSL compute kernels (src/webgpu/shaders.ts) on a GPUDevice. Works with the
 * browser's navigator.gpu and, in Node, with the `webgpu` package (Dawn) passed as `gpu`.
 *
 * - Buffers come from a pool keyed by usage and size (sizes rounded up to a power of two), so a
 *   steady stream of same-shaped calls allocates nothing; readback goes through pooled
 *   MAP_READ staging buffers.
 * - Limits are read from the device: a call whose buffers exceed maxStorageBufferBindingSize or
 *   whose grid exceeds maxComputeWorkgroupsPerDimension fails with ResourceLimitError before any
 *   upload; workgroups have 64 invocations (compatibility devices allow 128); the attention tile
 *   is sized to maxComputeWorkgroupStorageSize.
 * - Top-k runs the CPU kernel on the caller's array (a GPU selection needs a sort and a readback
 *   that cost more than the pass over the data).
 */
import type { Backend, BackendFactory, CreateOptions } from '../types.js';
import { wrapBackend, type KernelImpl } from '../impl.js';
import { BackendUnavailableError, DeviceLostError, ResourceLimitError } from '../errors.js';
import * as cpu from '../cpu/kernels.js';
import * as wgsl from './shaders.js';

// Numeric flags (the GPUBufferUsage / GPUMapMode globals are absent in some hosts, e.g. Node).
const MAP_READ = 0x1, COPY_SRC = 0x4, COPY_DST = 0x8, UNIFORM = 0x40, STORAGE = 0x80;
const STORAGE_USAGE = STORAGE | COPY_SRC | COPY_DST;
const STAGING_USAGE = MAP_READ | COPY_DST;
const UNIFORM_USAGE = UNIFORM | COPY_DST;
/** Pooled bytes kept for reuse; beyond this, released buffers are destroyed. */
const POOL_CAP = 256 * 2 ** 20;

/** Buffers pooled by usage and power-of-two size. */
class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private pooled = 0;
  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, usage: number): GPUBuffer {
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(bytes, 4))));
    const list = this.free.get(`${usage}:${size}`);
    const hit = list?.pop();
    if (hit) { this.pooled -= size; return hit; }
    return this.device.createBuffer({ size, usage });
  }

  release(buf: GPUBuffer): void {
    if (this.pooled + buf.size > POOL_CAP) { buf.destroy(); return; }
    const key = `${buf.usage}:${buf.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
    this.pooled += buf.size;
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooled = 0;
  }
}

interface Pass {
  pipeline: GPUComputePipeline;
  buffers: GPUBuffer[];
  params: { u?: number[]; f?: number[] };
  groups: [number, number];
}

export interface WebGPUOptions extends Pick<CreateOptions, 'gpu' | 'adapterOptions'> {}

/** Creates the webgpu backend; rejects with BackendUnavailableError when no adapter/device is had. */
export async function createWebGPUBackend(options: WebGPUOptions = {}): Promise<Backend> {
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new BackendUnavailableError('webgpu', 'no GPU object (navigator.gpu, or pass `gpu`)');
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(options.adapterOptions);
  } catch (cause) {
    throw new BackendUnavailableError('webgpu', 'requestAdapter failed', { cause });
  }
  if (!adapter) throw new BackendUnavailableError('webgpu', 'no adapter');
  let device: GPUDevice;
  try {
    const al = adapter.limits;
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: al.maxStorageBufferBindingSize,
        maxBufferSize: al.maxBufferSize,
        maxStorageBuffersPerShaderStage: Math.min(al.maxStorageBuffersPerShaderStage, 8),
      },
    });
  } catch (cause) {
    throw new BackendUnavailableError('webgpu', 'requestDevice failed', { cause });
  }
  const limits = device.limits;
  if (limits.maxStorageBuffersPerShaderStage < 4 || limits.maxComputeInvocationsPerWorkgroup < 64) {
    device.destroy();
    throw new BackendUnavailableError('webgpu', 'device limits are below what the kernels need (4 storage buffers, 64 invocations)');
  }
  const retained: { gpu?: GPU; adapter?: GPUAdapter } = { gpu, adapter };
  let lost: string | undefined;
  void device.lost.then((info) => { lost = info.message || info.reason || 'device lost'; });
  const pool = new BufferPool(device);
  const pipelines = new Map<string, Promise<GPUComputePipeline>>();
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const maxGroups = limits.maxComputeWorkgroupsPerDimension;
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const adapterName = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter' : 'unknown adapter';

  const pipeline = (key: string, code: () => string): Promise<GPUComputePipeline> => {
    let p = pipelines.get(key);
    if (!p) {
      p = device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code: code() }), entryPoint: 'main' } });
      pipelines.set(key, p);
      p.catch(() => pipelines.delete(key));
    }
    return p;
  };

  const check = (bytes: number, what: string): void => {
    if (bytes > maxBinding) throw new ResourceLimitError(`${what}: ${bytes} bytes exceed the device's storage binding limit of ${maxBinding}`);
  };
  /** A 2-D grid for `count` workgroups: x up to the per-dimension limit, the rest on y. */
  const grid = (count: number): [number, number] => {
    const x = Math.min(count, maxGroups), y = Math.ceil(count / x);
    if (y > maxGroups) throw new ResourceLimitError(`${count} workgroups exceed the device's dispatch limits`);
    return [x, y];
  };
  const alive = (): void => {
    if (lost !== undefined) throw new DeviceLostError(`WebGPU device lost: ${lost}`);
  };

  const upload = (data: Float32Array): GPUBuffer => {
    const buf = pool.acquire(data.byteLength, STORAGE_USAGE);
    device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
    return buf;
  };

  /** Encodes the passes, copies `result` (bytes) to a staging buffer and reads it into `out`. */
  async function execute(passes: Pass[], result: GPUBuffer, out: Float32Array, owned: GPUBuffer[], preCopy?: [GPUBuffer, GPUBuffer, number]): Promise<void> {
    const uniforms: GPUBuffer[] = [];
    const staging = pool.acquire(out.byteLength, STAGING_USAGE);
    try {
      const enc = device.createCommandEncoder();
      if (preCopy) enc.copyBufferToBuffer(preCopy[0], 0, preCopy[1], 0, preCopy[2]);
      for (const ps of passes) {
        const u = new ArrayBuffer(32);
        const uu = new Uint32Array(u), ff = new Float32Array(u);
        (ps.params.u ?? []).forEach((x, i) => { uu[i] = x >>> 0; });
        (ps.params.f ?? []).forEach((x, i) => { ff[6 + i] = x; });
        const ub = pool.acquire(32, UNIFORM_USAGE);
        device.queue.writeBuffer(ub, 0, u);
        uniforms.push(ub);
        const bind = device.createBindGroup({
          layout: ps.pipeline.getBindGroupLayout(0),
          entries: [...ps.buffers, ub].map((buffer, binding) => ({ binding, resource: { buffer } })),
        });
        const pass = enc.beginComputePass();
        pass.setPipeline(ps.pipeline);
        pass.setBindGroup(0, bind);
        pass.dispatchWorkgroups(ps.groups[0], ps.groups[1]);
        pass.end();
      }
      enc.copyBufferToBuffer(result, 0, staging, 0, out.byteLength);
      device.queue.submit([enc.finish()]);
      await staging.mapAsync(1, 0, out.byteLength);
      out.set(new Float32Array(staging.getMappedRange(0, out.byteLength)));
      staging.unmap();
    } catch (cause) {
      alive();
      throw new DeviceLostError('WebGPU execution failed', { cause });
    } finally {
      pool.release(staging);
      for (const b of uniforms) pool.release(b);
      for (const b of owned) pool.release(b);
    }
  }

  /** Builds passes; if that fails, the buffers already taken go back to the pool. */
  async function guard(owned: GPUBuffer[], build: () => Promise<Pass[]>): Promise<Pass[]> {
    try {
      return await build();
    } catch (e) {
      for (const b of owned) pool.release(b);
      throw e;
    }
  }

  /** Encodes a matmul pass (C = alpha·op(A)·op(B)) into passes. */
  async function matmulPass(a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, m: number, k: number, n: number, transA: boolean, transB: boolean, alpha: number): Promise<Pass> {
    const gx = Math.ceil(n / 32), gy = Math.ceil(m / 32);
    if (gx > maxGroups || gy > maxGroups) throw new ResourceLimitError(`matmul ${m}×${n} exceeds the device's dispatch limits`);
    return {
      pipeline: await pipeline('matmul', () => wgsl.MATMUL),
      buffers: [a, b, c],
      params: { u: [m, k, n, transA ? 1 : 0, transB ? 1 : 0, 0], f: [alpha] },
      groups: [gx, gy],
    };
  }

  async function rowPass(key: string, code: () => string, buffers: GPUBuffer[], rows: number, u: number[], f: number[] = []): Promise<Pass> {
    const g = grid(rows);
    const params = [...u];
    while (params.length < 5) params.push(0);
    params[5] = g[0];
    return { pipeline: await pipeline(key, code), buffers, params: { u: params, f }, groups: g };
  }

  // Compile the fixed kernels now: a device that cannot build them fails creation (and selection
  // falls back) instead of failing a later call. Attention kernels are specialised per head size
  // and built on first use.
  try {
    await Promise.all([
      pipeline('matmul', () => wgsl.MATMUL), pipeline('rowdots', () => wgsl.ROWDOTS), pipeline('softmax', () => wgsl.SOFTMAX),
      pipeline('lora', () => wgsl.LORA), pipeline('mask', () => wgsl.CAUSAL_MASK),
      ...(['add', 'mul', 'relu', 'sigmoid', 'gelu'] as const).map((op) => pipeline(`ew:${op}`, () => wgsl.elementwise(op))),
      ...(['sum', 'max', 'min', 'mean'] as const).map((op) => pipeline(`reduce:${op}`, () => wgsl.reduceRows(op))),
    ]);
  } catch (cause) {
    device.destroy();
    throw new BackendUnavailableError('webgpu', 'the compute pipelines failed to build', { cause });
  }

  const impl: KernelImpl = {
    info: {
      name: 'webgpu',
      detail: `WebGPU on ${adapterName} (${limits.maxComputeInvocationsPerWorkgroup} invocations/workgroup, ${limits.maxComputeWorkgroupStorageSize} B workgroup memory)`,
      native: ['matmul', 'dot', 'cosine', 'softmax', 'attention', 'loraForward', 'add', 'mul', 'relu', 'sigmoid', 'gelu', 'sum', 'max', 'min', 'mean'],
    },
    async matmul(a, b, s, out) {
      alive();
      check(a.byteLength, 'matmul A'); check(b.byteLength, 'matmul B'); check(out.byteLength, 'matmul C');
      const A = upload(a), B = upload(b), C = pool.acquire(out.byteLength, STORAGE_USAGE);
      const ps = await guard([A, B, C], async () => [await matmulPass(A, B, C, s.m, s.k, s.n, s.transA, s.transB, 1)]);
      await execute(ps, C, out, [A, B, C]);
    },
    async dot(q, mat, s, cosine, out) {
      alive();
      check(mat.byteLength, 'dot matrix');
      grid(s.rows);
      const Q = upload(q), M = upload(mat), O = pool.acquire(out.byteLength, STORAGE_USAGE);
      await execute([await rowPass('rowdots', () => wgsl.ROWDOTS, [Q, M, O], s.rows, [s.rows, s.dim, cosine ? 1 : 0])], O, out, [Q, M, O]);
    },
    async softmax(x, s, out) {
      alive();
      check(x.byteLength, 'softmax');
      grid(s.rows);
      const X = upload(x), O = pool.acquire(out.byteLength, STORAGE_USAGE);
      await execute([await rowPass('softmax', () => wgsl.SOFTMAX, [X, O], s.rows, [s.rows, s.cols])], O, out, [X, O]);
    },
    async attention(q, k, v, s, out) {
      alive();
      check(q.byteLength, 'attention q'); check(k.byteLength, 'attention k'); check(v.byteLength, 'attention v'); check(out.byteLength, 'attention out');
      const D = Math.ceil(Math.max(s.dim, s.dimV) / 4) * 4;
      const budget = Math.floor(limits.maxComputeWorkgroupStorageSize / (8 * D));
      const shift = (s.seqK - s.seqQ) | 0;
      if (D <= 256 && budget >= 1) {
        const BC = Math.min(64, budget);
        const gx = Math.ceil(s.seqQ / 64);
        if (gx > maxGroups) throw new ResourceLimitError(`attention with ${s.seqQ} queries exceeds the device's dispatch limits`);
        const flash = await pipeline(`flash:${D}:${BC}`, () => wgsl.flashAttention(D, BC));
        const Q = upload(q), K = upload(k), V = upload(v), O = pool.acquire(out.byteLength, STORAGE_USAGE);
        const ps: Pass = {
          pipeline: flash,
          buffers: [Q, K, V, O],
          params: { u: [s.seqQ, s.seqK, s.dim, s.dimV, s.causal ? 1 : 0, shift], f: [s.scale] },
          groups: [gx, 1],
        };
        await execute([ps], O, out, [Q, K, V, O]);
        return;
      }
      // Head dimension too wide for per-thread registers: S = scale·Q·Kᵀ, mask, softmax, S·V.
      check(4 * s.seqQ * s.seqK, 'attention scores');
      const Q = upload(q), K = upload(k), V = upload(v);
      const S = pool.acquire(4 * s.seqQ * s.seqK, STORAGE_USAGE), P = pool.acquire(4 * s.seqQ * s.seqK, STORAGE_USAGE);
      const O = pool.acquire(out.byteLength, STORAGE_USAGE);
      const passes = await guard([Q, K, V, S, P, O], async () => {
        const ps = [await matmulPass(Q, K, S, s.seqQ, s.dim, s.seqK, false, true, s.scale)];
        if (s.causal) ps.push(await rowPass('mask', () => wgsl.CAUSAL_MASK, [S], s.seqQ, [s.seqQ, s.seqK, shift]));
        ps.push(await rowPass('softmax', () => wgsl.SOFTMAX, [S, P], s.seqQ, [s.seqQ, s.seqK]));
        ps.push(await matmulPass(P, V, O, s.seqQ, s.seqK, s.dimV, false, false, 1));
        return ps;
      });
      await execute(passes, O, out, [Q, K, V, S, P, O]);
      if (s.causal) {
        // rows that see no key at all are defined as zeros (the masked softmax made them uniform)
        for (let i = 0; i < s.seqQ; i++) if (i + shift < 0) out.fill(0, i * s.dimV, (i + 1) * s.dimV);
      }
    },
    async lora(x, a, b, base, s, out) {
      alive();
      check(x.byteLength, 'lora x'); check(a.byteLength, 'lora A'); check(b.byteLength, 'lora B'); check(out.byteLength, 'lora out');
      const X = upload(x), A = upload(a), B = upload(b);
      const Y = pool.acquire(out.byteLength, STORAGE_USAGE);
      const baseBuf = base === x ? X : upload(base);
      const owned = base === x ? [X, A, B, Y] : [X, A, B, Y, baseBuf];
      if (s.rank <= 64) {
        const ps = await rowPass('lora', () => wgsl.LORA, [X, A, B, Y], s.batch, [s.batch, s.dIn, s.dOut, s.rank], [s.scale]);
        await execute([ps], Y, out, owned, [baseBuf, Y, out.byteLength]);
        return;
      }
      // Wide ranks: H = scale·X·Aᵀ, then U = H·Bᵀ, then Y = base + U.
      const H = pool.acquire(4 * s.batch * s.rank, STORAGE_USAGE), U = pool.acquire(out.byteLength, STORAGE_USAGE);
      const n = s.batch * s.dOut;
      const passes = await guard([...owned, H, U], async () => [
        await matmulPass(X, A, H, s.batch, s.dIn, s.rank, false, true, s.scale),
        await matmulPass(H, B, U, s.batch, s.rank, s.dOut, false, true, 1),
        await rowPass('ew:add', () => wgsl.elementwise('add'), [baseBuf, U, Y], Math.ceil(n / 64), [n]),
      ]);
      await execute(passes, Y, out, [...owned, H, U]);
    },
    async binary(op, a, b, out) {
      alive();
      check(a.byteLength, op);
      const A = upload(a), B = upload(b), O = pool.acquire(out.byteLength, STORAGE_USAGE);
      await execute([await rowPass(`ew:${op}`, () => wgsl.elementwise(op), [A, B, O], Math.ceil(a.length / 64), [a.length])], O, out, [A, B, O]);
    },
    async unary(op, x, out) {
      alive();
      check(x.byteLength, op);
      const X = upload(x), O = pool.acquire(out.byteLength, STORAGE_USAGE);
      await execute([await rowPass(`ew:${op}`, () => wgsl.elementwise(op), [X, O], Math.ceil(x.length / 64), [x.length])], O, out, [X, O]);
    },
    async reduce(op, x, s, out) {
      alive();
      check(x.byteLength, op);
      grid(s.rows);
      const X = upload(x), O = pool.acquire(out.byteLength, STORAGE_USAGE);
      await execute([await rowPass(`reduce:${op}`, () => wgsl.reduceRows(op), [X, O], s.rows, [s.rows, s.cols])], O, out, [X, O]);
    },
    topK: cpu.topK,
    dispose() {
      pool.destroy();
      pipelines.clear();
      device.destroy();
      // Native hosts (Dawn in Node) tear the instance down when the GPU object is collected, so
      // the backend holds it until here.
      retained.gpu = undefined;
    },
  };
  return wrapBackend('webgpu', impl);
}

/** Registry entry of the webgpu backend. */
export const webgpuBackend: BackendFactory = {
  name: 'webgpu',
  priority: 400,
  isSupported: (o) => o.gpu !== undefined || (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu !== undefined,
  create: (o) => createWebGPUBackend({ gpu: o.gpu, adapterOptions: o.adapterOptions }),
};
