/**
 * The browser variant of `#platform` (the `browser` and `default` conditions).
 *
 * Task worker: a module Web Worker running executor-worker.browser.js, which is executor-worker.js
 * itself built with its two Node imports mapped onto Web Worker globals (tsup.config.ts), so a
 * browser runs the very handler code a Node worker runs and produces the same result bytes.
 * Bundlers that understand `new Worker(new URL(path, import.meta.url), { type: 'module' })`
 * (Vite, webpack 5, Parcel) emit the worker and its imports as their own chunk. Browsers have no
 * per-worker heap limit, so `memoryLimit` is not enforced here.
 *
 * Storage: `location` is an IndexedDB database name. Blobs live in its `blobs` object store; the
 * ledger in the database `<location>/ledger` through @edge/economy's IndexedDB storage. Writes
 * use the `strict` durability hint (on disk before they resolve). While a ledger is open the
 * page holds the Web Lock `edge-net:<location>`: a second tab opening the same storage is refused
 * instead of appending a second history to one account (which the ledger would treat as an
 * equivocation and freeze).
 */

import { openIndexedDbStorage } from '@edge/economy/browser';
import type { LedgerStorage } from '@edge/economy';
import type { BlobStore, Platform, TaskWorker, TaskWorkerEvents } from './platform-types.js';

const BLOB_STORE = 'blobs';
/** How long opening the ledger waits for another holder of the storage's lock (a reloading page). */
const LOCK_WAIT_MS = 3_000;

function spawnTaskWorker(_memoryLimit: number, events: TaskWorkerEvents): TaskWorker {
  const w = new Worker(new URL('./executor-worker.browser.js', import.meta.url), { type: 'module', name: 'edge-net-executor' });
  w.onmessage = (e: MessageEvent) => events.message(e.data);
  // An uncaught error (or a script that failed to load) ends this worker, as it ends a
  // worker_thread in Node: it is terminated and the executor starts a fresh one on the next call.
  const die = (error: Error) => {
    w.terminate();
    events.error(error);
  };
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    die(new Error(e.message || 'the task worker failed to load'));
  };
  w.onmessageerror = () => die(new Error('a task worker message could not be deserialized'));
  return {
    post: (message, transfer) => w.postMessage(message, transfer),
    ref: () => {},
    unref: () => {},
    terminate: async () => w.terminate(),
  };
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function openDb(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('this browser context has no IndexedDB'));
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(BLOB_STORE)) req.result.createObjectStore(BLOB_STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`cannot open IndexedDB database ${name}`));
    req.onblocked = () => reject(new Error(`IndexedDB database ${name} is blocked by another connection`));
  });
}

/**
 * Takes the exclusive Web Lock `name`, waiting up to `waitMs` for a holder to let go (a page being
 * reloaded releases it as its document goes away). Resolves with the release function, with
 * undefined when another tab kept it, or with null where the Web Locks API is missing (insecure
 * contexts): then there is no lock and the caller goes on unguarded.
 */
async function takeLock(name: string, waitMs: number): Promise<(() => void) | undefined | null> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks === undefined) return null;
  return new Promise((resolve, reject) => {
    locks
      .request(name, { mode: 'exclusive', signal: AbortSignal.timeout(waitMs) }, () => {
        // The lock is held until this promise settles: on the ledger's close().
        return new Promise<void>((release) => resolve(release));
      })
      .catch((error: unknown) => {
        const n = (error as { name?: string }).name;
        if (n === 'AbortError' || n === 'TimeoutError') resolve(undefined);
        else reject(error);
      });
  });
}

async function openStore(location: string): Promise<BlobStore> {
  let db = await openDb(location);
  const reopen = async (): Promise<IDBDatabase> => {
    // Another tab deleted or upgraded the database: this one gave way (onversionchange); open anew.
    db = await openDb(location);
    db.onversionchange = () => db.close();
    return db;
  };
  db.onversionchange = () => db.close();
  const tx = async (mode: IDBTransactionMode): Promise<IDBObjectStore> => {
    try {
      return db.transaction(BLOB_STORE, mode, { durability: 'strict' }).objectStore(BLOB_STORE);
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidStateError') throw error;
      return (await reopen()).transaction(BLOB_STORE, mode, { durability: 'strict' }).objectStore(BLOB_STORE);
    }
  };
  return {
    async openLedger(): Promise<LedgerStorage> {
      const release = await takeLock(`edge-net:${location}`, LOCK_WAIT_MS);
      if (release === undefined) throw new Error(`the storage "${location}" is open in another tab or window`);
      let inner: LedgerStorage;
      try {
        inner = await openIndexedDbStorage(`${location}/ledger`);
      } catch (error) {
        release?.();
        throw error;
      }
      return {
        load: () => inner.load(),
        append: (record) => inner.append(record),
        close: async () => {
          try {
            await inner.close();
          } finally {
            release?.();
          }
        },
      };
    },
    async get(name) {
      const v = await request((await tx('readonly')).get(name));
      if (v === undefined) return undefined;
      if (!(v instanceof Uint8Array)) throw new Error(`blob ${name} is not bytes`);
      return v;
    },
    async put(name, bytes) {
      const store = await tx('readwrite');
      await new Promise<void>((resolve, reject) => {
        const t = store.transaction;
        t.oncomplete = () => resolve();
        t.onerror = () => reject(t.error ?? new Error(`cannot write ${name}`));
        t.onabort = () => reject(t.error ?? new Error(`writing ${name} was aborted`));
        store.put(bytes.slice(), name);
      });
    },
    async list(prefix) {
      const keys = await request((await tx('readonly')).getAllKeys());
      return keys.filter((k): k is string => typeof k === 'string' && k.startsWith(prefix)).sort();
    },
  };
}

export const platform: Platform = { name: 'browser', spawnTaskWorker, openStore };
