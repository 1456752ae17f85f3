import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng, testSeed } from '@edge/tooling/seed';
import { createStaticEmbedder, EmbedError, type StaticEmbedder } from '../src/index.js';

export const SEED = testSeed();
export const rand = prng(SEED);

export const PKG = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MODEL_PATH = join(PKG, 'model', 'edge-embed-sg100d-50k.bin');
export const MODEL_BYTES = new Uint8Array(readFileSync(MODEL_PATH));
export const MANIFEST = JSON.parse(readFileSync(join(PKG, 'model', 'MODEL.json'), 'utf8')) as {
  file: string;
  modelId: string;
  bytes: number;
  sha256: string;
  dim: number;
  words: number;
  referenceCorpusSha256: string;
};

let shared: StaticEmbedder | undefined;
/** One embedder of the shipped model for the whole test file. */
export function embedder(): StaticEmbedder {
  shared ??= createStaticEmbedder(MODEL_BYTES);
  return shared;
}

export function vector(path: string): unknown {
  return JSON.parse(readFileSync(join(PKG, 'test', 'vectors', path), 'utf8'));
}

/** The error code of a sync call, 'OK' when it returns; rethrows non-EmbedError errors. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (EmbedError.isInstance(error)) return error.code;
    throw error;
  }
  return 'OK';
}

export async function asyncCodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (EmbedError.isInstance(error)) return error.code;
    throw error;
  }
  return 'OK';
}

export function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** The fiori documents of @sap-ux/fiori-docs-embeddings: text, category, MiniLM vector. */
export function loadFiori(): { texts: string[]; labels: string[]; minilm: Float32Array[] } {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@sap-ux/fiori-docs-embeddings/package.json')), 'data', 'embeddings');
  const records = readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as { title: string; content: string; category: string });
  const bin = readFileSync(join(dir, 'embeddings.bin'));
  const D = 384;
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
  return {
    texts: records.map((r) => `${r.title}\n${r.content}`.slice(0, 200_000)),
    labels: records.map((r) => r.category),
    minilm: records.map((_, i) => all.subarray(i * D, (i + 1) * D)),
  };
}
