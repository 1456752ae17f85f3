/**
 * @packageDocumentation
 * Browser part of @edge/economy: the ledger's append-only storage in IndexedDB
 * (`@edge/economy/browser`).
 *
 * `openIndexedDbStorage(name)` keeps one database `name` with one object store of records under
 * auto-incremented keys, so `load()` returns them in append order. Each value is a record framed
 * as in storage.ts (u32be length, u32be CRC-32, payload): IndexedDB commits a transaction
 * atomically, so a crash never tears a record, but a value changed by anything else that can
 * write to the origin's storage is caught on load as StorageCorruptError instead of being handed
 * to the ledger.
 *
 * Appends are group committed like the file store's: records queued while a transaction is in
 * flight go out together in the next single readwrite transaction, and every append's promise
 * resolves only when that transaction's `complete` event fires. Transactions use the `strict`
 * durability hint by default (IndexedDB 3.0, "transaction durability hint": the user agent
 * flushes to disk before `complete`), so an acknowledged record is on disk, as DESIGN.md asks of
 * every storage. One database has one writer: two ledgers appending to the same database would
 * interleave two histories; hold a Web Lock per database name (as @edge/node does) when several
 * tabs can open it.
 */

import { decodeRecords, encodeRecord, STORAGE_MAGIC, type LedgerStorage } from './storage.js';
import { EconomyArgumentError, StorageClosedError, StorageCorruptError } from './errors.js';

/** Object store holding the framed records (schema version 1). */
export const IDB_RECORD_STORE = 'records';
const DB_VERSION = 1;

export interface IndexedDbStorageOptions {
  /** The IndexedDB factory. Default `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
  /**
   * Durability hint of the append transactions. Default `strict` (on disk before an append
   * resolves); `relaxed` gives up durability across an OS crash for speed.
   */
  readonly durability?: 'strict' | 'relaxed';
}

export interface IndexedDbStorage extends LedgerStorage {
  /** The database name. */
  readonly name: string;
}

function factoryOf(options: IndexedDbStorageOptions): IDBFactory {
  const f = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (f === undefined || f === null) throw new EconomyArgumentError('no IndexedDB in this environment (pass options.indexedDB)');
  return f;
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) throw new EconomyArgumentError('database name must be a string of 1..256 characters');
}

function promised<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function openDb(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let req: IDBOpenDBRequest;
    try {
      req = factory.open(name, DB_VERSION);
    } catch (error) {
      reject(error);
      return;
    }
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(IDB_RECORD_STORE)) db.createObjectStore(IDB_RECORD_STORE, { autoIncrement: true });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error(`cannot open IndexedDB database ${name}`));
    req.onblocked = () => reject(new Error(`IndexedDB database ${name} is blocked by another connection on an older version`));
  });
}

/**
 * Checks one stored value: it must be the bytes of exactly one framed record (length and CRC
 * intact). Returns the payload; anything else is StorageCorruptError.
 */
export function decodeStoredRecord(value: unknown, key: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new StorageCorruptError(`record ${String(key)} is not bytes`);
  // Reuse the file framing's checks: magic + this one record must decode to exactly one record.
  const image = new Uint8Array(STORAGE_MAGIC.length + value.length);
  image.set(STORAGE_MAGIC, 0);
  image.set(value, STORAGE_MAGIC.length);
  const d = decodeRecords(image);
  if (d.torn || d.records.length !== 1) throw new StorageCorruptError(`record ${String(key)} is damaged (length or CRC mismatch)`);
  return d.records[0]!;
}

/** Opens (creating if needed) the ledger storage in IndexedDB database `name`. */
export async function openIndexedDbStorage(name: string, options: IndexedDbStorageOptions = {}): Promise<IndexedDbStorage> {
  checkName(name);
  const durability = options.durability ?? 'strict';
  if (durability !== 'strict' && durability !== 'relaxed') throw new EconomyArgumentError('durability must be "strict" or "relaxed"');
  const db = await openDb(factoryOf(options), name);

  let closed = false;
  let queue: { bytes: Uint8Array; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let writing: Promise<void> | undefined;
  // Another tab deleting or upgrading the database: let it, and refuse further use here.
  db.onversionchange = () => {
    closed = true;
    db.close();
  };

  const commit = (batch: typeof queue): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let tx: IDBTransaction;
      try {
        tx = db.transaction(IDB_RECORD_STORE, 'readwrite', { durability });
      } catch (error) {
        reject(error);
        return;
      }
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      const store = tx.objectStore(IDB_RECORD_STORE);
      for (const r of batch) store.add(r.bytes);
    });

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await commit(batch);
        for (const r of batch) r.resolve();
      } catch (error) {
        for (const r of batch) r.reject(error);
      }
    }
    writing = undefined;
  };

  return {
    name,
    async load() {
      if (closed) throw new StorageClosedError();
      if (writing) await writing;
      const tx = db.transaction(IDB_RECORD_STORE, 'readonly');
      const store = tx.objectStore(IDB_RECORD_STORE);
      const [keys, values] = await Promise.all([promised(store.getAllKeys()), promised(store.getAll())]);
      return values.map((v, i) => decodeStoredRecord(v, keys[i]));
    },
    append(record) {
      if (closed) return Promise.reject(new StorageClosedError());
      let bytes: Uint8Array;
      try {
        bytes = encodeRecord(record);
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ bytes, resolve, reject });
        writing ??= drain();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (writing) await writing;
      db.close();
    },
  };
}

/** Deletes the database `name` (every record). Resolves when it is gone. */
export async function deleteIndexedDbStorage(name: string, options: Pick<IndexedDbStorageOptions, 'indexedDB'> = {}): Promise<void> {
  checkName(name);
  await promised(factoryOf(options).deleteDatabase(name) as IDBRequest<unknown>);
}
