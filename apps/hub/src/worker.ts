/**
 * One headless worker node, a child process of the hub (forked with an IPC channel). It keeps its
 * state in its own directory, listens on TCP (for Node peers) and WebSockets (for browsers, which
 * dial the addresses in its capability advert), joins through the hub, stakes so that it can
 * witness other workers' payments, and serves every built-in task type.
 *
 * IPC: it sends `{ ready, id, short, addrs }` once started and answers `{ cmd: 'stats', id }`
 * with `{ id, stats }`; `{ cmd: 'stop' }`, SIGINT, SIGTERM or a lost parent stop it cleanly.
 */

import { EdgeNetConfig, createNetTransport } from '@edge/node';
import type { LedgerPolicyInput } from '@edge/economy';
import { snapshot } from './snapshot.js';

export interface WorkerConfig {
  readonly name: string;
  readonly storage: string;
  readonly host: string;
  readonly bootstrap: readonly string[];
  readonly stake: number;
  readonly cpu: number;
  readonly policy: LedgerPolicyInput;
  /** The demo index whose replica version the worker reports. */
  readonly index: string;
}

async function run(cfg: WorkerConfig): Promise<void> {
  const listen = [`/ip4/${cfg.host}/tcp/0`, `/ip4/${cfg.host}/tcp/0/ws`];
  const node = new EdgeNetConfig(cfg.name)
    .cpuLimit(cfg.cpu)
    .ledgerPolicy(cfg.policy)
    .storage(cfg.storage)
    .stake(cfg.stake)
    .transport(createNetTransport({ listen, bootstrap: [...cfg.bootstrap], cpuLimit: cfg.cpu, advertIntervalMs: 1_000 }))
    .build();
  await node.start();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= node
      .stop()
      .catch((error: unknown) => console.error(`[${cfg.name}] stop failed: ${(error as Error).message}`))
      .finally(() => process.exit(0));
    return stopping;
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
  process.on('message', (m: { cmd?: string; id?: number }) => {
    if (m.cmd === 'stop') void stop();
    else if (m.cmd === 'stats' && stopping === undefined) process.send?.({ id: m.id, stats: snapshot(node, cfg.index) });
  });
  process.send?.({ ready: true, id: node.nodeId(), short: node.shortId(), addrs: node.addresses() });
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
run(cfg).catch((error: unknown) => {
  console.error(`[${cfg.name ?? 'worker'}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
