// @edge/net against bare libp2p, measured in one run on 127.0.0.1 (both peers in this process).
// 1. Request round trip: @edge/net `request()` (sign, frame, verify, signer check, schema,
//    replay guard, both directions) vs the same exchange on bare libp2p (one length-prefixed
//    frame each way on a new stream, no checks). p50/p99 and the ratio of medians.
// 2. Message checks: encodeMessage + decodeMessage per second vs @edge/identity seal + open
//    alone (what the schema, signer and replay checks add).
// Writes results/results.json and results/results.md. Usage: pnpm bench [--quick]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { createLibp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { lpStream } from '@libp2p/utils';
import { PiKey, createReplayGuard, open, seal } from '@edge/identity';
import { createNetwork, decodeMessage, defineProtocol, encodeMessage } from '@edge/net';

// Bare libp2p 3 needs Promise.withResolvers, which Node 20 lacks (@edge/net's Node entry supplies
// it when a network is created; the bare side runs first, so supply it here).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new Promise((a, b) => ((resolve = a), (reject = b)));
    return { promise, resolve, reject };
  };
}

const quick = process.argv.includes('--quick');
const N = quick ? 300 : 2000;
const ROUNDS = quick ? 3 : 5;
const here = dirname(fileURLToPath(import.meta.url));

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const median = (xs) => quantile(xs, 0.5);

const body = { task: 'vector_search', k: 10, query: Array.from({ length: 16 }, (_, i) => i / 16), nonce: 'abcdef' };
const schema = v.strictObject({
  task: v.picklist(['vector_search', 'embedding']),
  k: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)),
  query: v.pipe(v.array(v.number()), v.maxLength(1024)),
  nonce: v.string(),
});
const ECHO = defineProtocol({
  id: '/edge-net/bench/echo/1.0.0',
  requests: { 'bench.req': schema },
  responses: { 'bench.res': schema },
  maxBytes: 64 * 1024,
  rate: { capacity: 1e9, refillPerSec: 1e9 },
});

async function edgeRoundTrips() {
  const [ka, kb] = [PiKey.generate(), PiKey.generate()];
  const opts = { listen: ['/ip4/127.0.0.1/tcp/0'], pingIntervalMs: 0, adverts: false, log: () => {} };
  const a = await createNetwork({ key: ka, ...opts });
  const b = await createNetwork({ key: kb, ...opts });
  await b.handle(ECHO, (m) => ({ type: 'bench.res', body: m.body }));
  await a.start();
  await b.start();
  await a.dial(b.getMultiaddrs()[0]);
  for (let i = 0; i < 50; i++) await a.request(b.peerId, ECHO, 'bench.req', body);
  const t = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await a.request(b.peerId, ECHO, 'bench.req', body);
    t.push(performance.now() - t0);
  }
  await a.stop();
  await b.stop();
  return t;
}

async function bareRoundTrips() {
  const mk = () => createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] });
  const a = await mk();
  const b = await mk();
  const proto = '/bench/bare-echo/1.0.0';
  await b.handle(proto, async (stream) => {
    const lp = lpStream(stream);
    const req = await lp.read();
    await lp.write(req.subarray());
    await stream.close();
  });
  await a.dial(b.getMultiaddrs()[0]);
  const payload = new TextEncoder().encode(JSON.stringify(body));
  const once = async () => {
    const stream = await a.dialProtocol(b.peerId, proto);
    const lp = lpStream(stream);
    await lp.write(payload);
    JSON.parse(new TextDecoder().decode((await lp.read()).subarray()));
    void stream.close().catch(() => {});
  };
  for (let i = 0; i < 50; i++) await once();
  const t = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await once();
    t.push(performance.now() - t0);
  }
  await a.stop();
  await b.stop();
  return t;
}

async function rate(fn, ms = quick ? 300 : 1000) {
  for (let i = 0; i < 50; i++) await fn();
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      await fn();
      n++;
      t = performance.now();
    }
    rates.push((n * 1000) / (t - t0));
  }
  return median(rates);
}

async function messageThroughput() {
  const key = PiKey.generate();
  const messages = { 'bench.req': schema };
  const guard1 = createReplayGuard({ maxEntries: 1_000_000 });
  const replay = { guard: createReplayGuard({ maxEntries: 1_000_000 }), maxAgeMs: 120_000, maxFutureMs: 30_000 };
  const net = await rate(async () => {
    const bytes = await encodeMessage(key, messages, 'bench.req', body, 65536);
    await decodeMessage(bytes, messages, { maxBytes: 65536, replay, expectFrom: key.publicKey });
  });
  const bare = await rate(async () => {
    const bytes = seal(key, 'bench.req', body);
    await open(bytes, { guard: guard1, expectFrom: key.publicKey });
  });
  return { net, bare };
}

const edge = [];
const bare = [];
for (let r = 0; r < (quick ? 1 : 2); r++) {
  // Interleave so drift on a shared VM hits both sides alike.
  bare.push(...(await bareRoundTrips()));
  edge.push(...(await edgeRoundTrips()));
}
const msg = await messageThroughput();

const results = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  samples: edge.length,
  roundTrip: {
    edgeNet: { p50: median(edge), p99: quantile(edge, 0.99) },
    bareLibp2p: { p50: median(bare), p99: quantile(bare, 0.99) },
    ratioP50: median(edge) / median(bare),
    ratioP99: quantile(edge, 0.99) / quantile(bare, 0.99),
  },
  messages: { edgeNetPerSec: msg.net, identityOnlyPerSec: msg.bare, ratio: msg.net / msg.bare },
};
const f = (x, d = 2) => x.toFixed(d);
const md = `# @edge/net benchmark

Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model}), both peers in one process on 127.0.0.1, ${edge.length} sequential requests per side, interleaved runs.

| request round trip | p50 (ms) | p99 (ms) |
|---|---:|---:|
| @edge/net \`request()\` (signed, verified, schema, replay, both ways) | ${f(results.roundTrip.edgeNet.p50)} | ${f(results.roundTrip.edgeNet.p99)} |
| bare libp2p (one lp frame each way, no checks) | ${f(results.roundTrip.bareLibp2p.p50)} | ${f(results.roundTrip.bareLibp2p.p99)} |
| ratio | ${f(results.roundTrip.ratioP50)}x | ${f(results.roundTrip.ratioP99)}x |

| message checks (sign + verify one message) | per second |
|---|---:|
| @edge/net encodeMessage + decodeMessage (schema, signer, replay) | ${Math.round(msg.net).toLocaleString('en-US')} |
| @edge/identity seal + open alone | ${Math.round(msg.bare).toLocaleString('en-US')} |
| ratio | ${f(results.messages.ratio)}x |
`;
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/results.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(here, 'results/results.md'), md);
console.log(md);
process.exit(0);
