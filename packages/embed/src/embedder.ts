/**
 * The TextEmbedder contract, and input checks every implementation shares.
 */
import {
  BatchTooLargeError,
  EmptyBatchError,
  InvalidArgumentError,
  TextTooLongError,
} from './errors.js';

/**
 * Turns texts into unit-norm vectors. Implementations are deterministic: the same `modelId`
 * and the same text give the same vector, so workers that run the same model agree on a result
 * (edge-net verifies embedding tasks by re-execution).
 */
export interface TextEmbedder {
  /** Pins the model and its parameters: equal ids give identical embeddings. */
  readonly modelId: string;
  /** Length of every vector returned. */
  readonly dim: number;
  /** Longest text accepted, in UTF-16 code units. */
  readonly maxTextLength: number;
  /** Most texts accepted in one `embed` call. */
  readonly maxBatchSize: number;
  /**
   * Embeds a batch, one unit-norm Float32Array per text, in order. Rejects with
   * EmptyBatchError, BatchTooLargeError, TextTooLongError or EmptyTextError (all EmbedError)
   * and then returns nothing for the batch.
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Checks a batch against an embedder's limits before any work is done. */
export function checkBatch(texts: unknown, maxBatchSize: number, maxTextLength: number): asserts texts is readonly string[] {
  if (!Array.isArray(texts)) throw new InvalidArgumentError('texts must be an array of strings');
  if (texts.length === 0) throw new EmptyBatchError();
  if (texts.length > maxBatchSize) throw new BatchTooLargeError(texts.length, maxBatchSize);
  for (let i = 0; i < texts.length; i++) {
    const t: unknown = texts[i];
    if (typeof t !== 'string') throw new InvalidArgumentError(`text ${i} is not a string`);
    if (t.length > maxTextLength) throw new TextTooLongError(i, t.length, maxTextLength);
  }
}

/** Cosine similarity of two vectors (their dot product when both are unit norm). */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new InvalidArgumentError(`vectors differ in length (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
