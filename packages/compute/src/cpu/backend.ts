/** The cpu backend: the reference kernels behind the contract. Always supported. */
import type { Backend, BackendFactory } from '../types.js';
import { wrapBackend, type KernelImpl } from '../impl.js';
import * as k from './kernels.js';

const ALL = ['matmul', 'dot', 'cosine', 'softmax', 'attention', 'loraForward', 'add', 'mul', 'relu', 'sigmoid', 'gelu', 'sum', 'max', 'min', 'mean', 'topK'] as const;

/** The kernel implementation object of the CPU backend (also used for delegation by others). */
export const cpuImpl: KernelImpl = {
  info: { name: 'cpu', detail: 'TypeScript kernels on the calling thread (blocked, unrolled)', native: ALL },
  matmul: k.matmul,
  dot: k.dot,
  softmax: k.softmax,
  attention: k.attention,
  lora: k.lora,
  binary: k.binary,
  unary: k.unary,
  reduce: k.reduce,
  topK: k.topK,
  dispose() {},
};

/** Creates the CPU backend. */
export function createCpuBackend(): Backend {
  return wrapBackend('cpu', { ...cpuImpl });
}

/** Registry entry of the CPU backend (priority 0: the last resort and the oracle). */
export const cpuBackend: BackendFactory = {
  name: 'cpu',
  priority: 0,
  isSupported: () => true,
  create: async () => createCpuBackend(),
};
