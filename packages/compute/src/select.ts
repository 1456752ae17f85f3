/**
 * Backend registry and selection (the TensorFlow.js pattern): every backend registers
 * `{ name, priority, isSupported, create }`; `createCompute` tries them from the highest priority
 * down, skips those whose probe says no, falls back to the next when creation throws, and reports
 * what happened. The result routes calls whose work is below a threshold to the CPU kernels,
 * where a dispatch, a worker round trip or a readback would cost more than the arithmetic.
 */
import type { Backend, BackendFactory, CreateOptions, Selection, KernelName } from './types.js';
import { InvalidArgumentError, NoBackendError } from './errors.js';
import { cpuBackend, createCpuBackend } from './cpu/backend.js';
import { wasmSimdBackend } from './wasm/backend.js';
import { workersBackend } from './workers/backend.js';
import { webgpuBackend } from './webgpu/backend.js';
import { webglBackend } from './webgl/backend.js';

/** The built-in backends, highest priority first. */
export const builtinBackends: readonly BackendFactory[] = [webgpuBackend, webglBackend, workersBackend, wasmSimdBackend, cpuBackend];

const registered: BackendFactory[] = [];

/** Adds (or replaces, by name) a backend that `createCompute` will consider. */
export function registerBackend(factory: BackendFactory): void {
  if (typeof factory !== 'object' || factory === null || typeof factory.name !== 'string' || typeof factory.create !== 'function' ||
      typeof factory.isSupported !== 'function' || typeof factory.priority !== 'number' || !Number.isFinite(factory.priority)) {
    throw new InvalidArgumentError('a backend factory needs a name, a finite priority, isSupported() and create()');
  }
  const i = registered.findIndex((f) => f.name === factory.name);
  if (i >= 0) registered.splice(i, 1);
  registered.push(factory);
}

/** Every backend `createCompute` would consider by default, highest priority first. */
export function listBackends(): BackendFactory[] {
  const byName = new Map<string, BackendFactory>();
  for (const f of builtinBackends) byName.set(f.name, f);
  for (const f of registered) byName.set(f.name, f);
  return [...byName.values()].sort((a, b) => b.priority - a.priority);
}

/** A compute instance: the kernel contract on the chosen backend, small calls on the CPU. */
export interface Compute extends Backend {
  /** The backend that runs everything above the small-work threshold. */
  readonly backend: Backend;
  /** How it was chosen. */
  readonly selection: Selection;
  /** Calls routed to the CPU kernels because they were small, per kernel. */
  readonly routedToCpu: Readonly<Record<string, number>>;
}

const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : Number.POSITIVE_INFINITY);

/** Work of a call in multiply-adds (or elements); +∞ when the options are malformed. */
function work(kernel: KernelName, args: unknown[]): number {
  const o = (args[args.length - 1] ?? {}) as Record<string, unknown>;
  const len = (x: unknown): number => (x instanceof Float32Array ? x.length : Number.POSITIVE_INFINITY);
  switch (kernel) {
    case 'matmul': return num(o.m) * num(o.k) * num(o.n);
    case 'dot': case 'cosine': return num(o.rows) * num(o.dim);
    case 'attention': return num(o.seqQ) * num(o.seqK) * (num(o.dim) + num(o.dimV ?? o.dim));
    case 'loraForward': return num(o.batch) * num(o.rank) * (num(o.dIn) + num(o.dOut));
    default: return len(args[0]);
  }
}

/**
 * Picks the best backend that starts here. Options: `prefer` to restrict and order candidates,
 * `backends` to replace the candidate list, `smallWorkThreshold` (default 32768 multiply-adds;
 * 0 disables routing), and the per-backend options of CreateOptions.
 */
export async function createCompute(options: CreateOptions = {}): Promise<Compute> {
  let candidates = [...(options.backends ?? listBackends())].sort((a, b) => b.priority - a.priority);
  if (options.prefer) {
    const order = [...options.prefer];
    candidates = order.map((n) => candidates.find((c) => c.name === n)).filter((c): c is BackendFactory => c !== undefined);
  }
  const attempts: Selection['attempts'] = [];
  let chosen: Backend | undefined;
  let reason = '';
  for (const f of candidates) {
    if (chosen) { attempts.push({ name: f.name, priority: f.priority, outcome: 'skipped' }); continue; }
    let supported = false;
    try {
      supported = await f.isSupported(options);
    } catch (e) {
      attempts.push({ name: f.name, priority: f.priority, outcome: 'unsupported', error: e instanceof Error ? e.message : String(e) });
      continue;
    }
    if (!supported) { attempts.push({ name: f.name, priority: f.priority, outcome: 'unsupported' }); continue; }
    try {
      chosen = await f.create(options);
      attempts.push({ name: f.name, priority: f.priority, outcome: 'chosen' });
      const before = attempts.filter((a) => a.outcome !== 'chosen' && a.outcome !== 'skipped').map((a) => `${a.name} ${a.outcome}${a.error ? ` (${a.error})` : ''}`);
      reason = `${f.name} has the highest priority (${f.priority}) among backends that started here` + (before.length ? `; before it: ${before.join(', ')}` : '');
    } catch (e) {
      attempts.push({ name: f.name, priority: f.priority, outcome: 'failed', error: e instanceof Error ? e.message : String(e) });
    }
  }
  if (!chosen) throw new NoBackendError(`no backend could start: ${attempts.map((a) => `${a.name} ${a.outcome}${a.error ? ` (${a.error})` : ''}`).join(', ') || 'no candidates'}`);
  const selection: Selection = { chosen: chosen.name, reason, attempts };
  const threshold = options.smallWorkThreshold ?? 32768;
  const small = chosen.name === 'cpu' || threshold <= 0 ? undefined : createCpuBackend();
  const routed: Record<string, number> = {};
  const backend = chosen;
  const route = <K extends KernelName>(kernel: K) =>
    ((...args: unknown[]) => {
      if (small && work(kernel, args) < threshold) {
        routed[kernel] = (routed[kernel] ?? 0) + 1;
        if (backend.disposed) return (backend[kernel] as (...a: unknown[]) => unknown)(...args);
        return (small[kernel] as (...a: unknown[]) => unknown)(...args);
      }
      return (backend[kernel] as (...a: unknown[]) => unknown)(...args);
    }) as Backend[K];
  return {
    name: backend.name,
    get info() { return backend.info; },
    get disposed() { return backend.disposed; },
    backend,
    selection,
    routedToCpu: routed,
    matmul: route('matmul'), dot: route('dot'), cosine: route('cosine'), softmax: route('softmax'),
    attention: route('attention'), loraForward: route('loraForward'),
    add: route('add'), mul: route('mul'), relu: route('relu'), sigmoid: route('sigmoid'), gelu: route('gelu'),
    sum: route('sum'), max: route('max'), min: route('min'), mean: route('mean'), topK: route('topK'),
    async dispose() {
      await small?.dispose();
      await backend.dispose();
    },
  };
}
