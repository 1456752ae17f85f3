import type { ViteUserConfig } from 'vitest/config';
/** Returns the edge-net vitest preset merged with `overrides`. */
export declare function defineTestConfig(overrides?: ViteUserConfig): ViteUserConfig;
