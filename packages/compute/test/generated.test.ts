// The embedded artifacts are generated, so they are checked: the wasm bytes must be exactly what
// wabt makes of src/wasm/kernels.wat, and the worker source what esbuild makes of worker-main.ts.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain .mjs helper without types
import { compileWat, renderGenerated, bundleWorker } from '../scripts/generate-lib.mjs';
import { KERNELS_WASM_SHA256 } from '../src/wasm/kernels.generated.js';
import { kernelBytes, simdSupported } from '../src/wasm/module.js';

const at = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

describe('generated artifacts', () => {
  it('kernels.generated.ts holds exactly the compiled kernels.wat', async () => {
    const bytes: Uint8Array = await compileWat(readFileSync(at('src/wasm/kernels.wat'), 'utf8'));
    expect(readFileSync(at('src/wasm/kernels.generated.ts'), 'utf8')).toBe(renderGenerated(bytes));
    expect(createHash('sha256').update(kernelBytes()).digest('hex')).toBe(KERNELS_WASM_SHA256);
    expect(Buffer.from(kernelBytes()).equals(Buffer.from(bytes))).toBe(true);
  });
  it('the module uses SIMD and validates', () => {
    expect(simdSupported()).toBe(true);
    expect(WebAssembly.validate(kernelBytes() as BufferSource)).toBe(true);
  });
  it('worker.generated.ts is the current bundle of worker-main.ts', async () => {
    expect(readFileSync(at('src/workers/worker.generated.ts'), 'utf8')).toBe(await bundleWorker(at('src/workers/worker-main.ts')));
  });
});
