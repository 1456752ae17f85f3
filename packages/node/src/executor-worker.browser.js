// The browser task worker: executor-worker.js unchanged, built by tsup.config.ts with its imports
// of `node:worker_threads` and `node:perf_hooks` resolved to worker-globals.browser.js. The handler
// code (and so every result byte) is the one Node runs.
import './executor-worker.js';
