// Real libp2p between real processes on 127.0.0.1: a hub (bootstrap + circuit relay v2) and two
// nodes that know only the hub. Each process runs test/fixtures/peer.mjs against the built dist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '@edge/identity';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';
import { assertBuilt, killAll, spawnChild, waitFor, type Child } from './harness.js';

const rand = prng(testSeed());
const seed = () => toHex(seededBytes(rand, 32));

let hub: Child;
let a: Child;
let b: Child;
let c: Child;
let hubAddr: string;

beforeAll(async () => {
  assertBuilt();
  hub = await spawnChild('peer.mjs', { seed: seed(), relayService: true, dht: true });
  hubAddr = hub.info.addrs.find((x) => !x.includes('/ws'))!;
  [a, b, c] = await Promise.all([
    spawnChild('peer.mjs', { seed: seed(), bootstrap: [hubAddr], reserve: true }),
    spawnChild('peer.mjs', { seed: seed(), bootstrap: [hubAddr], reserve: true }),
    // Like a browser: no listener of its own, reachable only through a relay reservation.
    spawnChild('peer.mjs', { seed: seed(), bootstrap: [hubAddr], listen: [], reserve: true }),
  ]);
});

afterAll(async () => {
  await killAll();
});

describe('@edge/net across processes', () => {
  it('connects to the hub through the bootstrap list', async () => {
    await waitFor(async () => (await a.call<string[]>('peers')).includes(hub.info.peerId));
    await waitFor(async () => (await b.call<string[]>('peers')).includes(hub.info.peerId));
    // The peer id is the Pi-Key: the same 32 bytes on both layers.
    expect((a.info as any).publicKey).toHaveLength(64);
    const hubPeers = await hub.call<string[]>('peers');
    expect(hubPeers).toEqual(expect.arrayContaining([a.info.peerId, b.info.peerId]));
  });

  it('dials over WebSockets too (Node 20 has no global WebSocket: the Node entry supplies it)', async () => {
    const ws = hub.info.addrs.find((x) => x.includes('/ws'))!;
    const d = await spawnChild('peer.mjs', { seed: seed(), listen: [] });
    expect(await d.call('dial', { addr: ws })).toBe(hub.info.peerId);
    const conns = await d.call<Array<{ addr: string }>>('connections');
    expect(conns.some((x) => x.addr.includes('/ws'))).toBe(true);
    d.kill();
  });

  it('relays through circuit relay v2 between two nodes that only know the relay', async () => {
    // C has no listener; it reserved a slot on the hub (it listens on /p2p-circuit).
    const circuit = await waitFor(async () => (await c.call<string[]>('addrs')).find((x) => x.includes('/p2p-circuit')));
    expect(circuit).toContain(hub.info.peerId);
    expect((await c.call<string[]>('addrs')).every((x) => x.includes('/p2p-circuit'))).toBe(true);
    await a.call('dial', { addr: circuit });
    const conns = await a.call<Array<{ peer: string; addr: string; limited: boolean }>>('connections');
    const toC = conns.filter((x) => x.peer === c.info.peerId);
    expect(toC.length).toBeGreaterThan(0);
    expect(toC.every((x) => x.limited && x.addr.includes('/p2p-circuit'))).toBe(true);
    const r = await a.call<any>('request', { peer: c.info.peerId, type: 'test.echo', body: { text: 'via relay', n: 41 } });
    expect(r.type).toBe('test.echo.reply');
    expect(r.body).toEqual({ text: 'via relay', n: 42, by: `${c.info.peerId} (relayed)` });
    expect(r.signer).toBe(c.info.peerId);
  });

  it('runs the state-sync channel over the relayed connection', async () => {
    await a.call('addEntry', { text: 'a1' });
    await a.call('addEntry', { text: 'a2' });
    await c.call('addEntry', { text: 'c1' });
    const res = await a.call<any>('sync', { peer: c.info.peerId });
    expect(res.peer).toBe(c.info.peerId);
    expect((await a.call<any[]>('connections')).filter((x) => x.peer === c.info.peerId).every((x) => x.limited)).toBe(true);
    const ea = await a.call<Record<string, string[]>>('entries');
    const ec = await waitFor(async () => {
      const e = await c.call<Record<string, string[]>>('entries');
      return e[a.info.peerId]?.length === 2 ? e : undefined;
    });
    expect(ea).toEqual(ec);
    expect(ea[a.info.peerId]).toEqual(['a1', 'a2']);
    expect(ea[c.info.peerId]).toEqual(['c1']);
    // A second exchange with nothing new changes nothing.
    await c.call('sync', { peer: a.info.peerId });
    expect(await a.call('entries')).toEqual(ea);
  });

  it('request/response round trip over a direct connection, with typed remote errors, timeouts and abort', async () => {
    const direct = b.info.addrs.find((x) => !x.includes('/ws') && !x.includes('p2p-circuit'))!;
    await a.call('dial', { addr: direct });
    await waitFor(async () => (await a.call<any[]>('connections')).some((c) => c.peer === b.info.peerId && !c.limited));
    const r = await a.call<any>('request', { peer: b.info.peerId, type: 'test.echo', body: { text: 'hello', n: 1 } });
    expect(r.body).toEqual({ text: 'hello', n: 2, by: b.info.peerId });
    const fail = await a.try('request', { peer: b.info.peerId, type: 'test.fail', body: { code: 'ERR_NO_CAPACITY' } });
    expect(fail).toMatchObject({ ok: false, code: 'ERR_REMOTE', remoteCode: 'ERR_NO_CAPACITY' });
    // A handler's plain refusal costs the requester nothing; a PeerFaultError is counted and scored.
    const before = await b.call<any>('stats');
    const fault = await a.try('request', { peer: b.info.peerId, type: 'test.fail', body: { code: 'ERR_ENVELOPE_BAD_SIGNATURE' } });
    expect(fault).toMatchObject({ ok: false, code: 'ERR_REMOTE', remoteCode: 'ERR_ENVELOPE_BAD_SIGNATURE' });
    const after = await b.call<any>('stats');
    expect((after.rejected.byReason.ERR_ENVELOPE_BAD_SIGNATURE ?? 0) - (before.rejected.byReason.ERR_ENVELOPE_BAD_SIGNATURE ?? 0)).toBe(1);
    expect(after.rejected.byReason.ERR_NO_CAPACITY ?? 0).toBe(0);
    const slow = await a.try('request', { peer: b.info.peerId, type: 'test.slow', body: { ms: 3000 }, timeoutMs: 300 });
    expect(slow).toMatchObject({ ok: false, code: 'ERR_TIMEOUT' });
    const aborted = await a.try('requestAbort', { peer: b.info.peerId, ms: 3000, afterMs: 200 });
    expect(aborted).toMatchObject({ ok: false, code: 'ERR_ABORTED' });
    // A body that breaks the protocol's schema never leaves the sender.
    const bad = await a.try('request', { peer: b.info.peerId, type: 'test.echo', body: { text: 'x', n: 1.5 } });
    expect(bad).toMatchObject({ ok: false, code: 'ERR_SCHEMA' });
    // Round trips are kept for routing, and ping adds samples.
    const lat = await a.call<any>('latency', { peer: b.info.peerId });
    expect(lat.samples).toBeGreaterThan(0);
    expect(await a.call<number>('ping', { peer: b.info.peerId })).toBeGreaterThanOrEqual(0);
    expect((await a.call<any>('latency', { peer: b.info.peerId })).source).toBe('ping');
  });

  it('gossips capability and load adverts into every peer table', async () => {
    await waitFor(async () => (await b.call<string[]>('topicPeers', { topic: 'adverts' })).length > 0);
    const cap = { caps: ['vector_search', 'embedding'], backends: ['wasm-simd'], cpuLimit: 0.3, memoryBytes: 1 << 28, version: '0.1.0', holds: ['idx:docs/0'], ttlMs: 60_000 };
    const load = { queued: 2, running: 1, capacity: 4, cpu: 0.25, accepting: true, ttlMs: 30_000 };
    await waitFor(async () => {
      await b.call('advertise', { kind: 'capability', body: cap });
      await b.call('advertise', { kind: 'load', body: load });
      const t = await a.call<any[]>('peerTable', { capability: 'vector_search' });
      return t.find((r) => r.peer === b.info.peerId && r.load);
    }, 20_000, 700);
    const rows = await a.call<any[]>('peerTable', { capability: 'vector_search' });
    const row = rows.find((r) => r.peer === b.info.peerId);
    expect(row.caps).toEqual(cap.caps);
    expect(row.load).toEqual(load);
    expect(await a.call<any[]>('peerTable', { capability: 'lora_inference' })).toEqual([]);
    // The hub (which relays the mesh) has it too.
    await waitFor(async () => (await hub.call<any[]>('peerTable', {})).some((r) => r.peer === b.info.peerId));
    // Honest traffic caused no rejections anywhere (b's one is the PeerFaultError provoked above).
    for (const x of [hub, a, b, c]) {
      const s = await x.call<any>('stats');
      expect(s.rejected.total, JSON.stringify(s.rejected)).toBe(x === b ? 1 : 0);
    }
  });

  it('finds a peer through the kad-dht', async () => {
    const [d, e] = await Promise.all([
      spawnChild('peer.mjs', { seed: seed(), bootstrap: [hubAddr], dht: true }),
      spawnChild('peer.mjs', { seed: seed(), bootstrap: [hubAddr], dht: true }),
    ]);
    let last: unknown;
    const addrs = await waitFor(async () => {
      const r = await d.try('findPeer', { peer: e.info.peerId }, 15_000);
      last = r;
      return r.ok && (r.result as string[]).length > 0 ? (r.result as string[]) : undefined;
    }, 30_000, 1000).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    expect(addrs).toEqual(expect.arrayContaining([e.info.addrs[0]!.replace(`/p2p/${e.info.peerId}`, '')]));
  });
});
