// The conformance suite in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): webgl (ANGLE on SwiftShader) and webgpu (--enable-unsafe-webgpu), plus the
// wasm-simd and Web Worker backends. The page is served with COOP/COEP so it is cross-origin
// isolated and the pool shares memory; a second pool runs in transfer mode. A backend that does
// not start fails its tests.
import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { testSeed, prng } from '@edge/tooling/seed';
import { conformanceCases } from './conformance/cases.js';

const seed = testSeed();
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BACKENDS = ['webgl', 'webgpu', 'wasm-simd', 'workers', 'workers (transfer)'];
const caseNames = conformanceCases(seed, prng).map((c) => c.name);

interface Outcome { started: boolean; error?: string; info?: string; cases: { name: string; ok: boolean; error?: string }[] }
let results: Record<string, Outcome> = {};
let env: { crossOriginIsolated: boolean } = { crossOriginIsolated: false };
let server: Server | undefined;
let context: BrowserContext | undefined;
let profile: string | undefined;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./browser/entry.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: { '#worker-host': fileURLToPath(new URL('../src/worker-host.browser.ts', import.meta.url)) },
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  const html = '<!doctype html><meta charset="utf-8"><title>compute conformance</title><script type="module" src="/entry.js"></script>';
  server = createServer((req, res) => {
    // COOP + COEP make the page cross-origin isolated, which enables SharedArrayBuffer.
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    if (req.url?.startsWith('/entry.js')) res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(js);
    else res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  profile = mkdtempSync(join(tmpdir(), 'edge-compute-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/?seed=${seed}`);
  await page.waitForFunction(() => (globalThis as { __results?: unknown }).__results !== undefined, null, { timeout: 150_000 });
  const out = (await page.evaluate(() => (globalThis as { __results?: unknown }).__results)) as { fatal?: string; env: typeof env; results: typeof results };
  if (out.fatal) throw new Error(`the browser harness failed: ${out.fatal}\n${logs.join('\n')}`);
  results = out.results;
  env = out.env;
}, 180_000);

afterAll(async () => {
  await context?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe(`conformance in Chromium (TEST_SEED=${seed})`, () => {
  it('the page is cross-origin isolated (SharedArrayBuffer for the pool)', () => {
    expect(env.crossOriginIsolated).toBe(true);
  });
  it('webgl tiles products beyond its texture limits (m, k and n past 8192)', () => {
    const runs = results.webgl?.cases.filter((x) => x.name === 'webgl tiles beyond the texture limits') ?? [];
    expect(runs.length).toBe(3);
    for (const r of runs) expect(r.error ?? 'ok').toBe('ok');
  });
  for (const name of ['workers', 'workers (transfer)']) {
    it(`${name}: a killed Web Worker is replaced and its task re-runs`, () => {
      const r = results[name]?.cases.find((x) => x.name === 'a killed Web Worker is replaced and its task re-runs');
      expect(r, 'the kill case did not run').toBeDefined();
      expect(r!.error ?? 'ok').toBe('ok');
    });
  }
  for (const name of BACKENDS) {
    describe(name, () => {
      it('starts', () => {
        const r = results[name];
        expect(r?.error, `${name} failed to start`).toBeUndefined();
        expect(r?.started).toBe(true);
        console.log(`[chromium] ${name}: ${r!.info}`);
      });
      for (const c of caseNames) {
        it(c, () => {
          const got = results[name]?.cases.find((x) => x.name === c);
          expect(got, `${name} did not run ${c}`).toBeDefined();
          expect(got!.error ?? 'ok').toBe('ok');
        });
      }
    });
  }
});
