/**
 * SIF sentence embeddings over static word vectors (Arora, Liang & Ma, "A Simple but
 * Tough-to-Beat Baseline for Sentence Embeddings", ICLR 2017):
 *
 *   v_s = sum_{w in s} a / (a + p(w)) * v_w          (smooth inverse frequency weights)
 *   v_s = v_s - sum_k (u_k . v_s) u_k                 (remove the common component(s))
 *   v_s = v_s / |v_s|                                 (unit norm)
 *
 * p(w) comes from the word's frequency rank (see scripts/build-model.mjs), and u_k from the
 * reference corpus that ships with the model. Dividing by |s| (as the paper does) is left out:
 * both later steps are linear or scale-free, so it cannot change the result.
 *
 * Determinism: only +, *, / and sqrt are used (all correctly rounded in IEEE 754), in a fixed
 * order, accumulating in float64, so every JavaScript engine returns the same bits.
 */
import { checkBatch, type TextEmbedder } from './embedder.js';
import { EmptyTextError, InvalidArgumentError } from './errors.js';
import { decodeStaticModel, type StaticModel, type StaticModelHeader } from './model.js';
import { Tokenizer, type TokenReport } from './tokenize.js';

/** How out-of-vocabulary words enter a sentence vector. */
export type OovMode = 'hash' | 'ignore';

/** Options of {@link createStaticEmbedder}. Any non-default value changes `modelId`. */
export interface StaticEmbedderOptions {
  /** Longest text accepted, in UTF-16 code units (default 200,000). Not part of modelId. */
  maxTextLength?: number;
  /** Most texts per `embed` call (default 10,000). Not part of modelId. */
  maxBatchSize?: number;
  /**
   * 'hash' (default): an OOV word adds a fixed pseudo-random vector derived from its spelling,
   * so two texts sharing a rare name or identifier move closer. 'ignore': OOV words are skipped
   * unless the text has nothing else.
   */
  oov?: OovMode;
  /** Weight of an OOV word relative to its SIF weight (default 1). */
  oovWeight?: number;
  /** Override of the model's SIF parameter a. */
  sifA?: number;
  /** Remove the model's common components (default true). */
  removeCommonComponent?: boolean;
}

/** The default model's embedder, with synchronous calls and inspection helpers on top of TextEmbedder. */
export interface StaticEmbedder extends TextEmbedder {
  /** The model file's header: provenance and parameters. */
  readonly header: Readonly<StaticModelHeader>;
  /** Number of words in the vocabulary. */
  readonly vocabSize: number;
  /** {@link TextEmbedder.embed}, synchronously (throws instead of rejecting). */
  embedSync(texts: readonly string[]): Float32Array[];
  /** How each token of a text resolves against the vocabulary. */
  analyze(text: string): TokenReport[];
  /** The dequantized vector of a vocabulary word (lower case), or undefined. */
  wordVector(word: string): Float32Array | undefined;
}

const DEFAULT_MAX_TEXT = 200_000;
const DEFAULT_MAX_BATCH = 10_000;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Creates an embedder from model bytes or a decoded model. */
export function createStaticEmbedder(model: StaticModel | Uint8Array | ArrayBuffer, options: StaticEmbedderOptions = {}): StaticEmbedder {
  const m = model instanceof Uint8Array || model instanceof ArrayBuffer ? decodeStaticModel(model) : model;
  const { header, scales, probs, codes, components } = m;
  const dim = header.dim;
  const maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT;
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
  const oovMode = options.oov ?? 'hash';
  const oovWeight = options.oovWeight ?? 1;
  const a = options.sifA ?? header.sifA;
  const removeCC = options.removeCommonComponent ?? true;
  if (!Number.isInteger(maxTextLength) || maxTextLength < 1) throw new InvalidArgumentError('maxTextLength must be a positive integer');
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new InvalidArgumentError('maxBatchSize must be a positive integer');
  if (oovMode !== 'hash' && oovMode !== 'ignore') throw new InvalidArgumentError("oov must be 'hash' or 'ignore'");
  if (!(oovWeight >= 0 && Number.isFinite(oovWeight))) throw new InvalidArgumentError('oovWeight must be a finite number >= 0');
  if (!(a > 0 && Number.isFinite(a))) throw new InvalidArgumentError('sifA must be a finite number > 0');

  const suffix: string[] = [];
  if (oovMode !== 'hash') suffix.push(`oov=${oovMode}`);
  if (oovWeight !== 1) suffix.push(`oovw=${oovWeight}`);
  if (a !== header.sifA) suffix.push(`a=${a}`);
  if (!removeCC) suffix.push('cc=0');
  const modelId = suffix.length === 0 ? header.modelId : `${header.modelId}+${suffix.join('+')}`;

  const V = header.vocabSize;
  // Per-row factor: SIF weight times the int8 scale, so the inner loop is one multiply-add.
  const rowFactor = new Float64Array(V);
  for (let i = 0; i < V; i++) rowFactor[i] = (a / (a + probs[i]!)) * scales[i]!;
  const oovFactor = (oovWeight * (a / (a + header.oovProb)) * header.oovNorm) / Math.sqrt(dim);
  const K = removeCC ? header.components : 0;

  const tokenizer = new Tokenizer(m.words);
  const acc = new Float64Array(dim);

  /** Adds the hashed ±1 vector of an OOV string (xorshift32 stream seeded by FNV-1a). */
  function addOov(word: string, factor: number): void {
    let x = fnv1a(word) || 0x9e3779b9;
    for (let d = 0; d < dim; d++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      acc[d]! += x & 1 ? factor : -factor;
    }
  }

  function embedOne(text: string, index: number, out: Float32Array): void {
    tokenizer.run(text);
    acc.fill(0);
    const ids = tokenizer.ids;
    const n = tokenizer.count;
    for (let t = 0; t < n; t++) {
      const row = ids[t]!;
      const f = rowFactor[row]!;
      const base = row * dim;
      for (let d = 0; d < dim; d++) acc[d]! += f * codes[base + d]!;
    }
    const oov = tokenizer.oov;
    if (oovMode === 'hash' || n === 0) {
      // With no vocabulary word at all, the OOV words are the whole text: never weigh them 0.
      const f = n === 0 ? oovFactor || 1 : oovFactor;
      for (let i = 0; i < oov.length; i++) addOov(oov[i]!, f);
    }
    if (n === 0 && oov.length === 0) {
      // Nothing but dropped numbers: their spelling is all the text says.
      const dropped = tokenizer.dropped;
      if (dropped.length === 0) throw new EmptyTextError(index);
      for (let i = 0; i < dropped.length; i++) addOov(dropped[i]!, oovFactor || 1);
    }
    for (let k = 0; k < K; k++) {
      const off = k * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += acc[d]! * components[off + d]!;
      for (let d = 0; d < dim; d++) acc[d]! -= dot * components[off + d]!;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += acc[d]! * acc[d]!;
    if (!(norm > 0)) throw new EmptyTextError(index);
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dim; d++) out[d] = acc[d]! * inv;
  }

  function embedSync(texts: readonly string[]): Float32Array[] {
    checkBatch(texts, maxBatchSize, maxTextLength);
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i++) {
      const v = new Float32Array(dim);
      embedOne(texts[i]!, i, v);
      out.push(v);
    }
    return out;
  }

  return {
    modelId,
    dim,
    maxTextLength,
    maxBatchSize,
    header,
    vocabSize: V,
    embedSync,
    embed(texts) {
      try {
        return Promise.resolve(embedSync(texts));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    analyze(text) {
      if (typeof text !== 'string') throw new InvalidArgumentError('text must be a string');
      if (text.length > maxTextLength) throw new InvalidArgumentError(`text longer than ${maxTextLength}`);
      return tokenizer.analyze(text);
    },
    wordVector(word) {
      if (typeof word !== 'string') return undefined;
      const id = tokenizer.idOf(word);
      if (id < 0) return undefined;
      const v = new Float32Array(dim);
      for (let d = 0; d < dim; d++) v[d] = scales[id]! * codes[id * dim + d]!;
      return v;
    },
  };
}
