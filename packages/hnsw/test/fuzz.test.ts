// fast-check fuzzing of deserialize() and applyDelta() with mutated bytes: only HnswError may be
// thrown, a failed applyDelta leaves the index unchanged, and whatever is accepted is a working index.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HnswError, crc32, createIndex, deserialize, type HnswIndex } from '../src/index.js';
import { SEED, clustered, hex, row } from './helpers.js';

const dim = 8;
const data = clustered(200, dim, 5, 17);
const opts = { dim, metric: 'cosine' as const, M: 4, efConstruction: 16 };

function origin(): HnswIndex {
  const index = createIndex({ ...opts, seed: 3 });
  index.addBatch(Array.from({ length: 60 }, (_, i) => (i % 3 ? i : `id-${i}`)), data.subarray(0, 60 * dim));
  for (let i = 0; i < 60; i += 7) index.remove(i % 3 ? i : `id-${i}`);
  index.add(1, row(data, dim, 100));
  return index;
}

const base = origin();
const snapshot = base.serialize();
const replicaVersion = 30;
const delta = base.exportDelta(replicaVersion);

/** A byte-level mutation: flips, overwrites, truncation, insertion, optionally with a fixed CRC. */
const mutation = fc.record({
  edits: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('int' as const), at: fc.nat(), value: fc.integer({ min: -5, max: 2 ** 31 - 1 }) }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
  fixCrc: fc.boolean(),
});

function mutate(src: Uint8Array, m: fc.Arbitrary<unknown> extends never ? never : { edits: { kind: string; at: number; value?: number; bit?: number }[]; fixCrc: boolean }): Uint8Array {
  let b = src.slice();
  for (const e of m.edits) {
    if (b.length === 0) break;
    const at = e.at % b.length;
    if (e.kind === 'set') b[at] = e.value!;
    else if (e.kind === 'flip') b[at] ^= 1 << e.bit!;
    else if (e.kind === 'truncate') b = b.slice(0, at);
    else if (e.kind === 'insert') b = new Uint8Array([...b.subarray(0, at), e.value!, ...b.subarray(at)]);
    else if (e.kind === 'int' && at + 4 <= b.length) new DataView(b.buffer).setInt32(at & ~3, e.value!, true);
  }
  if (m.fixCrc && b.length >= 8) new DataView(b.buffer).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
}

/** The index answers, grows and round-trips without throwing anything but HnswError. */
function exercise(index: HnswIndex): void {
  for (let q = 150; q < 155; q++) {
    const r = index.search(row(data, dim, q), 5, { efSearch: 20 });
    expect(r.ids.length).toBeLessThanOrEqual(5);
    for (const id of r.ids) expect(index.has(id)).toBe(true);
  }
  index.add('fresh', row(data, dim, 160));
  expect(index.has('fresh')).toBe(true);
  expect(index.bruteForce(row(data, dim, 160), 1).ids[0]).toBe('fresh');
  for (const id of index.search(row(data, dim, 160), 3).ids) expect(index.has(id)).toBe(true);
  const again = deserialize(index.serialize());
  expect(again.size).toBe(index.size);
  for (const id of index.ids().slice(0, 5)) index.remove(id);
}

const runs = { seed: SEED, numRuns: 400 };

describe('fuzzing with fast-check', () => {
  it('deserialize of mutated snapshots throws only HnswError, and accepted snapshots work', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const bytes = mutate(snapshot, m);
        let index: HnswIndex;
        try {
          index = deserialize(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(HnswError);
          return;
        }
        exercise(index);
      }),
      runs,
    );
  });

  it('applyDelta of mutated deltas throws only HnswError and leaves the index unchanged', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        // a replica at replicaVersion receives the mutated delta from there on
        const replica = createIndex(opts);
        const prefix = prefixDelta();
        replica.applyDelta(prefix);
        const before = hex(replica.serialize());
        const bytes = mutate(delta, m);
        try {
          replica.applyDelta(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(HnswError);
          expect(hex(replica.serialize())).toBe(before);
          return;
        }
        exercise(replica);
      }),
      { ...runs, numRuns: 300 },
    );
  });

  it('random bytes are refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(() => deserialize(bytes)).toThrow(HnswError);
        const index = createIndex(opts);
        expect(() => index.applyDelta(bytes)).toThrow(HnswError);
        expect(index.size).toBe(0);
      }),
      runs,
    );
  });
});

/** A delta holding the origin's first replicaVersion ops (made by replaying them on a fresh writer). */
let cachedPrefix: Uint8Array | undefined;
function prefixDelta(): Uint8Array {
  if (cachedPrefix) return cachedPrefix;
  const w = createIndex({ ...opts, seed: 3 });
  w.addBatch(Array.from({ length: replicaVersion }, (_, i) => (i % 3 ? i : `id-${i}`)), data.subarray(0, replicaVersion * dim));
  cachedPrefix = w.exportDelta(0);
  return cachedPrefix;
}
