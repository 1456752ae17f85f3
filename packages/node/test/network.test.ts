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

function base(i: number, extra: Record<string, unknown> = {}) {
  return { site: `site-${i}`, policy: POLICY, stake: WORKER_STAKE, seed: seedHex(i), ...extra };
}

interface State {
  root: string;
  totals: { balances: number; escrow: number; stake: number; inFlight: number; granted: number; minted: number; burned: number };
  accounts: Record<string, { balance: number; minted: number; stake: number; burned: number }>;
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
    spawnNode({ site: 'site-4', policy: POLICY, stake: WORKER_STAKE, bootstrap: boot, storage: dir }),
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
    stored = await spawnNode({ site: 'site-4', policy: POLICY, stake: WORKER_STAKE, bootstrap: boot, storage: dir });
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
});
