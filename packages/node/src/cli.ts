/**
 * The `edge-net` command line: run a worker, submit a task, show the network from a terminal.
 *
 *   edge-net worker [--port 4001] [--bootstrap <multiaddr>]... [--storage <dir>] [--cpu 0.3] [--stake <rUv base units>]
 *   edge-net submit <type> <json> --bootstrap <multiaddr> [--max-cost <base units>] [--wait <ms>]
 *   edge-net status --bootstrap <multiaddr> [--wait <ms>]
 *
 * A `vector_search` payload may carry `"insert": { "ids": [...], "vectors": [[...], ...] }`:
 * the submitting node builds that index, replicates it to the workers, then runs the query.
 */

import { EdgeNetConfig } from './config.js';
import type { EdgeNetNode } from './node.js';

interface Args {
  _: string[];
  flags: Map<string, string[]>;
}

function parse(argv: string[]): Args {
  const out: Args = { _: [], flags: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      const v = inline ?? (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i]! : 'true');
      out.flags.set(k, [...(out.flags.get(k) ?? []), v]);
    } else out._.push(a);
  }
  return out;
}

const flag = (a: Args, k: string): string | undefined => a.flags.get(k)?.at(-1);
const num = (a: Args, k: string, d: number): number => {
  const v = flag(a, k);
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${k} must be a number`);
  return n;
};
const short = (hex: string) => `π:${hex.slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const USAGE = `usage:
  edge-net worker [--port 4001] [--bootstrap <multiaddr>]... [--storage <dir>] [--cpu 0.3] [--stake <units>]
  edge-net submit <type> <json> --bootstrap <multiaddr> [--max-cost <units>] [--wait <ms>]
  edge-net status --bootstrap <multiaddr> [--wait <ms>]`;

function configure(a: Args, site: string): EdgeNetConfig {
  const port = num(a, 'port', 0);
  const host = flag(a, 'host') ?? '127.0.0.1';
  const c = new EdgeNetConfig(site)
    .cpuLimit(num(a, 'cpu', 0.3))
    .listen([`/ip4/${host}/tcp/${port}`])
    .bootstrap(a.flags.get('bootstrap') ?? []);
  const storage = flag(a, 'storage');
  if (storage !== undefined) c.storage(storage);
  const stake = num(a, 'stake', 0);
  if (stake > 0) c.stake(stake);
  return c;
}

/** How long a count that accounts for every connected peer must stay unchanged. */
const SETTLE_MS = 1500;
/**
 * Longer than one advert refresh (3 s): a worker the bootstrap node knows but this node has not
 * heard of yet is announced by its next periodic advert, and a peer whose first advert was lost
 * has sent another.
 */
const DISCOVERY_MS = 4000;

/**
 * Waits until `count()` is positive and has been stable: for SETTLE_MS when it reached `full()`
 * (every connected peer accounted for), else for DISCOVERY_MS. Connections, capability adverts
 * and index replicas arrive over a few gossip rounds, so a count read at once is short.
 */
async function waitStable(count: () => number, full: () => number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let n = -1;
  let since = Date.now();
  while (Date.now() < end) {
    const m = count();
    if (m !== n) {
      n = m;
      since = Date.now();
    } else if (n > 0 && Date.now() - since >= (n >= full() ? SETTLE_MS : DISCOVERY_MS)) return n;
    await sleep(250);
  }
  return Math.max(0, n);
}

/**
 * Connected peers (no type) or peers advertising `type`, once stable for DISCOVERY_MS: a node
 * that just joined learns of the other workers only from their adverts, relayed by its
 * bootstrap peer.
 */
async function waitForPeers(node: EdgeNetNode, type: string | undefined, ms: number): Promise<number> {
  const count = type === undefined ? () => node.getStats().peers : () => node.getOptimalPeers(type, 64).length;
  return waitStable(count, () => Number.POSITIVE_INFINITY, ms);
}

async function worker(a: Args): Promise<number> {
  const node = configure(a, 'worker').build();
  log('starting worker…');
  await node.start();
  log(`worker ${short(node.nodeId())} up, balance ${node.ruvBalance()}`);
  for (const addr of node.addresses()) log(`listening ${addr}`);
  log('other nodes join with: edge-net worker --bootstrap <one address above>');
  let last = { peers: -1, completed: 0, earned: 0 };
  const timer = setInterval(() => {
    const s = node.getStats();
    if (s.peers !== last.peers) log(`peers: ${s.peers}`);
    if (s.tasks_completed !== last.completed || s.ruv_earned !== last.earned) log(`tasks completed: ${s.tasks_completed} (earned ${s.ruv_earned}, balance ${s.ruv_balance})`);
    last = { peers: s.peers, completed: s.tasks_completed, earned: s.ruv_earned };
  }, 1000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  log('stopping…');
  await node.stop();
  return 0;
}

async function submit(a: Args): Promise<number> {
  const [type, json] = a._;
  if (type === undefined || json === undefined) throw new Error(USAGE);
  const payload = JSON.parse(json) as Record<string, unknown>;
  const node = configure(a, 'submit').build();
  await node.start();
  try {
    log(`node ${short(node.nodeId())} joined, balance ${node.ruvBalance()}`);
    const insert = payload.insert as { ids: string[]; vectors: number[][] } | undefined;
    delete payload.insert;
    if (type === 'vector_search' && insert !== undefined) {
      const name = String(payload.index);
      await waitForPeers(node, 'vector_search', num(a, 'wait', 10_000));
      await node.createIndex(name, { dim: insert.vectors[0]?.length ?? 0, metric: 'cosine' });
      await node.insertVectors(name, insert.ids, insert.vectors);
      // The node pushes the index by itself to vector_search peers whose adverts arrive later;
      // replicas are announced in the holders' next adverts, and routing needs them: wait until
      // every vector_search peer advertises the current version.
      const holders = await waitStable(() => node.indexHolders(name), () => node.getOptimalPeers('vector_search', 64).length, num(a, 'wait', 10_000));
      log(`index "${name}": ${insert.ids.length} vectors, version ${node.indexVersion(name)} held by ${holders} peer(s)`);
    }
    const peers = type === 'vector_search' && insert !== undefined ? node.getOptimalPeers(type, 64).length : await waitForPeers(node, type, num(a, 'wait', 10_000));
    log(`${peers} capable peer(s) for ${type}`);
    const r = await node.submitTask(type, payload, num(a, 'max-cost', 1_000_000_000));
    log(`verification: ${r.verification}; executed by ${r.executedBy.map(short).join(', ')}${r.rejected.length ? `; rejected ${r.rejected.map(short).join(', ')}` : ''}`);
    log(`quote ${r.quote}, paid ${r.cost}, refunded ${r.refunded}; balance ${node.ruvBalance()}`);
    console.log(JSON.stringify(r.result, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v), 2));
    await node.settled();
    // Stay until every worker acknowledged its payment on the ledger, so no credit is left only
    // on a node that is about to disconnect.
    const end = Date.now() + num(a, 'wait', 10_000);
    while (node.unacknowledgedPayments() > 0 && Date.now() < end) await sleep(200);
    if (node.unacknowledgedPayments() > 0) log(`warning: ${node.unacknowledgedPayments()} payment(s) not yet acknowledged by their workers`);
    return 0;
  } finally {
    await node.stop();
  }
}

async function status(a: Args): Promise<number> {
  const node = configure(a, 'status').build();
  await node.start();
  try {
    await waitForPeers(node, undefined, num(a, 'wait', 5_000));
    const s = node.getStats();
    console.log(`node ${short(node.nodeId())}  peers ${s.peers}`);
    for (const type of ['vector_search', 'embedding', 'semantic_match']) {
      for (const p of node.getOptimalPeers(type, 16)) {
        console.log(`  ${type.padEnd(15)} ${short(p.id)}  reputation ${p.reputation.toFixed(2)}  latency ${p.latencyMs?.toFixed(1) ?? '?'} ms  load ${p.load.toFixed(2)}`);
      }
    }
    const h = node.getEconomicHealth();
    console.log(`ledger: ${node.ledger.state().accounts?.size ?? '?'} accounts, health ${JSON.stringify(h)}`);
    return 0;
  } finally {
    await node.stop();
  }
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const a = parse(argv);
  const cmd = a._.shift();
  if (cmd === 'worker') return worker(a);
  if (cmd === 'submit') return submit(a);
  if (cmd === 'status') return status(a);
  console.error(USAGE);
  return cmd === undefined || cmd === 'help' || a.flags.has('help') ? 0 : 2;
}
