import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

// Three entries: the platform-neutral library, the Node-only file storage (`@edge/economy/node`)
// and the IndexedDB storage for browsers (`@edge/economy/browser`).
export default defineConfig(defineLibrary({ entry: ['src/index.ts', 'src/node.ts', 'src/idb.ts'], external: [/^node:/] }));
