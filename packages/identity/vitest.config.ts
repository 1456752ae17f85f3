import { fileURLToPath } from 'node:url';
import { defineTestConfig } from '@edge/tooling/vitest';

// Tests run in Node, so `#native` is the node:crypto variant (as package.json's `imports` picks).
export default defineTestConfig({
  resolve: { alias: { '#native': fileURLToPath(new URL('./src/native.node.ts', import.meta.url)) } },
});
