/**
 * Worker host for Node: worker_threads. Selected through package.json's "imports" map
 * (`#worker-host`, condition `node`), never by sniffing the runtime. SharedArrayBuffer is always
 * shareable between worker_threads.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { WorkerHost, WorkerHandle, WorkerHandlers, WorkerToHost, HostToWorker } from './workers/protocol.js';

// eval workers run as CommonJS scripts: bridge parentPort to the neutral worker body.
const PRELUDE =
  "const { parentPort: __p } = require('node:worker_threads');\n" +
  'globalThis.__edgePost = (m, t) => __p.postMessage(m, t);\n' +
  "__p.on('message', (m) => globalThis.__edgeOnMessage(m));\n";

export const workerHost: WorkerHost = {
  kind: 'worker_threads',
  concurrency: () => availableParallelism(),
  sharedMemory: () => typeof SharedArrayBuffer === 'function',
  spawn(source: string, handlers: WorkerHandlers): WorkerHandle {
    const w = new Worker(PRELUDE + source, { eval: true });
    let gone = false;
    const exited = new Promise<void>((resolve) => {
      w.once('exit', (code) => {
        const expected = gone;
        gone = true;
        resolve();
        if (!expected) handlers.crash(new Error(`worker exited with code ${code}`));
      });
    });
    w.on('message', (m: WorkerToHost) => handlers.message(m));
    w.on('error', (e) => { if (!gone) { gone = true; handlers.crash(e); } });
    return {
      post: (msg: HostToWorker, transfer?: Transferable[]) => w.postMessage(msg, transfer as never),
      async terminate() {
        gone = true;
        await w.terminate();
        await exited;
      },
      kill() {
        void w.terminate();
      },
    };
  },
};
