import { defineTestConfig } from '@edge/tooling/vitest';

// One end-to-end file that drives real Chromium against a real hub process.
export default defineTestConfig({ test: { testTimeout: 180_000, hookTimeout: 180_000 } });
