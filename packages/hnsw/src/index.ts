/**
 * `@edge/hnsw`: an HNSW vector index (Malkov & Yashunin 2018, with the neighbour-selection
 * heuristic) for Node and browsers, with a WebAssembly SIMD kernel and a plain-JS fallback,
 * optional int8 quantization with exact re-ranking, versioned binary snapshots with a checksum,
 * and deltas for replicating an index between peers. See README.md.
 *
 * @packageDocumentation
 */
export {
  HnswIndex,
  createIndex,
  deserialize,
  type IndexOptions,
  type SearchOptions,
  type SearchResult,
  type IndexStats,
  type Metric,
  type Id,
  type Vector,
} from './hnsw.js';
export {
  HnswError,
  InvalidOptionError,
  InvalidArgumentError,
  InvalidIdError,
  DimensionMismatchError,
  NonFiniteError,
  ZeroVectorError,
  UnknownIdError,
  CapacityError,
  CorruptSnapshotError,
  CorruptDeltaError,
  IncompatibleError,
  VersionGapError,
  DivergedError,
  DeltaUnavailableError,
  type HnswErrorCode,
} from './errors.js';
export { simdAvailable, type KernelKind } from './kernel.js';
export { crc32 } from './crc32.js';
