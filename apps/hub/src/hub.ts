/**
 * The hub: one process that brings up a local edge-net a browser can join.
 *
 * - The hub node: an EdgeNetNode that listens on TCP (Node peers) and WebSockets (browsers), runs
 *   the circuit relay v2 service (so browsers are reachable at `/p2p-circuit` through it) and is
 *   everyone's bootstrap. It keeps a ledger replica and owns the demo index, but contributes no
 *   compute (paused): tasks go to the workers and to the browsers.
 * - The demo index `fiori`: the 778 Fiori documentation chunks embedded with @edge/embed,
 *   created once and kept in the data directory; the node replicates it to every peer that
 *   serves vector_search.
 * - N worker nodes, each a child process with its own state directory (workers.ts, worker.ts).
 * - The dashboard's web server, cross-origin isolated (static.ts).
 */

import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EdgeNetConfig, createNetTransport, type EdgeNetNode } from '@edge/node';
import { loadDefaultModel } from '@edge/embed';
import type { LedgerPolicyInput } from '@edge/economy';
import { DEMO_INDEX, docMeta, docText, loadFioriRecords, type DocMeta } from './docs.js';
import { snapshot, type NodeSnapshot } from './snapshot.js';
import { startStaticServer } from './static.js';
import { spawnWorker, type WorkerHandle } from './workers.js';
import type { HubOptions } from './options.js';

/** The ledger policy of the local network (every node and page must use the same). */
export const POLICY: LedgerPolicyInput = { net: 'edge-net' };
/** Results per search on the dashboard. */
export const SEARCH_K = 5;

/** `/hub.json`: what a page needs to join. */
export interface HubInfo {
  readonly version: 1;
  /** The hub's libp2p peer id (the Pi-Key's). */
  readonly peerId: string;
  /** The hub's Pi public key, hex. */
  readonly hub: string;
  /** WebSockets multiaddrs of the hub as it listens (the page swaps in its own hostname). */
  readonly bootstrap: readonly string[];
  readonly wsPort: number;
  readonly policy: LedgerPolicyInput;
  readonly index: { readonly name: string; readonly dim: number; readonly size: number; readonly k: number };
  readonly workers: readonly { readonly id: string; readonly short: string }[];
}

/** `/status.json`. */
export interface HubStatus {
  readonly hub: NodeSnapshot;
  readonly workers: readonly (NodeSnapshot | null)[];
  /** Connected peers that are not this hub's workers (browsers, other nodes). */
  readonly others: number;
  /** Peers (hex ids) the hub sees offering each built-in task type. */
  readonly capable: Readonly<Record<string, readonly string[]>>;
}

export interface Hub {
  readonly url: string;
  readonly node: EdgeNetNode;
  readonly workers: readonly WorkerHandle[];
  readonly info: HubInfo;
  readonly dataDir: string;
  status(): Promise<HubStatus>;
  stop(): Promise<void>;
}

function demoRoot(): string {
  const pkg = createRequire(import.meta.url).resolve('@edge/demo/package.json');
  const root = join(dirname(pkg), 'dist');
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`the dashboard is not built (${root} has no index.html): run \`pnpm start\` from the repository root, or \`pnpm turbo run build --filter=@edge/hub...\``);
  }
  return root;
}

async function seedIndex(node: EdgeNetNode, log: (line: string) => void): Promise<{ dim: number; size: number; docs: DocMeta[] }> {
  const records = loadFioriRecords();
  const docs = records.map(docMeta);
  if (node.indexVersion(DEMO_INDEX) !== undefined) {
    const held = node.getIndex(DEMO_INDEX)!;
    return { dim: held.dim, size: held.size, docs };
  }
  const t0 = performance.now();
  const embedder = await loadDefaultModel();
  const vectors = embedder.embedSync(records.map(docText));
  await node.createIndex(DEMO_INDEX, { dim: embedder.dim, metric: 'cosine', M: 16, efConstruction: 200, seed: 1 });
  await node.insertVectors(
    DEMO_INDEX,
    records.map((r) => r.id),
    vectors,
  );
  log(`seeded index "${DEMO_INDEX}": ${records.length} Fiori documentation chunks embedded with ${embedder.modelId} (${embedder.dim}-d) in ${Math.round(performance.now() - t0)} ms`);
  return { dim: embedder.dim, size: records.length, docs };
}

/**
 * One hub per data directory: two would run the same identities side by side and write two
 * histories into each account (which the ledger treats as equivocation). `hub.pid` holds the
 * running hub's pid; a file whose process is gone is stale and taken over.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'hub.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      let alive = false;
      try {
        if (Number.isInteger(pid) && pid > 0) alive = (process.kill(pid, 0), true);
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) throw new Error(`another hub (pid ${pid}) is running on ${dir}: stop it, or pass --data-dir <another directory>`);
      await rm(file, { force: true });
    }
  }
  throw new Error(`cannot lock ${dir}`);
}

export async function startHub(o: HubOptions, log: (line: string) => void): Promise<Hub> {
  const root = demoRoot();
  if (o.reset) await rm(o.dataDir, { recursive: true, force: true });
  await mkdir(o.dataDir, { recursive: true });
  const unlock = await lockDataDir(o.dataDir);
  try {
    return await startLocked(o, log, root, unlock);
  } catch (error) {
    await unlock();
    throw error;
  }
}

async function startLocked(o: HubOptions, log: (line: string) => void, root: string, unlock: () => Promise<void>): Promise<Hub> {
  // The web server binds first, so a taken port fails at once; its documents answer 503 until
  // the network is up.
  let ready: { info: HubInfo; status: () => Promise<HubStatus>; docs: DocMeta[] } | undefined;
  const server = await startStaticServer({
    root,
    host: o.host,
    port: o.port,
    json: {
      '/hub.json': () => ready?.info,
      '/docs.json': () => (ready === undefined ? undefined : { index: DEMO_INDEX, docs: ready.docs }),
      '/status.json': () => ready?.status(),
    },
  });
  const tcp = `/ip4/${o.host}/tcp/${o.p2pPort}`;
  const ws = `/ip4/${o.host}/tcp/${o.p2pPort === 0 ? 0 : o.p2pPort + 1}/ws`;
  const node = new EdgeNetConfig('hub')
    .ledgerPolicy(POLICY)
    .storage(join(o.dataDir, 'hub'))
    .transport(createNetTransport({ listen: [tcp, ws], relay: { service: { maxReservations: 256 } }, cpuLimit: 0.1, advertIntervalMs: 1_000 }))
    .build();
  try {
    await node.start();
  } catch (error) {
    await server.close();
    throw error;
  }
  // The hub relays, bootstraps, keeps a replica and owns the index; the work goes to others.
  node.pause();
  const workers: WorkerHandle[] = [];
  try {
    const seeded = await seedIndex(node, log);
    const addrs = node.addresses();
    const tcpAddrs = addrs.filter((a) => a.includes('/tcp/') && !a.includes('/ws'));
    const wsAddrs = addrs.filter((a) => a.includes('/ws/'));
    if (tcpAddrs.length === 0 || wsAddrs.length === 0) throw new Error(`the hub node has no TCP or WebSockets address (${addrs.join(', ')})`);
    const peerId = wsAddrs[0]!.split('/p2p/').at(-1)!;
    const wsPort = Number(/\/tcp\/([0-9]+)\/ws/.exec(wsAddrs[0]!)![1]);

    workers.push(
      ...(await Promise.all(
        Array.from({ length: o.workers }, (_, i) =>
          spawnWorker({ name: `worker-${i + 1}`, storage: join(o.dataDir, `worker-${i + 1}`), host: o.host, bootstrap: tcpAddrs, stake: o.workerStake, cpu: o.cpu, policy: POLICY, index: DEMO_INDEX }, log),
        ),
      )),
    );
    const workerIds = new Set(workers.map((w) => w.id));
    const info: HubInfo = {
      version: 1,
      peerId,
      hub: node.nodeId(),
      bootstrap: wsAddrs,
      wsPort,
      policy: POLICY,
      index: { name: DEMO_INDEX, dim: seeded.dim, size: seeded.size, k: SEARCH_K },
      workers: workers.map((w) => ({ id: w.id, short: w.short })),
    };
    const status = async (): Promise<HubStatus> => {
      const ws = await Promise.all(workers.map((w) => w.stats()));
      const capable: Record<string, string[]> = {};
      for (const type of ['vector_search', 'embedding', 'semantic_match']) capable[type] = node.getOptimalPeers(type, 256).map((p) => p.id);
      const peers = node.getStats().peers;
      return { hub: snapshot(node, DEMO_INDEX), workers: ws.map((s) => s ?? null), others: Math.max(0, peers - workers.filter((w) => w.alive && workerIds.has(w.id)).length), capable };
    };
    ready = { info, status, docs: seeded.docs };
    const shownHost = o.host === '0.0.0.0' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
    const url = `http://${shownHost}:${server.port}/`;
    const srv = server;
    let stopped: Promise<void> | undefined;
    return {
      url,
      node,
      workers,
      info,
      dataDir: o.dataDir,
      status,
      stop() {
        stopped ??= (async () => {
          await srv.close();
          await Promise.all(workers.map((w) => w.stop()));
          await node.stop();
          await unlock();
        })();
        return stopped;
      },
    };
  } catch (error) {
    await server.close();
    await Promise.all(workers.map((w) => w.stop()));
    await node.stop();
    throw error;
  }
}
