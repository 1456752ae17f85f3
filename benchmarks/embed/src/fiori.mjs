// The yardstick: 778 SAP Fiori documentation chunks from @sap-ux/fiori-docs-embeddings
// (Apache-2.0), each with a category label and its all-MiniLM-L6-v2 vector (384-d float32,
// data/embeddings/embeddings.bin, rows in the order of records.jsonl).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function loadFiori() {
  const dir = join(dirname(createRequire(import.meta.url).resolve('@sap-ux/fiori-docs-embeddings/package.json')), 'data', 'embeddings');
  const meta = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
  const records = readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l));
  const bin = readFileSync(join(dir, 'embeddings.bin'));
  const D = meta.dimensions;
  if (bin.length !== records.length * D * 4) throw new Error('embeddings.bin does not match records.jsonl');
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
  const minilm = records.map((_, i) => all.subarray(i * D, (i + 1) * D));
  return {
    meta,
    texts: records.map((r) => `${r.title}\n${r.content}`),
    labels: records.map((r) => r.category),
    minilm,
  };
}

/** Cosine similarity matrix (n x n, float64) of row vectors. */
export function similarity(vectors) {
  const n = vectors.length;
  const norms = vectors.map((v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1);
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const a = vectors[i];
      const b = vectors[j];
      let dot = 0;
      for (let d = 0; d < a.length; d++) dot += a[d] * b[d];
      S[i * n + j] = S[j * n + i] = dot / (norms[i] * norms[j]);
    }
  }
  return S;
}

/** Indices of the k most similar other documents, best first (ties by index). */
export function neighbours(S, n, i, k) {
  const idx = [];
  for (let j = 0; j < n; j++) if (j !== i) idx.push(j);
  idx.sort((a, b) => S[i * n + b] - S[i * n + a] || a - b);
  return idx.slice(0, k);
}

/** Leave-one-out k-NN accuracy; votes weighted by similarity (k = 1: nearest neighbour). */
export function looKnnAccuracy(S, labels, k) {
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const votes = new Map();
    for (const j of neighbours(S, n, i, k)) votes.set(labels[j], (votes.get(labels[j]) ?? 0) + (k === 1 ? 1 : Math.max(S[i * n + j], 0) + 1e-9));
    let best;
    let bestV = -1;
    for (const [l, v] of votes) if (v > bestV) [best, bestV] = [l, v];
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

/** Mean recall@k of reference's top-k neighbour lists within ours. */
export function neighbourAgreement(S, Sref, n, k = 10) {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const ours = new Set(neighbours(S, n, i, k));
    let hit = 0;
    for (const j of neighbours(Sref, n, i, k)) if (ours.has(j)) hit++;
    sum += hit / k;
  }
  return sum / n;
}

/**
 * Bag-of-words TF-IDF baseline: lower-cased alphanumeric tokens of 2+ characters, sublinear tf
 * (1 + ln tf), smoothed idf ln((1 + N) / (1 + df)) + 1, L2-normalised (scikit-learn's
 * TfidfVectorizer with sublinear_tf=True). Returns sparse vectors (sorted term ids, weights).
 */
export function tfidf(texts) {
  const docs = texts.map((t) => {
    const tf = new Map();
    for (const m of t.toLowerCase().matchAll(/[\p{L}\p{N}_]{2,}/gu)) tf.set(m[0], (tf.get(m[0]) ?? 0) + 1);
    return tf;
  });
  const df = new Map();
  for (const tf of docs) for (const w of tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const vocab = new Map([...df.keys()].map((w, i) => [w, i]));
  const N = texts.length;
  return docs.map((tf) => {
    const entries = [...tf].map(([w, c]) => [vocab.get(w), (1 + Math.log(c)) * (Math.log((1 + N) / (1 + df.get(w))) + 1)]);
    entries.sort((a, b) => a[0] - b[0]);
    const norm = Math.sqrt(entries.reduce((s, [, x]) => s + x * x, 0)) || 1;
    return { idx: Int32Array.from(entries, (e) => e[0]), val: Float64Array.from(entries, (e) => e[1] / norm) };
  });
}

/** Cosine similarity matrix of the unit-norm sparse vectors of tfidf(). */
export function sparseSimilarity(vectors) {
  const n = vectors.length;
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const a = vectors[i];
      const b = vectors[j];
      let p = 0;
      let q = 0;
      let dot = 0;
      while (p < a.idx.length && q < b.idx.length) {
        if (a.idx[p] === b.idx[q]) dot += a.val[p++] * b.val[q++];
        else if (a.idx[p] < b.idx[q]) p++;
        else q++;
      }
      S[i * n + j] = S[j * n + i] = dot;
    }
  }
  return S;
}
