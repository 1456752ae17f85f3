/**
 * The page's node: an EdgeNetNode built from the browser entry of @edge/node. Its storage is the
 * IndexedDB database `edge-net` (or `edge-net-<profile>` with `?profile=<name>`), so a reload is
 * the same node with the same balance; its transport is @edge/net's browser build (WebSockets to
 * the hub, circuit relay and WebRTC), allowed to dial private addresses because the hub that
 * served this page is on the local network.
 */

import { EdgeNetConfig, createNetTransport, openDirectoryStorage, type EdgeNetNode, type NodeStorage } from '@edge/node';
import { PiKey } from '@edge/identity';
import { bootstrapAddress, type HubInfo } from './join.js';

export interface Session {
  readonly node: EdgeNetNode;
  readonly storage: NodeStorage;
  readonly cpu: number;
}

export function storageName(search = location.search): string {
  const p = new URLSearchParams(search).get('profile');
  return p !== null && /^[A-Za-z0-9_-]{1,32}$/.test(p) ? `edge-net-${p}` : 'edge-net';
}

export async function openStorage(): Promise<NodeStorage> {
  return openDirectoryStorage(storageName());
}

export async function startSession(storage: NodeStorage, hub: HubInfo | undefined, cpu: number): Promise<Session> {
  const c = new EdgeNetConfig('browser').cpuLimit(cpu).minIdleTime(0).respectBattery(true).storage(storage).taskTimeout(20_000);
  if (hub !== undefined) {
    c.ledgerPolicy(hub.policy).transport(
      createNetTransport({ bootstrap: [bootstrapAddress(hub)], allowPrivateAddresses: true, cpuLimit: cpu, advertIntervalMs: 1_000, bootstrapTimeoutMs: 10_000 }),
    );
  }
  const node = c.build();
  await node.start();
  return { node, storage, cpu };
}

/** An Argon2id-encrypted backup of the stored identity (docs/identity.md has the format). */
export async function backupIdentity(storage: NodeStorage, password: string): Promise<{ bytes: Uint8Array; short: string }> {
  const seed = await storage.get('identity.seed');
  if (seed === undefined || seed.length !== 32) throw new Error('no identity stored in this browser yet');
  const key = PiKey.fromSeed(seed);
  seed.fill(0);
  try {
    return { bytes: await key.createEncryptedBackup(password), short: key.getShortId() };
  } finally {
    key.destroy();
  }
}

/** Opens a backup (throws @edge/identity's typed errors for a wrong password or damaged bytes). */
export function openBackup(backup: Uint8Array, password: string): Promise<PiKey> {
  return PiKey.restore(backup, password);
}

/** Makes `key` this browser's identity; the node must be stopped and started again around it. */
export async function installIdentity(storage: NodeStorage, key: PiKey): Promise<void> {
  const seed = key.exportSeed();
  try {
    await storage.put('identity.seed', seed);
  } finally {
    seed.fill(0);
  }
}
