// The task loop's cost, measured on real processes on 127.0.0.1 (issue 8): a bare libp2p peer,
// three edge-net workers and two submitters, each its own `node` process; this process is the
// driver and the client of the two round-trip measurements.
//
// 1. Round trip, interleaved rounds of sequential requests:
//    - bare libp2p: one length-prefixed frame each way on a new stream, frames as large as the
//      task's, no checks (bare-peer.mjs);
//    - an edge-net task, timed in the client node's process: a signed `edge.task.offer` for a
//      small vector_search (an index of 200 16-dim vectors, k = 10) inside a signed @edge/net
//      request on TASK_PROTOCOL to a worker, which checks both envelopes and the client's escrow
//      hold on its ledger replica, runs the search on its executor thread within its duty cycle,
//      and answers with a signed result and claim inside a signed response; the client checks
//      both signatures, the result against the offer and the claim against the result. (The
//      holds are written and replicated before the timing and refunded after: the exchange is
//      timed, escrow and payment are in the next figures.)
// 2. Tasks per second with one submitter and three workers (submitTask end to end: quote,
//    escrow, offers, execution, verification, witnessed payments, refund), in two regimes:
//    every task replicated (new workers) and adaptive (workers with a record of verified results).
// 3. Verification overhead: the share of executions spent on replicas and canaries, against the
//    primary worker's record of verified results and its ledger reputation, over a long run of
//    tasks from one submitter; with the model of docs/tasks.md. Chart: results/overhead.svg.
//
// Writes results/tasks.json, results/tasks.md, results/overhead.svg. Usage: pnpm bench:tasks [--quick]
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLibp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { PiKey, seal, toHex } from '@edge/identity';
import { MIN_SAMPLE, QUORUM, REPLICAS, TRUST_AFTER } from '@edge/node';
import { sha256 } from '@noble/hashes/sha2.js';

if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new Promise((a, b) => ((resolve = a), (reject = b)));
    return { promise, resolve, reject };
  };
}

const quick = process.argv.includes('--quick');
const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = quick ? 2 : 4;
const PER_ROUND = quick ? 100 : 250;
const LOAD_MS = quick ? 5_000 : 15_000;
const OVERHEAD_TASKS = quick ? 150 : 500;
const CANARY_RATE = 0.02; // EdgeNetConfig's default canaryRate

const POLICY = {
  net: 'bench-net',
  genesisGrant: 1_000_000_000,
  genesisPowBits: 4,
  genesisBudgetPerEpoch: 1_000_000_000_000,
  minWitnesses: 2,
  minWitnessStake: 10_000_000,
  maxWorkPerUnit: 1,
  bonusCapBase: 1_000_000_000_000,
};
const DIM = 16;
let s = 12345;
const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const IDS = Array.from({ length: 200 }, (_, i) => `v${i}`);
const VECTORS = IDS.map(() => Array.from({ length: DIM }, rnd));
const QUERY = Array.from({ length: DIM }, rnd);
const TASK = { type: 'vector_search', payload: { index: 'bench', vector: QUERY, k: 10 }, maxCost: 1_000_000_000 };

const quantile = (xs, q) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(q * v.length))];
};
const median = (xs) => quantile(xs, 0.5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- child processes -------------------------------------------------------------------------

const children = new Set();
function spawn(file, config) {
  const proc = fork(join(here, 'fixtures', file), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  const pending = new Map();
  let next = 1;
  let info;
  const ready = new Promise((resolve, reject) => {
    proc.on('message', (m) => {
      if (m.ready) return resolve((info = m));
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    });
    proc.on('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  const call = (cmd, args = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, (m) => (m.ok ? resolve(m.result) : reject(new Error(`${cmd}: ${m.code} ${m.message}`))));
      proc.send({ id, cmd, args });
    });
  return ready.then(() => ({ info, call, proc }));
}
const killAll = () => {
  for (const p of children) p.kill('SIGKILL');
};
process.on('exit', killAll);

async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const seedHex = (i) => toHex(sha256(new TextEncoder().encode(`bench-net-tasks-${i}`)));

// ---- setup: three workers, two submitters ---------------------------------------------------

console.log('starting processes…');
const w0 = await spawn('task-node.mjs', { site: 'w0', policy: POLICY, stake: 20_000_000, seed: seedHex(0) });
const boot = [w0.info.addrs[0]];
const [w1, w2, sub, subAll] = await Promise.all([
  spawn('task-node.mjs', { site: 'w1', policy: POLICY, stake: 20_000_000, seed: seedHex(1), bootstrap: boot }),
  spawn('task-node.mjs', { site: 'w2', policy: POLICY, stake: 20_000_000, seed: seedHex(2), bootstrap: boot }),
  // The adaptive submitter (docs/tasks.md policy) and one that replicates every task.
  spawn('task-node.mjs', { site: 'sub', policy: POLICY, seed: seedHex(3), bootstrap: boot, pause: true }),
  spawn('task-node.mjs', { site: 'sub-all', policy: POLICY, seed: seedHex(4), bootstrap: boot, replicateAll: true, pause: true }),
]);
const workers = [w0, w1, w2];
await until('three capable workers', async () => (await sub.call('peers', { type: 'vector_search' })).length === 3 && (await subAll.call('peers', { type: 'vector_search' })).length === 3);
// Each submitter owns an index of the same vectors (an index has one writer).
for (const [s, name] of [[sub, 'bench'], [subAll, 'bench2']]) {
  await s.call('createIndex', { name, options: { dim: DIM, metric: 'cosine', seed: 7 } });
  await s.call('insertVectors', { name, ids: IDS, vectors: VECTORS });
}
await until('index replicas', async () => (await sub.call('indexHolders', { name: 'bench' })) === 3 && (await subAll.call('indexHolders', { name: 'bench2' })) === 3);
const version = await sub.call('indexVersion', { name: 'bench' });
const TASK2 = { ...TASK, payload: { ...TASK.payload, index: 'bench2' } };

// ---- 1. round trips -------------------------------------------------------------------------

// The task client is an edge-net node too (its escrow must be on the worker's ledger: no work
// without pay); its holds are written and replicated before the timing, and refunded after.
const client = await spawn('task-node.mjs', { site: 'client', policy: POLICY, seed: seedHex(5), bootstrap: boot, pause: true });
const PRICE = 1;
const rttFailures = {};
async function edgeRound(n) {
  const tasks = await client.call('prepareEscrow', { count: n + 5, price: PRICE });
  await until('the worker to see the escrow', async () => (await w0.call('escrowed', { from: client.info.id, tasks })) === tasks.length);
  const r = await client.call('taskRoundTrips', { to: w0.info.id, toPeer: w0.info.peerId, tasks, payload: { index: 'bench', vector: QUERY, k: 10, version }, price: PRICE });
  await client.call('refundEscrow', { tasks, price: PRICE });
  for (const [k, v] of Object.entries(r.failures)) rttFailures[k] = (rttFailures[k] ?? 0) + v;
  return { ms: r.ms.slice(5), sizes: r.sizes };
}

async function bareRound(peer, n, requestBytes) {
  const node = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] });
  await node.start();
  const conn = await node.dial(multiaddr(peer.info.addrs[0]));
  const req = new Uint8Array(requestBytes).fill(3);
  const once = async () => {
    const t0 = performance.now();
    const stream = await conn.newStream('/bench/bare/1.0.0');
    const lp = lpStream(stream);
    await lp.write(req);
    await lp.read();
    void stream.close().catch(() => {});
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) await once();
  const out = [];
  for (let i = 0; i < n; i++) out.push(await once());
  await node.stop();
  return out;
}

console.log('round trips…');
// One exchange first to size the bare frames like the task's: offer and result, each inside a
// signed net envelope (sized by encoding the same bodies).
const first = await edgeRound(1);
const sizer = PiKey.generate();
const requestBytes = seal(sizer, 'edge.task.request', { env: new Uint8Array(first.sizes.offer) }).length;
const replyBytes = seal(sizer, 'edge.task.response', { env: new Uint8Array(first.sizes.result) }).length;
const sizes = { offer: first.sizes.offer, result: first.sizes.result };
const bare = await spawn('bare-peer.mjs', { replyBytes });
const edgeRtt = [];
const bareRtt = [];
for (let r = 0; r < ROUNDS; r++) {
  // Interleaved, so drift on a shared machine hits both sides alike.
  bareRtt.push(...(await bareRound(bare, PER_ROUND, requestBytes)));
  edgeRtt.push(...(await edgeRound(PER_ROUND)).ms);
}

// ---- 2. tasks per second ------------------------------------------------------------------

const CONCURRENCY = 8;
await subAll.call('submitMany', { ...TASK2, count: 5 });

// ---- 3. verification overhead against the workers' record ----------------------------------

console.log('verification overhead…');
const verified = new Map(workers.map((w) => [w.info.id, 0]));
const series = [];
for (let done = 0; done < OVERHEAD_TASKS; ) {
  const batch = await sub.call('submitMany', { ...TASK, count: Math.min(25, OVERHEAD_TASKS - done) });
  for (const t of batch) {
    series.push({ ...t, verifiedBefore: verified.get(t.primary) ?? 0 });
    for (const id of t.executedBy) verified.set(id, (verified.get(id) ?? 0) + 1);
    if (t.canary === 'passed') verified.set(t.primary, (verified.get(t.primary) ?? 0) + 1);
  }
  done += batch.length;
}

// Throughput of both regimes, in alternating slices (the ledger every node replicates grows
// with every task, and the machine is shared: neither regime gets the quieter minutes).
console.log('throughput…');
const sum = (a, b) => ({ done: a.done + b.done, executions: a.executions + b.executions, seconds: a.seconds + b.seconds, latencies: a.latencies.concat(b.latencies) });
let replicatedLoad = { done: 0, executions: 0, seconds: 0, latencies: [] };
let adaptiveLoad = { done: 0, executions: 0, seconds: 0, latencies: [] };
const SLICES = 3;
for (let i = 0; i < SLICES; i++) {
  replicatedLoad = sum(replicatedLoad, await subAll.call('load', { ...TASK2, ms: LOAD_MS / SLICES, concurrency: CONCURRENCY }));
  adaptiveLoad = sum(adaptiveLoad, await sub.call('load', { ...TASK, ms: LOAD_MS / SLICES, concurrency: CONCURRENCY }));
}

// Overhead of a set of tasks: executions beyond one per task, over all executions.
const overheadOf = (ts) => {
  const execs = ts.reduce((a, t) => a + t.executions, 0);
  return execs === 0 ? 0 : (execs - ts.length) / execs;
};
// Model (docs/tasks.md): c < TRUST_AFTER or reputation < 0.5: REPLICAS executions; otherwise
// replicated to QUORUM with probability p = max(MIN_SAMPLE, TRUST_AFTER / c), else one
// execution plus a canary with probability canaryRate.
const model = (c) => {
  if (c < TRUST_AFTER) return (REPLICAS - 1) / REPLICAS;
  const p = Math.max(MIN_SAMPLE, TRUST_AFTER / c);
  const e = p * QUORUM + (1 - p) * (1 + CANARY_RATE);
  return (e - 1) / e;
};
const BUCKET = 25;
const buckets = [];
for (let i = 0; i < series.length; i += BUCKET) {
  const b = series.slice(i, i + BUCKET);
  buckets.push({
    tasks: b.length,
    verifiedFrom: Math.min(...b.map((t) => t.verifiedBefore)),
    verifiedTo: Math.max(...b.map((t) => t.verifiedBefore)),
    latencyP50: median(b.map((t) => t.ms)),
    verifiedMean: b.reduce((a, t) => a + t.verifiedBefore, 0) / b.length,
    reputation: b.reduce((a, t) => a + t.reputation, 0) / b.length,
    p: b.reduce((a, t) => a + t.p, 0) / b.length,
    overhead: overheadOf(b),
    model: b.reduce((a, t) => a + model(t.verifiedBefore), 0) / b.length,
    replicated: b.filter((t) => t.verification === 'replicated').length,
    canaries: b.filter((t) => t.canary !== null).length,
  });
}
// The chart groups tasks by the primary's record (the primary is not always the same worker).
const EDGES = [0, 10, 25, 50, 75, 100, 150, 200, 250, 300, 400, 600, Infinity];
const bins = [];
for (let i = 0; i + 1 < EDGES.length; i++) {
  const b = series.filter((t) => t.verifiedBefore >= EDGES[i] && t.verifiedBefore < EDGES[i + 1]);
  if (b.length < 5) continue;
  bins.push({ from: EDGES[i], to: EDGES[i + 1], tasks: b.length, verifiedMean: b.reduce((a, t) => a + t.verifiedBefore, 0) / b.length, reputation: b.reduce((a, t) => a + t.reputation, 0) / b.length, overhead: overheadOf(b) });
}
const fresh = series.filter((t) => t.verifiedBefore < TRUST_AFTER);
const trusted = series.filter((t) => t.verifiedBefore >= 200);
const tail = series.slice(-100);

// ---- results ---------------------------------------------------------------------------------

const results = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  roundTrip: {
    samples: edgeRtt.length,
    failedExchanges: rttFailures,
    frames: { offerBytes: sizes.offer, resultBytes: sizes.result, requestFrameBytes: requestBytes, responseFrameBytes: replyBytes },
    edgeTask: { p50: median(edgeRtt), p99: quantile(edgeRtt, 0.99) },
    bareLibp2p: { p50: median(bareRtt), p99: quantile(bareRtt, 0.99) },
    ratioP50: median(edgeRtt) / median(bareRtt),
    ratioP99: quantile(edgeRtt, 0.99) / quantile(bareRtt, 0.99),
  },
  throughput: {
    concurrency: CONCURRENCY,
    replicated: { tasksPerSec: replicatedLoad.done / replicatedLoad.seconds, executionsPerSec: replicatedLoad.executions / replicatedLoad.seconds, p50: median(replicatedLoad.latencies), p99: quantile(replicatedLoad.latencies, 0.99), tasks: replicatedLoad.done },
    adaptive: { tasksPerSec: adaptiveLoad.done / adaptiveLoad.seconds, executionsPerSec: adaptiveLoad.executions / adaptiveLoad.seconds, p50: median(adaptiveLoad.latencies), p99: quantile(adaptiveLoad.latencies, 0.99), tasks: adaptiveLoad.done },
  },
  overhead: {
    tasks: series.length,
    newWorkers: { tasks: fresh.length, overhead: overheadOf(fresh) },
    trusted200: { tasks: trusted.length, overhead: overheadOf(trusted) },
    last100: { tasks: tail.length, overhead: overheadOf(tail), verifiedFrom: tail[0]?.verifiedBefore, reputation: tail.length ? tail.reduce((a, t) => a + t.reputation, 0) / tail.length : 0 },
    buckets,
    byRecord: bins,
  },
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/tasks.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(here, 'results/overhead.svg'), chart(bins));

const f = (x, d = 2) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const md = `# edge-net task loop benchmark

Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model}), every node its own process on 127.0.0.1 (three workers, cpuLimit 0.5; two submitters and a task client; a bare libp2p peer); the machine is shared with other jobs (load average ${loadavg().map((x) => x.toFixed(1)).join(', ')} at the end).
Task: \`vector_search\` of a 16-dim query, k = 10, on a 200-vector index replicated to the workers.

## Round trip, ${edgeRtt.length} sequential requests per side, ${ROUNDS} interleaved rounds

| | p50 (ms) | p99 (ms) |
|---|---:|---:|
| edge-net task: signed offer in a signed request → checks and escrow lookup, search on the executor thread → signed result + claim in a signed response → all checked | ${f(results.roundTrip.edgeTask.p50)} | ${f(results.roundTrip.edgeTask.p99)} |
| bare libp2p: one ${requestBytes}-byte frame out, one ${replyBytes}-byte frame back, new stream, no checks | ${f(results.roundTrip.bareLibp2p.p50)} | ${f(results.roundTrip.bareLibp2p.p99)} |
| ratio | ${f(results.roundTrip.ratioP50)}x | ${f(results.roundTrip.ratioP99)}x |

## Tasks per second, one submitter, three workers, ${CONCURRENCY} submissions in flight, ${LOAD_MS / 1000} s each

\`submitTask\` end to end: AMM quote, escrow hold, offers, execution, verification, witnessed payments, refund of the rest. The two regimes run in ${SLICES} alternating slices after the overhead run below.

| regime | tasks/s | executions/s | p50 (ms) | p99 (ms) |
|---|---:|---:|---:|---:|
| every task replicated ${REPLICAS}× (new workers) | ${f(results.throughput.replicated.tasksPerSec, 1)} | ${f(results.throughput.replicated.executionsPerSec, 1)} | ${f(results.throughput.replicated.p50, 1)} | ${f(results.throughput.replicated.p99, 1)} |
| adaptive, after ${series.length} tasks (trusted workers) | ${f(results.throughput.adaptive.tasksPerSec, 1)} | ${f(results.throughput.adaptive.executionsPerSec, 1)} | ${f(results.throughput.adaptive.p50, 1)} | ${f(results.throughput.adaptive.p99, 1)} |

## Verification overhead (share of executions spent on replicas and canaries)

${series.length} tasks from one submitter in sequence; each task's primary worker is the submitter's top-ranked one; its record is its verified results with this submitter before the task. Model: docs/tasks.md (TRUST_AFTER ${TRUST_AFTER}, MIN_SAMPLE ${MIN_SAMPLE}, QUORUM ${QUORUM}, canaryRate ${CANARY_RATE}). Chart: [overhead.svg](overhead.svg).

| workers | tasks | overhead |
|---|---:|---:|
| new (record < ${TRUST_AFTER}) | ${fresh.length} | ${pct(results.overhead.newWorkers.overhead)} |
| trusted (record ≥ 200) | ${trusted.length} | ${pct(results.overhead.trusted200.overhead)} |
| last 100 tasks (record ≥ ${tail[0]?.verifiedBefore ?? '–'}, reputation ${f(results.overhead.last100.reputation)}) | ${tail.length} | ${pct(results.overhead.last100.overhead)} |

| primary's record | tasks | overhead | model (at the mean record) |
|---|---:|---:|---:|
${bins.map((b) => `| ${b.from}–${b.to === Infinity ? '' : b.to - 1} | ${b.tasks} | ${pct(b.overhead)} | ${pct(model(b.verifiedMean))} |`).join('\n')}

In order, ${BUCKET} tasks a row:

| tasks | primary's record | reputation | replication p | replicated | canaries | overhead | model | task p50 (ms) |
|---|---|---:|---:|---:|---:|---:|---:|---:|
${buckets.map((b) => `| ${b.tasks} | ${b.verifiedFrom}–${b.verifiedTo} | ${f(b.reputation)} | ${f(b.p)} | ${b.replicated} | ${b.canaries} | ${pct(b.overhead)} | ${pct(b.model)} | ${f(b.latencyP50, 1)} |`).join('\n')}
`;
writeFileSync(join(here, 'results/tasks.md'), md);
console.log(md);
killAll();
process.exit(0);

/** Overhead against the primary's record (measured per bucket, and the model), and against reputation. */
function chart(bs) {
  const W = 860;
  const H = 340;
  const pad = { l: 56, r: 16, t: 40, b: 46 };
  const panel = (x0, width, xs, xLabel, xMax, points, curve) => {
    const px = (x) => x0 + pad.l + (x / xMax) * (width - pad.l - pad.r);
    const py = (y) => pad.t + (1 - y / 0.7) * (H - pad.t - pad.b);
    let g = `<g font-family="sans-serif" font-size="11" fill="#333">`;
    for (const y of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]) {
      g += `<line x1="${px(0)}" x2="${px(xMax)}" y1="${py(y)}" y2="${py(y)}" stroke="${y === 0.1 ? '#c33' : '#ddd'}" stroke-dasharray="${y === 0.1 ? '4 3' : ''}"/>`;
      g += `<text x="${px(0) - 6}" y="${py(y) + 4}" text-anchor="end">${Math.round(y * 100)} %</text>`;
    }
    for (const x of xs) g += `<text x="${px(x)}" y="${H - pad.b + 16}" text-anchor="middle">${x}</text>`;
    g += `<text x="${(px(0) + px(xMax)) / 2}" y="${H - 10}" text-anchor="middle">${xLabel}</text>`;
    if (curve) g += `<polyline fill="none" stroke="#888" stroke-width="1.5" points="${curve.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`;
    for (const [x, y] of points) g += `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="#1f6feb"/>`;
    return g + '</g>';
  };
  const maxRec = Math.max(50, ...bs.map((b) => b.verifiedMean)) * 1.05;
  const curve = [];
  for (let c = 0; c <= maxRec; c += Math.max(1, maxRec / 200)) curve.push([c, model(c)]);
  const recTicks = [0, 100, 200, 300, 400, 500, 600].filter((x) => x <= maxRec);
  // Reputation gets its own panel only where it moved during the run.
  const reps = bs.map((b) => b.reputation);
  const twoPanels = Math.max(...reps) - Math.min(...reps) > 0.05;
  const left = panel(0, twoPanels ? W / 2 : W, recTicks, `primary worker's verified results${twoPanels ? '' : ` (ledger reputation ${Math.min(...reps).toFixed(2)}–${Math.max(...reps).toFixed(2)} throughout)`}`, maxRec, bs.map((b) => [b.verifiedMean, b.overhead]), curve);
  const right = twoPanels ? panel(W / 2, W / 2, [0, 0.25, 0.5, 0.75, 1], 'primary worker\u2019s ledger reputation', 1, bs.map((b) => [b.reputation, b.overhead])) : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="15" font-family="sans-serif" font-size="13" text-anchor="middle">Verification overhead: share of executions spent on replicas and canaries (${bs.reduce((a, b) => a + b.tasks, 0)} tasks, grouped by the primary worker's record)</text>
<text x="${W / 2}" y="29" font-family="sans-serif" font-size="11" fill="#555" text-anchor="middle">blue: measured; grey: model of docs/tasks.md; red dashes: the 10 % goal</text>
${left}
${right}
</svg>
`;
}
