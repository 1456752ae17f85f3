import { describe, expect, it } from 'vitest';
import { createIndex, type Metric } from '../src/index.js';
import { clustered, fioriVectors, recallAt, row } from './helpers.js';

describe('recall@10 against brute force', () => {
  for (const metric of ['cosine', 'l2', 'ip'] as Metric[]) {
    it(`seeded synthetic set, ${metric}: >= 0.95`, () => {
      const dim = 32, n = 4000;
      const data = clustered(n + 200, dim, 20, 1234);
      const index = createIndex({ dim, metric, M: 16, efConstruction: 100, efSearch: 64, seed: 7 });
      index.addBatch(Array.from({ length: n }, (_, i) => i), data.subarray(0, n * dim));
      expect(index.size).toBe(n);
      const recall = recallAt(index, data.subarray(n * dim), dim, 10);
      expect(recall).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('the default parameters (M 32, efConstruction 200, efSearch 64) on the synthetic set, both kernels', () => {
    const dim = 48, n = 3000;
    const data = clustered(n + 200, dim, 30, 99);
    for (const kernel of ['wasm', 'js'] as const) {
      const index = createIndex({ dim, metric: 'cosine', seed: 1, kernel });
      expect(index.stats().kernel).toBe(kernel);
      index.addBatch(Array.from({ length: n }, (_, i) => `doc-${i}`), data.subarray(0, n * dim));
      expect(recallAt(index, data.subarray(n * dim), dim, 10)).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('int8 traversal with exact re-ranking: >= 0.95, distances exact', () => {
    const dim = 64, n = 4000;
    const data = clustered(n + 200, dim, 25, 4321);
    const index = createIndex({ dim, metric: 'cosine', M: 16, efConstruction: 100, quantization: 'int8', seed: 3 });
    index.addBatch(Array.from({ length: n }, (_, i) => i), data.subarray(0, n * dim));
    expect(recallAt(index, data.subarray(n * dim), dim, 10)).toBeGreaterThanOrEqual(0.95);
    const q = row(data, dim, n + 1);
    const exact = index.bruteForce(q, 1);
    const got = index.search(q, 1, { efSearch: 100 });
    expect(got.ids[0]).toBe(exact.ids[0]);
    expect(got.distances[0]).toBe(exact.distances[0]);
  });

  it('fiori-docs-embeddings (778 all-MiniLM-L6-v2 vectors, leave-one-out): >= 0.95', () => {
    const { n, dim, data } = fioriVectors();
    expect(n).toBe(778);
    expect(dim).toBe(384);
    const index = createIndex({ dim, metric: 'cosine', seed: 11 });
    const ids = Array.from({ length: n }, (_, i) => i);
    index.addBatch(ids, data);
    const recall = recallAt(index, data, dim, 10, { excludeSelfIds: ids });
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('stays >= 0.95 after deleting 30% of the points, and never returns a deleted id', () => {
    const dim = 32, n = 5000;
    const data = clustered(n + 200, dim, 20, 555);
    const index = createIndex({ dim, metric: 'cosine', M: 16, efConstruction: 100, seed: 5 });
    index.addBatch(Array.from({ length: n }, (_, i) => i), data.subarray(0, n * dim));
    const deleted = new Set<number>();
    for (let i = 0; i < n; i += 10) for (const j of [0, 3, 6]) deleted.add(i + j); // 30%
    for (const id of deleted) index.remove(id);
    expect(index.size).toBe(n - deleted.size);
    const queries = data.subarray(n * dim);
    expect(recallAt(index, queries, dim, 10)).toBeGreaterThanOrEqual(0.95);
    for (let q = 0; q < 50; q++) {
      for (const id of index.search(row(queries, dim, q), 20).ids) expect(deleted.has(id as number)).toBe(false);
    }
    // deleted slots are reused by later inserts and recall holds
    index.addBatch(Array.from({ length: 1000 }, (_, i) => `new-${i}`), clustered(1000, dim, 20, 556));
    expect(index.stats().deleted).toBe(deleted.size - 1000);
    expect(recallAt(index, queries, dim, 10)).toBeGreaterThanOrEqual(0.95);
  });

  it('filter: only accepted ids come back, and they are the exact filtered neighbours', () => {
    const dim = 16, n = 3000;
    const data = clustered(n + 50, dim, 10, 77);
    const index = createIndex({ dim, metric: 'l2', M: 16, efConstruction: 100, seed: 9 });
    index.addBatch(Array.from({ length: n }, (_, i) => i), data.subarray(0, n * dim));
    const filter = (id: string | number) => (id as number) % 3 === 0;
    let hits = 0;
    for (let q = 0; q < 50; q++) {
      const query = row(data, dim, n + q);
      const got = index.search(query, 10, { efSearch: 100, filter });
      expect(got.ids.every((id) => filter(id))).toBe(true);
      const truth = new Set(index.bruteForce(query, 10, { filter }).ids);
      for (const id of got.ids) if (truth.has(id)) hits++;
    }
    expect(hits / 500).toBeGreaterThanOrEqual(0.95);
  });
});
