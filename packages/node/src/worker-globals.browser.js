// What executor-worker.js imports from `node:worker_threads` and `node:perf_hooks`, on the
// globals of a Web Worker. tsup.config.ts maps those two imports here when it builds
// executor-worker.browser.js; nothing else of executor-worker.js changes.

/** `parentPort` of worker_threads: messages to and from the page that started this worker. */
export const parentPort = {
  /** @param {'message'} event @param {(data: any) => void} listener */
  on(event, listener) {
    if (event === 'message') self.addEventListener('message', (e) => listener(e.data));
  },
  /** @param {unknown} message @param {Transferable[]} [transfer] */
  postMessage(message, transfer) {
    self.postMessage(message, transfer ?? []);
  },
};

export const performance = globalThis.performance;
