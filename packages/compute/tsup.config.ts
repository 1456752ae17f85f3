import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

// Three entries: the neutral public surface, and the two worker hosts that package.json's
// "imports" map (#worker-host) picks between by condition (node / default), so the bundle
// never sniffs its runtime.
export default defineConfig(
  defineLibrary({
    entry: ['src/index.ts', 'src/worker-host.node.ts', 'src/worker-host.browser.ts'],
    external: ['#worker-host', 'node:worker_threads', 'node:os'],
  }),
);
