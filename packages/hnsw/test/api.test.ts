import { describe, expect, it } from 'vitest';
import { DimensionMismatchError, HnswError, UnknownIdError, createIndex, type HnswIndex } from '../src/index.js';
import { clustered, expectCode, hex, row } from './helpers.js';

function small(metric: 'cosine' | 'l2' | 'ip' = 'cosine'): HnswIndex {
  const index = createIndex({ dim: 4, metric, M: 4, efConstruction: 20, seed: 1 });
  index.add(1, [1, 0, 0, 0]);
  index.add('two', [0, 1, 0, 0]);
  index.add(3, [0, 0, 1, 0]);
  return index;
}

describe('API', () => {
  it('string and integer ids, has/get/size, results sorted ascending', () => {
    const index = small();
    expect(index.size).toBe(3);
    expect(index.has(1)).toBe(true);
    expect(index.has('1')).toBe(false); // 1 and '1' are different ids
    expect(index.has('two')).toBe(true);
    expect(Array.from(index.get('two')!)).toEqual([0, 1, 0, 0]);
    expect(index.get('nope')).toBeUndefined();
    const r = index.search([0.9, 0.1, 0, 0], 3);
    expect(r.ids[0]).toBe(1);
    expect(r.ids).toHaveLength(3);
    for (let i = 1; i < r.distances.length; i++) expect(r.distances[i]).toBeGreaterThanOrEqual(r.distances[i - 1]!);
    expect(index.search([1, 0, 0, 0], 10).ids).toHaveLength(3); // k larger than the index
  });

  it('cosine normalises once: stored vectors have unit length and distance is 1 - cos', () => {
    const index = createIndex({ dim: 3, metric: 'cosine' });
    index.add('a', [3, 4, 0]);
    const v = index.get('a')!;
    expect(v[0]).toBeCloseTo(0.6, 6);
    expect(v[1]).toBeCloseTo(0.8, 6);
    const r = index.search([0, 10, 0], 1);
    expect(r.distances[0]).toBeCloseTo(1 - 0.8, 6);
  });

  it('l2 distance is squared Euclidean; ip distance is 1 - dot', () => {
    const l2 = createIndex({ dim: 2, metric: 'l2' });
    l2.add(0, [1, 1]);
    expect(l2.search([4, 5], 1).distances[0]).toBeCloseTo(25, 5);
    const ip = createIndex({ dim: 2, metric: 'ip' });
    ip.add(0, [1, 2]);
    expect(ip.search([3, 4], 1).distances[0]).toBeCloseTo(1 - 11, 5);
  });

  it('adding an existing id updates it', () => {
    const index = small();
    index.add(1, [0, 0, 0, 1]);
    expect(index.size).toBe(3);
    expect(Array.from(index.get(1)!)).toEqual([0, 0, 0, 1]);
    expect(index.search([0, 0, 0, 1], 1).ids[0]).toBe(1);
    expect(index.search([1, 0, 0, 0], 1).distances[0]).toBeGreaterThan(0.5);
  });

  it('remove, then add again; removing the last vector empties the index', () => {
    const index = small();
    index.remove('two');
    expect(index.has('two')).toBe(false);
    expect(index.size).toBe(2);
    expect(index.search([0, 1, 0, 0], 3).ids).not.toContain('two');
    index.remove(1);
    index.remove(3);
    expect(index.size).toBe(0);
    expect(index.search([0, 1, 0, 0], 3).ids).toEqual([]);
    index.add('two', [0, 1, 0, 0]);
    expect(index.search([0, 1, 0, 0], 1).ids).toEqual(['two']);
  });

  it('grows past its initial capacity', () => {
    const dim = 8;
    const data = clustered(3000, dim, 5, 2);
    const index = createIndex({ dim, metric: 'l2', M: 8, efConstruction: 40, capacity: 10 });
    for (let i = 0; i < 3000; i++) index.add(i, row(data, dim, i));
    expect(index.size).toBe(3000);
    expect(index.stats().capacity).toBeGreaterThanOrEqual(3000);
    for (let i = 0; i < 3000; i += 300) expect(index.search(row(data, dim, i), 1).ids[0]).toBe(i);
  });

  it('is deterministic given a seed', () => {
    const dim = 16;
    const data = clustered(800, dim, 8, 3);
    const build = () => {
      const index = createIndex({ dim, M: 8, efConstruction: 50, seed: 99 });
      index.addBatch(Array.from({ length: 800 }, (_, i) => i), data);
      for (let i = 0; i < 800; i += 7) index.remove(i);
      return index;
    };
    expect(hex(build().serialize())).toBe(hex(build().serialize()));
  });

  it('addBatch accepts an array of vectors or one flat array', () => {
    const a = createIndex({ dim: 2, metric: 'l2' });
    a.addBatch(['x', 'y'], [[1, 2], [3, 4]]);
    const b = createIndex({ dim: 2, metric: 'l2' });
    b.addBatch(['x', 'y'], new Float64Array([1, 2, 3, 4]));
    expect(hex(a.serialize())).toBe(hex(b.serialize()));
  });
});

describe('bad input: a typed error and the index unchanged', () => {
  const cases: [string, (i: HnswIndex) => unknown, string][] = [
    ['wrong dimension on add', (i) => i.add(9, [1, 2, 3]), 'ERR_DIMENSION_MISMATCH'],
    ['wrong dimension on search', (i) => i.search([1, 2, 3, 4, 5], 1), 'ERR_DIMENSION_MISMATCH'],
    ['NaN component', (i) => i.add(9, [1, NaN, 0, 0]), 'ERR_NON_FINITE'],
    ['infinite component', (i) => i.add(9, [1, Infinity, 0, 0]), 'ERR_NON_FINITE'],
    ['non-number component', (i) => i.add(9, [1, '2' as unknown as number, 0, 0]), 'ERR_NON_FINITE'],
    ['component beyond float32', (i) => i.add(9, [1e39, 0, 0, 0]), 'ERR_NON_FINITE'],
    ['vector that is zero in float32 under cosine', (i) => i.add(9, [1e-50, 0, 0, 0]), 'ERR_ZERO_VECTOR'],
    ['vector too long for float32 distances', (i) => i.add(9, [1e19, 1e19, 0, 0]), 'ERR_NON_FINITE'],
    ['NaN in query', (i) => i.search([NaN, 0, 0, 0], 1), 'ERR_NON_FINITE'],
    ['zero vector under cosine', (i) => i.add(9, [0, 0, 0, 0]), 'ERR_ZERO_VECTOR'],
    ['zero query under cosine', (i) => i.search([0, 0, 0, 0], 1), 'ERR_ZERO_VECTOR'],
    ['unknown id on remove', (i) => i.remove('ghost'), 'ERR_UNKNOWN_ID'],
    ['float id', (i) => i.add(1.5, [1, 0, 0, 0]), 'ERR_INVALID_ID'],
    ['unsafe integer id', (i) => i.add(2 ** 60, [1, 0, 0, 0]), 'ERR_INVALID_ID'],
    ['object id', (i) => i.add({} as unknown as string, [1, 0, 0, 0]), 'ERR_INVALID_ID'],
    ['lone surrogate id', (i) => i.add('\ud800', [1, 0, 0, 0]), 'ERR_INVALID_ID'],
    ['k = 0', (i) => i.search([1, 0, 0, 0], 0), 'ERR_INVALID_ARGUMENT'],
    ['k < 0', (i) => i.search([1, 0, 0, 0], -3), 'ERR_INVALID_ARGUMENT'],
    ['k not an integer', (i) => i.search([1, 0, 0, 0], 1.5), 'ERR_INVALID_ARGUMENT'],
    ['efSearch = 0', (i) => i.search([1, 0, 0, 0], 1, { efSearch: 0 }), 'ERR_INVALID_ARGUMENT'],
    ['filter not a function', (i) => i.search([1, 0, 0, 0], 1, { filter: 3 as unknown as () => boolean }), 'ERR_INVALID_ARGUMENT'],
    ['query not an array', (i) => i.search(5 as unknown as number[], 1), 'ERR_INVALID_ARGUMENT'],
    ['addBatch with one bad vector adds nothing', (i) => i.addBatch([7, 8], [[1, 0, 0, 0], [NaN, 0, 0, 0]]), 'ERR_NON_FINITE'],
    ['addBatch length mismatch', (i) => i.addBatch([7, 8], [[1, 0, 0, 0]]), 'ERR_INVALID_ARGUMENT'],
    ['addBatch flat length mismatch', (i) => i.addBatch([7, 8], new Float32Array(7)), 'ERR_DIMENSION_MISMATCH'],
    ['addBatch bad id', (i) => i.addBatch([7, null as unknown as number], [[1, 0, 0, 0], [0, 1, 0, 0]]), 'ERR_INVALID_ID'],
    ['corrupt snapshot', (i) => i.applyDelta(new Uint8Array(60)), 'ERR_CORRUPT_DELTA'],
    ['exportDelta from the future', (i) => i.exportDelta(99), 'ERR_INVALID_ARGUMENT'],
  ];
  for (const [name, fn, code] of cases) {
    it(name, () => {
      const index = small();
      const before = hex(index.serialize());
      expectCode(() => fn(index), code as never);
      expect(hex(index.serialize())).toBe(before);
      expect(index.search([1, 0, 0, 0], 1).ids).toEqual([1]);
    });
  }

  it('bad options', () => {
    expectCode(() => createIndex({ dim: 0 }), 'ERR_INVALID_OPTION');
    expectCode(() => createIndex({ dim: 4, metric: 'dot' as never }), 'ERR_INVALID_OPTION');
    expectCode(() => createIndex({ dim: 4, M: 1 }), 'ERR_INVALID_OPTION');
    expectCode(() => createIndex({ dim: 4, efConstruction: 0 }), 'ERR_INVALID_OPTION');
    expectCode(() => createIndex({ dim: 4, seed: -1 }), 'ERR_INVALID_OPTION');
    expectCode(() => createIndex({ dim: 4, quantization: 'pq' as never }), 'ERR_INVALID_OPTION');
    expectCode(() => createIndex(null as never), 'ERR_INVALID_OPTION');
    expect(new HnswError('ERR_UNKNOWN_ID', 'x')).toBeInstanceOf(Error);
  });

  it('each failure has its own class, and isInstance works across copies of the package', () => {
    const index = small();
    let err: unknown;
    try {
      index.add(9, [1, 2]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DimensionMismatchError);
    expect((err as HnswError).name).toBe('DimensionMismatchError');
    expect(HnswError.isInstance(err)).toBe(true);
    expect(HnswError.isInstance(new Error('x'))).toBe(false);
    // an error from another copy of the package carries the same Symbol.for marker
    const foreign = Object.assign(new Error('other copy'), { [Symbol.for('@edge/hnsw/error')]: true });
    expect(HnswError.isInstance(foreign)).toBe(true);
    expect(() => index.remove('ghost')).toThrow(UnknownIdError);
  });
});
