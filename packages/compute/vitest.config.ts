import { fileURLToPath } from 'node:url';
import { defineTestConfig } from '@edge/tooling/vitest';

// Tests run the sources; #worker-host resolves to the Node host as package.json's "imports"
// map does for the built package under the `node` condition.
export default defineTestConfig({
  test: { env: { EGL_PLATFORM: 'surfaceless' } },
  resolve: {
    alias: { '#worker-host': fileURLToPath(new URL('./src/worker-host.node.ts', import.meta.url)) },
  },
});
