#!/usr/bin/env node
// Proves that @edge/embed bundles for browsers and runs there, offline except for its own page:
//   1. a tiny app that imports '@edge/embed' is built with Vite (browser conditions: the
//      conditional exports pick dist/index.js, never the Node entry);
//   2. the bundle must carry the model file as an asset and must not mention node:fs;
//   3. the built app is served from 127.0.0.1 and opened in headless Chromium (Debian package
//      `chromium`, driven by playwright-core), which loads the model, checks the pinned
//      embedding hashes of test/vectors/golden.json (the same bits as in Node), paraphrase
//      orderings and zero-shot matching, and loads a second time from Cache Storage.
//
//   pnpm --filter @edge/embed build && pnpm --filter @edge/embed test:browser
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(pkg, '.cache', 'browser-app');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(join(pkg, 'dist', 'index.js'))) throw new Error('run `pnpm --filter @edge/embed build` first');
if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);

rmSync(app, { recursive: true, force: true });
mkdirSync(join(app, 'node_modules', '@edge'), { recursive: true });
symlinkSync(pkg, join(app, 'node_modules', '@edge', 'embed'), 'dir');
writeFileSync(join(app, 'golden.json'), readFileSync(join(pkg, 'test', 'vectors', 'golden.json')));
writeFileSync(join(app, 'paraphrases.json'), readFileSync(join(pkg, 'test', 'vectors', 'paraphrases.json')));
writeFileSync(join(app, 'index.html'), '<!doctype html><html><body><pre id="out">running</pre><script type="module" src="./main.js"></script></body></html>');
writeFileSync(
  join(app, 'main.js'),
  `import { loadDefaultModel, cosine, match } from '@edge/embed';
import golden from './golden.json';
import paraphrases from './paraphrases.json';

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
async function run() {
  const t0 = performance.now();
  const e = await loadDefaultModel({ cacheName: 'edge-embed-check' });
  const loadMs = performance.now() - t0;
  const vs = e.embedSync(golden.cases.map((c) => c.text));
  const hashes = [];
  for (const v of vs) hashes.push(hex(await crypto.subtle.digest('SHA-256', v.buffer)));
  const orderings = paraphrases.triples.map(([a, p, u]) => {
    const [va, vp, vu] = e.embedSync([a, p, u]);
    return cosine(va, vp) > cosine(va, vu);
  });
  const m = await match(e, 'Thunderstorms and heavy rain are expected tonight', [
    { id: 'sports', description: 'games, teams and athletes' },
    { id: 'weather', description: 'rain, snow, storms and the forecast' },
    { id: 'finance', description: 'money, banks and markets' },
  ]);
  const texts = Array.from({ length: 2000 }, (_, i) => paraphrases.triples[i % paraphrases.triples.length][i % 3]);
  const t1 = performance.now();
  e.embedSync(texts);
  const perSecond = texts.length / ((performance.now() - t1) / 1000);
  return { modelId: e.modelId, loadMs, hashes, expected: golden.cases.map((c) => c.sha256), orderings, best: m.best, confidence: m.confidence, perSecond };
}
run().then((r) => { window.__result = r; }, (err) => { window.__result = { error: String(err && err.stack || err) }; });
`,
);

await build({ root: app, logLevel: 'warn', build: { outDir: join(app, 'dist'), target: 'es2022', assetsInlineLimit: 0 } });
const assets = readdirSync(join(app, 'dist', 'assets'));
const bins = assets.filter((f) => f.endsWith('.bin'));
const js = assets.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(app, 'dist', 'assets', f), 'utf8')).join('\n');
if (bins.length !== 1) throw new Error(`expected the model as one .bin asset in the bundle, found ${bins.join(', ') || 'none'}`);
if (js.includes('node:fs')) throw new Error('the browser bundle pulled in the Node entry');
console.log(`vite build: ${assets.length} assets, model asset ${bins[0]}, JS ${(js.length / 1024).toFixed(1)} KiB`);

const types = { '.html': 'text/html', '.js': 'text/javascript', '.bin': 'application/octet-stream', '.json': 'application/json' };
let binHits = 0;
const server = createServer((req, res) => {
  const path = join(app, 'dist', decodeURIComponent((req.url ?? '/').split('?')[0]) === '/' ? 'index.html' : decodeURIComponent(req.url.split('?')[0]));
  if (!path.startsWith(join(app, 'dist')) || !existsSync(path)) {
    res.writeHead(404);
    res.end();
    return;
  }
  if (path.endsWith('.bin')) binHits++;
  res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  res.end(readFileSync(path));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const profile = join(pkg, '.cache', 'chromium-profile');
rmSync(profile, { recursive: true, force: true });
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  const results = [];
  for (let round = 0; round < 2; round++) {
    await page.goto(url);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 60_000 });
    results.push(await page.evaluate(() => window.__result));
  }
  for (const [i, r] of results.entries()) {
    if (r.error) throw new Error(r.error);
    const same = r.hashes.every((h, j) => h === r.expected[j]);
    console.log(
      `round ${i + 1}: ${r.modelId} loaded in ${r.loadMs.toFixed(0)} ms; golden hashes ${same ? 'match Node bit for bit' : 'DIFFER'}; ` +
        `paraphrase orderings ${r.orderings.filter(Boolean).length}/${r.orderings.length}; zero-shot -> ${r.best} (${r.confidence.toFixed(2)}); ` +
        `${Math.round(r.perSecond)} sentences/s`,
    );
    if (!same || !r.orderings.every(Boolean) || r.best !== 'weather') failed = true;
  }
  console.log(`model fetched from the server ${binHits} time(s) for 2 page loads (the second came from Cache Storage)`);
  if (binHits !== 1) failed = true;
} finally {
  await ctx.close();
  server.close();
}
if (failed) {
  console.error('browser check FAILED');
  process.exit(1);
}
console.log('browser check passed');
