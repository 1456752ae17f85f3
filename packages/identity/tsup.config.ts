import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

// `#native` is resolved at install time by package.json `imports` conditions: node:crypto in
// Node, nothing elsewhere. Both variants are built; the main bundle keeps the import external.
export default defineConfig(
  defineLibrary({
    entry: { index: 'src/index.ts', native: 'src/native.ts', 'native.node': 'src/native.node.ts' },
    external: ['#native'],
    dts: { entry: { index: 'src/index.ts' } },
  }),
);
