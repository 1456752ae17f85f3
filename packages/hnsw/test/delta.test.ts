import { describe, expect, it } from 'vitest';
import { createIndex, deserialize, type HnswIndex } from '../src/index.js';
import { clustered, expectCode, hex, row } from './helpers.js';

const dim = 16;
const data = clustered(3000, dim, 10, 31);
const opts = { dim, metric: 'cosine' as const, M: 10, efConstruction: 50 };

function results(index: HnswIndex) {
  const out = [];
  for (let q = 2800; q < 3000; q += 2) out.push(index.search(row(data, dim, q), 10, { efSearch: 30 }));
  return out;
}

/** A writer doing adds, updates and removes in three rounds, exporting a delta after each. */
function writer(): { origin: HnswIndex; marks: number[]; rounds: Uint8Array[] } {
  const origin = createIndex({ ...opts, seed: 5 });
  const marks = [0];
  const rounds: Uint8Array[] = [];
  const cut = () => {
    rounds.push(origin.exportDelta(marks[marks.length - 1]!));
    marks.push(origin.currentVersion);
  };
  origin.addBatch(Array.from({ length: 1000 }, (_, i) => i), data.subarray(0, 1000 * dim));
  cut();
  for (let i = 0; i < 1000; i += 4) origin.remove(i);
  for (let i = 1; i < 200; i += 4) origin.add(i, row(data, dim, 1000 + i)); // updates
  cut();
  origin.addBatch(Array.from({ length: 800 }, (_, i) => `w${i}`), data.subarray(1200 * dim, 2000 * dim));
  for (let i = 0; i < 800; i += 5) origin.remove(`w${i}`);
  cut();
  return { origin, marks, rounds };
}

describe('exportDelta / applyDelta', () => {
  it('replicating by deltas gives identical results (and identical snapshots)', () => {
    const { origin, rounds } = writer();
    // replica A: the three round deltas, in order
    const a = createIndex({ ...opts, seed: 777 }); // the seed does not matter: levels travel in the delta
    for (const d of rounds) a.applyDelta(d);
    expect(results(a)).toEqual(results(origin));
    expect(hex(a.serialize().subarray(28, -4))).toBe(hex(origin.serialize().subarray(28, -4))); // the header differs in seed
    // replica B: one delta for everything
    const b = createIndex(opts);
    expect(b.applyDelta(origin.exportDelta(0))).toBe(origin.currentVersion);
    expect(results(b)).toEqual(results(origin));
    expect(hex(b.serialize().subarray(28, -4))).toBe(hex(origin.serialize().subarray(28, -4)));
  });

  it('any order that respects causality gives the same index: early deltas wait, repeats are no-ops', () => {
    const { origin, marks, rounds } = writer();
    const full = origin.exportDelta(0);
    const fromMiddle = origin.exportDelta(marks[1]!);
    const orders: Uint8Array[][] = [
      [rounds[0]!, rounds[1]!, rounds[2]!],
      [rounds[0]!, fromMiddle, rounds[2]!, rounds[1]!],
      [full, rounds[0]!, rounds[2]!],
      [rounds[0]!, rounds[0]!, full, fromMiddle],
    ];
    const expected = results(origin);
    const snapshot = hex(origin.serialize().subarray(28, -4));
    for (const order of orders) {
      const r = createIndex(opts);
      for (const d of order) r.applyDelta(d);
      expect(results(r)).toEqual(expected);
      expect(hex(r.serialize().subarray(28, -4))).toBe(snapshot);
    }
    // a delta that arrives before its cause is refused and leaves the replica as it was
    const r = createIndex(opts);
    r.applyDelta(rounds[0]!);
    const before = hex(r.serialize());
    expectCode(() => r.applyDelta(rounds[2]!), 'ERR_VERSION_GAP');
    expect(hex(r.serialize())).toBe(before);
    r.applyDelta(rounds[1]!);
    r.applyDelta(rounds[2]!);
    expect(results(r)).toEqual(expected);
  });

  it('chains: snapshot at one version, then deltas; a replica re-exports to another', () => {
    const origin = createIndex({ ...opts, seed: 1 });
    origin.addBatch(Array.from({ length: 600 }, (_, i) => i), data.subarray(0, 600 * dim));
    const snap = origin.serialize();
    const v1 = origin.currentVersion;
    for (let i = 0; i < 600; i += 3) origin.remove(i);
    const v2 = origin.currentVersion;
    origin.addBatch(Array.from({ length: 600 }, (_, i) => `b${i}`), data.subarray(600 * dim, 1200 * dim));

    const replica = deserialize(snap);
    replica.applyDelta(origin.exportDelta(v1));
    expect(results(replica)).toEqual(results(origin));

    const third = createIndex(opts);
    third.applyDelta(replica.exportDelta(v1).length > 0 ? origin.exportDelta(0) : new Uint8Array(0));
    expect(results(third)).toEqual(results(origin));
    expect(replica.exportDelta(v2).length).toBe(origin.exportDelta(v2).length);
    expect(hex(replica.exportDelta(v2))).toBe(hex(origin.exportDelta(v2)));
  });

  it('refuses a gap, a diverged history and an incompatible index, leaving the index unchanged', () => {
    const { origin, rounds } = writer();
    const later = rounds[2]!;
    const replica = createIndex(opts);
    replica.applyDelta(origin.exportDelta(0).slice(0)); // full
    const fresh = createIndex(opts);
    expectCode(() => fresh.applyDelta(later), 'ERR_VERSION_GAP');
    expect(fresh.size).toBe(0);

    const other = createIndex(opts);
    other.add('x', row(data, dim, 5));
    const before = hex(other.serialize());
    expectCode(() => other.applyDelta(origin.exportDelta(0)), 'ERR_DIVERGED');
    expect(hex(other.serialize())).toBe(before);

    const wrongM = createIndex({ ...opts, M: 12 });
    expectCode(() => wrongM.applyDelta(origin.exportDelta(0)), 'ERR_INCOMPATIBLE');
    const wrongDim = createIndex({ ...opts, dim: 8 });
    expectCode(() => wrongDim.applyDelta(origin.exportDelta(0)), 'ERR_INCOMPATIBLE');
    expect(replica.size).toBe(origin.size);
  });

  it('after truncateLog or log: false, older versions are unavailable', () => {
    const a = createIndex({ ...opts, log: false });
    a.add(1, row(data, dim, 1));
    a.add(2, row(data, dim, 2));
    expectCode(() => a.exportDelta(0), 'ERR_DELTA_UNAVAILABLE');
    expect(a.exportDelta(2).length).toBeGreaterThan(0);
    const b = createIndex(opts);
    b.add(1, row(data, dim, 1));
    b.truncateLog();
    b.add(2, row(data, dim, 2));
    expectCode(() => b.exportDelta(0), 'ERR_DELTA_UNAVAILABLE');
    const c = createIndex(opts);
    c.add(1, row(data, dim, 1));
    c.applyDelta(b.exportDelta(1));
    expect(hex(c.serialize())).toBe(hex(b.serialize()));
  });
});

