import { fileURLToPath } from 'node:url';
import { defineTestConfig } from '@edge/tooling/vitest';

// Unit tests run in Node, so `#platform` is the Node variant (as package.json's `imports` picks).
// The multi-process tests spawn plain `node` on the built dist instead.
export default defineTestConfig({
  resolve: { alias: { '#platform': fileURLToPath(new URL('./src/platform.node.ts', import.meta.url)) } },
});
