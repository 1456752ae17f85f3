// Shared vitest preset. Tests live in test/**/*.test.ts; a run with no tests fails, because a
// package that silently tests nothing is a bug. Randomized tests read TEST_SEED (see seed.js).
import { defineConfig, mergeConfig } from 'vitest/config';

/**
 * @param {import('vitest/config').ViteUserConfig} [overrides]
 */
export function defineTestConfig(overrides = {}) {
  return mergeConfig(
    defineConfig({
      test: {
        include: ['test/**/*.test.ts'],
        environment: 'node',
        testTimeout: 120_000,
        hookTimeout: 120_000,
        passWithNoTests: false,
        reporters: ['default'],
        pool: 'forks',
        allowOnly: false,
      },
    }),
    overrides,
  );
}
