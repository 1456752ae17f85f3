import { defineConfig } from 'tsup';
import { defineLibrary } from '@edge/tooling/tsup';

// `#platform` is resolved by package.json `imports` conditions: the Node variant (TCP + WebSockets
// listeners, Node 20 shims) under the `node` condition, the browser variant (WebSockets, WebRTC,
// circuit relay) everywhere else. Both are built; the main bundle keeps the import external, so
// a browser bundle never sees `ws`, `node:*` or the shims.
export default defineConfig(
  defineLibrary({
    entry: { index: 'src/index.ts', 'platform.node': 'src/platform.node.ts', 'platform.browser': 'src/platform.browser.ts' },
    external: ['#platform'],
    dts: { entry: { index: 'src/index.ts' } },
  }),
);
