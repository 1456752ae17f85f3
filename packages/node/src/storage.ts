/**
 * Where a node keeps what must survive a restart: the identity, the ledger (through
 * @edge/economy's `LedgerStorage`), the vector indexes (@edge/hnsw snapshots) and the learned
 * routing values / trust records. One small interface, two persistent implementations chosen by
 * the package's `#platform` import conditions:
 *
 * - Node (platform.node.ts): `openDirectoryStorage(dir)` is a directory. A blob is written to a
 *   temporary file, fsynced and renamed over the old one (so a crash leaves the old or the new
 *   version, never a torn one), then the directory is fsynced; the ledger is economy's file log.
 * - Browsers (platform.browser.ts): `openDirectoryStorage(name)` is the IndexedDB database
 *   `name` (blobs) plus `<name>/ledger` (economy's IndexedDB log), written with the `strict`
 *   durability hint, guarded by a Web Lock while the ledger is open.
 *
 * Either way a write resolves only when it is durable, and failures are StorageError.
 */

import { platform } from '#platform';
import { EconomyError, createMemoryStorage, type LedgerStorage } from '@edge/economy';
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

/**
 * The platform's persistent storage: a directory in Node, an IndexedDB database name in
 * browsers (see the module comment).
 */
export async function openDirectoryStorage(location: string): Promise<NodeStorage> {
  if (typeof location !== 'string' || location.length === 0) throw new StorageError('storage location must be a non-empty string');
  let store;
  try {
    store = await platform.openStore(location);
  } catch (error) {
    throw new StorageError(`cannot open storage ${location}: ${(error as Error).message}`, { cause: error });
  }
  return {
    async openLedger() {
      try {
        return await store.openLedger();
      } catch (error) {
        // @edge/economy's own typed errors (a corrupt log) keep their code.
        if (EconomyError.isInstance(error)) throw error;
        throw new StorageError(`cannot open the ledger in ${location}: ${(error as Error).message}`, { cause: error });
      }
    },
    async get(name) {
      checkName(name);
      try {
        return await store.get(name);
      } catch (error) {
        throw new StorageError(`cannot read ${name}`, { cause: error });
      }
    },
    async put(name, bytes) {
      checkName(name);
      try {
        await store.put(name, bytes);
      } catch (error) {
        throw new StorageError(`cannot write ${name}`, { cause: error });
      }
    },
    async list(prefix) {
      try {
        return await store.list(prefix);
      } catch (error) {
        throw new StorageError(`cannot list ${location}`, { cause: error });
      }
    },
  };
}
