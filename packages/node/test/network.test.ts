// The verified task loop between real processes over real libp2p (TCP on 127.0.0.1): one hub
// (bootstrap node, paused: it relays gossip and holds a ledger replica but executes nothing),
// three workers (one of them lies on vector_search) and a submitter, each its own `node`
// process running the built package.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@edge/identity';
import { createIndex, type IndexOptions } from '@edge/hnsw';
import { loadDefaultModel, match } from '@edge/embed';
import { testSeed, prng, seededBytes } from '@edge/tooling/seed';
import { shardOf } from '../src/index.js';
import { POLICY, WORKER_STAKE } from './helpers.js';
import { assertBuilt, killAll, spawnNode, until, type Proc } from './procs.js';

const SEED = testSeed();
const INDEX: IndexOptions = { dim: 8, metric: 'cosine', seed: 7, M: 8, efConstruction: 64 };
const rand = prng(SEED);
const IDS = Array.from({ length: 60 }, (_, i) => `doc-${i}`);
const VECS = IDS.map(() => Array.from({ length: 8 }, () => rand() * 2 - 1));
const QUERY = Array.from({ length: 8 }, () => rand() * 2 - 1);
const TEXTS = ['How do I reset my password?', 'The weather in Paris is sunny.'];
const CATS = [
  { id: 'sports', description: 'games, teams and athletes' },
  { id: 'finance', description: 'money, banks, stocks and markets' },
];
const MAX = 1_000_000_000;

let hub: Proc;
let submitter: Proc;
let honest: Proc[] = [];
let liar: Proc;
let stored: Proc;
let dir: string;
// The same derivation as helpers.keyFor, as a seed the child process turns into its PiKey.
const seedHex = (i: number) => toHex(seededBytes(prng((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0), 32));

// Every process registers one user task type (the handler module lives in test/fixtures).
const TASKS = [{ type: 'collatz', module: './collatz.mjs' }];
function base(i: number, extra: Record<string, unknown> = {}) {
  return { site: `site-${i}`, policy: POLICY, stake: WORKER_STAKE, seed: seedHex(i), tasks: TASKS, ...extra };
}
const storedConfig = (bootstrap: string[]) => ({ site: 'site-4', policy: POLICY, stake: WORKER_STAKE, bootstrap, storage: dir, tasks: TASKS });
const conserved = (s: State) => s.totals.balances + s.totals.escrow + s.totals.stake + s.totals.inFlight === s.totals.granted + s.totals.minted - s.totals.burned;

interface State {
  root: string;
  totals: { balances: number; escrow: number; stake: number; inFlight: number; granted: number; minted: number; burned: number };
  accounts: Record<string, { balance: number; minted: number; stake: number; burned: number; escrow: number; reputation: number; height: number }>;
  stats: Record<string, any>;
  multiplier: number;
}

const everyone = () => [hub, submitter, liar, ...honest];

async function converged(): Promise<State[]> {
  let states: State[] = [];
  await until(
    'ledger replicas to converge',
    async () => {
      states = await Promise.all(everyone().map((p) => p.call<State>('state')));
      return states.every((s) => s.root === states[0]!.root);
    },
    60_000,
    300,
  );
  return states;
}

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'edge-node-proc-'));
  hub = await spawnNode(base(0, { pause: true, stake: 0 }));
  const boot = hub.addrs.filter((a) => a.includes('/tcp/') && !a.includes('/ws'));
  [submitter, liar, honest[0]!, stored] = await Promise.all([
    spawnNode(base(1, { bootstrap: boot, stake: 0 })),
    // rac proves a wrong result only when the agreeing witnesses hold more than twice the
    // accused's stake: two honest witnesses against a liar with half their stake.
    spawnNode(base(2, { bootstrap: boot, liar: true, stake: WORKER_STAKE / 2 })),
    spawnNode(base(3, { bootstrap: boot })),
    // The fourth process keeps its identity in a storage directory (generated on first start).
    spawnNode(storedConfig(boot)),
  ]);
  honest = [honest[0]!, stored];
  const ids = everyone().map((p) => p.id);
  await Promise.all(everyone().map((p) => p.call('watch', { ids })));
  // The submitter learns of the workers through the hub's gossip and dials them directly.
  await until('the submitter to see three capable workers', async () => (await submitter.call<string[]>('peers')).length === 3, 45_000);
}, 150_000);

afterAll(async () => {
  await killAll();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('five processes on 127.0.0.1', () => {
  it('embedding and semantic_match over the network: same results as local, balances move exactly by the ledger rules', async () => {
    const s0 = await converged();
    const before = s0[1]!.accounts;
    const em = await submitter.call('submit', { type: 'embedding', payload: { texts: TEXTS }, maxCost: MAX });
    const model = await loadDefaultModel();
    const direct = await model.embed(TEXTS);
    expect(em.verification).toBe('replicated');
    expect(em.executedBy).toHaveLength(3);
    expect(em.result.model).toBe(model.modelId);
    em.result.vectors.forEach((v: number[], i: number) => expect(v).toEqual([...direct[i]!]));
    const sm = await submitter.call('submit', { type: 'semantic_match', payload: { text: 'Interest rates rose and shares dropped', categories: CATS }, maxCost: MAX });
    const dm = await match(model, 'Interest rates rose and shares dropped', CATS);
    expect(sm.result.best).toBe(dm.best);
    expect(sm.result.scores.map((x: { id: string }) => x.id)).toEqual(dm.scores.map((x) => x.id));
    // encryption never leaves its node: it runs on the submitter, free.
    const enc = await submitter.call('submit', { type: 'encryption', payload: { op: 'encrypt', data: [...new TextEncoder().encode('secret')] }, maxCost: MAX });
    expect(enc.verification).toBe('local');
    expect(enc.cost).toBe(0);

    const states = await converged();
    const outcomes = [em, sm];
    const spent = outcomes.reduce((t, o) => t + o.cost, 0);
    expect(em.cost).toBe(3 * em.quote);
    const sub = states[1]!.accounts[submitter.id]!;
    expect(sub.balance).toBe(before[submitter.id]!.balance - spent);
    for (const s of states) {
      // No credits created or lost: balances + escrow + stake + in flight = granted + minted − burned.
      expect(s.totals.balances + s.totals.escrow + s.totals.stake + s.totals.inFlight).toBe(s.totals.granted + s.totals.minted - s.totals.burned);
      expect(s.totals.escrow).toBe(0);
    }
    const m = states[1]!.multiplier;
    for (const w of [liar, ...honest]) {
      const jobs = outcomes.filter((o) => o.executedBy.includes(w.id));
      const received = jobs.reduce((t, o) => t + o.quote, 0);
      const st = states[1]!.accounts[w.id]!;
      const was = before[w.id]!;
      // Paid exactly the quote per accepted execution; each payment had two staked witnesses, so
      // it minted a bonus of at least floor(amount × (multiplier − 1)).
      expect(st.balance - st.minted).toBe(was.balance - was.minted + received);
      expect(st.minted - was.minted).toBeGreaterThanOrEqual(jobs.reduce((t, o) => t + Math.floor(o.quote * (m - 1)), 0));
      expect(st.minted - was.minted).toBeLessThanOrEqual(jobs.reduce((t, o) => t + 9 * o.quote, 0));
    }
  }, 120_000);

  it('a user-registered task type runs on the worker processes and returns what the handler returns locally', async () => {
    const s0 = await converged();
    const before = s0[1]!.accounts;
    const starts = Array.from({ length: 40 }, () => 1 + Math.floor(rand() * 100_000));
    const out = await submitter.call('submit', { type: 'collatz', payload: { starts }, maxCost: MAX });
    // The same module, called directly in this process.
    const handler: { run(p: { starts: number[] }): { steps: number[]; longest: number } } = await import(new URL('./fixtures/collatz.mjs', import.meta.url).href);
    const want = handler.run({ starts });
    expect(out.result).toEqual(want);
    // New workers are always replicated: the three workers ran it and agreed.
    expect(out.verification).toBe('replicated');
    expect(out.executedBy.sort()).toEqual([liar, ...honest].map((w) => w.id).sort());
    expect(out.rejected).toEqual([]);
    expect(out.cost).toBe(3 * out.quote);
    const states = await converged();
    expect(states[1]!.accounts[submitter.id]!.balance).toBe(before[submitter.id]!.balance - out.cost);
    for (const w of [liar, ...honest]) {
      const st = states[1]!.accounts[w.id]!;
      expect(st.balance - st.minted).toBe(before[w.id]!.balance - before[w.id]!.minted + out.quote);
    }
    for (const s of states) expect(conserved(s)).toBe(true);
  }, 120_000);

  it('vector_search: the lying worker is caught, the submitter gets the local answer, the liar is not paid', async () => {
    await submitter.call('createIndex', { name: 'docs', options: INDEX });
    await submitter.call('insertVectors', { name: 'docs', ids: IDS, vectors: VECS });
    const version = await submitter.call<number>('indexVersion', { name: 'docs' });
    // Inserts replicate to the workers as signed deltas.
    for (const w of [liar, ...honest]) await until('index replica', async () => (await w.call('indexVersion', { name: 'docs' })) === version, 30_000);
    const s0 = await converged();
    const before = s0[1]!.accounts;

    const vs = await submitter.call('submit', { type: 'vector_search', payload: { index: 'docs', vector: QUERY, k: 5 }, maxCost: MAX });
    const oracle = createIndex(INDEX);
    oracle.addBatch(IDS, VECS);
    const want = oracle.search(Float32Array.from(QUERY), 5);
    expect(vs.result.ids).toEqual(want.ids);
    expect(vs.result.distances).toEqual([...Float32Array.from(want.distances)]);
    expect(vs.rejected).toEqual([liar.id]);
    expect(vs.executedBy.sort()).toEqual(honest.map((h) => h.id).sort());
    expect(vs.cost).toBe(2 * vs.quote);

    const states = await converged();
    const after = states[1]!.accounts;
    expect(after[liar.id]!.balance).toBe(before[liar.id]!.balance);
    expect(after[liar.id]!.minted).toBe(before[liar.id]!.minted);
    // Slashed through rac evidence: 10 % of its stake burned.
    const slash = Math.floor(before[liar.id]!.stake * 0.1);
    expect(slash).toBeGreaterThan(0);
    expect(after[liar.id]!.stake).toBe(before[liar.id]!.stake - slash);
    expect(after[liar.id]!.burned).toBe(before[liar.id]!.burned + slash);
    expect(after[submitter.id]!.balance).toBe(before[submitter.id]!.balance - vs.cost);
    for (const h of honest) expect(after[h.id]!.balance - after[h.id]!.minted).toBe(before[h.id]!.balance - before[h.id]!.minted + vs.quote);
    for (const s of states) expect(s.totals.balances + s.totals.escrow + s.totals.stake + s.totals.inFlight).toBe(s.totals.granted + s.totals.minted - s.totals.burned);
    expect(states[1]!.stats.faults_detected).toBe(1);
  }, 120_000);

  it('the rac evidence travels over the gossip topic: every other process, the idle hub included, quarantines the liar', async () => {
    // The submitter proved the wrong result and published the evidence; it quarantined the liar itself.
    const st = await submitter.call<State>('state');
    expect(st.stats.evidence_published).toBeGreaterThanOrEqual(1);
    expect(await submitter.call('peerStatus', { peer: liar.id })).toBe('quarantined');
    // The hub executed nothing and saw no result; the honest workers only saw their own offers.
    // Each verified the gossiped evidence against its own ledger replica before accepting it.
    for (const p of [hub, ...honest]) {
      await until(`evidence accepted on ${p.id.slice(0, 8)}`, async () => (await p.call<State>('state')).stats.evidence_accepted >= 1, 30_000);
      expect(await p.call('peerStatus', { peer: liar.id })).toBe('quarantined');
      // Nobody accepted anything against an honest peer.
      for (const h of [submitter, ...honest]) expect(await p.call('peerStatus', { peer: h.id })).not.toBe('quarantined');
    }
    // The quarantined liar is no longer routed to.
    await until('the submitter to stop ranking the liar', async () => !(await submitter.call<string[]>('peers')).includes(liar.id), 10_000);
  }, 60_000);

  it('a worker process restarted with its storage directory has its identity, balance, index and routing values back', async () => {
    const peer = submitter.id;
    await stored.call('recordRouting', { type: 'vector_search', peer, reward: 0.75 });
    const routing = await stored.call<number>('routingValue', { type: 'vector_search', peer });
    const states = await converged();
    const mine = states[0]!.accounts[stored.id]!;
    const version = await stored.call<number>('indexVersion', { name: 'docs' });
    const oldId = stored.id;
    await stored.call('stop');
    await stored.exited;

    const boot = hub.addrs.filter((a) => a.includes('/tcp/') && !a.includes('/ws'));
    stored = await spawnNode(storedConfig(boot));
    honest = [honest[0]!, stored];
    expect(stored.id).toBe(oldId);
    const info = await stored.call('info');
    expect(info.balance).toBe(mine.balance);
    expect(await stored.call('indexVersion', { name: 'docs' })).toBe(version);
    expect(await stored.call('routingValue', { type: 'vector_search', peer })).toBe(routing);
    await stored.call('watch', { ids: everyone().map((p) => p.id) });
    // And it rejoins: every replica, its own included, converges again.
    const again = await converged();
    expect(again[0]!.root).toBe(again[4]!.root);
  }, 120_000);
  it('nobody completes: every capable worker stalls, the escrow comes back in full and every replica stays balanced', async () => {
    const workers = [liar, ...honest];
    await Promise.all(workers.map((w) => w.call('hang', { on: true })));
    try {
      const s0 = await converged();
      const before = s0[1]!.accounts;
      const starts = [27, 97, 871];
      // Still advertised and ranked: the task is routed to the stalled workers only.
      // (the restarted worker's advert has to reach the submitter again first).
      const want = honest.map((h) => h.id).sort().join();
      await until('the submitter to rank both honest workers', async () => (await submitter.call<string[]>('peers')).sort().join() === want, 45_000);
      const err = await submitter.call('submit', { type: 'collatz', payload: { starts }, maxCost: MAX }, 90_000).then(
        () => undefined,
        (e: { code?: string; message: string }) => e,
      );
      expect(err?.code).toBe('ERR_TASK_FAILED');
      expect(err?.message).toMatch(/escrow refunded/);
      const states = await converged();
      for (const s of states) {
        expect(s.totals.escrow).toBe(0);
        expect(s.totals.inFlight).toBe(0);
        expect(conserved(s)).toBe(true);
        // No balance moved: the submitter has every base unit back (its chain grew by the hold
        // and the refund), no worker was paid, minted or slashed (reputation decays with time, so it is not compared).
        const money = (a: State['accounts'][string]) => ({ balance: a.balance, escrow: a.escrow, stake: a.stake, minted: a.minted, burned: a.burned });
        for (const p of everyone()) expect(money(s.accounts[p.id])).toEqual(money(before[p.id]));
      }
      // The hold and the refund are on the submitter's chain, seen by every replica.
      for (const s of states) expect(s.accounts[submitter.id]!.height).toBe(before[submitter.id]!.height + 2);
      expect(states[1]!.stats.tasks_failed).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(workers.map((w) => w.call('hang', { on: false })));
    }
  }, 150_000);

  it('a sharded index: shards on rendezvous-chosen workers, a query from a process that holds none fans out and merges the top k', async () => {
    const SHARDS = 2;
    await submitter.call('createIndex', { name: 'parts', options: { ...INDEX, shards: SHARDS, replicas: 2 } });
    await submitter.call('insertVectors', { name: 'parts', ids: IDS, vectors: VECS });
    // The oracle: the same shards built here (same options and insertion order), each searched, merged.
    const shards = Array.from({ length: SHARDS }, () => createIndex(INDEX));
    const groups = Array.from({ length: SHARDS }, () => ({ ids: [] as string[], vecs: [] as number[][] }));
    IDS.forEach((id, i) => {
      const g = groups[shardOf(id, SHARDS)]!;
      g.ids.push(id);
      g.vecs.push(VECS[i]!);
    });
    groups.forEach((g, s) => shards[s]!.addBatch(g.ids, g.vecs));
    const merged = shards.flatMap((idx) => {
      const r = idx.search(Float32Array.from(QUERY), 5);
      return r.ids.map((id, i) => ({ id, d: Math.fround(r.distances[i]!) }));
    });
    merged.sort((a, b) => a.d - b.d || (String(a.id) < String(b.id) ? -1 : 1));
    const want = merged.slice(0, 5);
    // The hub (paused, holds nothing) sees two replicas of each shard advertised.
    for (let s = 0; s < SHARDS; s++) await until(`two holders of parts.${s}`, async () => (await hub.call<number>('indexHolders', { name: `parts.${s}` })) >= 2, 45_000);
    const s0 = await converged();
    const before = s0[0]!.accounts[hub.id]!;
    const vs = await hub.call('submit', { type: 'vector_search', payload: { index: 'parts', vector: QUERY, k: 5 }, maxCost: MAX });
    expect(vs.result.ids).toEqual(want.map((x) => x.id));
    expect(vs.result.distances).toEqual(want.map((x) => x.d));
    expect(vs.shards).toHaveLength(SHARDS);
    expect(vs.executedBy).not.toContain(hub.id);
    expect(vs.rejected).toEqual([]);
    const states = await converged();
    expect(states[0]!.accounts[hub.id]!.balance).toBe(before.balance - vs.cost);
    for (const st of states) expect(conserved(st)).toBe(true);
  }, 150_000);
});
