// End to end, in a real browser: `node bin/hub.js` (the hub node, three worker processes, the
// dashboard's server) and Debian's Chromium driven by playwright-core. Two browser profiles open
// the dashboard; each runs an EdgeNetNode in the page (tasks in a Web Worker, state in IndexedDB,
// WebSockets to the hub). Every assertion is on an outcome a wrong implementation would miss:
// search results against a brute-force search of the seeded documents computed here, credits
// against the payments in the replicated ledger, the browser executor's result bytes against
// Node's, identity and balance across a reload and a backup restored in a third profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadDefaultModel, match, type StaticEmbedder } from '@edge/embed';
import { EdgeNetConfig, createMemoryNodeStorage } from '@edge/node';
import { docText, loadFioriRecords, type FioriRecord } from '../src/docs.js';
import type { HubInfo, HubStatus } from '../src/hub.js';
import type { EdgeNetNode, EmbeddingResult, SemanticMatchResult, TaskOutcome, VectorSearchResult } from '@edge/node';

// What the dashboard exposes on `window` (apps/demo/src/main.ts, selftest.ts).
declare global {
  interface Window {
    edgeNet: {
      node?: EdgeNetNode;
      ready: boolean;
      last: { embedding?: TaskOutcome<EmbeddingResult>; search?: TaskOutcome<VectorSearchResult>; classify?: TaskOutcome<SemanticMatchResult> };
    };
    edgeSelfTest?: (cases: readonly { type: string; payload: unknown }[], index?: { dim: number; ids: string[]; vectors: number[][] }) => Promise<{ type: string; resultHash: string; verification: string }[]>;
  }
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HUB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = join(HUB_DIR, '.artifacts');
const DEMO_DIR = dirname(createRequire(import.meta.url).resolve('@edge/demo/package.json'));
const WORKERS = 3;
const QUERY = 'deploy an application to Cloud Foundry';
const PASSWORD = 'a long backup passphrase';
const CATEGORIES = [
  { id: 'sports', description: 'games, teams and athletes' },
  { id: 'weather', description: 'rain, snow, storms and the forecast' },
  { id: 'finance', description: 'money, banks and markets' },
];
const CLASSIFY_TEXT = 'Thunderstorms and heavy rain are expected tonight';

/** The dashboard's amount format: base units as rUv with six decimals (apps/demo/src/format.ts). */
const ruv = (u: number) => `${Math.floor(u / 1e6)}.${String(u % 1e6).padStart(6, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let hub: ChildProcess | undefined;
let hubLog = '';
let hubExited: Promise<number | null> | undefined;
let url = '';
let info: HubInfo;
let tmp = '';
const contexts: BrowserContext[] = [];
let pageA: Page;
let pageB: Page;
let records: FioriRecord[];
let embedder: StaticEmbedder;
const pageErrors: string[] = [];

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, stepMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (error) {
      last = error;
    }
    await sleep(stepMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}\n--- hub log ---\n${hubLog.slice(-3000)}`);
}

async function status(): Promise<HubStatus> {
  const res = await fetch(`${url}status.json`);
  return (await res.json()) as HubStatus;
}

// By name: contexts[] is in launch-completion order, which two parallel launches do not fix.
let ctxA: BrowserContext;
let ctxB: BrowserContext;

async function browser(name: string): Promise<BrowserContext> {
  const ctx = await chromium.launchPersistentContext(join(tmp, `profile-${name}`), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  contexts.push(ctx);
  return ctx;
}

async function openDashboard(ctx: BrowserContext, name: string): Promise<Page> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  await page.goto(url);
  await joined(page);
  return page;
}

/** The page's node is started and connected to the hub. */
async function joined(page: Page): Promise<void> {
  await page.waitForFunction(() => window.edgeNet?.ready === true, null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=state]')?.textContent === 'joined', null, { timeout: 30_000 });
}

const shown = (page: Page, testid: string) => page.locator(`[data-testid=${testid}]`).innerText();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The end-to-end test drives a real Chromium and found none at ${CHROMIUM}. Install it (Debian/Ubuntu: sudo apt-get install chromium) or point CHROMIUM_PATH at one.`);
  }
  for (const f of [join(HUB_DIR, 'dist', 'main.js'), join(DEMO_DIR, 'dist', 'index.html')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: build first (pnpm turbo run build --filter=@edge/hub...; \`pnpm test\` does it)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  tmp = await mkdtemp(join(tmpdir(), 'edge-hub-e2e-'));
  records = loadFioriRecords();
  embedder = await loadDefaultModel();

  const started = performance.now();
  hub = spawn(process.execPath, [join(HUB_DIR, 'bin', 'hub.js'), '--port', '0', '--workers', String(WORKERS), '--data-dir', join(tmp, 'data')], {
    cwd: HUB_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  hubExited = new Promise((resolve) => hub!.on('exit', (code) => resolve(code)));
  const keep = (d: Buffer) => {
    hubLog += d.toString();
  };
  hub.stdout!.on('data', keep);
  hub.stderr!.on('data', keep);
  url = await until('the hub to print its URL', async () => /dashboard: (http:\/\/127\.0\.0\.1:[0-9]+\/)/.exec(hubLog)?.[1], 120_000);
  info = (await (await fetch(`${url}hub.json`)).json()) as HubInfo;
  expect(info.workers).toHaveLength(WORKERS);
  expect(info.index).toMatchObject({ name: 'fiori', dim: 100, size: records.length });
  console.log(`[e2e] hub with ${WORKERS} workers up and seeded in ${Math.round(performance.now() - started)} ms`);
  const [a, b] = await Promise.all([browser('a'), browser('b')]);
  ctxA = a;
  ctxB = b;
  const t0 = performance.now();
  [pageA, pageB] = await Promise.all([openDashboard(a, 'A'), openDashboard(b, 'B')]);
  console.log(`[e2e] two fresh browser nodes joined in ${Math.round(performance.now() - t0)} ms (identity, genesis proof of work, ledger sync)`);
}, 180_000);

afterAll(async () => {
  for (const ctx of contexts) await ctx.close().catch(() => undefined);
  if (hub !== undefined && hub.exitCode === null && hub.signalCode === null) {
    hub.kill('SIGKILL');
    await hubExited;
  }
  if (hubLog) writeFileSync(join(ARTIFACTS, 'hub.log'), hubLog);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('hub + dashboard in Chromium', () => {
  const workerIds = () => info.workers.map((w) => w.id);

  it('both pages join: their nodes see the hub and every worker, the hub sees both browsers', async () => {
    for (const page of [pageA, pageB]) {
      const id = await page.evaluate(() => window.edgeNet.node!.shortId());
      expect(await shown(page, 'node-id')).toBe(id);
      expect(id).toMatch(/^π:[0-9a-f]{8}$/);
      await until('every worker to be a capable peer', () => page.evaluate((ids) => ids.every((w) => window.edgeNet.node!.getOptimalPeers('vector_search', 32).some((p) => p.id === w)), workerIds()));
      // The hub and every worker, as the dashboard shows it (refreshed every second).
      await until('the dashboard to count the hub and the workers', async () => Number(await shown(page, 'peers')) >= WORKERS + 1);
      expect(await shown(page, 'balance')).toBe(ruv(await page.evaluate(() => window.edgeNet.node!.ruvBalance())));
    }
    expect(await shown(pageA, 'node-id')).not.toBe(await shown(pageB, 'node-id'));
    await until('the hub to count both browsers', async () => (await status()).others >= 2);
  });

  it('a second tab of the same browser profile is refused: one writer per ledger (Web Lock)', async () => {
    const tab = await ctxA.newPage();
    await tab.goto(url);
    await tab.waitForFunction(() => /already open in another tab/.test(document.querySelector('[data-testid=notices]')!.textContent ?? ''), null, { timeout: 30_000 });
    expect(await tab.locator('[data-testid=state]').innerText()).toBe('not started');
    await tab.close();
    // A's node is untouched and still writes its ledger.
    await joined(pageA);
  });

  it('page A searches by text: other peers compute it, the results are the brute-force nearest documents, credits move as the ledger says', async () => {
    const me = await pageA.evaluate(() => window.edgeNet.node!.nodeId());
    const before = await pageA.evaluate(() => {
      const n = window.edgeNet.node!;
      return { balance: n.ruvBalance(), payments: [...n.ledger.state().payments.keys()], minted: Object.fromEntries([...n.ledger.state().accounts].map(([k, a]) => [k, a.minted])) };
    });
    const workersBefore = (await status()).workers;

    await pageA.fill('[data-testid=search-q]', QUERY);
    const t0 = performance.now();
    await pageA.click('[data-testid=search-go]');
    await pageA.waitForFunction(() => document.querySelectorAll('[data-testid=search-results] li').length > 0 || /failed/.test(document.querySelector('[data-testid=search-meta]')!.textContent!), null, { timeout: 60_000 });
    console.log(`[e2e] search by text (embedding + vector_search, each on ${WORKERS} workers, verified and paid): ${Math.round(performance.now() - t0)} ms from click to results`);
    const last = await pageA.evaluate(() => {
      const l = window.edgeNet.last;
      const o = (t: { executedBy: readonly string[]; verification: string; cost: number; refunded: number } | undefined) => ({ executedBy: t!.executedBy, verification: t!.verification, cost: t!.cost, refunded: t!.refunded });
      return { emb: o(l.embedding), search: o(l.search), vector: Array.from(l.embedding!.result.vectors[0]!), ids: l.search!.result.ids.map(String), distances: Array.from(l.search!.result.distances) };
    });
    const shownIds = await pageA.locator('[data-testid=search-results] li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id!));

    // Computed by other peers (never A), replicated and agreed.
    for (const t of [last.emb, last.search]) {
      expect(t.executedBy).not.toContain(me);
      expect(t.executedBy.length).toBeGreaterThanOrEqual(2);
      for (const w of t.executedBy) expect(workerIds()).toContain(w);
      expect(t.verification).toBe('replicated');
    }
    // The query vector is what @edge/embed computes here, bit for bit.
    const q = embedder.embedSync([QUERY])[0]!;
    expect(new Uint32Array(Float32Array.from(last.vector).buffer)).toEqual(new Uint32Array(q.buffer.slice(q.byteOffset, q.byteOffset + q.byteLength)));
    // Brute force over every seeded document: cosine distance, nearest first.
    const docs = embedder.embedSync(records.map(docText));
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const qn = norm(q);
    const exact = records
      .map((r, i) => {
        let dot = 0;
        const d = docs[i]!;
        for (let j = 0; j < d.length; j++) dot += d[j]! * q[j]!;
        return { id: r.id, distance: 1 - dot / (norm(d) * qn) };
      })
      .sort((x, y) => x.distance - y.distance)
      .slice(0, info.index.k);
    expect(shownIds).toEqual(exact.map((e) => e.id));
    expect(last.ids).toEqual(exact.map((e) => e.id));
    last.distances.forEach((d, i) => expect(d).toBeCloseTo(exact[i]!.distance, 4));
    const titles = await pageA.locator('[data-testid=search-results] li .t').allInnerTexts();
    expect(titles[0]).toBe(records.find((r) => r.id === exact[0]!.id)!.title);

    // Credits: A paid exactly the payments the ledger holds for these tasks; each worker got
    // those payments plus the bonus the ledger minted for them (verified by two witnesses).
    const cost = last.emb.cost + last.search.cost;
    expect(cost).toBeGreaterThan(0);
    const settled = await until(
      'payments to be received and bonuses minted on every replica',
      async () => {
        const a = await pageA.evaluate((known) => {
          const st = window.edgeNet.node!.ledger.state();
          const fresh = [...st.payments].filter(([k]) => !known.includes(k)).map(([, p]) => p);
          return { fresh, balance: window.edgeNet.node!.ruvBalance(), minted: Object.fromEntries([...st.accounts].map(([k, acc]) => [k, acc.minted])) };
        }, before.payments);
        if (a.fresh.some((p) => !p.received || (p.verified && !p.minted))) return undefined;
        const s = await status();
        for (const [i, w] of info.workers.entries()) {
          const paid = a.fresh.filter((p) => p.to === w.id).reduce((n, p) => n + p.amt, 0);
          const bonus = (a.minted[w.id] ?? 0) - (before.minted[w.id] ?? 0);
          if (s.workers[i]!.earned - workersBefore[i]!.earned !== paid + bonus) return undefined;
        }
        return { ...a, workers: s.workers };
      },
      45_000,
    );
    expect(settled.fresh.every((p) => p.payer === me)).toBe(true);
    expect(settled.fresh.reduce((n, p) => n + p.amt, 0)).toBe(cost);
    expect(before.balance - settled.balance).toBe(cost);
    let bonuses = 0;
    for (const [i, w] of info.workers.entries()) {
      const paid = settled.fresh.filter((p) => p.to === w.id).reduce((n, p) => n + p.amt, 0);
      const bonus = (settled.minted[w.id] ?? 0) - (before.minted[w.id] ?? 0);
      bonuses += bonus;
      expect(settled.workers[i]!.earned - workersBefore[i]!.earned).toBe(paid + bonus);
      expect(settled.workers[i]!.balance - workersBefore[i]!.balance).toBe(paid + bonus);
      if (last.search.executedBy.includes(w.id)) expect(paid).toBeGreaterThan(0);
    }
    // Three agreeing workers witness each other: every payment is verified and earns a bonus.
    expect(settled.fresh.every((p) => p.verified && p.minted)).toBe(true);
    expect(bonuses).toBeGreaterThan(0);
    // What the dashboard shows is that ledger state.
    await until('the dashboard to show the new balance', async () => (await shown(pageA, 'balance')) === ruv(settled.balance));
    expect(await shown(pageA, 'spent')).toBe(ruv(await pageA.evaluate(() => window.edgeNet.node!.getStats().ruv_spent)));
    expect(await shown(pageA, 'search-meta')).toContain(`cost ${ruv(last.search.cost)} rUv`);
  });

  it('classifies on other peers with semantic_match: the answer @edge/embed gives in Node', async () => {
    await pageA.fill('[data-testid=classify-text]', CLASSIFY_TEXT);
    await pageA.click('[data-testid=classify-go]');
    await pageA.waitForFunction(() => document.querySelectorAll('[data-testid=classify-result] .bar').length > 0, null, { timeout: 60_000 });
    const local = await match(embedder, CLASSIFY_TEXT, CATEGORIES);
    const r = await pageA.evaluate(() => {
      const c = window.edgeNet.last.classify!;
      return { best: c.result.best, scores: c.result.scores, executedBy: c.executedBy, me: window.edgeNet.node!.nodeId() };
    });
    expect(r.executedBy).not.toContain(r.me);
    expect(r.best).toBe(local.best);
    expect(r.best).toBe('weather');
    for (const s of local.scores) expect(r.scores.find((x) => x.id === s.id)!.probability).toBeCloseTo(s.probability, 6);
    expect(await pageA.locator('[data-testid=classify-result] .bar.best').getAttribute('data-id')).toBe('weather');
  });

  it('encrypts and decrypts with the session key on the page\'s own node', async () => {
    const plain = await pageA.inputValue('[data-testid=enc-plain]');
    await pageA.click('[data-testid=enc-go]');
    await pageA.waitForFunction(() => (document.querySelector('[data-testid=enc-out]')!.textContent ?? '').length > 0);
    const ct = await shown(pageA, 'enc-out');
    expect(ct).not.toContain('failed');
    const bytes = Buffer.from(ct, 'base64');
    expect(bytes.length).toBeGreaterThan(plain.length);
    expect(bytes.includes(Buffer.from(plain))).toBe(false);
    await pageA.click('[data-testid=dec-go]');
    await pageA.waitForFunction(() => (document.querySelector('[data-testid=dec-out]')!.textContent ?? '').length > 0);
    expect(await shown(pageA, 'dec-out')).toBe(plain);
  });

  it('a screenshot of the dashboard shows the ledger\'s numbers', async () => {
    await sleep(2_500); // a few health samples for the charts
    const n = await pageA.evaluate(() => {
      const s = window.edgeNet.node!.getStats();
      return { balance: s.ruv_balance, earned: s.ruv_earned, spent: s.ruv_spent, peers: s.peers, multiplier: window.edgeNet.node!.getMultiplier(), phase: window.edgeNet.node!.ledger.getPhase() };
    });
    expect(await shown(pageA, 'balance')).toBe(ruv(n.balance));
    expect(await shown(pageA, 'earned')).toBe(ruv(n.earned));
    expect(await shown(pageA, 'spent')).toBe(ruv(n.spent));
    expect(n.spent).toBeGreaterThan(0);
    expect(Number(await shown(pageA, 'peers'))).toBe(n.peers);
    expect(await shown(pageA, 'multiplier')).toBe(`${n.multiplier.toFixed(2)}×`);
    expect(await shown(pageA, 'phase')).toBe(n.phase);
    expect(await shown(pageA, 'audit-score')).toMatch(/^[0-9]{1,3}\/100$/);
    const file = join(ARTIFACTS, 'dashboard.png');
    await pageA.screenshot({ path: file, fullPage: true });
    if (process.env.EDGE_UPDATE_SCREENSHOT === '1') {
      mkdirSync(join(DEMO_DIR, 'docs'), { recursive: true });
      copyFileSync(file, join(DEMO_DIR, 'docs', 'dashboard.png'));
    }
    expect(existsSync(file)).toBe(true);
  });

  it('the browser\'s Web Worker executor returns the bytes Node\'s worker thread returns', async () => {
    const vectors = embedder.embedSync(records.slice(0, 200).map(docText)).map((v) => Array.from(v));
    const index = { dim: 100, ids: records.slice(0, 200).map((r) => r.id), vectors };
    const cases = [
      { type: 'embedding', payload: { texts: [QUERY, records[7]!.title] } },
      { type: 'semantic_match', payload: { text: CLASSIFY_TEXT, categories: CATEGORIES } },
      { type: 'vector_search', payload: { index: 'selftest', vector: vectors[42]!, k: 10 } },
    ];
    const tab = await ctxB.newPage();
    await tab.goto(`${url}selftest.html`);
    await tab.waitForFunction(() => typeof window.edgeSelfTest === 'function');
    const inBrowser = await tab.evaluate(([c, i]) => window.edgeSelfTest!(c, i), [cases, index] as const);
    await tab.close();
    const node = new EdgeNetConfig('selftest').storage(createMemoryNodeStorage()).ledgerPolicy({ net: 'selftest', genesisPowBits: 4 }).build();
    await node.start();
    try {
      await node.createIndex('selftest', { dim: 100, metric: 'cosine', seed: 7 });
      await node.insertVectors('selftest', index.ids, index.vectors);
      for (const [i, c] of cases.entries()) {
        const r = await node.submitTask(c.type, c.payload, 0);
        expect(inBrowser[i]!.verification).toBe('local');
        expect(inBrowser[i]!.resultHash, c.type).toBe(r.resultHash);
      }
    } finally {
      await node.stop();
    }
  });

  let backupFile = '';
  let bId = '';
  let bBalance = '';

  it('page B spends, reloads, and keeps its identity and balance (IndexedDB)', async () => {
    await pageB.click('[data-testid=classify-go]');
    await pageB.waitForFunction(() => document.querySelectorAll('[data-testid=classify-result] .bar').length > 0, null, { timeout: 60_000 });
    const spent = await pageB.evaluate(() => window.edgeNet.last.classify!.cost);
    expect(spent).toBeGreaterThan(0);
    const want = await pageB.evaluate(() => window.edgeNet.node!.ruvBalance());
    expect(want).toBe(100_000_000 - spent);
    await until('B to show its balance', async () => (await shown(pageB, 'balance')) === ruv(want));
    bId = await shown(pageB, 'node-id');
    bBalance = ruv(want);
    await pageB.reload();
    await pageB.waitForFunction(() => window.edgeNet?.ready === true, null, { timeout: 60_000 });
    // Read at once: the ledger replica came back from IndexedDB, not from the network.
    expect(await pageB.evaluate(() => window.edgeNet.node!.ruvBalance())).toBe(want);
    expect(await shown(pageB, 'node-id')).toBe(bId);
    await joined(pageB);
    await until('B to show the same balance after the reload', async () => (await shown(pageB, 'balance')) === bBalance);
  });

  it('backs up B\'s identity with a password and restores it in a fresh browser profile', async () => {
    await pageB.fill('[data-testid=backup-pw]', PASSWORD);
    const [download] = await Promise.all([pageB.waitForEvent('download', { timeout: 30_000 }), pageB.click('[data-testid=backup-go]')]);
    backupFile = join(tmp, 'b.backup');
    await download.saveAs(backupFile);
    expect(download.suggestedFilename()).toBe(`edge-net-${bId.slice(2)}.backup`);
    // One identity runs in one place: B's browser closes before the backup is restored elsewhere.
    await ctxB.close();
    const pageC = await openDashboard(await browser('c'), 'C');
    const cId = await shown(pageC, 'node-id');
    expect(cId).not.toBe(bId);
    // A wrong password is refused and changes nothing.
    await pageC.setInputFiles('[data-testid=restore-file]', backupFile);
    await pageC.fill('[data-testid=restore-pw]', 'not the password at all');
    await pageC.click('[data-testid=restore-go]');
    await until('the wrong password to be refused', async () => /restore failed: ERR_/.test(await shown(pageC, 'restore-out')));
    expect(await shown(pageC, 'node-id')).toBe(cId);
    await pageC.fill('[data-testid=restore-pw]', PASSWORD);
    await pageC.click('[data-testid=restore-go]');
    await until('C to run as B', async () => (await shown(pageC, 'node-id')) === bId, 60_000);
    await joined(pageC);
    await until('B\'s balance to arrive with the ledger', async () => (await shown(pageC, 'balance')) === bBalance, 30_000);
  });

  it('the CPU slider changes the share, and pause withdraws the page from the network until resume', async () => {
    const id = await shown(pageA, 'node-id');
    await pageA.locator('[data-testid=cpu]').evaluate((el: HTMLInputElement) => {
      el.value = '50';
      el.dispatchEvent(new Event('input'));
      el.dispatchEvent(new Event('change'));
    });
    expect(await shown(pageA, 'cpu-value')).toBe('50%');
    await until('the node to run at 50 %', () => pageA.evaluate(() => window.edgeNet.node!.getRecommendedConfig().cpuLimit === 0.5 || undefined));
    await joined(pageA);
    expect(await shown(pageA, 'node-id')).toBe(id);
    const me = await pageA.evaluate(() => window.edgeNet.node!.nodeId());
    await until('the hub to see A offering vector_search', async () => (await status()).capable.vector_search!.includes(me));
    await pageA.click('[data-testid=pause]');
    expect(await shown(pageA, 'state')).toBe('paused');
    await until('the hub to see A withdrawn', async () => !(await status()).capable.vector_search!.includes(me));
    await pageA.click('[data-testid=pause]');
    await until('the hub to see A back', async () => (await status()).capable.vector_search!.includes(me));
  });

  it('Ctrl-C stops the hub and every worker cleanly', async () => {
    const pids = (await status()).workers.map((w) => w!.pid);
    expect(pageErrors).toEqual([]);
    hub!.kill('SIGINT');
    const code = await Promise.race([hubExited!, sleep(30_000).then(() => 'timeout' as const)]);
    expect(code).toBe(0);
    expect(hubLog).toContain('stopped');
    for (const pid of pids) {
      expect(() => process.kill(pid, 0), `worker ${pid} still running`).toThrow();
    }
  });
});
