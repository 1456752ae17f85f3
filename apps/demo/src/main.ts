/**
 * The dashboard: one EdgeNetNode running in this page (session.ts), and the controls and live
 * figures around it. Everything shown comes from the node: balances and health from its ledger
 * replica, peers from its transport, results and their verification from submitTask.
 */

import './style.css';
import type { EdgeNetNode, EmbeddingResult, NodeStorage, SemanticMatchResult, TaskOutcome, VectorSearchResult } from '@edge/node';
import { Series, draw } from './chart.js';
import { detect, notices, summary, type Capabilities } from './env.js';
import { fixed, pct, ruv, shortOf } from './format.js';
import { fetchDocs, fetchHubInfo, type DocMeta, type HubInfo } from './join.js';
import { backupIdentity, installIdentity, openBackup, openStorage, startSession, type Session } from './session.js';

/** Most a single task may cost (base units): 1 rUv. */
const MAX_COST = 1_000_000;
const CPU_KEY = 'edge-net.cpu';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const text = (id: string, v: string) => {
  const el = $(id);
  if (el.textContent !== v) el.textContent = v;
};

interface Last {
  embedding?: TaskOutcome<EmbeddingResult>;
  search?: TaskOutcome<VectorSearchResult>;
  classify?: TaskOutcome<SemanticMatchResult>;
  query?: string;
}

/** What the console (and the end-to-end test) can reach as `window.edgeNet`. */
interface EdgeNetHandle {
  node: EdgeNetNode | undefined;
  storage: NodeStorage | undefined;
  hub: HubInfo | undefined;
  capabilities: Capabilities | undefined;
  last: Last;
  ready: boolean;
}

declare global {
  interface Window {
    edgeNet: EdgeNetHandle;
  }
}

const handle: EdgeNetHandle = { node: undefined, storage: undefined, hub: undefined, capabilities: undefined, last: {}, ready: false };
window.edgeNet = handle;

let session: Session | undefined;
let docs: Map<string, DocMeta> | undefined;
let inFlight = 0;
let busyRestart = false;
let ciphertext: Uint8Array | undefined;
const health = { velocity: new Series(), utilization: new Series(), stability: new Series() };

// ---- activity log and notices -------------------------------------------------------------------

function log(what: string, detail = ''): void {
  const li = document.createElement('li');
  const b = document.createElement('b');
  b.textContent = what;
  li.append(`${new Date().toLocaleTimeString()} `, b, detail ? ` ${detail}` : '');
  const list = $('log');
  list.prepend(li);
  while (list.children.length > 60) list.lastElementChild!.remove();
}

function notice(level: 'bad' | 'warn' | 'info', message: string): void {
  const div = document.createElement('div');
  div.className = `notice ${level}`;
  div.textContent = message;
  $('notices').append(div);
}

function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e?.code ? `${e.code}: ${e.message ?? ''}` : String(e?.message ?? error);
}

function setState(label: string, tone: '' | 'ok' | 'warn' | 'bad'): void {
  const el = $('state');
  el.textContent = label;
  el.className = `badge ${tone}`;
}

function enable(on: boolean): void {
  for (const id of ['pause', 'search-go', 'classify-go', 'enc-go', 'backup-go', 'restore-go']) ($(id) as HTMLButtonElement).disabled = !on;
  ($('dec-go') as HTMLButtonElement).disabled = !on || ciphertext === undefined;
}

// ---- the live view ------------------------------------------------------------------------------

function renderStats(): void {
  const node = session?.node;
  if (node === undefined) return;
  let s;
  try {
    s = node.getStats();
  } catch {
    return; // stopped for a restart
  }
  text('node-id', node.shortId());
  text('balance', ruv(s.ruv_balance));
  text('earned', ruv(s.ruv_earned));
  text('spent', ruv(s.ruv_spent));
  text('reputation', fixed(s.reputation, 3));
  text('multiplier', `${fixed(node.getMultiplier(), 2)}×`);
  text('phase', node.ledger.getPhase());
  text('peers', String(s.peers));
  text('tasks-done', String(s.tasks_completed));
  text('tasks-flight', String(inFlight + s.queue));
  const paused = ($('pause') as HTMLButtonElement).dataset.paused === 'true';
  text('contrib', `${paused ? 'paused' : 'contributing'} · busy ${pct(s.utilization)} of the time · ${s.tasks_completed} task(s) run for others`);
  if (busyRestart) return;
  if (handle.hub === undefined) setState('local only', 'warn');
  else if (paused) setState('paused', 'warn');
  else if (s.peers > 0) setState('joined', 'ok');
  else setState('no peers', 'bad');
  renderPeers(node);
}

function renderPeers(node: EdgeNetNode): void {
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const type of ['vector_search', 'embedding', 'semantic_match']) {
    for (const p of node.getOptimalPeers(type, 12)) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      rows.push([shortOf(p.id), `rep ${fixed(p.reputation, 2)}`, p.latencyMs === undefined ? '—' : `${fixed(p.latencyMs, 1)} ms`, `score ${fixed(p.score, 3)}`]);
    }
  }
  const hub = handle.hub;
  if (hub !== undefined) rows.unshift([shortOf(hub.hub), 'hub', 'relay + bootstrap', '']);
  const table = $('peer-list');
  const html = rows.map((r) => `<tr><td>${r[0]}</td><td>${r[1]}</td><td class="num">${r[2]}</td><td class="num">${r[3]}</td></tr>`).join('');
  if (table.innerHTML !== html) table.innerHTML = html;
}

function sampleHealth(): void {
  const node = session?.node;
  if (node === undefined || busyRestart) return;
  let h;
  try {
    h = node.getEconomicHealth();
  } catch {
    return;
  }
  health.velocity.push(h.velocity);
  health.utilization.push(h.utilization);
  health.stability.push(h.stability);
  text('h-velocity', h.velocity.toExponential(2));
  text('h-utilization', pct(h.utilization));
  text('h-stability', fixed(h.stability, 3));
  draw($('c-velocity') as unknown as SVGSVGElement, health.velocity);
  draw($('c-utilization') as unknown as SVGSVGElement, health.utilization);
  draw($('c-stability') as unknown as SVGSVGElement, health.stability);
}

function renderAudit(): void {
  const node = session?.node;
  if (node === undefined || busyRestart) return;
  let a;
  try {
    a = node.runSecurityAudit();
  } catch {
    return;
  }
  const score = $('audit-score');
  score.textContent = `${Math.round(a.score)}/100`;
  score.className = `badge ${a.score >= 80 ? 'ok' : a.score >= 50 ? 'warn' : 'bad'}`;
  $('audit').innerHTML = a.checks
    .map((c) => `<tr><td class="${c.score >= 0.999 ? 'ok' : 'meh'}">${c.score >= 0.999 ? '✓' : '•'} ${escapeHtml(c.name)}</td><td>${escapeHtml(c.detail)}</td><td class="num">${Math.round(c.score * c.weight)}/${c.weight}</td></tr>`)
    .join('');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---- tasks --------------------------------------------------------------------------------------

async function task<R>(type: string, payload: unknown, maxCost = MAX_COST): Promise<TaskOutcome<R>> {
  const node = session!.node;
  inFlight++;
  try {
    return await node.submitTask<R>(type, payload, maxCost);
  } finally {
    inFlight--;
  }
}

function describe(o: TaskOutcome<unknown>): string {
  const by = o.executedBy.map(shortOf).join(', ');
  return `${o.type} by ${by} (${o.verification}) · cost ${ruv(o.cost)} rUv${o.refunded > 0 ? `, ${ruv(o.refunded)} refunded` : ''}`;
}

async function search(q: string): Promise<void> {
  const hub = handle.hub;
  if (hub === undefined) throw new Error('search needs the hub (its index): run `pnpm start` and open the address it prints');
  docs ??= await fetchDocs();
  const emb = await task<EmbeddingResult>('embedding', { texts: [q] });
  const res = await task<VectorSearchResult>('vector_search', { index: hub.index.name, vector: emb.result.vectors[0]!, k: hub.index.k });
  handle.last = { ...handle.last, embedding: emb, search: res, query: q };
  $('search-meta').textContent = `${describe(emb)} · ${describe(res)}`;
  const list = $('search-results');
  list.replaceChildren(
    ...res.result.ids.map((id, i) => {
      const d = docs!.get(String(id));
      const li = document.createElement('li');
      li.dataset.id = String(id);
      const t = document.createElement('span');
      t.className = 't';
      t.textContent = d?.title ?? String(id);
      const c = document.createElement('span');
      c.className = 'c';
      c.textContent = d?.category ?? '';
      const dist = document.createElement('span');
      dist.className = 'd';
      dist.textContent = `distance ${res.result.distances[i]!.toFixed(4)}`;
      const s = document.createElement('div');
      s.className = 's';
      s.textContent = d?.snippet ?? '';
      li.append(t, c, dist, s);
      return li;
    }),
  );
  log('search', `"${q}": ${res.result.ids.length} results from ${res.executedBy.map(shortOf).join(', ')}; paid ${ruv(emb.cost + res.cost)} rUv`);
}

function parseCategories(spec: string): { id: string; description?: string }[] {
  return spec
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const i = part.indexOf(':');
      return i < 0 ? { id: part } : { id: part.slice(0, i).trim(), description: part.slice(i + 1).trim() };
    });
}

async function classify(body: string, spec: string): Promise<void> {
  const categories = parseCategories(spec);
  if (categories.length < 2) throw new Error('give at least two categories: "id: description; id: description"');
  const r = await task<SemanticMatchResult>('semantic_match', { text: body, categories });
  handle.last = { ...handle.last, classify: r };
  $('classify-meta').textContent = describe(r);
  $('classify-result').replaceChildren(
    ...r.result.scores.map((s) => {
      const row = document.createElement('div');
      row.className = `bar${s.id === r.result.best ? ' best' : ''}`;
      row.dataset.id = s.id;
      const name = document.createElement('span');
      name.textContent = s.id;
      const bar = document.createElement('i');
      bar.style.width = `${Math.max(1, s.probability * 100).toFixed(1)}%`;
      const p = document.createElement('span');
      p.textContent = pct(s.probability);
      row.append(name, bar, p);
      return row;
    }),
  );
  log('classified', `→ ${r.result.best} by ${r.executedBy.map(shortOf).join(', ')}`);
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

// ---- node lifecycle -----------------------------------------------------------------------------

async function restart(why: string, between?: () => Promise<void>): Promise<void> {
  if (session === undefined) return;
  busyRestart = true;
  enable(false);
  setState('restarting', 'warn');
  const { storage, cpu } = session;
  try {
    await session.node.stop();
    if (between !== undefined) await between();
    session = await startSession(storage, handle.hub, readCpu() ?? cpu);
    handle.node = session.node;
    log('restarted', why);
  } catch (error) {
    setState('not started', 'bad');
    notice('bad', `The node did not start again: ${errorText(error)}. Reload the page.`);
    throw error;
  } finally {
    busyRestart = false;
  }
  enable(true);
  ($('pause') as HTMLButtonElement).dataset.paused = 'false';
  $('pause').textContent = 'pause';
}

function readCpu(): number | undefined {
  const v = Number(localStorage.getItem(CPU_KEY));
  return v >= 0.1 && v <= 0.5 ? v : undefined;
}

async function applyCpu(share: number): Promise<void> {
  localStorage.setItem(CPU_KEY, String(share));
  const node = session?.node as (EdgeNetNode & { setCpuLimit?: (s: number) => void }) | undefined;
  if (node === undefined) return;
  if (typeof node.setCpuLimit === 'function') {
    node.setCpuLimit(share);
    log('cpu share', `${Math.round(share * 100)}% (live)`);
  } else {
    // This build of @edge/node cannot change the share of a running node: start it again with
    // the new share (same storage: same identity, ledger and index replicas).
    await restart(`with a ${Math.round(share * 100)}% CPU share`);
  }
}

function wire(): void {
  const cpu = $('cpu') as HTMLInputElement;
  cpu.addEventListener('input', () => text('cpu-value', `${cpu.value}%`));
  cpu.addEventListener('change', () => void applyCpu(Number(cpu.value) / 100).catch((e) => log('cpu share failed', errorText(e))));

  const pause = $('pause') as HTMLButtonElement;
  pause.addEventListener('click', () => {
    const node = session?.node;
    if (node === undefined) return;
    const paused = pause.dataset.paused === 'true';
    if (paused) node.resume();
    else node.pause();
    pause.dataset.paused = String(!paused);
    pause.textContent = paused ? 'pause' : 'resume';
    log(paused ? 'resumed' : 'paused', paused ? 'offering compute again' : 'no new tasks accepted; own tasks still run');
    renderStats();
  });

  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = ($('search-q') as HTMLInputElement).value.trim();
    if (q.length === 0) return;
    const go = $('search-go') as HTMLButtonElement;
    go.disabled = true;
    $('search-meta').textContent = 'embedding the query and searching on the network…';
    search(q)
      .catch((err) => {
        $('search-meta').textContent = `search failed: ${errorText(err)}`;
        log('search failed', errorText(err));
      })
      .finally(() => (go.disabled = false));
  });

  $('classify-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const go = $('classify-go') as HTMLButtonElement;
    go.disabled = true;
    classify(($('classify-text') as HTMLTextAreaElement).value.trim(), ($('classify-cats') as HTMLInputElement).value)
      .catch((err) => {
        $('classify-meta').textContent = `classify failed: ${errorText(err)}`;
        log('classify failed', errorText(err));
      })
      .finally(() => (go.disabled = false));
  });

  $('enc-go').addEventListener('click', () => {
    const plain = ($('enc-plain') as HTMLTextAreaElement).value;
    task<Uint8Array>('encryption', { op: 'encrypt', data: utf8.encode(plain) }, 0)
      .then((r) => {
        ciphertext = r.result;
        $('enc-out').textContent = b64(r.result);
        $('dec-out').textContent = '';
        ($('dec-go') as HTMLButtonElement).disabled = false;
        log('encrypted', `${plain.length} characters → ${r.result.length} bytes (AEAD under the session key)`);
      })
      .catch((err) => ($('enc-out').textContent = `failed: ${errorText(err)}`));
  });
  $('dec-go').addEventListener('click', () => {
    if (ciphertext === undefined) return;
    task<Uint8Array>('encryption', { op: 'decrypt', data: ciphertext }, 0)
      .then((r) => {
        $('dec-out').textContent = fromUtf8.decode(r.result);
        log('decrypted', 'the ciphertext opened under the session key');
      })
      .catch((err) => ($('dec-out').textContent = `failed: ${errorText(err)}`));
  });

  $('backup-go').addEventListener('click', () => {
    const pw = ($('backup-pw') as HTMLInputElement).value;
    const out = $('backup-out');
    out.textContent = 'encrypting (Argon2id, 64 MiB)…';
    backupIdentity(session!.storage, pw)
      .then(({ bytes, short }) => {
        const name = `edge-net-${short.replace('π:', '')}.backup`;
        const a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
        a.download = name;
        a.textContent = `download ${name} (${bytes.length} bytes)`;
        out.replaceChildren(a);
        a.click();
        log('identity backed up', `${short} → ${name}`);
      })
      .catch((err) => (out.textContent = `backup failed: ${errorText(err)}`));
  });

  $('restore-go').addEventListener('click', () => {
    const file = ($('restore-file') as HTMLInputElement).files?.[0];
    const pw = ($('restore-pw') as HTMLInputElement).value;
    const out = $('restore-out');
    if (file === undefined) {
      out.textContent = 'choose a .backup file first';
      return;
    }
    out.textContent = 'opening the backup (Argon2id)…';
    (async () => {
      const key = await openBackup(new Uint8Array(await file.arrayBuffer()), pw);
      const short = key.getShortId();
      if (short === session!.node.shortId()) {
        key.destroy();
        out.textContent = `${short} is already this browser's identity`;
        return;
      }
      const before = session!.node.shortId();
      try {
        await restart(`as ${short} (restored from a backup; was ${before})`, () => installIdentity(session!.storage, key));
      } finally {
        key.destroy();
      }
      out.textContent = `restored ${short}; its balance arrives with the ledger from the network`;
    })().catch((err) => (out.textContent = `restore failed: ${errorText(err)}`));
  });
}

// ---- start --------------------------------------------------------------------------------------

async function boot(): Promise<void> {
  wire();
  const caps = await detect();
  handle.capabilities = caps;
  const problems = notices(caps);
  for (const n of problems) notice(n.level, n.text);
  if (problems.some((n) => n.level === 'bad')) {
    setState('cannot run here', 'bad');
    return;
  }
  const cpu = readCpu() ?? 0.3;
  ($('cpu') as HTMLInputElement).value = String(Math.round(cpu * 100));
  text('cpu-value', `${Math.round(cpu * 100)}%`);

  setState('looking for the hub', '');
  const hub = await fetchHubInfo();
  handle.hub = hub;
  if (hub === undefined) {
    notice('warn', 'No hub answered at this address (/hub.json): the node runs on its own, tasks run locally and search is off. Start the network with `pnpm start` and open the address it prints.');
    text('hub-info', `no hub · ${summary(caps)}`);
  } else {
    text('hub-info', `hub ${shortOf(hub.hub)} · ${hub.workers.length} worker(s) · index "${hub.index.name}" (${hub.index.size} docs) · ${summary(caps)}`);
  }

  setState('joining', '');
  let storage: NodeStorage;
  try {
    storage = await openStorage();
    session = await startSession(storage, hub, cpu);
  } catch (error) {
    const msg = errorText(error);
    setState('not started', 'bad');
    if (/another tab/.test(msg)) notice('bad', 'This node is already open in another tab or window of this browser. Close it, or open this page with ?profile=2 to run a second node with its own identity.');
    else notice('bad', `The node did not start: ${msg}`);
    return;
  }
  handle.node = session.node;
  handle.storage = storage;
  log('started', `${session.node.shortId()} · balance ${ruv(session.node.ruvBalance())} rUv`);

  const battery = (navigator as Navigator & { getBattery?: () => Promise<{ charging: boolean; level: number; addEventListener(t: string, l: () => void): void }> }).getBattery;
  if (typeof battery === 'function') {
    battery
      .call(navigator)
      .then((b) => {
        const push = () => session?.node.setBatteryStatus({ charging: b.charging, level: b.level });
        push();
        b.addEventListener('chargingchange', push);
        b.addEventListener('levelchange', push);
      })
      .catch(() => undefined);
  }

  enable(true);
  renderStats();
  sampleHealth();
  renderAudit();
  setInterval(renderStats, 1_000);
  setInterval(sampleHealth, 2_000);
  setInterval(renderAudit, 5_000);
  let lastEarned = session.node.getStats().ruv_earned;
  setInterval(() => {
    if (session === undefined || busyRestart) return;
    const e = session.node.getStats().ruv_earned;
    if (e > lastEarned) log('earned', `${ruv(e - lastEarned)} rUv for tasks run for other peers`);
    lastEarned = e;
  }, 2_000);
  handle.ready = true;
}

boot().catch((error) => {
  setState('error', 'bad');
  notice('bad', `The dashboard failed: ${errorText(error)}`);
});
