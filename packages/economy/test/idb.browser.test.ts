// The IndexedDB ledger storage on a real browser: Chromium (Debian package `chromium`, driven by
// playwright-core). A page bundled from src/ writes a ledger through `openIndexedDbStorage` with
// the `strict` durability hint, the page is reloaded without closing anything (a crash), and the
// reopened ledger must hold every acknowledged entry with the same balances and Merkle root;
// then a value damaged from outside must be refused as StorageCorruptError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';
import { toHex } from '@edge/identity';
import { TEST_POLICY } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HERE = dirname(fileURLToPath(import.meta.url));
const seed = testSeed();

const ENTRY = `
import { PiKey, fromHex, toHex } from '@edge/identity';
import { openLedger } from '../src/index.ts';
import { openIndexedDbStorage } from '../src/idb.ts';

const rand32 = (i) => { const b = new Uint8Array(32); b[0] = i & 255; b[1] = i >> 8; b[31] = 7; return b; };
const summary = (L, keys) => ({ root: toHex(L.merkleRoot()), balances: keys.map((k) => L.balanceOf(k.publicKey)?.balance ?? null), escrow: keys.map((k) => L.balanceOf(k.publicKey)?.escrow ?? null) });

window.write = async (seeds, policy) => {
  const keys = seeds.map((s) => PiKey.fromSeed(fromHex(s)));
  let t = 1_700_000_000_000;
  const L = await openLedger({ policy, now: () => t, storage: await openIndexedDbStorage('edge-ledger-check') });
  const acked = [];
  for (const k of keys) acked.push((await L.account(k).genesis()).key);
  for (let i = 0; i < 24; i++) { t += 3; acked.push((await L.account(keys[i % keys.length]).hold(rand32(i), 10 + i)).key); }
  return { acked, ...summary(L, keys) };   // no close(): the reload below is the crash
};

window.reopen = async (seeds, policy, acked) => {
  const keys = seeds.map((s) => PiKey.fromSeed(fromHex(s)));
  const L = await openLedger({ policy, now: () => 1_700_000_000_000 + 10_000, storage: await openIndexedDbStorage('edge-ledger-check') });
  const missing = acked.filter((k) => L.entry(k) === undefined);
  const out = { missing, ...summary(L, keys) };
  await L.close();
  return out;
};

window.damage = async () => {
  const db = await new Promise((res, rej) => { const r = indexedDB.open('edge-ledger-check'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  await new Promise((res, rej) => {
    const tx = db.transaction('records', 'readwrite');
    const store = tx.objectStore('records');
    const c = store.openCursor();
    c.onsuccess = () => { const v = c.result.value.slice(); v[v.length - 1] ^= 1; c.result.update(v); };
    tx.oncomplete = res; tx.onerror = () => rej(tx.error);
  });
  db.close();
  try {
    await (await openIndexedDbStorage('edge-ledger-check')).load();
    return 'loaded';
  } catch (e) {
    return e.code ?? String(e);
  }
};
`;

let server: Server | undefined;
let ctx: BrowserContext | undefined;
let profile: string | undefined;
let page: Page;
let url: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: this test needs a real browser (apt-get install chromium), or set CHROMIUM_PATH`);
  const out = await build({
    stdin: { contents: ENTRY, resolveDir: HERE, sourcefile: 'idb-check.js', loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    // The packages' own tsconfig `paths` point `#native`-style imports at their Node variants
    // (for tsc); a browser bundle must resolve them by package.json conditions instead.
    tsconfigRaw: '{}',
    logLevel: 'silent',
  });
  const js = out.outputFiles[0]!.text;
  if (/node:fs|node:path/.test(js)) throw new Error('the browser bundle pulled in Node-only code');
  server = createServer((req, res) => {
    if (req.url === '/main.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(js);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><title>idb</title><script type="module" src="/main.js"></script>');
    }
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  profile = await mkdtemp(join(tmpdir(), 'edge-economy-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await ctx.newPage();
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  if (profile) await rm(profile, { recursive: true, force: true });
});

const ready = async () => {
  await page.goto(url);
  await page.waitForFunction(() => typeof (window as unknown as { write?: unknown }).write === 'function');
};

describe('IndexedDB ledger storage in Chromium', () => {
  it('survives a page reload without close (same entries, balances and root); damage is StorageCorruptError', async () => {
    const rand = prng(seed ^ 0xc4);
    const seeds = [toHex(seededBytes(rand, 32)), toHex(seededBytes(rand, 32))];
    const policy = { ...TEST_POLICY };
    await ready();
    const w = await page.evaluate(([s, p]) => (window as any).write(s, p), [seeds, policy] as const);
    expect(w.acked).toHaveLength(26);
    expect(w.balances.every((b: number | null) => typeof b === 'number' && b > 0)).toBe(true);
    await ready(); // the reload: the page's IndexedDB connection dies with it, never closed
    const r = await page.evaluate(([s, p, a]) => (window as any).reopen(s, p, a), [seeds, policy, w.acked] as const);
    expect(r.missing).toEqual([]);
    expect(r.balances).toEqual(w.balances);
    expect(r.escrow).toEqual(w.escrow);
    expect(r.root).toBe(w.root);
    expect(await page.evaluate(() => (window as any).damage())).toBe('ERR_ECONOMY_STORAGE_CORRUPT');
  });
});
