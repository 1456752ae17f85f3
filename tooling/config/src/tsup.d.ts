import type { Options } from 'tsup';
/** Returns the edge-net library build preset (ESM, .d.ts, neutral platform) merged with `overrides`. */
export declare function defineLibrary(overrides?: Options): Options;
