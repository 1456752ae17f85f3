/**
 * Fuzzing of every decoder the economy exposes to the network: entries, sync messages, yjs
 * updates, decisions. Only typed errors may escape, and nothing that counts may change.
 */

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { prng, testSeed } from '@edge/tooling/seed';
import { toHex } from '@edge/identity';
import { createSyncSession, decodeEntry, decodeSyncMessage, EconomyError, openLedger, type Ledger } from '../src/index.js';
import { bytes32, clock, keyFor, testPolicy } from './helpers.js';

const seed = testSeed();

async function populated() {
  const c = clock();
  const L = await openLedger({ policy: testPolicy(), now: c.now });
  const rand = prng(seed);
  const keys = [keyFor(seed, 1), keyFor(seed, 2)];
  const samples: Uint8Array[] = [];
  for (const k of keys) samples.push((await L.account(k).genesis()).bytes);
  c.advance(5);
  samples.push((await L.account(keys[0]!).hold(bytes32(rand), 5000)).bytes);
  samples.push((await L.account(keys[1]!).stake(5000)).bytes);
  return { L, samples, c };
}

function fingerprint(L: Ledger) {
  return toHex(L.merkleRoot()) + JSON.stringify([...L.state().accounts.values()].map((a) => [a.balance, a.escrow, a.stake]));
}

const mutate = (base: Uint8Array[]) =>
  fc.tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat(), { nil: undefined })).map(([i, flips, cut]) => {
    const b = base[i % base.length]!.slice();
    for (const [pos, v] of flips) b[pos % b.length] = v;
    return cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
  });

describe('fuzz', () => {
  it('decodeEntry: random and mutated bytes throw only EntryFormatError', async () => {
    const { samples } = await populated();
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutate(samples)), (bytes) => {
        try {
          decodeEntry(bytes);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ERR_ECONOMY_ENTRY_FORMAT');
        }
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('addEntry / addDecision: garbage changes nothing', async () => {
    const { L, samples } = await populated();
    const before = fingerprint(L);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutate(samples)), async (bytes) => {
        await L.addEntry(bytes);
        await L.addDecision(bytes);
        // A mutation can only ever reproduce an entry we already hold.
        expect(fingerprint(L)).toBe(before);
      }),
      { seed, numRuns: 300 },
    );
    expect(Object.values(L.stats().refused).reduce((a, b) => a + b, 0)).toBeGreaterThan(250);
  });

  it('sync messages and yjs updates: typed errors only, balances and root unchanged', async () => {
    const { L, c } = await populated();
    const donor = await populated();
    const update = donor.L.encodeUpdate();
    const sv = donor.L.encodeStateVector();
    const before = fingerprint(L);
    const session = createSyncSession(L, () => {});
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          mutate([update]).map((u) => Uint8Array.from([2, ...u])),
          mutate([sv]).map((u) => Uint8Array.from([0, ...u])),
          mutate([update]).map((u) => Uint8Array.from([1, ...u])),
        ),
        async (bytes) => {
          try {
            decodeSyncMessage(bytes);
          } catch (error) {
            expect((error as { code?: string }).code).toBe('ERR_ECONOMY_SYNC_MESSAGE');
          }
          const probe = await openLedger({ policy: testPolicy(), now: c.now });
          try {
            await probe.receive(bytes);
          } catch (error) {
            expect(EconomyError.isInstance(error)).toBe(true);
          }
          try {
            await session.receive(bytes);
          } catch (error) {
            expect(EconomyError.isInstance(error)).toBe(true);
          }
          // The donor signed the very entries this replica holds (same seed, same clock), so a
          // mutated update can at most repeat them: nothing that counts may change.
          expect(fingerprint(L)).toBe(before);
        },
      ),
      { seed, numRuns: 250 },
    );
    session.close();
    expect(toHex(donor.L.merkleRoot())).toBe(toHex(L.merkleRoot()));
  });
});
