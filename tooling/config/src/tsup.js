// Shared tsup preset: ESM only, .d.ts, source maps, neutral platform so the same bundle
// serves Node and browsers (environment variants are separate entries, never runtime sniffing).

/**
 * @param {import('tsup').Options} [overrides]
 */
export function defineLibrary(overrides = {}) {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    treeshake: true,
    splitting: false,
    minify: false,
    outDir: 'dist',
    ...overrides,
  };
}
