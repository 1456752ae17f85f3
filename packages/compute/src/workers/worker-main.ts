/**
 * Body of every pool worker. Bundled by scripts/generate.mjs into worker.generated.ts (a string)
 * and started by the platform's host with a two-line prelude that defines `__edgePost` and routes
 * incoming messages to `__edgeOnMessage`, so this file never touches a platform API.
 */
import { WasmKernels } from '../wasm/module.js';
import type { Begin, HostToWorker, WorkerToHost } from './protocol.js';

declare const __edgePost: (msg: WorkerToHost, transfer?: Transferable[]) => void;

const kernels = WasmKernels.create();
const calls = new Map<number, Begin>();
let prepared = -1;
let chain: Promise<void> = Promise.resolve();

async function handle(msg: HostToWorker): Promise<void> {
  const w = await kernels;
  if (msg.t === 'begin') { calls.set(msg.call, msg); return; }
  if (msg.t === 'end') { calls.delete(msg.call); if (prepared === msg.call) prepared = -1; return; }
  const begin = calls.get(msg.call);
  if (begin === undefined) { __edgePost({ t: 'error', call: msg.call, task: msg.task, message: 'task before begin' }); return; }
  try {
    if (begin.kind === 'matmul') {
      if (prepared !== msg.call) {
        w.prepareMatmul(begin.a, begin.b, begin.m, begin.k, begin.n, begin.transA, begin.transB, true);
        prepared = msg.call;
      }
      if (begin.out) {
        w.matmulRows(msg.row0, msg.rows, begin.out, msg.row0 * begin.n);
        __edgePost({ t: 'done', call: msg.call, task: msg.task });
      } else {
        const result = new Float32Array(msg.rows * begin.n);
        w.matmulRows(msg.row0, msg.rows, result, 0);
        __edgePost({ t: 'done', call: msg.call, task: msg.task, result }, [result.buffer]);
      }
    } else {
      const seg = begin.mat.subarray(msg.row0 * begin.dim, (msg.row0 + msg.rows) * begin.dim);
      if (begin.out) {
        w.rowdots(begin.q, seg, msg.rows, begin.dim, begin.cosine, begin.out, msg.row0);
        __edgePost({ t: 'done', call: msg.call, task: msg.task });
      } else {
        const result = new Float32Array(msg.rows);
        w.rowdots(begin.q, seg, msg.rows, begin.dim, begin.cosine, result, 0);
        __edgePost({ t: 'done', call: msg.call, task: msg.task, result }, [result.buffer]);
      }
    }
  } catch (e) {
    const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
    __edgePost({ t: 'error', call: msg.call, task: msg.task, message: e instanceof Error ? e.message : String(e), code });
  }
}

(globalThis as unknown as { __edgeOnMessage: (m: HostToWorker) => void }).__edgeOnMessage = (m) => {
  // Messages are handled strictly in arrival order (begin before its tasks).
  chain = chain.then(() => handle(m));
};
void kernels.then(() => __edgePost({ t: 'ready' }));
