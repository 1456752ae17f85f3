/**
 * Worker host for browsers: Web Workers started from a Blob URL (the worker body ships inside the
 * package as a string, so no separate file has to be served). Selected through package.json's
 * "imports" map (`#worker-host`, default condition). SharedArrayBuffer is used only when the page
 * is cross-origin isolated (COOP same-origin + COEP require-corp).
 */
import type { WorkerHost, WorkerHandle, WorkerHandlers, WorkerToHost, HostToWorker } from './workers/protocol.js';

const PRELUDE =
  'globalThis.__edgePost = (m, t) => self.postMessage(m, t);\n' +
  'self.onmessage = (e) => globalThis.__edgeOnMessage(e.data);\n';

let url: string | undefined;
let urlSource: string | undefined;

export const workerHost: WorkerHost = {
  kind: 'web-workers',
  concurrency: () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 4,
  sharedMemory: () => typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  spawn(source: string, handlers: WorkerHandlers): WorkerHandle {
    if (url === undefined || urlSource !== source) {
      url = URL.createObjectURL(new Blob([PRELUDE + source], { type: 'text/javascript' }));
      urlSource = source;
    }
    const w = new Worker(url);
    let gone = false;
    w.onmessage = (e: MessageEvent<WorkerToHost>) => handlers.message(e.data);
    w.onerror = (e) => {
      e.preventDefault();
      if (!gone) { gone = true; w.terminate(); handlers.crash(new Error(e.message || 'worker error')); }
    };
    w.onmessageerror = () => {
      if (!gone) { gone = true; w.terminate(); handlers.crash(new Error('worker message could not be deserialized')); }
    };
    return {
      post: (msg: HostToWorker, transfer?: Transferable[]) => w.postMessage(msg, transfer ?? []),
      async terminate() {
        // A terminated Web Worker fires no event; it is gone once terminate() returns.
        gone = true;
        w.terminate();
      },
      kill() {
        if (gone) return;
        gone = true;
        w.terminate();
        handlers.crash(new Error('worker killed'));
      },
    };
  },
};
