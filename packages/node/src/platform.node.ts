/**
 * The Node variant of `#platform`: the task worker is a worker_threads Worker running
 * executor-worker.js (next to this file in dist/) with `memoryLimit` as its V8 heap limit
 * (`resourceLimits`), so a runaway handler dies alone, not the node; storage is a directory with
 * economy's durable file log for the ledger and one file per blob (written to a temporary file,
 * fsynced and renamed over the old one, then the directory fsynced: a crash leaves the old or the
 * new version, never a torn one).
 */

import { Worker } from 'node:worker_threads';
import { mkdir, open as openFile, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { openFileStorage } from '@edge/economy/node';
import type { BlobStore, Platform, TaskWorker, TaskWorkerEvents, WorkerReply } from './platform-types.js';

function spawnTaskWorker(memoryLimit: number, events: TaskWorkerEvents): TaskWorker {
  const url = new URL('./executor-worker.js', import.meta.url);
  const maxOldGenerationSizeMb = Math.max(32, Math.floor(memoryLimit / (1 << 20)));
  const w = new Worker(url, { resourceLimits: { maxOldGenerationSizeMb } });
  w.on('message', (m: WorkerReply) => events.message(m));
  w.on('error', (e) => events.error(e));
  w.on('exit', (code) => events.exit(code));
  w.unref();
  return {
    post: (message, transfer) => w.postMessage(message, transfer),
    ref: () => w.ref(),
    unref: () => w.unref(),
    terminate: async () => {
      await w.terminate();
    },
  };
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await openFile(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A directory: `ledger.log` (economy's file store) and one file per blob under `blobs/`. */
async function openStore(dir: string): Promise<BlobStore> {
  const blobDir = join(dir, 'blobs');
  await mkdir(blobDir, { recursive: true });
  let tmpSerial = 0;
  return {
    openLedger: () => openFileStorage(join(dir, 'ledger.log')),
    async get(name) {
      try {
        return new Uint8Array(await readFile(join(blobDir, name)));
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async put(name, bytes) {
      const tmp = join(blobDir, `.${name}.${process.pid}.${tmpSerial++}.tmp`);
      const fh = await openFile(tmp, 'w', 0o600);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(blobDir, name));
      await fsyncPath(blobDir);
    },
    async list(prefix) {
      return (await readdir(blobDir)).filter((n) => !n.startsWith('.') && n.startsWith(prefix)).sort();
    },
  };
}

export const platform: Platform = { name: 'node', spawnTaskWorker, openStore };
