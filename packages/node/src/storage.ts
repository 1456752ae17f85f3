/**
 * Where a node keeps what must survive a restart: the identity, the ledger (through
 * @edge/economy's `LedgerStorage`), the vector indexes (@edge/hnsw snapshots) and the learned
 * routing values / trust records. One small interface; `openDirectoryStorage(dir)` is the Node
 * implementation (the browser one, IndexedDB, comes with the demo app).
 *
 * Writes are acknowledged only when durable: a blob is written to a temporary file, fsynced and
 * renamed over the old one (so a crash leaves the old or the new version, never a torn one),
 * then the directory is fsynced.
 */

import { mkdir, open as openFile, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStorage, type LedgerStorage } from '@edge/economy';
import { openFileStorage } from '@edge/economy/node';
import { StorageError } from './errors.js';

export interface NodeStorage {
  /** The ledger's append-only storage (opened once per node start). */
  openLedger(): Promise<LedgerStorage>;
  /** A named blob, or undefined. Names: [a-z0-9._-]{1,128}. */
  get(name: string): Promise<Uint8Array | undefined>;
  /** Replaces a named blob; resolves when it is durable. */
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** Names of stored blobs starting with `prefix`. */
  list(prefix: string): Promise<string[]>;
}

const NAME_RE = /^[a-z0-9._-]{1,128}$/;

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new StorageError(`bad blob name "${name}"`);
}

/** In-memory storage (tests, ephemeral nodes). Survives `stop()`/`start()` of the same object. */
export function createMemoryNodeStorage(): NodeStorage {
  const blobs = new Map<string, Uint8Array>();
  const ledger = createMemoryStorage();
  return {
    openLedger: async () => {
      // The memory ledger storage is closed by the ledger on stop; hand out a view that reopens.
      return { load: () => ledger.load(), append: (r: Uint8Array) => ledger.append(r), close: async () => undefined };
    },
    async get(name) {
      checkName(name);
      const b = blobs.get(name);
      return b === undefined ? undefined : b.slice();
    },
    async put(name, bytes) {
      checkName(name);
      blobs.set(name, bytes.slice());
    },
    async list(prefix) {
      return [...blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
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
export async function openDirectoryStorage(dir: string): Promise<NodeStorage> {
  const blobDir = join(dir, 'blobs');
  await mkdir(blobDir, { recursive: true });
  let tmpSerial = 0;
  return {
    openLedger: () => openFileStorage(join(dir, 'ledger.log')),
    async get(name) {
      checkName(name);
      try {
        return new Uint8Array(await readFile(join(blobDir, name)));
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return undefined;
        throw new StorageError(`cannot read ${name}`, { cause: error });
      }
    },
    async put(name, bytes) {
      checkName(name);
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
      const { readdir } = await import('node:fs/promises');
      return (await readdir(blobDir)).filter((n) => !n.startsWith('.') && n.startsWith(prefix)).sort();
    },
  };
}
