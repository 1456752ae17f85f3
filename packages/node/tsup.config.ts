import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

// Three entries: the library, the worker_threads script that runs tasks off the main thread
// (loaded by URL next to the bundle, so it is built as its own file) and the `edge-net` CLI.
export default defineConfig(defineLibrary({ entry: ['src/index.ts', 'src/executor-worker.js', 'src/cli.ts'], dts: { entry: ['src/index.ts', 'src/cli.ts'] }, platform: 'node', external: [/^node:/, /^@edge\//] }));
