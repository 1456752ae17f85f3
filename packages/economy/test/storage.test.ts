import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, appendFile, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { prng, testSeed } from '@edge/tooling/seed';
import { toHex } from '@edge/identity';
import { createMemoryStorage, decodeRecords, encodeRecord, openLedger, STORAGE_MAGIC, type LedgerStorage } from '../src/index.js';
import { openFileStorage } from '../src/node.js';
import { bytes32, clock, keyFor, testPolicy } from './helpers.js';

const seed = testSeed();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp() {
  const d = await mkdtemp(join(tmpdir(), 'edge-economy-'));
  dirs.push(d);
  return d;
}

/** Writes a random workload through `storage`; returns the acknowledged keys and the final state. */
async function workload(storage: LedgerStorage, n: number, c = clock()) {
  const rand = prng(seed);
  const L = await openLedger({ policy: testPolicy(), now: c.now, storage });
  const keys = [keyFor(seed, 1), keyFor(seed, 2)];
  const acked: string[] = [];
  for (const k of keys) acked.push((await L.account(k).genesis()).key);
  for (let i = 0; i < n; i++) {
    c.advance(3);
    acked.push((await L.account(keys[i % 2]!).hold(bytes32(rand), 1 + Math.floor(rand() * 1000))).key);
  }
  return { L, acked, c, balances: keys.map((k) => L.balanceOf(k.publicKey)!.balance), root: toHex(L.merkleRoot()), keys };
}

describe('crash safety', () => {
  it('file storage: every acknowledged entry survives dropping the instance without close', async () => {
    const path = join(await tmp(), 'ledger.log');
    const { acked, balances, root, keys, c } = await workload(await openFileStorage(path), 25);
    // "Crash": the ledger and its storage are simply dropped. Reopen from the file.
    const L2 = await openLedger({ policy: testPolicy(), now: c.now, storage: await openFileStorage(path) });
    for (const k of acked) expect(L2.entry(k), k).toBeDefined();
    expect(keys.map((k) => L2.balanceOf(k.publicKey)!.balance)).toEqual(balances);
    expect(toHex(L2.merkleRoot())).toBe(root);
    // The reopened ledger keeps writing on top of the recovered chain.
    c.advance(3);
    const more = await L2.account(keys[0]!).stake(10);
    expect(L2.entry(more.key)).toBeDefined();
    await L2.close();
  });

  it('a torn last record (crash mid-write) is cut; everything acknowledged before it survives', async () => {
    const dir = await tmp();
    const path = join(dir, 'ledger.log');
    const { acked, root, c } = await workload(await openFileStorage(path), 10);
    const good = (await stat(path)).size;
    const rand = prng(seed ^ 0x55);
    // A record header promising more bytes than were written, then half a payload.
    const partial = encodeRecord(bytes32(rand)).subarray(0, 20);
    await appendFile(path, partial);
    const fs = await openFileStorage(path);
    expect(fs.recoveredTornTail).toBe(true);
    expect((await stat(path)).size).toBe(good);
    const L2 = await openLedger({ policy: testPolicy(), now: c.now, storage: fs });
    for (const k of acked) expect(L2.entry(k)).toBeDefined();
    expect(toHex(L2.merkleRoot())).toBe(root);
    await L2.close();
    // Cut the file at every point inside its last record: the records before it always survive.
    const image = new Uint8Array(await readFile(path));
    const { records } = decodeRecords(image);
    let lastStart = STORAGE_MAGIC.length;
    for (const r of records.slice(0, -1)) lastStart += 8 + r.length;
    for (let cutAt = lastStart; cutAt < image.length; cutAt += Math.max(1, Math.floor((image.length - lastStart) / 7))) {
      const p = join(dir, `cut-${cutAt}.log`);
      await writeFile(p, image.subarray(0, cutAt));
      const s = await openFileStorage(p);
      expect(await s.load()).toHaveLength(records.length - 1);
      await s.close();
    }
  });

  it('damage before the last record is corruption, not a torn tail', async () => {
    const dir = await tmp();
    const path = join(dir, 'ledger.log');
    const { L } = await workload(await openFileStorage(path), 4);
    await L.close();
    const image = new Uint8Array(await readFile(path));
    image[STORAGE_MAGIC.length + 12]! ^= 0xff; // inside the first record's payload
    await writeFile(path, image);
    await expect(openFileStorage(path)).rejects.toMatchObject({ code: 'ERR_ECONOMY_STORAGE_CORRUPT' });
    await truncate(path, 3);
    await writeFile(path, new TextEncoder().encode('NOTALOG!'));
    await expect(openFileStorage(path)).rejects.toMatchObject({ code: 'ERR_ECONOMY_STORAGE_CORRUPT' });
  });

  it('an entry is acknowledged only after its record is durable', async () => {
    const inner = createMemoryStorage();
    const events: string[] = [];
    let release: (() => void) | undefined;
    const slow: LedgerStorage = {
      load: () => inner.load(),
      close: () => inner.close(),
      append(record) {
        events.push('write-start');
        return new Promise<void>((resolve) => {
          release = () => {
            void inner.append(record).then(() => {
              events.push('durable');
              resolve();
            });
          };
        });
      },
    };
    const L = await openLedger({ policy: testPolicy(), now: clock().now, storage: slow });
    const p = L.account(keyFor(seed, 9)).genesis().then((r) => {
      events.push('ack');
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['write-start']);
    release!();
    await p;
    expect(events).toEqual(['write-start', 'durable', 'ack']);
    // Memory storage reopened is a restart too.
    const L2 = await openLedger({ policy: testPolicy(), now: clock().now, storage: inner.reopen() });
    expect(L2.balanceOf(keyFor(seed, 9).publicKey)).toBeDefined();
  });

  it('group commit: concurrent appends all land, in order', async () => {
    const path = join(await tmp(), 'g.log');
    const fs = await openFileStorage(path);
    const rand = prng(seed ^ 7);
    const recs = Array.from({ length: 200 }, () => bytes32(rand));
    await Promise.all(recs.map((r) => fs.append(r)));
    const back = await fs.load();
    expect(back.map(toHex)).toEqual(recs.map(toHex));
    await fs.close();
    await expect(fs.append(recs[0]!)).rejects.toMatchObject({ code: 'ERR_ECONOMY_STORAGE_CLOSED' });
  });

  it('decodeRecords: random bytes give a typed error or a prefix, never anything else (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withMagic) => {
        const image = withMagic ? new Uint8Array([...STORAGE_MAGIC, ...bytes]) : bytes;
        try {
          const d = decodeRecords(image);
          expect(d.goodLength).toBeLessThanOrEqual(image.length);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ERR_ECONOMY_STORAGE_CORRUPT');
        }
      }),
      { seed, numRuns: 3000 },
    );
  });
});
