/**
 * Protocol, topic and channel definitions: what the node registers. A definition is plain data
 * (an id, the message types with their schemas, a frame size limit, a per-peer rate limit), so
 * both sides of a protocol import the same definition and check the same things.
 *
 * - request/response (`defineProtocol`): one stream per request; the requester writes one
 *   length-prefixed frame, the responder answers with one frame (a response type, or
 *   `edge.net.error`), then both close.
 * - gossip (`defineTopic`): gossipsub topic; each message is one envelope.
 * - channel (`defineChannel`): a stream of length-prefixed envelope frames in both directions,
 *   for exchanges of several steps (state sync).
 */

import * as v from 'valibot';
import { InvalidArgumentError } from './errors.js';
import { checkRateLimit, type RateLimit } from './ratelimit.js';
import { checkMessageMap, type MessageMap } from './schema.js';

/** Schema of a byte string of at most `max` bytes. */
export function bytesSchema(max: number) {
  return v.pipe(
    v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'must be a byte string'),
    v.maxLength(max, `at most ${max} bytes`),
  );
}

/** The reply a responder sends when its handler fails with a typed error. */
export const ERROR_TYPE = 'edge.net.error';
export const errorSchema = v.strictObject({
  code: v.pipe(v.string(), v.regex(/^[A-Z][A-Z0-9_]{0,63}$/)),
  message: v.pipe(v.string(), v.maxLength(512)),
});
export const ERROR_MESSAGES = { [ERROR_TYPE]: errorSchema } as const;

const PROTOCOL_ID = /^\/[A-Za-z0-9._/-]{1,126}$/;
const TOPIC_ID = /^[A-Za-z0-9._/-]{1,128}$/;

export interface ProtocolDef<Req extends MessageMap = MessageMap, Res extends MessageMap = MessageMap> {
  readonly kind: 'request';
  /** libp2p protocol id, e.g. `/edge-net/task/1.0.0`. */
  readonly id: string;
  readonly requests: Req;
  readonly responses: Res;
  /** Largest frame in either direction, in bytes. */
  readonly maxBytes: number;
  /** Default time a request may take end to end, and a responder waits for the request frame. */
  readonly timeoutMs: number;
  /** Requests per peer. */
  readonly rate: RateLimit;
  /** Concurrent inbound streams per connection. */
  readonly maxInboundStreams: number;
}

export interface TopicDef<M extends MessageMap = MessageMap> {
  readonly kind: 'topic';
  /** gossipsub topic name, e.g. `edge-net/adverts/1`. */
  readonly topic: string;
  readonly messages: M;
  readonly maxBytes: number;
  /** Messages per forwarding peer. */
  readonly rate: RateLimit;
  /**
   * Gossip is checked against its publisher (gossipsub's signed `from`, which is the same key).
   * Return true here to also accept envelopes signed by someone else (relayed statements).
   */
  readonly allowSigner?: (signer: Uint8Array, publisher: string) => boolean;
}

export interface ChannelDef<M extends MessageMap = MessageMap> {
  readonly kind: 'channel';
  readonly id: string;
  readonly messages: M;
  readonly maxBytes: number;
  /** Most frames one side may send on one stream. */
  readonly maxFrames: number;
  /** Longest wait for the next frame. */
  readonly idleTimeoutMs: number;
  /** Streams opened per peer. */
  readonly rate: RateLimit;
  readonly maxInboundStreams: number;
}

function checkSize(maxBytes: number, what: string) {
  if (!Number.isInteger(maxBytes) || maxBytes < 256 || maxBytes > 64 * 1024 * 1024) {
    throw new InvalidArgumentError(`${what}: maxBytes must be an integer in [256, 64 MiB]`);
  }
}

export function defineProtocol<Req extends MessageMap, Res extends MessageMap>(init: {
  id: string;
  requests: Req;
  responses: Res;
  maxBytes?: number;
  timeoutMs?: number;
  rate?: RateLimit;
  maxInboundStreams?: number;
}): ProtocolDef<Req, Res> {
  if (typeof init.id !== 'string' || !PROTOCOL_ID.test(init.id)) throw new InvalidArgumentError(`protocol id must match ${PROTOCOL_ID}`);
  checkMessageMap(init.requests, `${init.id} requests`);
  checkMessageMap(init.responses, `${init.id} responses`);
  if (Object.prototype.hasOwnProperty.call(init.responses, ERROR_TYPE)) throw new InvalidArgumentError(`${ERROR_TYPE} is reserved`);
  const def: ProtocolDef<Req, Res> = {
    kind: 'request',
    id: init.id,
    requests: init.requests,
    responses: init.responses,
    maxBytes: init.maxBytes ?? 256 * 1024,
    timeoutMs: init.timeoutMs ?? 10_000,
    rate: init.rate ?? { capacity: 64, refillPerSec: 32 },
    maxInboundStreams: init.maxInboundStreams ?? 64,
  };
  checkSize(def.maxBytes, init.id);
  checkRateLimit(def.rate, init.id);
  if (!(def.timeoutMs > 0)) throw new InvalidArgumentError(`${init.id}: timeoutMs must be > 0`);
  return Object.freeze(def);
}

export function defineTopic<M extends MessageMap>(init: {
  topic: string;
  messages: M;
  maxBytes?: number;
  rate?: RateLimit;
  allowSigner?: (signer: Uint8Array, publisher: string) => boolean;
}): TopicDef<M> {
  if (typeof init.topic !== 'string' || !TOPIC_ID.test(init.topic)) throw new InvalidArgumentError(`topic must match ${TOPIC_ID}`);
  checkMessageMap(init.messages, init.topic);
  const def: TopicDef<M> = {
    kind: 'topic',
    topic: init.topic,
    messages: init.messages,
    maxBytes: init.maxBytes ?? 64 * 1024,
    rate: init.rate ?? { capacity: 64, refillPerSec: 16 },
    ...(init.allowSigner !== undefined ? { allowSigner: init.allowSigner } : {}),
  };
  checkSize(def.maxBytes, init.topic);
  checkRateLimit(def.rate, init.topic);
  return Object.freeze(def);
}

export function defineChannel<M extends MessageMap>(init: {
  id: string;
  messages: M;
  maxBytes?: number;
  maxFrames?: number;
  idleTimeoutMs?: number;
  rate?: RateLimit;
  maxInboundStreams?: number;
}): ChannelDef<M> {
  if (typeof init.id !== 'string' || !PROTOCOL_ID.test(init.id)) throw new InvalidArgumentError(`channel id must match ${PROTOCOL_ID}`);
  checkMessageMap(init.messages, init.id);
  const def: ChannelDef<M> = {
    kind: 'channel',
    id: init.id,
    messages: init.messages,
    maxBytes: init.maxBytes ?? 4 * 1024 * 1024,
    maxFrames: init.maxFrames ?? 64,
    idleTimeoutMs: init.idleTimeoutMs ?? 15_000,
    rate: init.rate ?? { capacity: 8, refillPerSec: 0.5 },
    maxInboundStreams: init.maxInboundStreams ?? 8,
  };
  checkSize(def.maxBytes, init.id);
  checkRateLimit(def.rate, init.id);
  if (!Number.isInteger(def.maxFrames) || def.maxFrames < 1) throw new InvalidArgumentError(`${init.id}: maxFrames must be >= 1`);
  if (!(def.idleTimeoutMs > 0)) throw new InvalidArgumentError(`${init.id}: idleTimeoutMs must be > 0`);
  return Object.freeze(def);
}

// ---- State sync: an opaque state-vector exchange (the shape of the yjs sync protocol) ----

/**
 * Messages of a state-sync channel. The initiator sends its state vector; the responder answers
 * with the update the initiator lacks and its own state vector; the initiator sends the update
 * the responder lacks. Three frames, both sides converge (yjs sync steps 1 and 2, run both ways).
 */
export function stateSyncMessages(maxBytes: number) {
  const b = bytesSchema(maxBytes);
  return {
    'edge.sync.hello': v.strictObject({ sv: b }),
    'edge.sync.reply': v.strictObject({ sv: b, update: b }),
    'edge.sync.final': v.strictObject({ update: b }),
  } as const;
}
export type StateSyncMessages = ReturnType<typeof stateSyncMessages>;

/** A state-sync channel definition (see `stateSyncMessages`). */
export function defineStateSync(init: { id: string; maxBytes?: number; idleTimeoutMs?: number; rate?: RateLimit }): ChannelDef<StateSyncMessages> {
  const maxBytes = init.maxBytes ?? 4 * 1024 * 1024;
  return defineChannel({
    id: init.id,
    messages: stateSyncMessages(maxBytes - 256),
    maxBytes,
    maxFrames: 2,
    ...(init.idleTimeoutMs !== undefined ? { idleTimeoutMs: init.idleTimeoutMs } : {}),
    ...(init.rate !== undefined ? { rate: init.rate } : {}),
  });
}

/**
 * Ledger sync: the state-vector exchange of @edge/economy's replicated ledger. Frames up to 32 MiB
 * (a first sync of a ledger of ~100k entries); a node runs one exchange per peer on connect, one
 * every few seconds with some peer, and one when a gossiped update arrives without its parents.
 */
export const LEDGER_SYNC = defineStateSync({ id: '/edge-net/ledger-sync/1.0.0', maxBytes: 32 * 1024 * 1024, rate: { capacity: 32, refillPerSec: 4 } });

/** New ledger entries, gossiped as opaque updates (each entry inside is signed by its account). */
export const LEDGER_TOPIC = defineTopic({
  topic: 'edge-net/ledger/1',
  messages: { 'edge.ledger.update': v.strictObject({ update: bytesSchema(60 * 1024) }) },
  maxBytes: 64 * 1024,
  // Per publisher: a busy submitter writes about five entries per task (hold, payments, refund).
  rate: { capacity: 256, refillPerSec: 64 },
});

/** Evidence for rac: opaque signed evidence bytes (checked by @edge/rac), its kind and subject. */
export const RAC_EVIDENCE_TOPIC = defineTopic({
  topic: 'edge-net/rac-evidence/1',
  messages: {
    'edge.rac.evidence': v.strictObject({
      kind: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_.-]{0,63}$/)),
      subject: v.pipe(v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'must be a byte string'), v.length(32)),
      evidence: bytesSchema(60 * 1024),
    }),
  },
  maxBytes: 64 * 1024,
  rate: { capacity: 16, refillPerSec: 2 },
});
