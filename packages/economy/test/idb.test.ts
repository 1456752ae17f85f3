// The IndexedDB ledger storage (`@edge/economy/browser`) on fake-indexeddb, an implementation of
// the IndexedDB spec for Node (its W3C web-platform-tests pass), so every path runs here on each
// test run; test/idb.browser.test.ts runs the same storage on Chromium's real IndexedDB.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IDBFactory } from 'fake-indexeddb';
import { prng, testSeed } from '@edge/tooling/seed';
import { toHex } from '@edge/identity';
import { encodeRecord, openLedger } from '../src/index.js';
import { IDB_RECORD_STORE, decodeStoredRecord, deleteIndexedDbStorage, openIndexedDbStorage } from '../src/idb.js';
import { bytes32, clock, keyFor, testPolicy } from './helpers.js';

const seed = testSeed();

/** Every stored value of `name`, raw (key order). */
async function rawValues(factory: IDBFactory, name: string): Promise<unknown[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = factory.open(name);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  try {
    return await new Promise<unknown[]>((resolve, reject) => {
      const r = db.transaction(IDB_RECORD_STORE, 'readonly').objectStore(IDB_RECORD_STORE).getAll();
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  } finally {
    db.close();
  }
}

/** Writes `value` under a fresh key of `name`'s record store, bypassing the storage (damage from outside). */
async function rawAdd(factory: IDBFactory, name: string, value: unknown): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = factory.open(name);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(IDB_RECORD_STORE, 'readwrite');
      tx.objectStore(IDB_RECORD_STORE).add(value);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

describe('IndexedDB ledger storage (fake-indexeddb)', () => {
  it('group commit: concurrent appends all land, in order, and survive reopening', async () => {
    const idb = new IDBFactory();
    const s = await openIndexedDbStorage('g', { indexedDB: idb });
    const rand = prng(seed ^ 0x1db);
    const recs = Array.from({ length: 300 }, (_, i) => bytes32(rand).subarray(0, 1 + (i % 32)));
    await Promise.all(recs.map((r) => s.append(r)));
    expect((await s.load()).map(toHex)).toEqual(recs.map(toHex));
    await s.close();
    const again = await openIndexedDbStorage('g', { indexedDB: idb });
    expect((await again.load()).map(toHex)).toEqual(recs.map(toHex));
    // Stored values are framed records, so a damaged one is detectable.
    expect((await rawValues(idb, 'g'))[5]).toEqual(encodeRecord(recs[5]!));
    await again.close();
  });

  it('a ledger on it: every acknowledged entry survives dropping the instance without close', async () => {
    const idb = new IDBFactory();
    const c = clock();
    const L = await openLedger({ policy: testPolicy(), now: c.now, storage: await openIndexedDbStorage('ledger', { indexedDB: idb }) });
    const keys = [keyFor(seed, 1), keyFor(seed, 2)];
    const acked: string[] = [];
    for (const k of keys) acked.push((await L.account(k).genesis()).key);
    const rand = prng(seed ^ 0x2db);
    for (let i = 0; i < 20; i++) {
      c.advance(3);
      acked.push((await L.account(keys[i % 2]!).hold(bytes32(rand), 1 + Math.floor(rand() * 1000))).key);
    }
    const balances = keys.map((k) => L.balanceOf(k.publicKey)!.balance);
    const root = toHex(L.merkleRoot());
    // "Crash": the ledger and its storage are dropped, not closed.
    const L2 = await openLedger({ policy: testPolicy(), now: c.now, storage: await openIndexedDbStorage('ledger', { indexedDB: idb }) });
    for (const k of acked) expect(L2.entry(k), k).toBeDefined();
    expect(keys.map((k) => L2.balanceOf(k.publicKey)!.balance)).toEqual(balances);
    expect(toHex(L2.merkleRoot())).toBe(root);
    c.advance(3);
    const more = await L2.account(keys[0]!).stake(10);
    expect(L2.entry(more.key)).toBeDefined();
    await L2.close();
  });

  it('closed storage and bad arguments give typed errors', async () => {
    const idb = new IDBFactory();
    await expect(openIndexedDbStorage('', { indexedDB: idb })).rejects.toMatchObject({ code: 'ERR_ECONOMY_ARGUMENT' });
    await expect(openIndexedDbStorage(42 as unknown as string, { indexedDB: idb })).rejects.toMatchObject({ code: 'ERR_ECONOMY_ARGUMENT' });
    await expect(openIndexedDbStorage('x', { indexedDB: idb, durability: 'fast' as 'strict' })).rejects.toMatchObject({ code: 'ERR_ECONOMY_ARGUMENT' });
    const s = await openIndexedDbStorage('x', { indexedDB: idb });
    await expect(s.append('nope' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'ERR_ECONOMY_ARGUMENT' });
    await s.append(new Uint8Array([1, 2, 3]));
    await s.close();
    await s.close();
    await expect(s.append(new Uint8Array([4]))).rejects.toMatchObject({ code: 'ERR_ECONOMY_STORAGE_CLOSED' });
    await expect(s.load()).rejects.toMatchObject({ code: 'ERR_ECONOMY_STORAGE_CLOSED' });
    // Nothing was written by the refused calls.
    expect((await (await openIndexedDbStorage('x', { indexedDB: idb })).load()).map(toHex)).toEqual(['010203']);
  });

  it('deleting the database from elsewhere closes the open storage; a reopen starts empty', async () => {
    const idb = new IDBFactory();
    const s = await openIndexedDbStorage('d', { indexedDB: idb });
    await s.append(new Uint8Array([9]));
    await deleteIndexedDbStorage('d', { indexedDB: idb });
    await expect(s.append(new Uint8Array([1]))).rejects.toMatchObject({ code: 'ERR_ECONOMY_STORAGE_CLOSED' });
    const fresh = await openIndexedDbStorage('d', { indexedDB: idb });
    expect(await fresh.load()).toEqual([]);
    await fresh.close();
  });

  it('damaged or foreign stored values are StorageCorruptError on load; the database is unchanged (fuzz)', async () => {
    const rand = prng(seed ^ 0x3db);
    const good = Array.from({ length: 3 }, () => bytes32(rand));
    const foreign = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      // A valid record with one byte flipped (header or payload).
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([p, at, x]) => {
        const r = encodeRecord(p);
        r[at % r.length]! ^= x;
        return r;
      }),
      // Two records in one value, or a record with trailing bytes.
      fc.tuple(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 1, maxLength: 20 })).map(([a, b]) => new Uint8Array([...encodeRecord(a), ...b])),
      fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.dictionary(fc.string(), fc.integer()), fc.array(fc.nat())),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(foreign, async (value) => {
        const idb = new IDBFactory();
        const name = `c${n++}`;
        const s = await openIndexedDbStorage(name, { indexedDB: idb });
        for (const g of good) await s.append(g);
        await s.close();
        await rawAdd(idb, name, value);
        const before = await rawValues(idb, name);
        const t = await openIndexedDbStorage(name, { indexedDB: idb });
        let code = 'OK';
        try {
          const back = await t.load();
          // A flip can only be accepted if it produced another valid framing of the same kind.
          expect(back.slice(0, 3).map(toHex)).toEqual(good.map(toHex));
          expect(back).toHaveLength(4);
        } catch (error) {
          code = (error as { code?: string }).code ?? String(error);
        }
        expect(['OK', 'ERR_ECONOMY_STORAGE_CORRUPT']).toContain(code);
        if (!(value instanceof Uint8Array)) expect(code).toBe('ERR_ECONOMY_STORAGE_CORRUPT');
        await t.close();
        expect(await rawValues(idb, name)).toEqual(before);
      }),
      { seed, numRuns: 150 },
    );
  });

  it('decodeStoredRecord accepts exactly one intact framed record', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (payload) => {
        expect(toHex(decodeStoredRecord(encodeRecord(payload), 1))).toBe(toHex(payload));
      }),
      { seed, numRuns: 300 },
    );
    expect(() => decodeStoredRecord(new Uint8Array(0), 1)).toThrow(expect.objectContaining({ code: 'ERR_ECONOMY_STORAGE_CORRUPT' }));
  });
});
