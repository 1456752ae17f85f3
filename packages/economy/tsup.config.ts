import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

// Two entries: the platform-neutral library and the Node-only file storage (`@edge/economy/node`).
export default defineConfig(defineLibrary({ entry: ['src/index.ts', 'src/node.ts'], external: [/^node:/] }));
