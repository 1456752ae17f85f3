/**
 * @packageDocumentation
 * @edge/node: the edge-net node. `new EdgeNetConfig(siteId)...build()` returns an
 * {@link EdgeNetNode} that composes @edge/identity (keys, signed messages), @edge/economy (the
 * signed ledger, AMM quotes, reputation), @edge/rac (evidence, quarantine, audit), @edge/hnsw and
 * @edge/embed (the built-in task types) into the verified task loop: quote and escrow, routing by
 * capability / reputation / latency / learned values, signed offers, bounded execution on a
 * worker thread, k-of-n verification with adaptive replication, settlement with witnessed
 * payments, refunds. The network is the narrow {@link Transport} contract (@edge/net implements
 * it). Lifecycle and verification policy: docs/tasks.md.
 */

export { EdgeNetConfig } from './config.js';
export type { ResolvedConfig } from './options.js';
export {
  EdgeNetNode,
  REPLICAS,
  SPARE_EXECUTIONS,
  QUORUM,
  EVIDENCE_KIND,
  PEER_FAULT_REASONS,
  shardOf,
  type NodeIndexOptions,
  type SubmitOptions,
  type TaskOutcome,
  type Verification,
  type NodeStats,
  type RankedPeer,
  type RecommendedConfig,
} from './node.js';
export type { Transport, PeerInfo, RequestOptions, RequestHandler, LedgerChannel, LedgerSyncProvider, EvidenceChannel } from './transport.js';
export {
  TaskRegistry,
  vectorSearchSpec,
  embeddingSpec,
  semanticMatchSpec,
  encryptionSpec,
  type Placement,
  type TaskSpec,
  type UserTaskRegistration,
  type VectorSearchPayload,
  type VectorSearchResult,
  type EmbeddingPayload,
  type EmbeddingResult,
  type SemanticMatchPayload,
  type SemanticMatchResult,
  type EncryptionPayload,
} from './tasks.js';
export { DutyCycle, batteryFactor, type BatteryStatus, type DutyCycleOptions } from './executor.js';
export { RoutingTable, TRUST_AFTER, MIN_SAMPLE, type TrustRecord, type RoutingSnapshot } from './routing.js';
export { createMemoryNodeStorage, openDirectoryStorage, type NodeStorage } from './storage.js';
export {
  OFFER_TYPE,
  RESULT_TYPE,
  WITNESS_REQUEST_TYPE,
  INDEX_SYNC_TYPE,
  INDEX_ACK_TYPE,
  REFUSAL_TYPE,
  TASK_CLAIM_CTX,
  MAX_OFFER_SIZE,
  MAX_RESULT_SIZE,
  sealOffer,
  openOffer,
  sealResult,
  openResult,
  checkWitnessRequest,
  checkIndexSync,
  type OfferBody,
  type ResultBody,
  type WitnessRequestBody,
  type IndexSyncBody,
} from './protocol.js';
export {
  createNetTransport,
  TASK_PROTOCOL,
  type NetTransport,
  type NetTransportOptions,
} from './net-transport.js';
export * from './errors.js';
