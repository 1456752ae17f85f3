// The worker_threads side of the executor: every task handler runs here, off the node's main
// thread. Payloads arrive and results leave as canonical CBOR bytes (@edge/identity), so the
// result hash a worker signs is the hash of exactly these bytes, and two honest workers with
// the same pinned inputs (model id, index version) produce identical bytes.
//
// Messages (main -> worker): { id, op: 'run', type, payload } | { id, op: 'index', name, snapshot | delta }
//                            | { id, op: 'register', type, module }
// Replies: { id, ok: true, result?, version?, ms? } | { id, ok: false, error, code? }

import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { decodeCanonical, encodeCanonical } from '@edge/identity';
import { deserialize } from '@edge/hnsw';

/** @type {Map<string, import('@edge/hnsw').HnswIndex>} */
const indexes = new Map();
/** @type {Map<string, (payload: unknown, ctx: object) => unknown>} */
const userHandlers = new Map();
/** @type {Promise<any> | undefined} */
let embedderPromise;

function embedder() {
  if (embedderPromise === undefined) embedderPromise = import('@edge/embed').then((m) => m.loadDefaultModel());
  return embedderPromise;
}

/** Float32 values as little-endian bytes (every platform edge-net targets is little-endian). */
function f32Bytes(values) {
  const f = Float32Array.from(values);
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}

function f32From(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length % 4 !== 0) throw new TaskError('vector must be float32 bytes');
  const copy = bytes.slice();
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

class TaskError extends Error {
  constructor(message, code = 'bad-payload') {
    super(message);
    this.code = code;
  }
}

const builtins = {
  async vector_search(p) {
    const index = indexes.get(p.index);
    if (index === undefined) throw new TaskError(`no index "${p.index}"`, 'no-index');
    // Inputs are pinned: the offer names the index version, so honest workers agree bit for bit.
    if (index.currentVersion !== p.version) throw new TaskError(`index "${p.index}" is at version ${index.currentVersion}, task needs ${p.version}`, 'stale-index');
    const r = index.search(f32From(p.vector), p.k);
    return { ids: r.ids, distances: f32Bytes(r.distances) };
  },
  async embedding(p) {
    const e = await embedder();
    const vectors = await e.embed(p.texts);
    const flat = new Float32Array(vectors.length * e.dim);
    vectors.forEach((v, i) => flat.set(v, i * e.dim));
    return { model: e.modelId, dim: e.dim, vectors: new Uint8Array(flat.buffer) };
  },
  async semantic_match(p) {
    const e = await embedder();
    const { match } = await import('@edge/embed');
    const r = await match(e, p.text, p.categories);
    return { model: e.modelId, best: r.best, ids: r.scores.map((s) => s.id), scores: f32Bytes(r.scores.map((s) => s.score)), probabilities: f32Bytes(r.scores.map((s) => s.probability)) };
  },
};

async function run(type, payloadBytes) {
  const d = decodeCanonical(payloadBytes);
  if (!d.ok) throw new TaskError('payload is not canonical CBOR');
  const fn = builtins[type] ?? userHandlers.get(type);
  if (fn === undefined) throw new TaskError(`no handler for "${type}"`, 'no-handler');
  const value = await fn(d.value, { type });
  return encodeCanonical(value);
}

parentPort.on('message', async (m) => {
  try {
    if (m.op === 'run') {
      const t0 = performance.now();
      const result = await run(m.type, m.payload);
      const ms = performance.now() - t0;
      parentPort.postMessage({ id: m.id, ok: true, result, ms });
    } else if (m.op === 'index') {
      let index;
      if (m.snapshot !== undefined) {
        index = deserialize(m.snapshot);
        indexes.set(m.name, index);
      } else {
        index = indexes.get(m.name);
        if (index === undefined) throw new TaskError(`no index "${m.name}"`, 'no-index');
        index.applyDelta(m.delta);
      }
      parentPort.postMessage({ id: m.id, ok: true, version: index.currentVersion });
    } else if (m.op === 'ping') {
      parentPort.postMessage({ id: m.id, ok: true });
    } else if (m.op === 'register') {
      const mod = await import(m.module);
      const fn = mod[m.exportName ?? 'run'];
      if (typeof fn !== 'function') throw new TaskError(`module ${m.module} has no function export "${m.exportName ?? 'run'}"`, 'bad-module');
      userHandlers.set(m.type, fn);
      parentPort.postMessage({ id: m.id, ok: true });
    } else {
      throw new TaskError(`unknown op ${String(m.op)}`, 'bad-op');
    }
  } catch (error) {
    parentPort.postMessage({ id: m.id, ok: false, error: error instanceof Error ? error.message : String(error), code: error?.code ?? 'handler-error' });
  }
});
