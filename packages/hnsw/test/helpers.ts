// Test helpers: seeded data sets, recall against brute force, the fiori embeddings.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { prng, testSeed } from '@edge/tooling/seed';
import { expect } from 'vitest';
import { HnswError, type HnswErrorCode, type HnswIndex, type Id } from '../src/index.js';

export const SEED = testSeed();
export { prng };

/** Seeded clustered set: n vectors of dim around `clusters` centres (fixed seed unless given). */
export function clustered(n: number, dim: number, clusters = 20, seed = 1234, spread = 0.6): Float32Array {
  const rand = prng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const cents = Array.from({ length: clusters }, () => Array.from({ length: dim }, gauss));
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = cents[Math.floor(rand() * clusters)]!;
    for (let j = 0; j < dim; j++) out[i * dim + j] = c[j]! + spread * gauss();
  }
  return out;
}

export const row = (data: Float32Array, dim: number, i: number) => data.subarray(i * dim, (i + 1) * dim);

/** Mean recall@k of index.search against index.bruteForce over the given queries. */
export function recallAt(
  index: HnswIndex,
  queries: Float32Array,
  dim: number,
  k: number,
  opts: { efSearch?: number; excludeSelfIds?: Id[] } = {},
): number {
  const nq = queries.length / dim;
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const query = row(queries, dim, q);
    const self = opts.excludeSelfIds?.[q];
    const extra = self === undefined ? 0 : 1;
    let truth = index.bruteForce(query, k + extra).ids;
    let got = index.search(query, k + extra, { efSearch: opts.efSearch }).ids;
    if (self !== undefined) {
      truth = truth.filter((x) => x !== self).slice(0, k);
      got = got.filter((x) => x !== self).slice(0, k);
    }
    const t = new Set(truth);
    for (const id of got) if (t.has(id)) hits++;
  }
  return hits / (nq * k);
}

/** The 778 all-MiniLM-L6-v2 document vectors (384-d) of @sap-ux/fiori-docs-embeddings. */
export function fioriVectors(): { n: number; dim: number; data: Float32Array } {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@sap-ux/fiori-docs-embeddings/package.json'));
  const meta = JSON.parse(readFileSync(join(dir, 'data/embeddings/metadata.json'), 'utf8')) as { dimensions: number; totalVectors: number };
  const raw = readFileSync(join(dir, 'data/embeddings/embeddings.bin'));
  const n = meta.totalVectors, dim = meta.dimensions;
  expect(raw.length).toBe(n * dim * 4);
  const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  return { n, dim, data };
}

/** Asserts fn throws an HnswError with the code. */
export function expectCode(fn: () => unknown, code: HnswErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(HnswError);
  expect((thrown as HnswError).code).toBe(code);
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
