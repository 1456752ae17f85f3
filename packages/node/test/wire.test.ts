/**
 * Fuzzing of everything the node decodes off the wire (unit level, fast-check, seed from
 * testSeed()): net's receive path for the node's protocols (`TASK_PROTOCOL`,
 * net's `LEDGER_TOPIC` / `LEDGER_SYNC` as the node uses them, the capability advert with its `addrs`) and the node's inner
 * envelope openers. Random bytes, random CBOR, single-byte mutations of valid messages,
 * oversized, badly signed, wrong-signer and replayed input must each be refused with its own
 * typed code, nothing else may escape, and a refusal must leave the replay guard unchanged.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IdentityError, PiKey, createReplayGuard, encodeCanonical, openSync, seal, toHex, type ReplayGuard } from '@edge/identity';
import { ADVERTS_TOPIC, CAPABILITY_ADVERT, LEDGER_SYNC, LEDGER_TOPIC, NetError, decodeMessage, type MessageMap } from '@edge/net';
import { testSeed } from '@edge/tooling/seed';
import { MAX_OFFER_SIZE, PEER_FAULT_REASONS, ProtocolError, TASK_PROTOCOL, openOffer, openResult, sealOffer, sealResult } from '../src/index.js';
import { openIndexAck, openRequest, requestType, sealWitnessRequest } from '../src/protocol.js';
import { createMemoryNetwork } from './memory-transport.js';
import { config, keyFor } from './helpers.js';

const SEED = testSeed();
const me = PiKey.fromSeed(new Uint8Array(32).fill(1));
const peer = PiKey.fromSeed(new Uint8Array(32).fill(2));
const other = PiKey.fromSeed(new Uint8Array(32).fill(3));
const NOW = 1_900_000_000_000;

/** Codes net's decoder may answer for input that is not a valid message (docs/protocol.md). */
const DECODE_CODES = new Set([
  'ERR_MESSAGE_TOO_LARGE',
  'ERR_ENVELOPE_TOO_LARGE',
  'ERR_ENVELOPE_MALFORMED',
  'ERR_ENVELOPE_NON_CANONICAL',
  'ERR_ENVELOPE_VERSION',
  'ERR_ENVELOPE_TYPE',
  'ERR_ENVELOPE_WRONG_SIGNER',
  'ERR_ENVELOPE_BAD_SIGNATURE',
  'ERR_STALE',
  'ERR_FUTURE',
  'ERR_SCHEMA',
  'ERR_REPLAY',
]);

const window = (guard: ReplayGuard) => ({ guard, maxAgeMs: 1e15, maxFutureMs: 1e15, now: () => NOW });
const freshGuard = () => createReplayGuard({ now: () => NOW, maxAgeMs: 1e15, maxFutureMs: 1e15 });

/** Decodes as the transport does on receipt; returns the typed code, or 'ok'. */
async function decodeCode(bytes: Uint8Array, messages: MessageMap, maxBytes: number, guard: ReplayGuard, from = peer.publicKey): Promise<string> {
  try {
    await decodeMessage(bytes, messages, { maxBytes, replay: window(guard), expectFrom: from });
    return 'ok';
  } catch (error) {
    if (!NetError.isInstance(error) && !IdentityError.isInstance(error)) throw error; // untyped: the test fails
    return (error as { code: string }).code;
  }
}

async function reasonOf(p: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await p();
    return 'ok';
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return error.reason;
  }
}

const offerBody = (over = {}) => ({ task: new Uint8Array(32).fill(3), type: 'embedding', payload: new Uint8Array([0xa0]), units: 2, price: 2000, deadline: 2_000_000_000_000, to: me.publicKey, ...over });

/** A valid wire message of each of the node's schemas, sealed by `peer` (fresh nonce per call). */
const valid = {
  task: () => seal(peer, 'edge.task.request', { env: sealOffer(peer, offerBody()) }),
  response: () => seal(peer, 'edge.task.response', { env: sealWitnessRequest(peer, { net: 'n', task: new Uint8Array(32), res: new Uint8Array(32), to: me.publicKey, work: 1 }) }),
  ledger: () => seal(peer, 'edge.ledger.update', { update: new Uint8Array([2, 1, 2, 3]) }),
  sync: () => seal(peer, 'edge.sync.hello', { sv: new Uint8Array([1, 2, 3]) }),
  advert: (addrs: unknown) =>
    seal(peer, CAPABILITY_ADVERT, { caps: ['embedding'], backends: ['js'], cpuLimit: 0.3, memoryBytes: 0, version: '0.1.0', holds: [], ttlMs: 5_000, addrs }),
};

const schemas: [string, MessageMap, number, () => Uint8Array][] = [
  ['TASK_PROTOCOL requests', TASK_PROTOCOL.requests, TASK_PROTOCOL.maxBytes, valid.task],
  ['TASK_PROTOCOL responses', TASK_PROTOCOL.responses, TASK_PROTOCOL.maxBytes, valid.response],
  ['LEDGER_TOPIC', LEDGER_TOPIC.messages, LEDGER_TOPIC.maxBytes, valid.ledger],
  ['LEDGER_SYNC', LEDGER_SYNC.messages, LEDGER_SYNC.maxBytes, valid.sync],
  ['capability advert', ADVERTS_TOPIC.messages, ADVERTS_TOPIC.maxBytes, () => valid.advert(['/ip4/127.0.0.1/tcp/4001'])],
];

/** Any CBOR value identity's canonical encoder accepts. */
const cborValue = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

describe('net receive path for the node protocols (fuzz)', () => {
  for (const [name, messages, maxBytes, make] of schemas) {
    describe(name, () => {
      it('accepts the valid message once, then refuses its replay', async () => {
        const guard = freshGuard();
        const bytes = make();
        expect(await decodeCode(bytes, messages, maxBytes, guard)).toBe('ok');
        expect(await decodeCode(bytes, messages, maxBytes, guard)).toBe('ERR_REPLAY');
      });

      it('refuses random bytes and random CBOR with a typed code, guard untouched', async () => {
        const guard = freshGuard();
        await fc.assert(
          fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 600 }), cborValue.map((x) => encodeCanonical(x))), async (bytes) => {
            const code = await decodeCode(bytes, messages, maxBytes, guard);
            expect(DECODE_CODES.has(code), code).toBe(true);
          }),
          { seed: SEED, numRuns: 200 },
        );
        expect(guard.size).toBe(0);
      });

      it('refuses random bodies signed by the right key under every type with ERR_SCHEMA', async () => {
        const guard = freshGuard();
        const types = Object.keys(messages);
        await fc.assert(
          fc.asyncProperty(fc.constantFrom(...types), cborValue, async (type, body) => {
            const code = await decodeCode(seal(peer, type, body), messages, maxBytes, guard);
            expect(code).toBe('ERR_SCHEMA');
          }),
          { seed: SEED, numRuns: 150 },
        );
        expect(guard.size).toBe(0);
      });

      it('refuses every single-byte mutation of a valid message; the original still goes through after', async () => {
        const guard = freshGuard();
        const bytes = make();
        await fc.assert(
          fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
            const m = bytes.slice();
            m[i]! ^= x;
            const code = await decodeCode(m, messages, maxBytes, guard);
            expect(DECODE_CODES.has(code) && code !== 'ERR_REPLAY', code).toBe(true);
          }),
          { seed: SEED, numRuns: 200 },
        );
        // No mutation burned the original's nonce.
        expect(guard.size).toBe(0);
        expect(await decodeCode(bytes, messages, maxBytes, guard)).toBe('ok');
      });

      it('refuses oversized, wrong-signer and badly signed messages with their own codes', async () => {
        const guard = freshGuard();
        expect(await decodeCode(new Uint8Array(maxBytes + 1), messages, maxBytes, guard)).toBe('ERR_MESSAGE_TOO_LARGE');
        const bytes = make();
        // Signed by the peer, but it came from another connection.
        expect(await decodeCode(bytes, messages, maxBytes, guard, other.publicKey)).toBe('ERR_ENVELOPE_WRONG_SIGNER');
        const flipped = bytes.slice();
        flipped[flipped.length - 5]! ^= 1;
        expect(await decodeCode(flipped, messages, maxBytes, guard)).toBe('ERR_ENVELOPE_BAD_SIGNATURE');
        expect(guard.size).toBe(0);
        expect(await decodeCode(bytes, messages, maxBytes, guard)).toBe('ok');
      });
    });
  }

  it('TASK_PROTOCOL refuses inner bytes that are not an envelope of a request type', async () => {
    const guard = freshGuard();
    const m = TASK_PROTOCOL.requests;
    const max = TASK_PROTOCOL.maxBytes;
    const result = sealResult(peer, { task: new Uint8Array(32), offer: new Uint8Array(32), ok: false, reason: 'x' });
    expect(await decodeCode(seal(peer, 'edge.task.request', { env: result }), m, max, guard)).toBe('ERR_SCHEMA');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (inner) => {
        expect(await decodeCode(seal(peer, 'edge.task.request', { env: inner }), m, max, guard)).toBe('ERR_SCHEMA');
      }),
      { seed: SEED, numRuns: 100 },
    );
    expect(guard.size).toBe(0);
  });

  it('LEDGER_TOPIC refuses updates over 60 KiB and anything that is not a byte string', async () => {
    const guard = freshGuard();
    const m = LEDGER_TOPIC.messages;
    const max = LEDGER_TOPIC.maxBytes;
    expect(await decodeCode(seal(peer, 'edge.ledger.update', { update: new Uint8Array(60 * 1024 + 1) }), m, max, guard)).toBe('ERR_SCHEMA');
    await fc.assert(
      fc.asyncProperty(cborValue.filter((x) => !(x instanceof Uint8Array)), async (x) => {
        expect(await decodeCode(seal(peer, 'edge.ledger.update', { update: x }), m, max, guard)).toBe('ERR_SCHEMA');
      }),
      { seed: SEED, numRuns: 100 },
    );
    expect(guard.size).toBe(0);
  });

  it('the advert `addrs` field: only up to 8 plain multiaddr strings pass; anything else is ERR_SCHEMA', async () => {
    const guard = freshGuard();
    const m = ADVERTS_TOPIC.messages;
    const re = /^\/[A-Za-z0-9./_:-]{1,255}$/;
    const addrs = fc.oneof(
      fc.array(fc.oneof(fc.string({ maxLength: 300 }), fc.stringMatching(/^\/[a-z0-9./:]{1,40}$/), fc.constant('/ip4/1.2.3.4/tcp/1/p2p/x')), { maxLength: 10 }),
      cborValue,
    );
    await fc.assert(
      fc.asyncProperty(addrs, async (a) => {
        const ok = Array.isArray(a) && a.length <= 8 && a.every((s) => typeof s === 'string' && re.test(s));
        const code = await decodeCode(valid.advert(a), m, ADVERTS_TOPIC.maxBytes, guard);
        expect(code, JSON.stringify(a)).toBe(ok ? 'ok' : code === 'ERR_MESSAGE_TOO_LARGE' ? 'ERR_MESSAGE_TOO_LARGE' : 'ERR_SCHEMA');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe("the node's inner envelope openers (fuzz)", () => {
  const task = new Uint8Array(32).fill(3);
  const offerHash = new Uint8Array(32).fill(4);
  const resultOf = () => sealResult(peer, { task, offer: offerHash, ok: true, result: new Uint8Array([1, 2]), work: 3, claim: new Uint8Array([5]) });
  const openers: [string, (b: Uint8Array, guard: ReplayGuard) => Promise<unknown> | unknown, () => Uint8Array][] = [
    ['openOffer', (b, guard) => openOffer(b, { guard, me: me.publicKey, now: NOW }), () => sealOffer(peer, offerBody())],
    ['openResult', (b) => openResult(b, { from: peer.publicKey, task, offer: offerHash }), resultOf],
    ['openRequest', (b) => openRequest(b, requestType(b)), () => sealWitnessRequest(peer, { net: 'n', task, res: task, to: me.publicKey, work: 1 })],
    ['openIndexAck', (b) => openIndexAck(b, peer.publicKey), () => seal(peer, 'edge.index.ack', { name: 'docs', version: 2 })],
  ];
  const REASONS = new Set(['malformed', 'too-large', 'wrong-type', 'wrong-signer', 'bad-signature', 'stale', 'future', 'schema', 'mismatch', 'replay', 'not-addressee', 'expired']);

  for (const [name, openIt, make] of openers) {
    it(`${name}: random bytes, random CBOR and single-byte mutations are refused with a ProtocolError reason`, async () => {
      const guard = freshGuard();
      const bytes = make();
      expect(await reasonOf(() => openIt(bytes, freshGuard()))).toBe('ok');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 400 }),
            cborValue.map((x) => encodeCanonical(x)),
            fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
              const m = bytes.slice();
              m[i]! ^= x;
              return m;
            }),
          ),
          async (b) => {
            const reason = await reasonOf(() => openIt(b, guard));
            expect(REASONS.has(reason), reason).toBe(true);
          },
        ),
        { seed: SEED, numRuns: 250 },
      );
      expect(guard.size).toBe(0);
      // Oversized, another signer, a flipped signature bit.
      const big = seal(peer, 'edge.task.offer', offerBody({ payload: new Uint8Array(MAX_OFFER_SIZE) }), { maxSize: 64 << 20 });
      if (name === 'openOffer') expect(await reasonOf(() => openIt(big, guard))).toBe('too-large');
      const flipped = bytes.slice();
      flipped[flipped.length - 5]! ^= 1;
      expect(await reasonOf(() => openIt(flipped, guard))).toBe('bad-signature');
      expect(guard.size).toBe(0);
    });
  }

  it('openResult and openIndexAck refuse a message signed by anyone but the worker asked', async () => {
    const res = sealResult(other, { task, offer: offerHash, ok: true, result: new Uint8Array([1]), work: 1, claim: new Uint8Array([1]) });
    expect(await reasonOf(() => openResult(res, { from: peer.publicKey, task, offer: offerHash }))).toBe('wrong-signer');
    expect(await reasonOf(() => openIndexAck(seal(other, 'edge.index.ack', { name: 'docs', version: 1 }), peer.publicKey))).toBe('wrong-signer');
    expect(await reasonOf(() => openResult(resultOf(), { from: peer.publicKey, task: offerHash, offer: offerHash }))).toBe('mismatch');
  });

  it('openOffer: a forged copy does not burn the nonce; the genuine offer then opens once, and its replay is refused', async () => {
    const guard = freshGuard();
    const bytes = sealOffer(peer, offerBody());
    const forged = bytes.slice();
    forged[forged.length - 5]! ^= 1;
    expect(await reasonOf(() => openOffer(forged, { guard, me: me.publicKey, now: NOW }))).toBe('bad-signature');
    expect(guard.size).toBe(0);
    expect(await reasonOf(() => openOffer(bytes, { guard, me: me.publicKey, now: NOW }))).toBe('ok');
    expect(guard.size).toBe(1);
    expect(await reasonOf(() => openOffer(bytes, { guard, me: me.publicKey, now: NOW }))).toBe('replay');
    expect(guard.size).toBe(1);
  });
});

describe('a running node fed garbage through its transport (fuzz)', () => {
  it('refuses every bad request (a signed refusal, or for a forgery none), drops bad gossiped ledger updates and sync frames, and its state does not move', async () => {
    const net = createMemoryNetwork();
    const node = config(SEED, 30, net).build();
    await node.start();
    const evil = keyFor(SEED, 31);
    const t = net.transport()(evil);
    await t.start();
    try {
      const root = toHex(node.ledger.merkleRoot());
      const balance = node.ruvBalance();
      const offer = sealOffer(evil, { ...offerBody(), to: node.publicKey, deadline: Date.now() + 60_000 });
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 400 }),
            cborValue.map((x) => encodeCanonical(x)),
            fc.tuple(fc.nat({ max: offer.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
              const m = offer.slice();
              m[i]! ^= x;
              return m;
            }),
          ),
          async (b) => {
            // Either a signed refusal for a reason that is not the sender's fault, or (forged,
            // replayed, malformed) no answer at all: the transport refuses and scores the sender.
            const reply = await t.request(node.publicKey, b, { timeoutMs: 5_000 }).catch((e: unknown) => e);
            if (reply instanceof Uint8Array) {
              const env = openSync(reply, { expectFrom: node.publicKey });
              expect(env.type).toBe('edge.task.refused');
              expect(PEER_FAULT_REASONS.has((env.body as { reason: string }).reason)).toBe(false);
            } else expect(reply).toMatchObject({ code: 'ERR_TRANSPORT' });
            t.ledger.broadcast(b);
            // A state-vector exchange whose vector and update are the garbage: refused, nothing applied.
            await t.ledger.sync(node.publicKey, { stateVector: () => b, diff: () => b, apply: async () => undefined }).catch(() => undefined);
          },
        ),
        { seed: SEED, numRuns: 120 },
      );
      await new Promise((r) => setTimeout(r, 50));
      const refused = node.getStats().refused;
      expect(Object.values(refused).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(120);
      expect(toHex(node.ledger.merkleRoot())).toBe(root);
      expect(node.ruvBalance()).toBe(balance);
      expect(node.getStats().queue).toBe(0);
    } finally {
      await t.stop();
      await node.stop();
    }
  });
});
