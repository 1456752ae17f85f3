// Benchmark of @edge/economy: ledger entries validated and folded per second (signatures
// included), state-vector sync of 100k entries between two replicas (bytes and time), and AMM
// quotes per second. Each figure is the median of several runs, set against a peer measured in
// the same run. Writes results/results.json and results/results.md.
//
//   pnpm --filter @edge/bench-economy bench          (ENTRIES=100000 RUNS=3 by default)

import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import * as Y from 'yjs';
import { PiKey, createVerifier, decodeCanonical, encodeCanonical } from '@edge/identity';
import { createPool, createSyncSession, openLedger, signEntryAsync, toKey, ZERO_HASH } from '@edge/economy';
import { solveAdmission } from '@edge/rac';

const ENTRIES = Number(process.env.ENTRIES ?? 100_000);
const VALIDATE = Number(process.env.VALIDATE ?? 20_000);
const RUNS = Number(process.env.RUNS ?? 3);
const policy = { net: 'bench', genesisPowBits: 8, genesisGrant: 1_000_000_000, genesisBudgetPerEpoch: 2 ** 47, maxClockSkewMs: 2 ** 40, lockPeriodMs: 1000 };
const T0 = 1_700_000_000_000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (...a) => console.log('[bench]', ...a);

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

/** A realistic workload: accounts in a ring holding escrow, paying the next, receiving the previous. */
async function makeEntries(total) {
  const rand = rng(42);
  const accounts = Math.max(10, Math.round(total / 100));
  const keys = Array.from({ length: accounts }, (_, i) => {
    const seed = new Uint8Array(32);
    new DataView(seed.buffer).setUint32(0, i + 1);
    return PiKey.fromSeed(seed);
  });
  const tip = keys.map(() => ({ h: -1, prev: ZERO_HASH }));
  const out = [];
  let ts = T0;
  const write = async (i, fields) => {
    const t = tip[i];
    const body = { ...fields, net: policy.net, h: t.h + 1, prev: t.prev, ts };
    const bytes = await signEntryAsync(keys[i], body);
    const hash = createHash('sha256').update(bytes).digest();
    t.h++;
    t.prev = new Uint8Array(hash);
    out.push(new Uint8Array(bytes));
    return new Uint8Array(hash);
  };
  const batch = async (fn) => Promise.all(keys.map((_, i) => fn(i)));
  await batch((i) => write(i, { k: 'genesis', amt: 1_000_000_000, pow: solveAdmission(keys[i].publicKey, policy.net, policy.genesisPowBits) }));
  let incoming = keys.map(() => undefined);
  while (out.length < total) {
    ts += 10;
    const tasks = keys.map(() => {
      const t = new Uint8Array(32);
      for (let j = 0; j < 32; j++) t[j] = (rand() * 256) | 0;
      return t;
    });
    await batch((i) => write(i, { k: 'hold', task: tasks[i], amt: 1000 }));
    ts += 10;
    const pays = await batch((i) => write(i, { k: 'pay', task: tasks[i], to: keys[(i + 1) % accounts].publicKey, amt: 1000, res: tasks[i], work: 1, wit: [] }));
    ts += 10;
    if (incoming[0] !== undefined) await batch((i) => write(i, { k: 'recv', pay: incoming[i], amt: 1000 }));
    incoming = keys.map((_, i) => pays[(i - 1 + accounts) % accounts]);
  }
  return out.slice(0, total);
}

function docUpdate(entries) {
  const doc = new Y.Doc();
  const map = doc.getMap('entries');
  doc.transact(() => {
    for (const e of entries) map.set(toKey(createHash('sha256').update(e).digest()), e);
  });
  return Y.encodeStateAsUpdate(doc);
}

async function main() {
  const results = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, runs: RUNS };
  log(`generating ${ENTRIES} signed entries...`);
  let t = performance.now();
  const entries = await makeEntries(ENTRIES);
  log(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const total = entries.reduce((s, e) => s + e.length, 0);

  // ---- 1. validate + fold ---------------------------------------------------------------------
  const subset = entries.slice(0, VALIDATE);
  const subsetUpdate = docUpdate(subset);
  const measureLedger = async (verifier) => {
    const L = await openLedger({ policy, now: () => T0 + 1e9, ...(verifier ? { verifier } : {}) });
    const t0 = performance.now();
    await L.receive(subsetUpdate);
    const s = L.state();
    const ms = performance.now() - t0;
    if (s.applied !== subset.length) throw new Error(`applied ${s.applied} of ${subset.length}: ${JSON.stringify(s.rejected)}`);
    const t1 = performance.now();
    // Refold of the already checked set (what a replica pays when a late entry reorders history).
    const again = (await import('@edge/economy')).fold({ policy: L.policy, entries: new Map([...L.entries()].map((e) => [e.key, e])), resolutions: new Map(), now: T0 + 1e9 });
    const foldMs = performance.now() - t1;
    if (again.applied !== subset.length) throw new Error('refold mismatch');
    await L.close();
    return { ms, foldMs };
  };
  const web = [];
  const noble = [];
  const foldOnly = [];
  for (let r = 0; r < RUNS; r++) {
    const a = await measureLedger();
    web.push(a.ms);
    foldOnly.push(a.foldMs);
    if (r === 0) noble.push((await measureLedger(createVerifier({ backend: 'noble' }))).ms);
  }
  // Peer: node:crypto verifying the same signatures one by one (the raw floor of the work).
  const items = subset.map((bytes) => {
    const env = decodeCanonical(bytes).value;
    const tag = new TextEncoder().encode('edge-net/envelope/v1\u0000');
    const body = encodeCanonical({ v: env.v, type: env.type, from: env.from, ts: env.ts, nonce: env.nonce, body: env.body });
    const msg = new Uint8Array(tag.length + body.length);
    msg.set(tag);
    msg.set(body, tag.length);
    const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(env.from)]), format: 'der', type: 'spki' });
    return { msg, sig: env.sig, key };
  });
  const raw = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (const it of items) if (!nodeVerify(null, it.msg, it.key, it.sig)) throw new Error('bad signature');
    raw.push(performance.now() - t0);
  }
  const rate = (n, ms) => Math.round((n * 1000) / ms);
  results.validateFold = {
    entries: subset.length,
    ledgerEntriesPerSec: rate(subset.length, median(web)),
    ledgerNobleEntriesPerSec: rate(subset.length, noble[0]),
    foldOnlyEntriesPerSec: rate(subset.length, median(foldOnly)),
    peerNodeCryptoVerifyPerSec: rate(subset.length, median(raw)),
  };
  results.validateFold.ratioToNodeCryptoVerify = +(results.validateFold.ledgerEntriesPerSec / results.validateFold.peerNodeCryptoVerifyPerSec).toFixed(3);
  log('validate+fold', results.validateFold);

  // ---- 2. sync of ENTRIES entries --------------------------------------------------------------
  const A = await openLedger({ policy, now: () => T0 + 1e9 });
  t = performance.now();
  await A.receive(docUpdate(entries));
  log(`replica A loaded ${A.stats().entries} entries in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const syncRuns = [];
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    const B = await openLedger({ policy, now: () => T0 + 1e9 });
    const toA = [];
    const toB = [];
    const sa = createSyncSession(A, (m) => toB.push(m), { live: false });
    const sb = createSyncSession(B, (m) => toA.push(m), { live: false });
    const t0 = performance.now();
    sb.start();
    while (toA.length + toB.length > 0) {
      while (toA.length) await sa.receive(toA.shift());
      while (toB.length) await sb.receive(toB.shift());
    }
    const st = B.state();
    syncRuns.push(performance.now() - t0);
    if (st.applied !== A.state().applied) throw new Error('sync incomplete');
    bytes = sa.bytesSent + sb.bytesSent;
    await B.close();
  }
  // Delta: replica D synced from A earlier; A then gains 10% more entries; D asks with its
  // state vector and receives only those.
  const D = await openLedger({ policy, now: () => T0 + 1e9 });
  await D.receive(A.encodeUpdate());
  const svD = D.encodeStateVector();
  const extra = await makeEntriesTail(entries);
  await A.receive(docUpdate(extra));
  const delta = A.encodeUpdate(svD);
  const t0 = performance.now();
  await D.receive(delta);
  D.state();
  const deltaMs = performance.now() - t0;
  results.sync = {
    entries: ENTRIES,
    entryBytes: total,
    fullSyncBytes: bytes,
    fullSyncMs: Math.round(median(syncRuns)),
    entriesPerSec: rate(ENTRIES, median(syncRuns)),
    overheadVsRawEntries: +(bytes / total).toFixed(3),
    deltaEntries: extra.length,
    deltaBytes: delta.length + svD.length,
    deltaMs: Math.round(deltaMs),
    peerNaiveResendBytes: total + extra.reduce((s, e) => s + e.length, 0),
  };
  results.sync.deltaRatioToNaiveResend = +(results.sync.deltaBytes / results.sync.peerNaiveResendBytes).toFixed(4);
  log('sync', results.sync);
  await A.close();
  await D.close();

  // ---- 3. AMM quotes --------------------------------------------------------------------------
  const pool = createPool({ ruv: 10n ** 12n, compute: 10n ** 9n });
  const N = 200_000;
  const amm = [];
  const floatPeer = [];
  let sink = 0n;
  let fsink = 0;
  for (let r = 0; r < RUNS; r++) {
    let t1 = performance.now();
    for (let i = 0; i < N; i++) sink += pool.quote('ruv-to-compute', BigInt(1_000_000 + (i & 1023))).amountOut;
    amm.push(performance.now() - t1);
    // Peer: the Uniswap v2 getAmountOut formula in doubles (no exact rounding, no fee curve).
    const x = 1e12;
    const y = 1e9;
    t1 = performance.now();
    for (let i = 0; i < N; i++) {
      const dx = (1_000_000 + (i & 1023)) * 0.997;
      fsink += Math.floor((y * dx) / (x + dx));
    }
    floatPeer.push(performance.now() - t1);
  }
  results.amm = { quotes: N, quotesPerSec: rate(N, median(amm)), peerFloatQuotesPerSec: rate(N, median(floatPeer)) };
  results.amm.ratioToFloat = +(results.amm.quotesPerSec / results.amm.peerFloatQuotesPerSec).toFixed(4);
  if (sink < 0n || fsink < 0) throw new Error('unreachable');
  log('amm', results.amm);

  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/results.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
  const v = results.validateFold;
  const s = results.sync;
  const a = results.amm;
  const fmt = (n) => n.toLocaleString('en-US');
  const md = `# @edge/economy benchmark

${results.date}, Node ${results.node}, ${results.cpu} (${results.cores} cores). Medians of ${RUNS} runs.

## Entries validated and folded

| path | entries/s | vs node:crypto verify |
|---|---:|---:|
| ledger: yjs apply + schema + Ed25519 (WebCrypto, batched) + fold | ${fmt(v.ledgerEntriesPerSec)} | ${v.ratioToNodeCryptoVerify}x |
| ledger with the noble (pure JS) verifier | ${fmt(v.ledgerNobleEntriesPerSec)} | ${(v.ledgerNobleEntriesPerSec / v.peerNodeCryptoVerifyPerSec).toFixed(3)}x |
| fold only (refold of a checked set) | ${fmt(v.foldOnlyEntriesPerSec)} | ${(v.foldOnlyEntriesPerSec / v.peerNodeCryptoVerifyPerSec).toFixed(1)}x |
| peer: node:crypto Ed25519 verify alone, one by one | ${fmt(v.peerNodeCryptoVerifyPerSec)} | 1x |

${fmt(v.entries)} entries (genesis, escrow holds, payments, receipts) of ${Math.round(ENTRIES / 100)} accounts.

## Sync between two replicas

| what | entries | bytes | time |
|---|---:|---:|---:|
| full sync to an empty replica (state vectors, yjs) | ${fmt(s.entries)} | ${fmt(s.fullSyncBytes)} (${s.overheadVsRawEntries}x the raw entries) | ${fmt(s.fullSyncMs)} ms (${fmt(s.entriesPerSec)} entries/s, checked and folded) |
| delta to a replica that lacks ${fmt(s.deltaEntries)} | ${fmt(s.deltaEntries)} | ${fmt(s.deltaBytes)} | ${fmt(s.deltaMs)} ms |
| peer: resending every entry instead | ${fmt(s.entries + s.deltaEntries)} | ${fmt(s.peerNaiveResendBytes)} | |

The delta is ${(s.deltaRatioToNaiveResend * 100).toFixed(2)}% of what resending everything costs.

## AMM quotes

| implementation | quotes/s | ratio |
|---|---:|---:|
| createPool().quote (exact BigInt, utilization fee) | ${fmt(a.quotesPerSec)} | ${a.ratioToFloat}x |
| peer: Uniswap v2 getAmountOut in doubles | ${fmt(a.peerFloatQuotesPerSec)} | 1x |
`;
  await writeFile(new URL('./results/results.md', import.meta.url), md);
  log('wrote results/results.json and results/results.md');
}

/** 10% more entries, continuing the first accounts' chains. */
async function makeEntriesTail(entries) {
  // Fresh accounts keep it simple: genesis + holds of new keys, signed now.
  const n = Math.floor(ENTRIES / 10);
  const out = [];
  const perAccount = 50;
  for (let a = 0; a * perAccount < n; a++) {
    const seed = new Uint8Array(32);
    new DataView(seed.buffer).setUint32(0, 0x10000000 + a);
    const key = PiKey.fromSeed(seed);
    let prev = ZERO_HASH;
    for (let h = 0; h < perAccount && out.length < n; h++) {
      const fields = h === 0 ? { k: 'genesis', amt: 1_000_000, pow: solveAdmission(key.publicKey, policy.net, policy.genesisPowBits) } : { k: 'hold', task: createHash('sha256').update(`${a}:${h}`).digest(), amt: 10 };
      const bytes = new Uint8Array(await signEntryAsync(key, { ...fields, net: policy.net, h, prev, ts: T0 + 1e8 + h }));
      prev = new Uint8Array(createHash('sha256').update(bytes).digest());
      out.push(bytes);
    }
  }
  void entries;
  return out;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
