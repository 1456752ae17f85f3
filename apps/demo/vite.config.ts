import { defineConfig } from 'vite';

// Cross-origin isolation (COOP + COEP), as the hub's server sends it: SharedArrayBuffer is
// available only in isolated pages. `pnpm --filter @edge/demo dev` serves the page with hot
// reload and asks a running hub (EDGE_HUB, default http://127.0.0.1:8080) for its JSON documents.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
const hub = process.env.EDGE_HUB ?? 'http://127.0.0.1:8080';

export default defineConfig({
  build: {
    target: 'es2022',
    // The embedding model (5.8 MB) stays a file of its own, cached by the browser.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2048,
    rollupOptions: { input: { index: 'index.html', selftest: 'selftest.html' } },
  },
  server: { headers: isolation, proxy: { '/hub.json': hub, '/docs.json': hub, '/status.json': hub } },
  preview: { headers: isolation },
});
