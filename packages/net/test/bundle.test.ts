// The environment variant is chosen by package.json conditions, not at run time: bundling the
// built package for a browser must pick the browser transports and carry no Node-only code
// (no `ws`, no `node:*` modules, no TCP transport, no global shims); resolving it under the
// `node` condition must pick TCP + WebSockets with the shims.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { assertBuilt } from './harness.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));

async function bundle(platform: 'browser'): Promise<{ inputs: string[]; text: string }> {
  const result = await build({
    stdin: { contents: "export { createNetwork, PLATFORM } from '@edge/net';", resolveDir: pkgDir, loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform,
    metafile: true,
    logLevel: 'silent',
    // The workspace tsconfigs map `#platform`/`#native` to Node sources for the type checker; a
    // published install has no tsconfig, so bundle as a consumer would (package.json only).
    tsconfig: fileURLToPath(new URL('./fixtures/tsconfig.bundle.json', import.meta.url)),
  });
  const meta = result.metafile as Metafile;
  return { inputs: Object.keys(meta.inputs), text: result.outputFiles[0]!.text };
}

describe('conditional platform entry', () => {
  it('a browser bundle has WebSockets, WebRTC and circuit relay, and nothing from Node', async () => {
    assertBuilt();
    const { inputs, text } = await bundle('browser');
    expect(inputs.some((p) => p.endsWith('dist/platform.browser.js') && !p.includes('node_modules'))).toBe(true);
    expect(inputs.some((p) => p.includes('platform.node'))).toBe(false);
    expect(inputs.some((p) => p.includes('@libp2p/webrtc') || p.includes('@libp2p+webrtc'))).toBe(true);
    expect(inputs.some((p) => p.includes('@libp2p+tcp') || p.includes('/ws@') || p.includes('node_modules/ws/'))).toBe(false);
    expect(text).not.toMatch(/from ["']node:/);
    expect(text).not.toContain("defineProperty(globalThis, \"WebSocket\"");
    expect(text).toContain('PLATFORM = platform.name');
  }, 120_000);

  it('the node condition resolves to the Node variant (the multi-process tests dial over its WebSocket shim)', async () => {
    const mod = await import('@edge/net');
    expect(mod.PLATFORM).toBe('node');
    expect(import.meta.resolve('@edge/net')).toContain('packages/net/dist/index.js');
  }, 60_000);
});
