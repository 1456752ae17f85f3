// Shared by scripts/build-wasm.mjs and test/kernel.test.ts: src/kernel.wat -> wasm bytes via wabt.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** @returns {Promise<{ bytes: Uint8Array, wabtVersion: string }>} */
export async function compileKernel() {
  const wabtFactory = require('wabt');
  const wabtVersion = JSON.parse(readFileSync(require.resolve('wabt/package.json'), 'utf8')).version;
  const wabt = await wabtFactory();
  const source = readFileSync(join(here, '../src/kernel.wat'), 'utf8');
  const mod = wabt.parseWat('kernel.wat', source, { simd: true });
  try {
    mod.validate();
    const { buffer } = mod.toBinary({ log: false, write_debug_names: false });
    return { bytes: new Uint8Array(buffer), wabtVersion };
  } finally {
    mod.destroy();
  }
}
