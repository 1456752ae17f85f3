// A raw libp2p peer (test/fixtures/raw-peer.mjs: libp2p alone, no @edge package) attacks a node
// on every protocol and topic: garbage, oversized, unframed, forged, wrong-signer, replayed,
// stale, schema-breaking and flooding traffic. Each kind must be rejected with its typed code,
// counted by reason, logged once, and cost the attacker its connection (banned, redial refused),
// while the node keeps serving an honest peer. Payloads are built here with fast-check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PiKey, decodeCanonical, encodeCanonical, seal, toHex } from '@edge/identity';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';
import { assertBuilt, killAll, spawnChild, waitFor, type Child } from './harness.js';
import { LEDGER_TOPIC, peerIdOf } from '../src/index.js';

const seed = testSeed();
const rand = prng(seed);
const newSeed = () => toHex(seededBytes(rand, 32));

const ECHO = '/edge-net/test/echo/1.0.0';
const SYNC = '/edge-net/test/sync/1.0.0';
const NOTES = 'edge-net/test/notes/1';
const ADVERTS = 'edge-net/adverts/1';
const LEDGER = 'edge-net/ledger/1';
const EVIDENCE = 'edge-net/rac-evidence/1';
const LEDGER_SYNC = '/edge-net/ledger-sync/1.0.0';

let node: Child;
let honest: Child;
let raw: Child;
let nodeAddr: string;

beforeAll(async () => {
  assertBuilt();
  // No score recovery on the target, so the counts before a ban are exact (default: 1 point/s).
  node = await spawnChild('peer.mjs', { seed: newSeed(), score: { recoveryPerSec: 0 } });
  nodeAddr = node.info.addrs.find((x) => !x.includes('/ws'))!;
  [honest, raw] = await Promise.all([
    spawnChild('peer.mjs', { seed: newSeed(), bootstrap: [nodeAddr] }),
    spawnChild('raw-peer.mjs', { seed: newSeed() }),
  ]);
});

afterAll(async () => {
  if (process.env.NET_DEBUG) console.log('NODE STDERR\n' + node?.stderr().split('\n').filter((l) => !l.includes('rejected ')).slice(-60).join('\n'));
  await killAll();
});

interface Stats {
  rejected: { total: number; byReason: Record<string, number>; byChannel: Record<string, number> };
  bans: { peers: string[]; total: number };
}
const stats = () => node.call<Stats>('stats');
const reason = (s: Stats, code: string) => s.rejected.byReason[code] ?? 0;

/** Takes a fresh attacker identity on the raw peer and connects it to the node. */
async function attacker(): Promise<{ key: PiKey; peer: string }> {
  const s = newSeed();
  const peer = await raw.call<string>('become', { seed: s });
  // libp2p limits inbound connections per host and second; a fresh identity may need a retry.
  let d = { ok: false, error: '' };
  for (let i = 0; i < 10 && !d.ok; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 300));
    d = await raw.call<{ ok: boolean; error: string }>('dial', { addr: nodeAddr });
  }
  expect(d.ok, d.error).toBe(true);
  return { key: PiKey.fromSeed(Uint8Array.from(Buffer.from(s, 'hex'))), peer };
}

/** After an attack: the attacker is banned, disconnected, refused on redial, logged once per code. */
async function expectBanned(peer: string, codes: string[]) {
  await waitFor(async () => (await stats()).bans.peers.includes(peer));
  await waitFor(async () => !(await raw.call<boolean>('connected', { peer: node.info.peerId })));
  // A redial is refused by the node's connection gater (the handshake may finish on the
  // attacker's side first; the node then drops it and never lists the peer).
  await raw.call('dial', { addr: nodeAddr });
  await waitFor(async () => !(await raw.call<boolean>('connected', { peer: node.info.peerId })));
  expect(await node.call<string[]>('peers')).not.toContain(peer);
  expect((await stats()).bans.peers).toContain(peer);
  const log = await node.call<string[]>('rejectionLog');
  for (const code of codes) expect(log.filter((l) => l.includes(`rejected ${code} from ${peer}`))).toHaveLength(1);
}

const hex = (b: Uint8Array) => toHex(b);
const echoBody = (i: number) => ({ text: `m${i}`, n: i });
const sealEcho = (key: PiKey, i: number, ts?: number) => seal(key, 'test.echo', echoBody(i), ts !== undefined ? { ts } : {});

function forge(bytes: Uint8Array, bit: number): Uint8Array {
  const d = decodeCanonical(bytes);
  if (!d.ok) throw new Error('unreachable');
  const rec = d.value as Record<string, Uint8Array>;
  const sig = rec.sig!.slice();
  sig[(bit >> 3) % 64] ^= 1 << (bit & 7);
  return encodeCanonical({ ...rec, sig });
}

const garbage = (n: number, maxLength = 1000) => fc.sample(fc.uint8Array({ minLength: 1, maxLength }), { seed, numRuns: n }).map(hex);

async function send(peer: string, protocol: string, frames: string[], extra: Record<string, unknown> = {}) {
  return raw.call<Array<{ outcome: string }>>('send', { target: node.info.peerId, protocol, frames, ...extra }, 60_000);
}

describe('request/response under attack', () => {
  it('garbage frames: ERR_ENVELOPE_MALFORMED / NON_CANONICAL, then banned', async () => {
    const before = await stats();
    const { peer } = await attacker();
    const out = await send(peer, ECHO, garbage(5));
    expect(out.every((o) => o.outcome !== 'reply')).toBe(true);
    const after = await stats();
    const delta = (code: string) => reason(after, code) - reason(before, code);
    expect(delta('ERR_ENVELOPE_MALFORMED') + delta('ERR_ENVELOPE_NON_CANONICAL')).toBe(5);
    await expectBanned(peer, []);
  });

  it('oversized frames: ERR_MESSAGE_TOO_LARGE; truncated frames: ERR_STREAM_CLOSED', async () => {
    const before = await stats();
    const { peer } = await attacker();
    // A prefix announcing 100 bytes, then 10 bytes and the end of the stream.
    await send(peer, ECHO, [], { raw: ['64' + '00'.repeat(10)], readReply: false });
    // 5000 and 4097 bytes (prefix within the limit's encoding), 70 000 (prefix itself too long):
    // 1 + 4 x 25 points, banned on the last.
    const out = await send(peer, ECHO, [hex(new Uint8Array(5000)), hex(new Uint8Array(4097)), hex(new Uint8Array(70_000)), hex(new Uint8Array(8000))]);
    expect(out.every((o) => o.outcome !== 'reply')).toBe(true);
    const after = await stats();
    expect(reason(after, 'ERR_STREAM_CLOSED') - reason(before, 'ERR_STREAM_CLOSED')).toBe(1);
    expect(reason(after, 'ERR_MESSAGE_TOO_LARGE') - reason(before, 'ERR_MESSAGE_TOO_LARGE')).toBe(4);
    await expectBanned(peer, ['ERR_MESSAGE_TOO_LARGE', 'ERR_STREAM_CLOSED']);
  });

  it('forged signatures: ERR_ENVELOPE_BAD_SIGNATURE', async () => {
    const before = await stats();
    const { key, peer } = await attacker();
    const bits = fc.sample(fc.nat({ max: 511 }), { seed, numRuns: 3 });
    await send(peer, ECHO, bits.map((b, i) => hex(forge(sealEcho(key, i), b))));
    expect(reason(await stats(), 'ERR_ENVELOPE_BAD_SIGNATURE') - reason(before, 'ERR_ENVELOPE_BAD_SIGNATURE')).toBe(3);
    await expectBanned(peer, ['ERR_ENVELOPE_BAD_SIGNATURE']);
  });

  it('envelopes signed by another key: ERR_ENVELOPE_WRONG_SIGNER', async () => {
    const before = await stats();
    const { peer } = await attacker();
    const other = PiKey.fromSeed(seededBytes(rand, 32));
    await send(peer, ECHO, [0, 1, 2].map((i) => hex(sealEcho(other, i))));
    expect(reason(await stats(), 'ERR_ENVELOPE_WRONG_SIGNER') - reason(before, 'ERR_ENVELOPE_WRONG_SIGNER')).toBe(3);
    await expectBanned(peer, ['ERR_ENVELOPE_WRONG_SIGNER']);
  });

  it('replays: the first copy is answered, every copy after is ERR_REPLAY', async () => {
    const before = await stats();
    const { key, peer } = await attacker();
    const bytes = hex(sealEcho(key, 7));
    const first = await send(peer, ECHO, [bytes]);
    expect(first[0]!.outcome).toBe('reply');
    await send(peer, ECHO, Array(10).fill(bytes));
    expect(reason(await stats(), 'ERR_REPLAY') - reason(before, 'ERR_REPLAY')).toBe(10);
    await expectBanned(peer, ['ERR_REPLAY']);
  });

  it('schema-breaking bodies (signed correctly): ERR_SCHEMA; unknown types: ERR_ENVELOPE_TYPE', async () => {
    const before = await stats();
    const { key, peer } = await attacker();
    const bodies = fc.sample(
      fc.record({ text: fc.oneof(fc.integer(), fc.string({ minLength: 2001, maxLength: 2100 })), n: fc.oneof(fc.string(), fc.constant(null)) }),
      { seed, numRuns: 3 },
    );
    await send(peer, ECHO, bodies.map((b) => hex(seal(key, 'test.echo', b))));
    await send(peer, ECHO, [hex(seal(key, 'test.unknown', {})), hex(seal(key, 'edge.net.error', { code: 'X', message: '' }))]);
    const after = await stats();
    expect(reason(after, 'ERR_SCHEMA') - reason(before, 'ERR_SCHEMA')).toBe(3);
    expect(reason(after, 'ERR_ENVELOPE_TYPE') - reason(before, 'ERR_ENVELOPE_TYPE')).toBe(2);
    await expectBanned(peer, ['ERR_SCHEMA', 'ERR_ENVELOPE_TYPE']);
  });

  it('stale and future messages: ERR_STALE / ERR_FUTURE (cheap: a skewed clock is not yet a ban)', async () => {
    const before = await stats();
    const { key, peer } = await attacker();
    const old = Date.now() - 10 * 60_000;
    await send(peer, ECHO, [
      ...Array.from({ length: 8 }, (_, i) => hex(sealEcho(key, i, old))),
      ...Array.from({ length: 4 }, (_, i) => hex(sealEcho(key, i, Date.now() + 10 * 60_000))),
    ]);
    const after = await stats();
    expect(reason(after, 'ERR_STALE') - reason(before, 'ERR_STALE')).toBe(8);
    expect(reason(after, 'ERR_FUTURE') - reason(before, 'ERR_FUTURE')).toBe(4);
    expect(after.bans.peers).not.toContain(peer); // 12 x 4 = 48 points of 100
    expect(await raw.call<boolean>('connected', { peer: node.info.peerId })).toBe(true);
    // The same peer then forging: banned.
    await send(peer, ECHO, [1, 2].map((i) => hex(forge(sealEcho(key, 100 + i), i))));
    await expectBanned(peer, ['ERR_STALE', 'ERR_FUTURE', 'ERR_ENVELOPE_BAD_SIGNATURE']);
  });

  it('a flood of valid requests is rate-limited (ERR_RATE_LIMITED) and the flooder banned', async () => {
    const before = await stats();
    const { key, peer } = await attacker();
    const frames = Array.from({ length: 120 }, (_, i) => hex(sealEcho(key, i)));
    const outcomes = await raw.call<Record<string, number>>('flood', { target: node.info.peerId, protocol: ECHO, frames }, 90_000);
    expect(outcomes.reply ?? 0).toBeGreaterThan(0); // the burst is served
    expect(outcomes.reply ?? 0).toBeLessThan(60); // the rest is not
    expect(reason(await stats(), 'ERR_RATE_LIMITED') - reason(before, 'ERR_RATE_LIMITED')).toBeGreaterThanOrEqual(50);
    await expectBanned(peer, ['ERR_RATE_LIMITED']);
  });
});

describe('stream channels under attack', () => {
  it.each([SYNC, LEDGER_SYNC])('%s: garbage and out-of-order frames are rejected and banned', async (SYNC) => {
    const before = await stats();
    const { key, peer } = await attacker();
    await send(peer, SYNC, garbage(2), { readReply: true });
    const fin = (i: number) => hex(seal(key, 'edge.sync.final', { update: new Uint8Array([i]) }));
    await send(peer, SYNC, [fin(1), fin(2), fin(3)]);
    const after = await stats();
    // 2 x 20 + 3 x 20 points: banned on the fifth frame.
    expect(after.rejected.byChannel[SYNC]! - (before.rejected.byChannel[SYNC] ?? 0)).toBe(5);
    expect(reason(after, 'ERR_UNEXPECTED_MESSAGE') - reason(before, 'ERR_UNEXPECTED_MESSAGE')).toBe(3);
    await expectBanned(peer, ['ERR_UNEXPECTED_MESSAGE']);
  });
});

describe('gossip under attack', () => {
  async function gossipAttacker(topic: string) {
    const a = await attacker();
    await raw.call('subscribe', { topic });
    await waitFor(async () => (await raw.call<string[]>('subscribers', { topic })).includes(node.info.peerId));
    return a;
  }
  const publish = (topic: string, data: string[]) => raw.call<{ sent: number }>('publish', { topic, data }, 60_000);

  const subject = new Uint8Array(32).fill(9);
  const topics: Array<{ topic: string; type: string; good: (i: number) => Record<string, unknown>; big: Record<string, unknown> }> = [
    { topic: NOTES, type: 'test.note', good: (i) => ({ text: `n${i}` }), big: { text: 'x'.repeat(5000) } },
    {
      topic: ADVERTS,
      type: 'edge.advert.load',
      good: (i) => ({ queued: i, running: 0, capacity: 1, cpu: 0, accepting: true, ttlMs: 5000 }),
      big: { queued: 0, running: 0, capacity: 1, cpu: 0, accepting: true, ttlMs: 5000, pad: 'x'.repeat(5000) },
    },
    { topic: LEDGER, type: 'edge.ledger.update', good: (i) => ({ update: new Uint8Array([i & 255]) }), big: { update: new Uint8Array(70_000) } },
    {
      topic: EVIDENCE,
      type: 'edge.rac.evidence',
      good: (i) => ({ kind: 'wrong_result', subject, evidence: new Uint8Array([i & 255]) }),
      big: { kind: 'wrong_result', subject, evidence: new Uint8Array(70_000) },
    },
  ];
  for (const { topic, type, good, big } of topics) {

    it(`${topic}: garbage, wrong signer, schema-breaking and oversized gossip`, async () => {
      const before = await stats();
      const notesBefore = (await honest.call<unknown[]>('notes')).length;
      const deliveredBefore = await honest.call('delivered');
      const { key, peer } = await gossipAttacker(topic);
      const other = PiKey.fromSeed(seededBytes(rand, 32));
      // 20 + 40 + 20 + 25 points: the fourth message bans the publisher.
      const published = await publish(topic, [
        ...garbage(1, 500),
        hex(seal(other, type, good(0))),
        hex(seal(key, type, { nonsense: true })),
        hex(seal(key, type, big)),
      ]);
      await waitFor(async () => (await stats()).rejected.byChannel[topic]! - (before.rejected.byChannel[topic] ?? 0) >= 4).catch(async (e) => {
        throw new Error(`${e.message}: ${JSON.stringify((await stats()).rejected)} ${JSON.stringify(published)}`);
      });
      const after = await stats();
      const d = (code: string) => reason(after, code) - reason(before, code);
      expect(d('ERR_ENVELOPE_MALFORMED') + d('ERR_ENVELOPE_NON_CANONICAL')).toBe(1);
      expect(d('ERR_ENVELOPE_WRONG_SIGNER')).toBe(1);
      expect(d('ERR_SCHEMA')).toBe(1);
      expect(d('ERR_MESSAGE_TOO_LARGE')).toBe(1);
      // Nothing reached the application: the honest peer (same mesh) never saw these either.
      expect(await honest.call<unknown[]>('notes')).toHaveLength(notesBefore);
      const table = await honest.call<Array<{ peer: string }>>('peerTable', {});
      expect(table.map((r) => r.peer)).not.toContain(peerIdOf(other.publicKey));
      expect((await node.call<Array<{ peer: string }>>('peerTable', {})).map((r) => r.peer)).not.toContain(peerIdOf(other.publicKey));
      expect(await honest.call('delivered')).toEqual(deliveredBefore);
      await expectBanned(peer, ['ERR_SCHEMA', 'ERR_ENVELOPE_WRONG_SIGNER', 'ERR_MESSAGE_TOO_LARGE']);
    });

    it(`${topic}: a flood of valid, signed gossip is rate-limited and the flooder banned`, async () => {
      const before = await stats();
      const { key, peer } = await gossipAttacker(topic);
      // Enough to exceed the topic's burst and its refill (the ledger topic allows a busy submitter's rate).
      // Sending takes seconds on a loaded machine: room for ten seconds of refill, then 300 more.
      const count = topic === LEDGER ? LEDGER_TOPIC.rate.capacity + 10 * LEDGER_TOPIC.rate.refillPerSec + 300 : 200;
      await publish(topic, Array.from({ length: count }, (_, i) => hex(seal(key, type, good(i)))));
      await waitFor(async () => (await stats()).bans.peers.includes(peer), 60_000);
      expect(reason(await stats(), 'ERR_RATE_LIMITED') - reason(before, 'ERR_RATE_LIMITED')).toBeGreaterThanOrEqual(50);
      await expectBanned(peer, ['ERR_RATE_LIMITED']);
    });
  }
});

describe('after the attacks', () => {
  it('the node is up and serves the honest peer; the honest peer was never penalised', async () => {
    const r = await honest.call<any>('request', { peer: node.info.peerId, type: 'test.echo', body: { text: 'still here', n: 1 } });
    expect(r.body.text).toBe('still here');
    expect(node.proc.exitCode).toBeNull();
    const s = await stats();
    expect(s.bans.peers).not.toContain(honest.info.peerId);
    expect(s.bans.total).toBeGreaterThanOrEqual(10);
    // The honest peer saw the flooders' bursts forwarded by the node: anything it refused is a
    // rate limit charged to those publishers, never a penalty for the node that forwarded them.
    const hs = await honest.call<Stats>('stats');
    expect(Object.keys(hs.rejected.byReason).filter((c) => c !== 'ERR_RATE_LIMITED')).toEqual([]);
    expect(hs.bans.peers).not.toContain(node.info.peerId);
    // Gossip from the honest peer still flows.
    await waitFor(async () => {
      await honest.call('note', { text: 'honest' });
      return (await node.call<Array<{ text: string }>>('notes')).some((n) => n.text === 'honest');
    }, 20_000, 700);
  });
});
