/**
 * The internal side of the contract: a backend implements `KernelImpl`, which receives
 * validated, normalized shapes and a destination array, and `wrapBackend` turns it into the
 * public `Backend` (argument checks, output allocation, empty inputs, disposal). Keeping the
 * checks in one place means every backend rejects exactly the same inputs with the same
 * typed errors, before any backend-specific work starts.
 */
import type { Backend, BackendInfo, MatmulOptions, RowsOptions, SoftmaxOptions, AttentionOptions, LoraOptions, OutOption, ReduceOptions, TopKOptions, TopKResult } from './types.js';
import { DisposedError } from './errors.js';
import * as v from './validate.js';
import * as cpu from './cpu/kernels.js';

import type { MatmulShape, RowsShape, MatShape, AttentionShape, LoraShape, BinaryOp, UnaryOp, ReduceOp } from './shapes.js';
export type { MatmulShape, RowsShape, MatShape, AttentionShape, LoraShape, BinaryOp, UnaryOp, ReduceOp };

type MaybePromise = void | Promise<void>;

/** What a backend implements. Inputs are valid and non-empty; `out` has the right length. */
export interface KernelImpl {
  readonly info: BackendInfo;
  matmul(a: Float32Array, b: Float32Array, s: MatmulShape, out: Float32Array): MaybePromise;
  dot(q: Float32Array, m: Float32Array, s: RowsShape, cosine: boolean, out: Float32Array): MaybePromise;
  softmax(x: Float32Array, s: MatShape, out: Float32Array): MaybePromise;
  attention(q: Float32Array, k: Float32Array, v: Float32Array, s: AttentionShape, out: Float32Array): MaybePromise;
  lora(x: Float32Array, a: Float32Array, b: Float32Array, base: Float32Array, s: LoraShape, out: Float32Array): MaybePromise;
  binary(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): MaybePromise;
  unary(op: UnaryOp, x: Float32Array, out: Float32Array): MaybePromise;
  reduce(op: ReduceOp, x: Float32Array, s: MatShape, out: Float32Array): MaybePromise;
  topK(x: Float32Array, s: MatShape, k: number, values: Float32Array, indices: Int32Array): MaybePromise;
  dispose(): MaybePromise;
}

/** Normalizes and checks matmul arguments (throws before any work). */
export function matmulShape(a: Float32Array, b: Float32Array, o: MatmulOptions): MatmulShape {
  v.f32(a, 'a'); v.f32(b, 'b'); v.options(o, 'matmul options');
  const m = v.dim(o.m, 'm'), k = v.dim(o.k, 'k'), n = v.dim(o.n, 'n');
  v.len(a, m * k, 'a', o.transA ? `k×m = ${k}×${m}` : `m×k = ${m}×${k}`);
  v.len(b, k * n, 'b', o.transB ? `n×k = ${n}×${k}` : `k×n = ${k}×${n}`);
  return { m, k, n, transA: v.bool(o.transA, 'transA'), transB: v.bool(o.transB, 'transB') };
}

export function rowsShape(q: Float32Array, mat: Float32Array, o: RowsOptions): RowsShape {
  v.f32(q, 'query'); v.f32(mat, 'matrix'); v.options(o, 'options');
  const rows = v.dim(o.rows, 'rows'), dim = v.dim(o.dim, 'dim');
  v.len(q, dim, 'query', `dim = ${dim}`);
  v.len(mat, rows * dim, 'matrix', `rows×dim = ${rows}×${dim}`);
  return { rows, dim };
}

export function matShape(x: Float32Array, o: { rows?: number; cols?: number } | undefined, name: string, requireBoth: boolean): MatShape {
  v.f32(x, name);
  if (o !== undefined) v.options(o, 'options');
  if (requireBoth && (o?.rows === undefined || o?.cols === undefined)) v.missing('rows and cols');
  let rows: number, cols: number;
  if (o?.rows === undefined && o?.cols === undefined) { rows = 1; cols = x.length; }
  else if (o?.rows === undefined) { cols = v.dim(o!.cols, 'cols'); rows = cols === 0 ? v.missing('rows (cols is 0)') : Math.floor(x.length / cols); }
  else if (o?.cols === undefined) { rows = v.dim(o.rows, 'rows'); cols = rows === 0 ? v.missing('cols (rows is 0)') : Math.floor(x.length / rows); }
  else { rows = v.dim(o.rows, 'rows'); cols = v.dim(o.cols, 'cols'); }
  v.len(x, rows * cols, name, `rows×cols = ${rows}×${cols}`);
  return { rows, cols };
}

export function attentionShape(q: Float32Array, k: Float32Array, vv: Float32Array, o: AttentionOptions): AttentionShape {
  v.f32(q, 'q'); v.f32(k, 'k'); v.f32(vv, 'v'); v.options(o, 'attention options');
  const seqQ = v.dim(o.seqQ, 'seqQ'), seqK = v.dim(o.seqK, 'seqK'), dim = v.dim(o.dim, 'dim');
  const dimV = o.dimV === undefined ? dim : v.dim(o.dimV, 'dimV');
  v.len(q, seqQ * dim, 'q', `seqQ×dim = ${seqQ}×${dim}`);
  v.len(k, seqK * dim, 'k', `seqK×dim = ${seqK}×${dim}`);
  v.len(vv, seqK * dimV, 'v', `seqK×dimV = ${seqK}×${dimV}`);
  const scale = o.scale === undefined ? (dim === 0 ? 1 : 1 / Math.sqrt(dim)) : v.finite(o.scale, 'scale');
  return { seqQ, seqK, dim, dimV, causal: v.bool(o.causal, 'causal'), scale };
}

export function loraShape(x: Float32Array, a: Float32Array, b: Float32Array, o: LoraOptions): { s: LoraShape; base: Float32Array } {
  v.f32(x, 'x'); v.f32(a, 'a'); v.f32(b, 'b'); v.options(o, 'lora options');
  const batch = v.dim(o.batch, 'batch'), dIn = v.dim(o.dIn, 'dIn'), dOut = v.dim(o.dOut, 'dOut'), rank = v.dim(o.rank, 'rank');
  const alpha = v.finite(o.alpha, 'alpha');
  v.len(x, batch * dIn, 'x', `batch×dIn = ${batch}×${dIn}`);
  v.len(a, rank * dIn, 'a', `rank×dIn = ${rank}×${dIn}`);
  v.len(b, dOut * rank, 'b', `dOut×rank = ${dOut}×${rank}`);
  let base: Float32Array;
  if (o.base === undefined) {
    if (dIn !== dOut) v.shape(`loraForward without base needs dIn === dOut (got ${dIn} and ${dOut})`);
    base = x;
  } else {
    v.f32(o.base, 'base');
    v.len(o.base, batch * dOut, 'base', `batch×dOut = ${batch}×${dOut}`);
    base = o.base;
  }
  if (rank === 0) v.shape('rank must be at least 1');
  return { s: { batch, dIn, dOut, rank, scale: alpha / rank }, base };
}

/** Wraps an implementation into the public contract. */
export function wrapBackend(name: string, impl: KernelImpl): Backend {
  let disposed = false;
  const live = (): void => {
    if (disposed) throw new DisposedError(name);
  };
  const output = (length: number, o: OutOption | undefined, inputs: Float32Array[]): Float32Array => {
    const out = o?.out;
    if (out === undefined) return new Float32Array(length);
    v.f32(out, 'out');
    v.len(out, length, 'out', `${length} elements`);
    for (const i of inputs) v.noAlias(out, i);
    return out;
  };
  const backend: Backend = {
    name,
    get info() { return impl.info; },
    get disposed() { return disposed; },
    async matmul(a, b, o) {
      live();
      const s = matmulShape(a, b, o);
      const out = output(s.m * s.n, o, [a, b]);
      if (s.m * s.n === 0) return out;
      if (s.k === 0) return out.fill(0);
      await impl.matmul(a, b, s, out);
      return out;
    },
    async dot(q, mat, o) { return rowsKernel(q, mat, o, false); },
    async cosine(q, mat, o) { return rowsKernel(q, mat, o, true); },
    async softmax(x, o) {
      live();
      const s = matShape(x, o, 'x', true);
      const out = output(s.rows * s.cols, o, [x]);
      if (s.rows * s.cols > 0) await impl.softmax(x, s, out);
      return out;
    },
    async attention(q, k, vv, o) {
      live();
      const s = attentionShape(q, k, vv, o);
      const out = output(s.seqQ * s.dimV, o, [q, k, vv]);
      if (s.seqQ * s.dimV === 0) return out;
      if (s.seqK === 0) return out.fill(0);
      if (s.dim === 0) { cpu.attention(q, k, vv, s, out); return out; }
      await impl.attention(q, k, vv, s, out);
      return out;
    },
    async loraForward(x, a, b, o) {
      live();
      const { s, base } = loraShape(x, a, b, o);
      const out = output(s.batch * s.dOut, o, base === x ? [x, a, b] : [x, a, b, base]);
      if (s.batch * s.dOut === 0) return out;
      if (s.dIn === 0) { out.set(base); return out; }
      await impl.lora(x, a, b, base, s, out);
      return out;
    },
    add: (a, b, o) => binary('add', a, b, o),
    mul: (a, b, o) => binary('mul', a, b, o),
    relu: (x, o) => unary('relu', x, o),
    sigmoid: (x, o) => unary('sigmoid', x, o),
    gelu: (x, o) => unary('gelu', x, o),
    sum: (x, o) => reduce('sum', x, o),
    max: (x, o) => reduce('max', x, o),
    min: (x, o) => reduce('min', x, o),
    mean: (x, o) => reduce('mean', x, o),
    async topK(x, o: TopKOptions): Promise<TopKResult> {
      live();
      v.options(o, 'topK options');
      const s = matShape(x, { rows: o.rows, cols: o.cols }, 'x', false);
      const k = v.dim(o.k, 'k');
      if (k > s.cols) v.shape(`k = ${k} exceeds the row length ${s.cols}`);
      const values = new Float32Array(s.rows * k), indices = new Int32Array(s.rows * k);
      if (s.rows * k > 0) await impl.topK(x, s, k, values, indices);
      return { values, indices };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await impl.dispose();
    },
  };
  async function rowsKernel(q: Float32Array, mat: Float32Array, o: RowsOptions, cosine: boolean): Promise<Float32Array> {
    live();
    const s = rowsShape(q, mat, o);
    const out = output(s.rows, o, [q, mat]);
    if (s.rows === 0) return out;
    if (s.dim === 0) return out.fill(0);
    await impl.dot(q, mat, s, cosine, out);
    return out;
  }
  async function binary(op: BinaryOp, a: Float32Array, b: Float32Array, o: OutOption | undefined): Promise<Float32Array> {
    live();
    v.f32(a, 'a'); v.f32(b, 'b');
    if (o !== undefined) v.options(o, 'options');
    v.len(b, a.length, 'b', `the length of a (${a.length})`);
    const out = output(a.length, o, [a, b]);
    if (a.length > 0) await impl.binary(op, a, b, out);
    return out;
  }
  async function unary(op: UnaryOp, x: Float32Array, o: OutOption | undefined): Promise<Float32Array> {
    live();
    v.f32(x, 'x');
    if (o !== undefined) v.options(o, 'options');
    const out = output(x.length, o, []);
    // Element-wise kernels may run in place (out === x): each element is read before it is written.
    if (x.length > 0) await impl.unary(op, x, out);
    return out;
  }
  async function reduce(op: ReduceOp, x: Float32Array, o: ReduceOptions | undefined): Promise<Float32Array> {
    live();
    const s = matShape(x, o, 'x', false);
    const out = output(s.rows, o, [x]);
    if (s.rows === 0) return out;
    if (s.cols === 0) { cpu.reduce(op, x, s, out); return out; }
    await impl.reduce(op, x, s, out);
    return out;
  }
  return backend;
}
