// @edge/hnsw benchmark: recall@10, QPS, p50/p99 latency, build time and memory per efSearch,
// against hnswlib-node and usearch (same M / efConstruction, one thread, one query at a time)
// and two exact linear scans. The peers of a dataset run interleaved in one process (worker.mjs).
//
//   pnpm --filter @edge/bench-hnsw bench            fiori + wink 100k (downloads wink once)
//   pnpm --filter @edge/bench-hnsw bench -- --quick fiori only
//   ... --1m                                         also the 1,000,000-vector synthetic set
//   ... --no-wink                                    skip wink
//   ... --peers edge,hnswlib                         a subset of peers
//   ... --merge                                      keep the other peers' results already in results/
//   ... --separate edge-js                           run these peers in a process of their own
//
// Writes results/results.json, results/results.md and results/<dataset>.svg.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { prepareFiori, prepareSynthetic, prepareWink } from './data.mjs';
import { chartSvg } from './chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, '..', 'results');
const resultsFile = join(resultsDir, 'results.json');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const opt = (f, d) => (args.includes(f) ? args[args.indexOf(f) + 1] : d);
const log = (m) => console.log(`[bench] ${m}`);
const EFS = [10, 16, 32, 64, 128, 256];
const ALL_PEERS = ['edge', 'edge-int8', 'hnswlib', 'usearch', 'brute', 'brute-simd'];
const peers = opt('--peers', ALL_PEERS.join(',')).split(',');
// peers measured in a process of their own (edge-js: mixing kernels in one process makes V8's
// call sites polymorphic and slows the others)
const separate = opt('--separate', '').split(',').filter(Boolean);

/** hnswlib-node ships C++ only; its install script is not run by pnpm here, so build it once. */
function ensureHnswlib() {
  const dir = dirname(require.resolve('hnswlib-node/package.json'));
  if (existsSync(join(dir, 'build', 'Release', 'addon.node'))) return;
  const nodeDir = join(dirname(process.execPath), '..');
  const gyp = [
    join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(nodeDir, 'lib', 'node_modules', 'pnpm', 'dist', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].find(existsSync);
  if (!gyp) throw new Error('node-gyp not found: build hnswlib-node by hand (npx node-gyp rebuild in its folder)');
  const headers = existsSync(join(nodeDir, 'include', 'node', 'node.h')) ? [`--nodedir=${nodeDir}`] : [];
  log(`building hnswlib-node with node-gyp (once)`);
  execFileSync(process.execPath, [gyp, 'rebuild', ...headers], { cwd: dir, stdio: 'inherit' });
}

function runPeers(dataset, list, M, efC, efs) {
  log(`${dataset}: ${list.join(', ')} interleaved (M ${M}, efConstruction ${efC})`);
  const res = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=16384', join(here, 'worker.mjs'), dataset, list.join(','), String(M), String(efC), efs.join(',')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (res.status !== 0) throw new Error(`${dataset} failed (exit ${res.status})`);
  return res.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** Highest QPS among rows with recall >= target (null if none reaches it). */
function qpsAt(result, target = 0.95) {
  const ok = result.rows.filter((r) => r.recall >= target);
  if (ok.length === 0) return null;
  return ok.reduce((a, b) => (b.qps > a.qps ? b : a));
}

function table(results) {
  let md = '| peer | efSearch | recall@10 | QPS | p50 ms | p99 ms | build s | memory MB |\n|---|---:|---:|---:|---:|---:|---:|---:|\n';
  for (const r of results) {
    for (const row of r.rows) {
      md += `| ${r.peer} | ${r.peer.startsWith('brute') ? '–' : row.ef} | ${row.recall.toFixed(4)} | ${row.qps.toFixed(0)} | ${row.p50ms.toFixed(3)} | ${row.p99ms.toFixed(3)} | ${r.buildS.toFixed(1)} | ${r.memoryMB.toFixed(0)} |\n`;
    }
  }
  return md;
}

function ratios(results) {
  const by = Object.fromEntries(results.map((r) => [r.peer, r]));
  const out = {};
  const ref = by.hnswlib && qpsAt(by.hnswlib);
  for (const r of results) {
    if (r.peer.startsWith('brute')) continue;
    const at = qpsAt(r);
    out[r.peer] = {
      qpsAtRecall95: at ? at.qps : null,
      efAtRecall95: at ? at.ef : null,
      qpsVsHnswlib: at && ref ? at.qps / ref.qps : null,
      buildVsHnswlib: by.hnswlib ? r.buildS / by.hnswlib.buildS : null,
      qpsVsBrute: at && by.brute ? at.qps / by.brute.rows[0].qps : null,
      qpsVsBruteSimd: at && by['brute-simd'] ? at.qps / by['brute-simd'].rows[0].qps : null,
    };
  }
  return out;
}

function section(out) {
  const { meta, results, ratios: rat, params } = out;
  let md = `\n## ${out.dataset}\n\n${meta.source}: ${meta.n.toLocaleString('en')} vectors, ${meta.dim}-d, ${meta.nq} queries (${meta.queries}); M ${params.M}, efConstruction ${params.efC}; ${out.env.date.slice(0, 10)}, load average ${results.map((r) => r.loadAvg?.toFixed(1)).join(' / ')} at the start of each peer.\n\n`;
  md += `![recall vs QPS](${out.dataset}.svg)\n\n` + table(results) + '\n';
  md += '| peer | best QPS at recall@10 ≥ 0.95 (efSearch) | × hnswlib-node QPS | × hnswlib-node build time | × JS linear scan QPS | × SIMD linear scan QPS |\n|---|---:|---:|---:|---:|---:|\n';
  const f = (v, d = 2) => (v == null ? '–' : v.toFixed(d));
  for (const [peer, r] of Object.entries(rat)) {
    md += `| ${peer} | ${r.qpsAtRecall95 == null ? 'not reached' : `${r.qpsAtRecall95.toFixed(0)} (${r.efAtRecall95})`} | ${f(r.qpsVsHnswlib)} | ${f(r.buildVsHnswlib)} | ${f(r.qpsVsBrute, 0)} | ${f(r.qpsVsBruteSimd, 0)} |\n`;
  }
  return md;
}

/** results/results.md from results/results.json (every dataset measured so far). */
function writeMarkdown(all) {
  const order = (n) => (n.startsWith('fiori') ? 0 : n.startsWith('wink') ? 1 : 2);
  const names = Object.keys(all.datasets).sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  let md = '# @edge/hnsw benchmark results\n\nWritten by `pnpm --filter @edge/bench-hnsw bench` (see ../README.md). Every peer runs single-threaded, one query at a time; peers of a dataset run interleaved (builds in alternating chunks, query passes in rotating order) so that load drift on the shared machine hits them alike; QPS is the median of several passes.\n';
  for (const name of names) {
    const out = all.datasets[name];
    md += section(out);
    md += `\n${out.env.cpu}, ${out.env.cores} cores, Node ${out.env.node}.\n`;
  }
  writeFileSync(join(resultsDir, 'results.md'), md);
}

async function main() {
  mkdirSync(resultsDir, { recursive: true });
  if (peers.includes('hnswlib')) ensureHnswlib();
  const plan = [];
  if (!flag('--no-fiori')) {
    prepareFiori(log);
    plan.push({ dataset: 'fiori', M: 32, efC: 200 });
  }
  if (!flag('--quick') && !flag('--no-wink')) plan.push({ dataset: prepareWink(log), M: 32, efC: 200 });
  if (flag('--1m')) {
    const n = Number(opt('--n', 1_000_000));
    plan.push({ dataset: prepareSynthetic(log, n, 64, 200, 2000), M: 32, efC: 200, onePeers: opt('--peers-1m', 'edge,edge-int8,brute,brute-simd').split(',') });
  }
  const env = { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, date: new Date().toISOString() };
  for (const step of plan) {
    const results = [];
    const all = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : { datasets: {} };
    if (flag('--merge') && all.datasets[step.dataset]) results.push(...all.datasets[step.dataset].results);
    const group = (flag('--peers') ? peers : step.onePeers ?? peers).filter((p) => !separate.includes(p));
    const runs = group.length > 0 ? runPeers(step.dataset, group, step.M, step.efC, EFS) : [];
    for (const p of separate) runs.push(...runPeers(step.dataset, [p], step.M, step.efC, EFS));
    for (const r of runs) {
      const at = results.findIndex((x) => x.peer === r.peer);
      if (at >= 0) results[at] = r;
      else results.push(r);
    }
    const rat = ratios(results);
    const out = { dataset: step.dataset, meta: JSON.parse(readFileSync(join(here, '..', '.bench-cache', `${step.dataset}.json`), 'utf8')), params: { M: step.M, efC: step.efC }, env, ratios: rat, results };
    all.datasets[step.dataset] = out;
    writeFileSync(resultsFile, JSON.stringify(all, null, 2));
    writeFileSync(join(resultsDir, `${step.dataset}.svg`), chartSvg(`${step.dataset}: recall@10 vs QPS (M ${step.M}, efC ${step.efC})`, results));
    writeMarkdown(all);
    log(`${step.dataset}: ${JSON.stringify(rat)}`);
  }
  log(`wrote ${resultsFile} and results.md`);
}

await main();
