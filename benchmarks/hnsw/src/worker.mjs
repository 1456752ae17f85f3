// Several peers on one dataset, interleaved in one process. The machine is a shared 2-core VM whose
// load drifts over minutes, so peers are not measured one after another: their builds advance in
// alternating chunks, and each query pass runs every peer once, in rotating order. Load changes
// then hit every peer alike and the ratios hold even when absolute numbers move.
// Usage: node --expose-gc worker.mjs <dataset> <peer,peer,...> <M> <efConstruction> <ef,ef,...> [maxQueries]
// Prints progress on stderr and one JSON line per peer on stdout.
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import os from 'node:os';
import { readCache } from './data.mjs';

const require = createRequire(import.meta.url);
const [dataset, peerList, Ms, efCs, efList, maxQ] = process.argv.slice(2);
const peers = peerList.split(',');
const M = Number(Ms), efC = Number(efCs), efs = efList.split(',').map(Number);
const K = 10;
const MIN_PASSES = 3; // query passes per efSearch (more, up to MAX_PASSES, while under 2 s per peer)
const MAX_PASSES = 7;
const ds = readCache(dataset);
const { n, dim, base, gt, gtK, excludeSelf } = ds;
const nq = Math.min(ds.nq, maxQ ? Number(maxQ) : Infinity);
const queries = ds.queries.subarray(0, nq * dim);
const CHUNK = n >= 500_000 ? 20_000 : 5_000;
const log = (m) => process.stderr.write(`  [${dataset}] ${m}\n`);
const gc = () => globalThis.gc?.();
const rss = () => process.memoryUsage().rss;
const isBrute = (p) => p === 'brute' || p === 'brute-simd';

// ---------------------------------------------------------------- peers
// Each adapter: init(), add(start, end) for base[start, end), setEf(ef), search(q, k, ef) -> ids.
async function makePeer(peer) {
  if (peer === 'edge' || peer === 'edge-int8' || peer === 'edge-js' || peer === 'brute-simd') {
    const { createIndex } = await import('@edge/hnsw');
    const simd = peer === 'brute-simd';
    let idx;
    return {
      init() {
        // brute-simd: exact scans with the package's WebAssembly kernel (bruteForce); its index is
        // built with M 2 / efConstruction 1 only to hold the vectors
        idx = createIndex({
          dim, metric: 'cosine', M: simd ? 2 : M, efConstruction: simd ? 1 : efC, capacity: n, log: false,
          quantization: peer === 'edge-int8' ? 'int8' : 'none',
          kernel: peer === 'edge-js' ? 'js' : 'auto',
        });
      },
      add(s, e) {
        const ids = Array.from({ length: e - s }, (_, i) => s + i);
        idx.addBatch(ids, base.subarray(s * dim, e * dim));
      },
      setEf() {},
      search: simd ? (q, k) => idx.bruteForce(q, k).ids : (q, k, ef) => idx.search(q, k, { efSearch: ef }).ids,
      info: () => ({ kernel: idx.stats().kernel }),
    };
  }
  if (peer === 'hnswlib') {
    const { HierarchicalNSW } = require('hnswlib-node');
    let idx, rows = [];
    return {
      init() {
        idx = new HierarchicalNSW('cosine', dim);
        idx.initIndex({ maxElements: n, m: M, efConstruction: efC, randomSeed: 100 });
      },
      // hnswlib-node takes number[]: each chunk is converted before its timed region (which favours
      // it slightly) and dropped after, so the process does not carry a large JS heap
      prepare(s, e) {
        rows = Array.from({ length: e - s }, (_, i) => Array.from(base.subarray((s + i) * dim, (s + i + 1) * dim)));
      },
      add(s, e) {
        for (let i = s; i < e; i++) idx.addPoint(rows[i - s], i);
        rows = [];
      },
      setEf(ef) {
        idx.setEf(ef);
      },
      search: (q, k) => idx.searchKnn(q, k).neighbors,
      queryForm: (q) => Array.from(q),
      info: () => ({}),
    };
  }
  if (peer === 'usearch') {
    const { Index } = require('usearch');
    const file = join(tmpdir(), `edge-bench-usearch-${process.pid}.usearch`);
    let idx;
    const cfg = (ef) => ({ dimensions: dim, metric: 'cos', connectivity: M, expansion_add: efC, expansion_search: ef });
    const keys = new BigUint64Array(n);
    for (let i = 0; i < n; i++) keys[i] = BigInt(i);
    return {
      init() {
        idx = new Index(cfg(64));
      },
      add(s, e) {
        idx.add(keys.subarray(s, e), base.subarray(s * dim, e * dim), 1);
      },
      setEf(ef) {
        // usearch fixes expansion_search at construction: reload the built graph with a new one
        idx.save(file);
        idx = new Index(cfg(ef));
        idx.load(file);
        rmSync(file, { force: true });
      },
      search: (q, k) => Array.from(idx.search(q, k, 1).keys, Number),
      info: () => ({}),
    };
  }
  if (peer === 'brute') {
    // a plain JS linear scan over one Float32Array: 4-way unrolled dot product, top-k by insertion
    const top = new Int32Array(64), topD = new Float64Array(64);
    return {
      init() {},
      add() {},
      setEf() {},
      search(q, k) {
        topD.fill(Infinity, 0, k);
        for (let i = 0, o = 0; i < n; i++, o += dim) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
          for (; j + 3 < dim; j += 4) {
            s0 += q[j] * base[o + j];
            s1 += q[j + 1] * base[o + j + 1];
            s2 += q[j + 2] * base[o + j + 2];
            s3 += q[j + 3] * base[o + j + 3];
          }
          for (; j < dim; j++) s0 += q[j] * base[o + j];
          const d = 1 - (s0 + s1 + s2 + s3);
          if (d >= topD[k - 1]) continue;
          let p = k - 1;
          while (p > 0 && topD[p - 1] > d) {
            topD[p] = topD[p - 1];
            top[p] = top[p - 1];
            p--;
          }
          topD[p] = d;
          top[p] = i;
        }
        return Array.from(top.subarray(0, k));
      },
      info: () => ({}),
    };
  }
  throw new Error(`unknown peer ${peer}`);
}

// ---------------------------------------------------------------- run
const loadAvg0 = os.loadavg()[0];
const P = [];
for (const name of peers) {
  const p = await makePeer(name);
  const qs = Array.from({ length: nq }, (_, i) => {
    const q = queries.subarray(i * dim, (i + 1) * dim);
    return p.queryForm ? p.queryForm(q) : q;
  });
  P.push({ name, p, qs, buildMs: 0, rssGrowth: 0, rows: [] });
}

// build: every peer adds the same chunk in turn; time and RSS growth are summed per peer
for (const x of P) x.p.init();
for (let s = 0; s < n; s += CHUNK) {
  const e = Math.min(n, s + CHUNK);
  for (const x of P) {
    if (isBrute(x.name) && x.name !== 'brute-simd') continue;
    x.p.prepare?.(s, e);
    gc();
    const r0 = rss();
    const t0 = performance.now();
    x.p.add(s, e);
    x.buildMs += performance.now() - t0;
    gc();
    x.rssGrowth += rss() - r0;
  }
  if (e % 50_000 === 0 || e === n || n < 50_000) log(`building ${e}/${n} (${P.filter((x) => !isBrute(x.name)).map((x) => `${x.name} ${(x.buildMs / 1000).toFixed(1)} s`).join(', ')})`);
}

const k = excludeSelf ? K + 1 : K;
const lat = new Float64Array(nq);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One pass of the query set on one peer: total ms; fills lat; returns hits when counting. */
function pass(x, ef, count) {
  let hits = 0;
  const start = performance.now();
  for (let i = 0; i < nq; i++) {
    const a = performance.now();
    let ids = x.p.search(x.qs[i], k, ef);
    lat[i] = performance.now() - a;
    if (!count) continue;
    if (excludeSelf) ids = ids.filter((id) => id !== i).slice(0, K);
    const truth = new Set(gt.subarray(i * gtK, i * gtK + K));
    for (const id of ids) if (truth.has(Number(id))) hits++;
  }
  return { ms: performance.now() - start, hits };
}

for (const ef of efs) {
  const active = P.filter((x) => !isBrute(x.name) || ef === efs[0]);
  const st = new Map();
  for (const x of active) {
    x.p.setEf(ef);
    for (let i = 0; i < Math.min(200, nq); i++) x.p.search(x.qs[i], k, ef); // warm-up
    const first = pass(x, ef, true);
    st.set(x, { hits: first.hits, passes: [first.ms], lats: Array.from(lat) });
  }
  // further passes, rotating the order of peers each round
  for (let round = 1; round < MAX_PASSES; round++) {
    const need = active.filter((x) => {
      const s = st.get(x);
      const total = s.passes.reduce((a, b) => a + b, 0);
      return s.passes.length < MIN_PASSES || (total < 2000 && !isBrute(x.name));
    });
    if (need.length === 0) break;
    for (let j = 0; j < need.length; j++) {
      const x = need[(j + round) % need.length];
      const r = pass(x, ef, false);
      const s = st.get(x);
      s.passes.push(r.ms);
      s.lats.push(...lat);
    }
  }
  for (const x of active) {
    const s = st.get(x);
    const sorted = s.lats.sort((a, b) => a - b);
    const row = {
      ef: isBrute(x.name) ? 0 : ef,
      recall: s.hits / (nq * K),
      qps: nq / (median(s.passes) / 1000),
      bestQps: nq / (Math.min(...s.passes) / 1000),
      passes: s.passes.length,
      p50ms: sorted[Math.floor(sorted.length * 0.5)],
      p99ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))],
    };
    x.rows.push(row);
    log(`${x.name} ef ${row.ef}: recall ${row.recall.toFixed(4)}, ${row.qps.toFixed(0)} QPS (median of ${row.passes}), p50 ${row.p50ms.toFixed(3)} ms, p99 ${row.p99ms.toFixed(3)} ms`);
  }
}

const loadAvgEnd = os.loadavg()[0];
for (const x of P) {
  process.stdout.write(
    JSON.stringify({
      dataset, peer: x.name, M, efConstruction: efC, n, dim, queries: nq,
      buildS: isBrute(x.name) ? 0 : x.buildMs / 1000,
      memoryMB: x.rssGrowth / 2 ** 20,
      loadAvg: loadAvg0, loadAvgEnd,
      ...x.p.info(), rows: x.rows,
    }) + '\n',
  );
}
