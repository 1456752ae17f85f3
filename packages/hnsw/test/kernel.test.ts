import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
// @ts-expect-error -- plain .mjs build script without types
import { compileKernel } from '../scripts/compile-kernel.mjs';
import { KERNEL_WASM_BASE64, KERNEL_WASM_SHA256 } from '../src/kernel-wasm.generated.js';
import { LinearMemory, simdAvailable } from '../src/kernel.js';
import { SEED, prng } from './helpers.js';

describe('WebAssembly SIMD kernel', () => {
  it('the committed bytes are exactly what wabt makes of src/kernel.wat', async () => {
    const { bytes } = (await compileKernel()) as { bytes: Uint8Array };
    const committed = new Uint8Array(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
    expect(Buffer.from(committed).equals(Buffer.from(bytes))).toBe(true);
    expect(createHash('sha256').update(committed).digest('hex')).toBe(KERNEL_WASM_SHA256);
  });

  it('is detected and used in Node', () => {
    expect(simdAvailable()).toBe(true);
  });

  it('agrees with the plain-JS kernel on dot, L2 and int8 dot (random lengths and values)', () => {
    const rand = prng(SEED);
    const wasm = new LinearMemory('wasm', 1 << 16);
    const js = new LinearMemory('js', 1 << 16);
    for (let trial = 0; trial < 50; trial++) {
      const n = 4 * (1 + Math.floor(rand() * 100)); // multiple of 4
      const n8 = 16 * (1 + Math.floor(rand() * 20));
      for (const m of [wasm, js]) m.u8.fill(0);
      const vals = Array.from({ length: 8 * n }, () => rand() * 4 - 2);
      const codes = Array.from({ length: 8 * n8 }, () => Math.floor(rand() * 255) - 127);
      for (const m of [wasm, js]) {
        m.f32.set(vals, 1024); // byte 4096: 8 vectors
        m.i8.set(codes, 20000);
        m.i32.set([0, 3, 5, 7, 1], 30000 / 4);
      }
      const a = 4096, b = 4096 + 4 * n;
      expect(wasm.kernel.dot(a, b, n)).toBeCloseTo(js.kernel.dot(a, b, n), 3);
      expect(wasm.kernel.l2(a, b, n)).toBeCloseTo(js.kernel.l2(a, b, n), 3);
      for (const m of [wasm, js]) {
        m.kernel.ip_batch(a, 4096, n, 30000, 5, 40000, 1);
        m.kernel.l2_batch(a, 4096, n, 30000, 5, 41000);
        m.kernel.dot8_batch(20000, 20000, n8, 30000, 5, 42000);
      }
      for (let i = 0; i < 5; i++) {
        expect(wasm.f32[40000 / 4 + i]).toBeCloseTo(js.f32[40000 / 4 + i]!, 3);
        expect(wasm.f32[41000 / 4 + i]).toBeCloseTo(js.f32[41000 / 4 + i]!, 3);
        expect(wasm.i32[42000 / 4 + i]).toBe(js.i32[42000 / 4 + i]);
      }
      // independent reference for one dot product
      let ref = 0;
      for (let i = 0; i < n; i++) ref += Math.fround(vals[i]!) * Math.fround(vals[n + i]!);
      expect(wasm.kernel.dot(a, b, n)).toBeCloseTo(ref, 2);
    }
  });

  it('keeps its contents when memory grows', () => {
    for (const kind of ['wasm', 'js'] as const) {
      const m = new LinearMemory(kind, 65536);
      m.f32[100] = 1.5;
      m.ensure(5 * 65536);
      expect(m.f32[100]).toBe(1.5);
      expect(m.byteLength).toBeGreaterThanOrEqual(5 * 65536);
    }
  });
});
