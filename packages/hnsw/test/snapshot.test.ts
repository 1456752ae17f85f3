import { describe, expect, it } from 'vitest';
import { createIndex, deserialize, HnswIndex, type Id } from '../src/index.js';
import { clustered, expectCode, hex, row } from './helpers.js';

const dim = 24;
const data = clustered(2400, dim, 12, 8);

function built(quantization: 'none' | 'int8' = 'none'): HnswIndex {
  const index = createIndex({ dim, metric: 'cosine', M: 12, efConstruction: 60, seed: 21, quantization });
  index.addBatch(Array.from({ length: 2000 }, (_, i) => (i % 2 ? i : `s${i}`)), data.subarray(0, 2000 * dim));
  for (let i = 0; i < 2000; i += 9) index.remove(i % 2 ? i : `s${i}`);
  return index;
}

function results(index: HnswIndex): { ids: Id[]; distances: number[] }[] {
  const out = [];
  for (let q = 2000; q < 2400; q += 4) out.push(index.search(row(data, dim, q), 10, { efSearch: 40 }));
  return out;
}

describe('serialize / deserialize', () => {
  for (const quantization of ['none', 'int8'] as const) {
    it(`gives identical search results (${quantization})`, () => {
      const a = built(quantization);
      const bytes = a.serialize();
      const b = deserialize(bytes);
      expect(b.size).toBe(a.size);
      expect(b.currentVersion).toBe(a.currentVersion);
      expect(results(b)).toEqual(results(a));
      expect(hex(b.serialize())).toBe(hex(bytes));
      // both go on identically: same later operations give the same graph
      for (const idx of [a, b]) {
        idx.addBatch(Array.from({ length: 200 }, (_, i) => `late${i}`), data.subarray(2000 * dim, 2200 * dim));
        idx.remove(1);
      }
      expect(hex(b.serialize())).toBe(hex(a.serialize()));
      expect(results(b)).toEqual(results(a));
    });
  }

  it('works across kernels (a wasm-built snapshot loads with the JS kernel)', () => {
    const a = built();
    const b = HnswIndex.deserialize(a.serialize(), { kernel: 'js' });
    expect(b.stats().kernel).toBe('js');
    const ra = results(a), rb = results(b);
    expect(rb.map((r) => r.ids)).toEqual(ra.map((r) => r.ids));
  });

  it('an empty index round-trips', () => {
    const a = createIndex({ dim: 3 });
    const b = deserialize(a.serialize());
    expect(b.size).toBe(0);
    expect(b.search([1, 2, 3], 5).ids).toEqual([]);
  });

  it('rejects truncated, corrupted and foreign bytes with CORRUPT_SNAPSHOT', () => {
    const bytes = built().serialize();
    expectCode(() => deserialize(bytes.subarray(0, bytes.length - 1)), 'ERR_CORRUPT_SNAPSHOT');
    expectCode(() => deserialize(bytes.subarray(0, 10)), 'ERR_CORRUPT_SNAPSHOT');
    expectCode(() => deserialize(new Uint8Array(0)), 'ERR_CORRUPT_SNAPSHOT');
    const flipped = bytes.slice();
    flipped[200] ^= 1;
    expectCode(() => deserialize(flipped), 'ERR_CORRUPT_SNAPSHOT');
    const delta = built().exportDelta(0);
    expectCode(() => deserialize(delta), 'ERR_CORRUPT_SNAPSHOT');
    expectCode(() => deserialize('nope' as never), 'ERR_INVALID_ARGUMENT');
  });
});
