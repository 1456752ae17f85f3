#!/usr/bin/env node
// Generates the two embedded artifacts of @edge/compute, run before every `pnpm build`:
//  1. src/wasm/kernels.generated.ts — src/wasm/kernels.wat compiled by wabt (pinned in
//     devDependencies), as base64, so the module loads from memory with no fetch and no file
//     access, identically in Node and browsers;
//  2. src/workers/worker.generated.ts — the pool worker's body (src/workers/worker-main.ts and
//     the wasm glue it imports) bundled by esbuild into one self-contained script string, so a
//     worker starts from a string (eval worker in Node, Blob URL in browsers) and no extra file
//     has to be located or served.
// `--check` exits 1 when a committed file is stale; the test suite runs the same comparison.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileWat, renderGenerated, bundleWorker } from './generate-lib.mjs';

const at = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const check = process.argv.includes('--check');
let stale = false;

function emit(path, text) {
  let current = '';
  try { current = readFileSync(at(path), 'utf8'); } catch {}
  if (current === text) return;
  if (check) { console.error(`${path} is stale: run \`pnpm --filter @edge/compute gen\``); stale = true; return; }
  writeFileSync(at(path), text);
  console.log(`wrote ${path}`);
}

const bytes = await compileWat(readFileSync(at('src/wasm/kernels.wat'), 'utf8'));
emit('src/wasm/kernels.generated.ts', renderGenerated(bytes));
emit('src/workers/worker.generated.ts', await bundleWorker(at('src/workers/worker-main.ts')));
if (stale) process.exit(1);
