import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

// Two programs: the hub (bin/hub.js loads dist/main.js) and the worker process it forks.
export default defineConfig(
  defineLibrary({
    entry: { main: 'src/main.ts', worker: 'src/worker.ts' },
    dts: false,
    platform: 'node',
    external: [/^node:/, /^@edge\//, /^@sap-ux\//],
  }),
);
