/**
 * @packageDocumentation
 * @edge/net: the libp2p wiring and the wire of edge-net.
 *
 * - {@link createNetwork}: a libp2p node whose peer key is the node's Pi-Key (one identity),
 *   with the transports of its environment (Node: TCP + WebSockets; browsers: WebSockets,
 *   WebRTC, circuit relay v2), chosen by package.json conditions, never by runtime sniffing.
 * - A message layer where every message is an @edge/identity signed envelope, checked for size,
 *   signature, signer = sending peer, schema and replay, under per-peer rate limits, with peer
 *   scoring and bans; every rejection is typed, counted and visible in `getNetworkStats()`.
 * - Building blocks the node registers: request/response ({@link defineProtocol}), gossip
 *   ({@link defineTopic}; capability and load adverts with a {@link PeerTable}), stream channels
 *   ({@link defineChannel}) and state-vector sync ({@link defineStateSync}, {@link LEDGER_SYNC}).
 *
 * Wire formats and checks: docs/protocol.md.
 */

import { platform } from '#platform';
import { createNetworkOn, type Network, type NetworkOptions } from './network.js';

/** Creates (but does not start) a network node. Call `start()` to listen and bootstrap. */
export function createNetwork(options: NetworkOptions): Promise<Network> {
  return createNetworkOn(platform, options);
}

/** Which environment variant this build resolved to (`node` or `browser`). */
export const PLATFORM: 'node' | 'browser' = platform.name;

export type {
  Network,
  NetworkOptions,
  NetworkStats,
  NetworkEvents,
  RelayServiceOptions,
  RequestContext,
  RequestOptions,
  ChannelSession,
  StateSyncProvider,
  SyncResult,
} from './network.js';
export {
  defineProtocol,
  defineTopic,
  defineChannel,
  defineStateSync,
  stateSyncMessages,
  bytesSchema,
  LEDGER_SYNC,
  LEDGER_TOPIC,
  RAC_EVIDENCE_TOPIC,
  ERROR_TYPE,
  type ProtocolDef,
  type TopicDef,
  type ChannelDef,
  type StateSyncMessages,
} from './protocols.js';
export {
  ADVERTS_TOPIC,
  CAPABILITY_ADVERT,
  LOAD_ADVERT,
  advertMessages,
  capabilityAdvertSchema,
  loadAdvertSchema,
  createPeerTable,
  type AdvertMessages,
  type CapabilityAdvert,
  type LoadAdvert,
  type AdvertEntry,
  type PeerRecord,
  type PeerTable,
  type PeerTableOptions,
} from './adverts.js';
export { decodeMessage, encodeMessage, type IncomingMessage, type Incoming, type Outgoing, type DecodeOptions, type ReplayWindow } from './codec.js';
export { validateBody, type StandardSchemaV1, type InferInput, type InferOutput, type MessageMap } from './schema.js';
export { peerIdOf, publicKeyOf, peerIdFromPiKey } from './peer.js';
export { createRateLimiter, type RateLimit, type RateLimiter } from './ratelimit.js';
export { createPeerScorer, DEFAULT_PENALTIES, type PeerScorer, type ScoreOptions } from './score.js';
export { createLatencyTable, type LatencyEstimate, type LatencyTable } from './latency.js';
export * from './errors.js';
