import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

// Two entries chosen by conditional exports ("node" vs "default"), never by runtime sniffing:
// they differ only in how loadDefaultModel() reaches the shipped model file.
export default defineConfig(
  defineLibrary({
    entry: ['src/index.ts', 'src/index.node.ts'],
    splitting: true,
    external: ['node:fs/promises', 'node:url'],
  }),
);
