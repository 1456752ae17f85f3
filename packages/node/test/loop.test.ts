import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCanonical, encodeCanonical, openSync, toHex, type PiKey } from '@edge/identity';
import { createIndex, type IndexOptions } from '@edge/hnsw';
import { loadDefaultModel, match } from '@edge/embed';
import { signClaim, wrongResultEvidence } from '@edge/rac';
import { sha256 } from '@noble/hashes/sha2.js';
import { testSeed, prng } from '@edge/tooling/seed';
import {
  EVIDENCE_KIND,
  EdgeNetConfig,
  InsufficientBalanceError,
  MaxCostExceededError,
  RESULT_TYPE,
  TASK_CLAIM_CTX,
  TaskFailedError,
  sealOffer,
  sealResult,
  shardOf,
  type EdgeNetNode,
  type EmbeddingResult,
  type RequestHandler,
  type SemanticMatchResult,
  type VectorSearchResult,
} from '../src/index.js';
import { createMemoryNetwork } from './memory-transport.js';
import { POLICY, WORKER_STAKE, config, conserved, converge, keyFor } from './helpers.js';

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

function oracleSearch(): { ids: (string | number)[]; distances: Float32Array } {
  const idx = createIndex(INDEX);
  idx.addBatch(IDS, VECS);
  const r = idx.search(Float32Array.from(QUERY), 5);
  return { ids: r.ids, distances: Float32Array.from(r.distances) };
}

const nodes: EdgeNetNode[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function started(c: EdgeNetConfig): Promise<EdgeNetNode> {
  const n = c.build();
  await n.start();
  nodes.push(n);
  return n;
}

describe('a node with no peers', () => {
  it('runs every task type locally, free, with the same results as the libraries', async () => {
    const n = await started(config(SEED, 0));
    const balance = n.ruvBalance();
    await n.createIndex('docs', INDEX);
    await n.insertVectors('docs', IDS, VECS);
    const vs = await n.submitTask<VectorSearchResult>('vector_search', { index: 'docs', vector: QUERY, k: 5 }, 1_000_000);
    const want = oracleSearch();
    expect(vs.verification).toBe('local');
    expect(vs.result.ids).toEqual(want.ids);
    expect([...vs.result.distances]).toEqual([...want.distances]);
    expect(vs.cost).toBe(0);
    expect(vs.quote).toBeGreaterThan(0);

    const model = await loadDefaultModel();
    const em = await n.submitTask<EmbeddingResult>('embedding', { texts: TEXTS }, 1_000_000);
    const direct = await model.embed(TEXTS);
    expect(em.result.model).toBe(model.modelId);
    em.result.vectors.forEach((v, i) => expect([...v]).toEqual([...direct[i]!]));

    const sm = await n.submitTask<SemanticMatchResult>('semantic_match', { text: 'Interest rates rose and shares dropped', categories: CATS }, 1_000_000);
    const dm = await match(model, 'Interest rates rose and shares dropped', CATS);
    expect(sm.result.best).toBe('finance');
    expect(sm.result.best).toBe(dm.best);
    expect(sm.result.scores.map((s) => s.id)).toEqual(dm.scores.map((s) => s.id));
    sm.result.scores.forEach((s, i) => expect(s.score).toBe(Math.fround(dm.scores[i]!.score)));

    const plain = new TextEncoder().encode('secret text');
    const enc = await n.submitTask<Uint8Array>('encryption', { op: 'encrypt', data: plain }, 1_000_000);
    expect(toHex(enc.result)).not.toContain(toHex(plain));
    const dec = await n.submitTask<Uint8Array>('encryption', { op: 'decrypt', data: enc.result }, 1_000_000);
    expect(new TextDecoder().decode(dec.result)).toBe('secret text');

    expect(n.ruvBalance()).toBe(balance);
    expect(n.getStats().tasks_local).toBe(5);
  });
});

describe('the verified task loop across nodes', () => {
  it('routes, verifies 3-of-3, pays exactly the quote, mints witnessed bonuses, conserves credits', async () => {
    const net = createMemoryNetwork();
    const s = await started(config(SEED, 0, net));
    const workers = [];
    for (let i = 1; i <= 4; i++) workers.push(await started(config(SEED, i, net, { latencyMs: 10 + i })));
    const all = [s, ...workers];
    await s.createIndex('docs', INDEX);
    await s.insertVectors('docs', IDS, VECS);
    for (const w of workers) expect(w.indexVersion('docs')).toBe(s.indexVersion('docs'));
    await converge(all);
    const before = new Map(all.map((n) => [n.nodeId(), n.ruvBalance()]));

    const vs = await s.submitTask<VectorSearchResult>('vector_search', { index: 'docs', vector: QUERY, k: 5 }, 1_000_000_000);
    const want = oracleSearch();
    expect(vs.verification).toBe('replicated');
    expect(vs.executedBy).toHaveLength(3);
    expect(vs.rejected).toEqual([]);
    expect(vs.result.ids).toEqual(want.ids);
    expect([...vs.result.distances]).toEqual([...want.distances]);
    expect(vs.cost).toBe(3 * vs.quote);

    const em = await s.submitTask<EmbeddingResult>('embedding', { texts: TEXTS }, 1_000_000_000);
    const model = await loadDefaultModel();
    const direct = await model.embed(TEXTS);
    em.result.vectors.forEach((v, i) => expect([...v]).toEqual([...direct[i]!]));
    const sm = await s.submitTask<SemanticMatchResult>('semantic_match', { text: 'Interest rates rose and shares dropped', categories: CATS }, 1_000_000_000);
    expect(sm.result.best).toBe((await match(model, 'Interest rates rose and shares dropped', CATS)).best);

    await converge(all);
    const outcomes = [vs, em, sm];
    const spent = outcomes.reduce((t, o) => t + o.cost, 0);
    expect(s.ruvBalance()).toBe(before.get(s.nodeId())! - spent);
    expect(s.getStats().ruv_escrow).toBe(0);
    expect(s.getStats().ruv_spent).toBe(spent);
    const m = s.ledger.getMultiplier();
    for (const w of workers) {
      const received = outcomes.filter((o) => o.executedBy.includes(w.nodeId())).reduce((t, o) => t + o.quote, 0);
      const st = w.ledger.balanceOf(w.publicKey)!;
      // Paid exactly the quote per accepted execution; every payment had two independent
      // staked witnesses, so each minted its bonus floor(amt * (m - 1)) at its place in the fold.
      expect(st.balance - st.minted).toBe(before.get(w.nodeId())! + received);
      const jobs = outcomes.filter((o) => o.executedBy.includes(w.nodeId()));
      const maxBonus = jobs.reduce((t, o) => t + 9 * o.quote, 0);
      const minBonus = jobs.reduce((t, o) => t + Math.floor(o.quote * (m - 1)), 0);
      expect(st.minted).toBeGreaterThanOrEqual(minBonus);
      expect(st.minted).toBeLessThanOrEqual(maxBonus);
    }
    for (const n of all) {
      const c = conserved(n);
      expect(c.lhs).toBe(c.rhs);
      expect(toHex(n.ledger.merkleRoot())).toBe(toHex(s.ledger.merkleRoot()));
    }
    expect(workers.reduce((t, w) => t + w.getStats().tasks_completed, 0)).toBe(9);
  });

  it('replicates to a late peer and collects payments by itself, with nobody calling settled()', async () => {
    const net = createMemoryNetwork();
    const s = await started(config(SEED, 0, net));
    const early = await started(config(SEED, 1, net));
    await s.createIndex('docs', INDEX);
    await s.insertVectors('docs', IDS, VECS);
    expect(early.indexVersion('docs')).toBe(s.indexVersion('docs'));
    // A vector_search peer that appears after the insert gets the index without another call.
    const late = await started(config(SEED, 2, net));
    expect(late.indexVersion('docs')).toBeUndefined();
    await until(() => late.indexVersion('docs') === s.indexVersion('docs'), 5_000);
    expect(late.getIndex('docs')!.search(Float32Array.from(QUERY), 5).ids).toEqual(oracleSearch().ids);
    await until(() => s.indexHolders('docs') === 2, 5_000);

    const vs = await s.submitTask<VectorSearchResult>('vector_search', { index: 'docs', vector: QUERY, k: 5 }, 1_000_000_000);
    expect(vs.verification).toBe('replicated');
    expect([...vs.executedBy].sort()).toEqual([early.nodeId(), late.nodeId()].sort());
    // The pay entry is the last ledger message of the task: each worker must receive it when it
    // arrives (its collect waits for the ledger to check the entry), and the submitter then sees
    // the acknowledgement, with no further traffic to prompt either.
    await until(() => s.unacknowledgedPayments() === 0, 5_000);
    for (const w of [early, late]) expect(w.getStats().ruv_earned).toBeGreaterThanOrEqual(vs.quote);
  });

  it('a lone worker collects a payment that is the last message of the task', async () => {
    const net = createMemoryNetwork();
    const s = await started(config(SEED, 0, net));
    const w = await started(config(SEED, 1, net));
    const em = await s.submitTask<EmbeddingResult>('embedding', { texts: TEXTS }, 1_000_000_000);
    expect(em.executedBy).toEqual([w.nodeId()]);
    await until(() => s.unacknowledgedPayments() === 0 && w.getStats().ruv_earned >= em.quote, 5_000);
  });

  it('catches a lying worker: honest answer returned, liar unpaid, slashed through rac evidence', async () => {
    const net = createMemoryNetwork();
    const lie = (key: PiKey, handler: RequestHandler): RequestHandler => async (from, req, signal) => {
      const reply = await handler(from, req, signal);
      const env = openSync(reply);
      const b = env.body as { ok?: boolean; task: Uint8Array; offer: Uint8Array; result: Uint8Array; work: number };
      if (env.type !== RESULT_TYPE || b.ok !== true) return reply;
      const v = (decodeCanonical(b.result) as { ok: true; value: { ids: unknown[]; distances: Uint8Array } }).value;
      const wrong = encodeCanonical({ ...v, ids: [...v.ids].reverse() });
      const claim = signClaim(key, { ctx: TASK_CLAIM_CTX, subject: b.task, value: sha256(wrong) });
      return sealResult(key, { task: b.task, offer: b.offer, ok: true, result: wrong, work: b.work, claim });
    };
    const s = await started(config(SEED, 0, net));
    // The liar answers fastest, so routing offers it the task first.
    const liar = await started(config(SEED, 1, net, { latencyMs: 1, wrap: lie }));
    const honest: EdgeNetNode[] = [];
    for (let i = 2; i <= 4; i++) honest.push(await started(config(SEED, i, net, { latencyMs: 20 })));
    // An observer that takes no part in the task learns of the lie only from the evidence gossip.
    const observer = await started(config(SEED, 5, net, { latencyMs: 20 }));
    observer.pause(); // offers no compute, so it is never routed to
    const all = [s, liar, ...honest, observer];
    await s.createIndex('docs', INDEX);
    await s.insertVectors('docs', IDS, VECS);
    await converge(all);
    const before = new Map(all.map((n) => [n.nodeId(), n.ledger.balanceOf(n.publicKey)!]));
    expect(observer.peerStatus(liar.nodeId())).toBe('none');

    const vs = await s.submitTask<VectorSearchResult>('vector_search', { index: 'docs', vector: QUERY, k: 5 }, 1_000_000_000);
    expect(vs.rejected).toEqual([liar.nodeId()]);
    expect(vs.executedBy).toHaveLength(3);
    expect(vs.executedBy).not.toContain(liar.nodeId());
    expect(vs.result.ids).toEqual(oracleSearch().ids);
    expect(s.getStats().faults_detected).toBe(1);
    await converge(all);

    const l = liar.ledger.balanceOf(liar.publicKey)!;
    expect(l.balance).toBe(before.get(liar.nodeId())!.balance);
    expect(l.minted).toBe(0);
    expect(l.stake).toBe(WORKER_STAKE - Math.floor(WORKER_STAKE * 0.1));
    expect(l.burned).toBe(Math.floor(WORKER_STAKE * 0.1));
    expect(s.ruvBalance()).toBe(before.get(s.nodeId())!.balance - 3 * vs.quote);
    for (const h of honest) {
      const st = h.ledger.balanceOf(h.publicKey)!;
      expect(st.balance - st.minted).toBe(before.get(h.nodeId())!.balance + vs.quote);
    }
    for (const n of all) {
      const c = conserved(n);
      expect(c.lhs).toBe(c.rhs);
    }
    // The liar's trust is reset, its routing value is negative, it is quarantined at the submitter.
    expect(s.routingValue('vector_search', liar.nodeId())).toBeLessThan(0);
    expect(s.replicationProbability(liar.nodeId())).toBe(1);
    expect(s.getOptimalPeers('vector_search', 10).map((p) => p.id)).not.toContain(liar.nodeId());
    // The evidence went out on the evidence topic; every other node verified it and quarantined
    // the liar on its own (no node trusted the submitter's word).
    expect(s.getStats().evidence_published).toBe(1);
    expect(s.peerStatus(liar.nodeId())).toBe('quarantined');
    await until(() => [...honest, observer].every((n) => n.getStats().evidence_accepted === 1), 5_000);
    for (const n of [...honest, observer]) {
      expect(n.peerStatus(liar.nodeId())).toBe('quarantined');
      expect(n.getOptimalPeers('vector_search', 10).map((p) => p.id)).not.toContain(liar.nodeId());
      for (const h of honest) expect(n.peerStatus(h.nodeId())).toBe('none');
    }
  });

  it('never quarantines on unverified evidence from the topic: forged, unstaked, mislabeled', async () => {
    const net = createMemoryNetwork();
    const a = await started(config(SEED, 10, net));
    const b = await started(config(SEED, 11, net));
    // Witness stake must exceed twice the accused's (rac's rule): the victim stakes less.
    const victim = await started(config(SEED, 12, net, { stake: WORKER_STAKE / 4 }));
    await converge([a, b, victim]);
    // A malicious peer: a raw endpoint that publishes whatever it likes.
    const evil = keyFor(SEED, 13);
    const t = net.transport()(evil);
    await t.start();
    const subject = new Uint8Array(32).fill(7);
    const claimOf = (k: PiKey, v: number) => signClaim(k, { ctx: TASK_CLAIM_CTX, subject, value: new Uint8Array(32).fill(v) });
    const victimKey = keyFor(SEED, 12);
    // Well-formed evidence against the victim whose witnesses are sybils without stake.
    const sybils = [keyFor(SEED, 20), keyFor(SEED, 21)];
    const unstaked = wrongResultEvidence(claimOf(victimKey, 1), sybils.map((k) => claimOf(k, 2)));
    // Staked witnesses (a, b) but one bit of a witness's signature flipped.
    const witnesses = [claimOf(keyFor(SEED, 10), 2), claimOf(keyFor(SEED, 11), 2)];
    const good = wrongResultEvidence(claimOf(victimKey, 1), witnesses);
    const flipped = witnesses[0]!.slice();
    flipped[flipped.length - 5]! ^= 1;
    const forged = wrongResultEvidence(claimOf(victimKey, 1), [flipped, witnesses[1]!]);
    // Evidence whose witnesses disagree with each other.
    const disagree = wrongResultEvidence(claimOf(victimKey, 1), [claimOf(keyFor(SEED, 10), 2), claimOf(keyFor(SEED, 11), 3)]);
    t.evidence!.publish(EVIDENCE_KIND, victimKey.publicKey, unstaked);
    t.evidence!.publish(EVIDENCE_KIND, victimKey.publicKey, forged);
    t.evidence!.publish(EVIDENCE_KIND, victimKey.publicKey, disagree);
    t.evidence!.publish(EVIDENCE_KIND, victimKey.publicKey, new Uint8Array([0xa0]));
    t.evidence!.publish('equivocation', victimKey.publicKey, good); // mislabeled kind
    t.evidence!.publish(EVIDENCE_KIND, keyFor(SEED, 10).publicKey, good); // accuses someone else
    const reasons = ['evidence-witness-stake', 'evidence-bad-signature', 'evidence-witness-disagree', 'evidence-malformed', 'evidence-kind', 'evidence-subject'];
    await until(() => reasons.every((r) => (a.getStats().refused[r] ?? 0) >= 1 && (b.getStats().refused[r] ?? 0) >= 1), 5_000).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(a.getStats().refused)}`);
    });
    for (const n of [a, b]) {
      expect(n.peerStatus(victim.nodeId())).toBe('none');
      expect(n.getStats().evidence_accepted).toBe(0);
    }
    // The same well-formed evidence, correctly labeled, does verify: the checks above were the reason.
    t.evidence!.publish(EVIDENCE_KIND, victimKey.publicKey, good);
    await until(() => a.getStats().evidence_accepted === 1, 5_000);
    expect(a.peerStatus(victim.nodeId())).toBe('quarantined');
    await t.stop();
  });

  it('refuses before escrow when maxCost or the balance does not cover the quote', async () => {
    const net = createMemoryNetwork();
    const s = await started(config(SEED, 0, net));
    const poor = await started(config(SEED, 5, net, { stake: (POLICY.genesisGrant as number) - 1_000 }));
    for (let i = 1; i <= 3; i++) await started(config(SEED, i, net));
    await s.createIndex('docs', INDEX);
    await s.insertVectors('docs', IDS, VECS);
    const bal = s.ruvBalance();
    const err = await s.submitTask('vector_search', { index: 'docs', vector: QUERY, k: 5 }, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaxCostExceededError);
    expect((err as MaxCostExceededError).code).toBe('ERR_MAX_COST_EXCEEDED');
    expect(s.ruvBalance()).toBe(bal);
    expect(s.getStats().ruv_escrow).toBe(0);

    await poor.createIndex('p', INDEX);
    await poor.insertVectors('p', IDS, VECS);
    const e2 = await poor.submitTask('vector_search', { index: 'p', vector: QUERY, k: 5 }, 1_000_000_000).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(InsufficientBalanceError);
    expect(poor.ruvBalance()).toBe(1_000);
  });

  it('retries elsewhere and refunds the whole escrow when nobody completes', async () => {
    const net = createMemoryNetwork();
    const s = await started(config(SEED, 0, net).taskTimeout(200));
    const ws = [];
    for (let i = 1; i <= 3; i++) ws.push(await started(config(SEED, i, net)));
    await s.createIndex('docs', INDEX);
    await s.insertVectors('docs', IDS, VECS);
    for (const w of ws) net.mute(w.publicKey);
    const bal = s.ruvBalance();
    const err = await s.submitTask('vector_search', { index: 'docs', vector: QUERY, k: 5 }, 1_000_000_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect((err as TaskFailedError).refunded).toBeGreaterThan(0);
    expect(s.ruvBalance()).toBe(bal);
    expect(s.getStats().ruv_escrow).toBe(0);
    const c = conserved(s);
    expect(c.lhs).toBe(c.rhs);
    for (const w of ws) expect(s.routingValue('vector_search', w.nodeId())).toBeLessThan(0);
  });
});

describe('persistence', () => {
  it('restarts from its directory with identity, balance, index and routing values', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-node-'));
    dirs.push(dir);
    const mk = () => new EdgeNetConfig('site-r').ledgerPolicy(POLICY).storage(dir).passphrase('correct horse battery').stake(WORKER_STAKE);
    const a = mk().build();
    await a.start();
    await a.createIndex('docs', INDEX);
    await a.insertVectors('docs', IDS, VECS);
    await a.createIndex('parts', { ...INDEX, shards: 3, replicas: 2 });
    await a.insertVectors('parts', IDS, VECS);
    const parts = await a.submitTask<VectorSearchResult>('vector_search', { index: 'parts', vector: QUERY, k: 5 }, 1_000_000);
    const peer = toHex(keyFor(SEED, 9).publicKey);
    a.recordTaskRouting('vector_search', peer, 0.8);
    const id = a.nodeId();
    const balance = a.ruvBalance();
    const stake = a.getStats().ruv_staked;
    const version = a.indexVersion('docs');
    const q = a.routingValue('vector_search', peer);
    const search = a.getIndex('docs')!.search(Float32Array.from(QUERY), 5);
    await a.stop();

    const b = mk().build();
    await b.start();
    nodes.push(b);
    expect(b.nodeId()).toBe(id);
    expect(b.ruvBalance()).toBe(balance);
    expect(b.getStats().ruv_staked).toBe(stake);
    expect(b.indexVersion('docs')).toBe(version);
    // The sharded index: its layout, every shard, and the merged answer are back.
    expect(b.indexLayout('parts')).toEqual({ shards: 3, replicas: 2 });
    expect(b.indexVersion('parts')).toBe(IDS.length);
    expect((await b.submitTask<VectorSearchResult>('vector_search', { index: 'parts', vector: QUERY, k: 5 }, 1_000_000)).result.ids).toEqual(parts.result.ids);
    expect(b.routingValue('vector_search', peer)).toBe(q);
    expect(q).toBeCloseTo(0.16, 10);
    expect(b.getIndex('docs')!.search(Float32Array.from(QUERY), 5).ids).toEqual(search.ids);
    const r = await b.submitTask<VectorSearchResult>('vector_search', { index: 'docs', vector: QUERY, k: 5 }, 1_000_000);
    expect(r.result.ids).toEqual(oracleSearch().ids);
  });
});

describe('sharded indexes', () => {
  /** The k nearest of the union of every shard's own top k (what the fan-out must return). */
  function shardOracle(owner: EdgeNetNode, name: string, shards: number, query: number[], k: number) {
    const all: { id: string | number; d: number }[] = [];
    for (let s = 0; s < shards; s++) {
      const r = owner.getIndex(`${name}.${s}`)!.search(Float32Array.from(query), k);
      r.ids.forEach((id, i) => all.push({ id, d: Math.fround(r.distances[i]!) }));
    }
    all.sort((a, b) => a.d - b.d || (String(a.id) < String(b.id) ? -1 : 1));
    return all.slice(0, k);
  }

  it('spreads shards over rendezvous-chosen replicas, fans a query out from a node holding nothing, merges the top k, and ships inserts as deltas', async () => {
    const net = createMemoryNetwork();
    const owner = await started(config(SEED, 0, net));
    const workers: EdgeNetNode[] = [];
    for (let i = 1; i <= 4; i++) workers.push(await started(config(SEED, i, net, { latencyMs: 10 + i })));
    // A submitter that serves nothing (paused: no capabilities, so it is never a replica target).
    const client = await started(config(SEED, 9, net));
    client.pause();
    const all = [owner, ...workers, client];
    await owner.createIndex('docs', { ...INDEX, shards: 3, replicas: 2 });
    expect(owner.indexLayout('docs')).toEqual({ shards: 3, replicas: 2 });
    const version = await owner.insertVectors('docs', IDS, VECS);
    // Every vector sits in exactly the shard shardOf names, and nowhere else.
    for (let s = 0; s < 3; s++) {
      const idx = owner.getIndex(`docs.${s}`)!;
      for (const id of IDS) expect(idx.has(id)).toBe(shardOf(id, 3) === s);
    }
    expect(version).toBe(IDS.length);
    // Each shard on exactly `replicas` workers; the paused client holds nothing.
    for (let s = 0; s < 3; s++) {
      const holders = workers.filter((w) => w.indexVersion(`docs.${s}`) === owner.indexVersion(`docs.${s}`));
      expect(holders).toHaveLength(2);
    }
    expect(workers.reduce((n, w) => n + [0, 1, 2].filter((s) => w.getIndex(`docs.${s}`) !== undefined).length, 0)).toBe(6);
    for (let s = 0; s < 3; s++) expect(client.getIndex(`docs.${s}`)).toBeUndefined();
    await until(() => owner.indexHolders('docs') === 2, 5_000);
    await converge(all);

    const want = shardOracle(owner, 'docs', 3, QUERY, 7);
    const balance = client.ruvBalance();
    const r = await client.submitTask<VectorSearchResult>('vector_search', { index: 'docs', vector: QUERY, k: 7 }, 1_000_000_000);
    expect(r.result.ids).toEqual(want.map((x) => x.id));
    expect([...r.result.distances]).toEqual(want.map((x) => x.d));
    // The merge covers every vector: brute force over all 60 agrees on the nearest (exact at this size).
    const brute = createIndex(INDEX);
    brute.addBatch(IDS, VECS);
    expect(r.result.ids).toEqual(brute.search(Float32Array.from(QUERY), 7, { efSearch: 200 }).ids);
    expect(r.shards).toHaveLength(3);
    r.shards!.forEach((sh, s) => {
      const holders = [owner, ...workers].filter((w) => w.getIndex(`docs.${s}`) !== undefined).map((w) => w.nodeId());
      for (const by of sh.executedBy) expect(holders).toContain(by);
    });
    expect(r.executedBy).not.toContain(client.nodeId());
    expect(r.cost).toBe(r.shards!.reduce((sum, sh) => sum + sh.cost, 0));
    await converge(all);
    expect(client.ruvBalance()).toBe(balance - r.cost);
    for (const n of all) expect(conserved(n).lhs).toBe(conserved(n).rhs);

    // An update moves a vector close to the query: it replicates as a delta and wins the next query.
    const near = QUERY.map((x) => x + 1e-3);
    await owner.insertVectors('docs', ['doc-7'], [near]);
    const s7 = shardOf('doc-7', 3);
    for (const w of workers) if (w.getIndex(`docs.${s7}`) !== undefined) expect(w.indexVersion(`docs.${s7}`)).toBe(owner.indexVersion(`docs.${s7}`));
    await until(() => owner.indexHolders('docs') === 2, 5_000);
    await until(() => {
      try {
        return client.getOptimalPeers('vector_search', 10).length > 0 && workers.some((w) => w.getIndex(`docs.${s7}`)?.has('doc-7'));
      } catch {
        return false;
      }
    }, 5_000);
    const again = await client.submitTask<VectorSearchResult>('vector_search', { index: 'docs', vector: QUERY, k: 3 }, 1_000_000_000);
    expect(again.result.ids[0]).toBe('doc-7');
    expect(again.result.ids).toEqual(shardOracle(owner, 'docs', 3, QUERY, 3).map((x) => x.id));
  });

  it('checks every input before any shard changes, and refuses bad layouts', async () => {
    const n = await started(config(SEED, 0));
    await expect(n.createIndex('bad', { ...INDEX, shards: 0 })).rejects.toMatchObject({ code: 'ERR_NODE_INDEX' });
    await expect(n.createIndex('bad', { ...INDEX, shards: 3, replicas: 0 })).rejects.toMatchObject({ code: 'ERR_NODE_INDEX' });
    await n.createIndex('docs', { ...INDEX, shards: 4 });
    const vecs = VECS.slice(0, 10).map((v) => [...v]);
    vecs[9] = [...vecs[9]!.slice(0, 7), Number.NaN];
    await expect(n.insertVectors('docs', IDS.slice(0, 10), vecs)).rejects.toMatchObject({ code: 'ERR_NODE_INDEX' });
    for (let s = 0; s < 4; s++) expect(n.getIndex(`docs.${s}`)!.size).toBe(0);
    await n.insertVectors('docs', IDS, VECS);
    expect(n.indexVersion('docs')).toBe(IDS.length);
    // With no peers the owner answers from its own shards; the result is the merged top k.
    const r = await n.submitTask<VectorSearchResult>('vector_search', { index: 'docs', vector: QUERY, k: 5 }, 1_000_000);
    expect(r.result.ids).toEqual(shardOracle(n, 'docs', 4, QUERY, 5).map((x) => x.id));
    expect(r.verification).toBe('local');
    await expect(n.submitTask('vector_search', { index: 'docs', vector: QUERY, k: 5, version: 3 }, 1_000_000)).rejects.toMatchObject({ code: 'ERR_NODE_INDEX' });
    await expect(n.submitTask('vector_search', { index: 'nope', vector: QUERY, k: 5 }, 1_000_000)).rejects.toMatchObject({ code: 'ERR_NODE_INDEX' });
  });
});

describe('adaptive verification', () => {
  it('replication and canaries fall as a worker builds a record; one caught lie resets it', async () => {
    const net = createMemoryNetwork();
    let lying = false;
    // Answers square tasks wrongly (one value off), with a valid signed claim, once switched on.
    const lie = (key: PiKey, handler: RequestHandler): RequestHandler => async (from, req, signal) => {
      const reply = await handler(from, req, signal);
      if (!lying) return reply;
      const env = openSync(reply);
      const b = env.body as { ok?: boolean; task: Uint8Array; offer: Uint8Array; result: Uint8Array; work: number };
      if (env.type !== RESULT_TYPE || b.ok !== true) return reply;
      const v = (decodeCanonical(b.result) as { ok: true; value: { squares: number[] } }).value;
      const wrong = encodeCanonical({ squares: v.squares.map((x, i) => (i === 0 ? x + 1 : x)) });
      const claim = signClaim(key, { ctx: TASK_CLAIM_CTX, subject: b.task, value: sha256(wrong) });
      return sealResult(key, { task: b.task, offer: b.offer, ok: true, result: wrong, work: b.work, claim });
    };
    const square = { type: 'square', module: new URL('./fixtures/square.mjs', import.meta.url), units: () => 1 };
    const mk = async (i: number, opts: Parameters<typeof config>[3] = {}, canary = 0) => {
      const c = config(SEED, i, net, opts).canaryRate(canary);
      const n = c.build();
      n.registerTask(square);
      await n.start();
      nodes.push(n);
      return n;
    };
    // The submitter sends a canary with a tenth of the tasks it does not replicate.
    const s = await mk(0, {}, 0.1);
    const fast = await mk(1, { latencyMs: 1, wrap: lie });
    const others = [await mk(2, { latencyMs: 30 }), await mk(3, { latencyMs: 40 })];
    await converge([s, fast, ...others]);

    const checked: boolean[] = [];
    const TASKS = 160;
    for (let i = 0; i < TASKS; i++) {
      const r = await s.submitTask<{ squares: number[] }>('square', { values: [i, i + 1] }, 1_000_000_000);
      expect(r.result.squares).toEqual([i * i, (i + 1) * (i + 1)]);
      checked.push(r.verification !== 'sampled' || r.canary !== undefined);
    }
    const share = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
    console.log(`checked share: first 10 ${share(checked.slice(0, 10))}, last 60 ${share(checked.slice(-60))}, canaries ${s.getStats().canaries_sent}`);
    // New worker: every task replicated. A long record: most tasks accepted on its word.
    expect(share(checked.slice(0, 10))).toBe(1);
    expect(share(checked.slice(-60))).toBeLessThan(0.45);
    expect(share(checked.slice(-60))).toBeLessThan(share(checked.slice(10, 40)));
    expect(s.replicationProbability(fast.nodeId())).toBeLessThan(0.5);
    expect(s.getStats().canaries_sent).toBeGreaterThan(0);
    expect(s.getStats().canaries_failed).toBe(0);

    // The trusted worker starts lying on everything. Until it is caught, a task accepted on its
    // word alone (sampled, no canary) can carry its lie: that is the price of sampling, bounded by
    // how fast a replication or a canary catches it. Once caught, its record is back to zero.
    lying = true;
    let wrongAccepted = 0;
    let caughtAfter = -1;
    for (let i = 0; i < 80 && caughtAfter < 0; i++) {
      const r = await s.submitTask<{ squares: number[] }>('square', { values: [1000 + i, 7] }, 1_000_000_000);
      if (r.result.squares[0] !== (1000 + i) ** 2) {
        expect(r.verification).toBe('sampled');
        wrongAccepted++;
      }
      if (r.rejected.includes(fast.nodeId()) || r.canary === 'failed') caughtAfter = i;
      if (r.canary === 'failed') expect(r.verification).toBe('replicated');
    }
    console.log(`liar caught after ${caughtAfter + 1} tasks; ${wrongAccepted} sampled results accepted before`);
    expect(caughtAfter).toBeGreaterThanOrEqual(0);
    expect(s.replicationProbability(fast.nodeId())).toBe(1);
    // From now on it is never trusted alone: a task it takes part in is replicated and its lie outvoted.
    for (let i = 0; i < 8; i++) {
      const r = await s.submitTask<{ squares: number[] }>('square', { values: [2000 + i, 3] }, 1_000_000_000);
      expect(r.result.squares).toEqual([(2000 + i) ** 2, 9]);
      if (r.verification === 'sampled') expect(r.executedBy).not.toContain(fast.nodeId());
    }
    expect(s.getStats().faults_detected).toBeGreaterThan(0);
  });
});

describe('replica quota', () => {
  it('a node refuses index pushes beyond its replica quota, and still serves the ones that fit', async () => {
    const net = createMemoryNetwork();
    const owner = await started(config(SEED, 0, net));
    const small = await started(config(SEED, 1, net).replicaQuota(64 * 1024));
    await owner.createIndex('docs', INDEX);
    await owner.insertVectors('docs', IDS, VECS);
    const size = owner.getIndex('docs')!.serialize().length;
    expect(size).toBeLessThan(64 * 1024);
    expect(small.indexVersion('docs')).toBe(owner.indexVersion('docs'));
    // A second, larger index does not fit next to the first one.
    const big = Array.from({ length: 3000 }, () => Array.from({ length: 8 }, () => rand() * 2 - 1));
    await owner.createIndex('big', INDEX);
    await owner.insertVectors('big', big.map((_, i) => i), big);
    expect(owner.getIndex('big')!.serialize().length + size).toBeGreaterThan(64 * 1024);
    expect(small.getIndex('big')).toBeUndefined();
    expect(small.getStats().refused['replica-quota']).toBeGreaterThanOrEqual(1);
    expect(small.indexVersion('docs')).toBe(owner.indexVersion('docs'));
    // A delta that would grow the held replica past the quota is refused the same way.
    await owner.insertVectors('docs', big.slice(0, 2500).map((_, i) => `x${i}`), big.slice(0, 2500));
    expect(small.indexVersion('docs')).toBeLessThan(owner.indexVersion('docs')!);
    expect(small.getStats().refused['replica-quota']).toBeGreaterThanOrEqual(2);
  });
});

describe('no work without pay', () => {
  it('refuses a well-formed, correctly signed offer that no escrow on the ledger covers (every honest offer in this file is covered and runs)', async () => {
    const net = createMemoryNetwork();
    const worker = await started(config(SEED, 1, net));
    const s = await started(config(SEED, 0, net));
    await converge([worker, s]);
    // A raw endpoint with the submitter's key: the offer is genuine, only the escrow is missing.
    const key = keyFor(SEED, 7);
    const t = net.transport()(key);
    await t.start();
    try {
      const offer = (task: Uint8Array) =>
        sealOffer(key, { task, type: 'embedding', payload: encodeCanonical({ texts: ['hello'] }), units: 2, price: 2_000, deadline: Date.now() + 20_000, to: worker.publicKey });
      const started0 = worker.getStats().tasks_completed;
      const reply = await t.request(worker.publicKey, offer(new Uint8Array(32).fill(5)), { timeoutMs: 10_000 });
      const env = openSync(reply, { expectFrom: worker.publicKey });
      expect(env.type).toBe('edge.task.refused');
      expect((env.body as { reason: string }).reason).toBe('no-escrow');
      expect(worker.getStats().tasks_completed).toBe(started0);
      expect(worker.getStats().refused['no-escrow']).toBe(1);
    } finally {
      await t.stop();
    }
  });
});
