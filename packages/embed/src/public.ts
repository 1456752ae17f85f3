// The part of the public surface that both entries share (see index.ts).
export type { TextEmbedder } from './embedder.js';
export { cosine } from './embedder.js';
export {
  createStaticEmbedder,
  type StaticEmbedder,
  type StaticEmbedderOptions,
  type OovMode,
} from './sif.js';
export type { TokenReport } from './tokenize.js';
export {
  encodeStaticModel,
  decodeStaticModel,
  crc32,
  type StaticModel,
  type StaticModelHeader,
  type StaticModelInput,
} from './model.js';
export {
  createMatcher,
  match,
  DEFAULT_TEMPERATURE,
  type Category,
  type CategoryScore,
  type LabelledText,
  type Matcher,
  type MatchOptions,
  type MatchResult,
} from './match.js';
export { fetchModelBytes, type LoadOptions, type ModelSource } from './load.js';
export {
  EmbedError,
  InvalidArgumentError,
  EmptyBatchError,
  BatchTooLargeError,
  EmptyTextError,
  TextTooLongError,
  ModelFormatError,
  ModelChecksumError,
  ModelLoadError,
  InvalidCategoriesError,
  DimensionMismatchError,
} from './errors.js';
