// Runs the conformance suite inside Chromium (bundled by test/browser.test.ts with the browser
// worker host) and leaves the outcome on window.__results for the test to read.
import { prng } from '@edge/tooling/seed';
import { createWebGLBackend, createWebGPUBackend, createWasmSimdBackend, createWorkersBackend, cpuKernels, type Backend, type WorkersBackend } from '../../src/index.js';
import { conformanceCases, assertClose } from '../conformance/cases.js';

interface Outcome { started: boolean; error?: string; info?: string; cases: { name: string; ok: boolean; error?: string }[] }

const seed = Number(new URLSearchParams(location.search).get('seed') ?? '1') >>> 0;
const factories: Record<string, () => Promise<Backend>> = {
  webgl: () => createWebGLBackend(),
  webgpu: () => createWebGPUBackend(),
  'wasm-simd': () => createWasmSimdBackend(),
  workers: () => createWorkersBackend({ threads: 2, minParallelWork: 0 }),
  'workers (transfer)': () => createWorkersBackend({ threads: 2, sharedMemory: false, minParallelWork: 0 }),
};

async function main(): Promise<void> {
  const results: Record<string, Outcome> = {};
  const env = { crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true };
  for (const [name, make] of Object.entries(factories)) {
    const outcome: Outcome = { started: false, cases: [] };
    results[name] = outcome;
    let backend: Backend;
    try {
      backend = await make();
      outcome.started = true;
      outcome.info = backend.info.detail;
    } catch (e) {
      outcome.error = e instanceof Error ? `${e.message}${e.cause ? ` (cause: ${String(e.cause)})` : ''}` : String(e);
      continue;
    }
    for (const c of conformanceCases(seed, prng)) {
      try {
        await c.run(backend);
        outcome.cases.push({ name: c.name, ok: true });
      } catch (e) {
        outcome.cases.push({ name: c.name, ok: false, error: e instanceof Error ? e.message : String(e) });
      }
    }
    if (name.startsWith('workers')) {
      // a Web Worker killed mid-call is replaced and its task re-runs
      const label = 'a killed Web Worker is replaced and its task re-runs';
      try {
        const w = backend as WorkersBackend;
        const rand = prng(seed ^ 0x5eed);
        const m = 192, a = Float32Array.from({ length: m * m }, () => rand() * 2 - 1), b = Float32Array.from({ length: m * m }, () => rand() * 2 - 1);
        const pending = w.matmul(a, b, { m, k: m, n: m });
        await new Promise((r) => setTimeout(r, 0));
        const busy = w.pool.busyWorker();
        if (busy === undefined) throw new Error('no worker was busy');
        w.pool.killWorker(busy);
        assertClose(await pending, cpuKernels.matmul(a, b, { m, k: m, n: m }), 1e-4, 1e-4, label);
        const st = w.stats();
        if (st.crashes !== 1 || st.replaced !== 1 || st.reruns !== 1) throw new Error(`stats after the kill: ${JSON.stringify(st)}`);
        outcome.cases.push({ name: label, ok: true });
      } catch (e) {
        outcome.cases.push({ name: label, ok: false, error: e instanceof Error ? e.message : String(e) });
      }
    }
    if (name === 'webgl') {
      // products beyond the texture limits (8192 on SwiftShader) are tiled, not refused
      for (const [m, k, n] of [[8200, 3, 5], [2, 8300, 3], [3, 5, 33000]] as const) {
        const label = `webgl tiles ${m}×${k}×${n} beyond the texture limits`;
        try {
          const rand = prng(seed ^ m ^ k ^ n);
          const a = Float32Array.from({ length: m * k }, () => rand() * 2 - 1), b = Float32Array.from({ length: k * n }, () => rand() * 2 - 1);
          const want = cpuKernels.matmul(a, b, { m, k, n });
          const got = await backend.matmul(a, b, { m, k, n });
          assertClose(got, want, 1e-4, 2e-6 * k, label);
          outcome.cases.push({ name: 'webgl tiles beyond the texture limits', ok: true });
        } catch (e) {
          outcome.cases.push({ name: 'webgl tiles beyond the texture limits', ok: false, error: e instanceof Error ? e.message : String(e) });
        }
      }
    }
    await backend.dispose();
  }
  (globalThis as { __results?: unknown }).__results = { env, results };
}

main().catch((e) => { (globalThis as { __results?: unknown }).__results = { fatal: String(e) }; });
