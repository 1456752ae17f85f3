/**
 * The static word-vector model file: a vocabulary in frequency order, int8 vectors with one
 * float32 scale per word, each word's unigram probability (for SIF weights), the common
 * component(s) to remove, and a JSON header with provenance. One self-contained binary that a
 * browser fetches and caches like any asset, and Node reads from disk.
 *
 * Layout (all integers and floats little-endian):
 *
 *   offset  size            field
 *   0       8               magic "EDGEEMB1"
 *   8       4   u32         header length H (bytes of UTF-8 JSON)
 *   12      H               header JSON (see {@link StaticModelHeader}), space-padded to a multiple of 4
 *   ..      4*V f32         per-word scale (vector = scale * int8 codes)
 *   ..      4*V f32         per-word unigram probability p(w)
 *   ..      4*K*D f32       K unit-norm common components (SIF step 2)
 *   ..      V*D i8          int8 codes, word-major
 *   ..      4   u32         vocabulary byte length B
 *   ..      B               vocabulary: UTF-8 words joined by "\n", in the order of the rows
 *   ..      4   u32         CRC-32 (IEEE) of every byte before it
 *
 * Nothing is trusted before the checksum and every size have been checked, so a damaged or
 * hostile file ends in a {@link ModelFormatError} or {@link ModelChecksumError}, never in an
 * out-of-range read.
 */
import { ModelChecksumError, ModelFormatError } from './errors.js';

const MAGIC = 'EDGEEMB1';
/** Upper bounds that keep a hostile header from asking for absurd allocations. */
const MAX_DIM = 4096;
const MAX_VOCAB = 4_000_000;
const MAX_COMPONENTS = 16;
const MAX_HEADER = 1 << 20;

/** Provenance and parameters carried in the model file. */
export interface StaticModelHeader {
  /** Format version of the file (1). */
  format: 1;
  /** Identifier that pins the model: equal ids give bit-identical embeddings. */
  modelId: string;
  dim: number;
  vocabSize: number;
  /** Number of common components stored (0 = none removed). */
  components: number;
  /** SIF smoothing parameter a of a / (a + p(w)) (Arora, Liang & Ma 2017). */
  sifA: number;
  /** Norm given to the hashed vector of an out-of-vocabulary word. */
  oovNorm: number;
  /** Unigram probability assumed for an out-of-vocabulary word. */
  oovProb: number;
  /** Free-form provenance: source package, licence, build parameters. */
  provenance?: Record<string, unknown>;
}

/** A decoded model: typed-array views into one buffer. */
export interface StaticModel {
  header: StaticModelHeader;
  /** Words in row order (most frequent first). */
  words: string[];
  scales: Float32Array;
  probs: Float32Array;
  /** K rows of D floats, each unit norm. */
  components: Float32Array;
  /** V rows of D int8 codes. */
  codes: Int8Array;
}

/** What {@link encodeStaticModel} needs. */
export interface StaticModelInput {
  header: Omit<StaticModelHeader, 'format' | 'dim' | 'vocabSize' | 'components'>;
  dim: number;
  words: readonly string[];
  /** V*D float vectors, word-major, quantized here to int8 with a per-word scale. */
  vectors: Float32Array;
  probs: Float32Array;
  components?: Float32Array;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const align4 = (n: number) => (n + 3) & ~3;

/**
 * Quantizes and writes a model. Each word vector v becomes round(v / s) with s = max|v_i| / 127
 * (symmetric per-vector int8: the error of any coordinate is at most s/2).
 */
export function encodeStaticModel(input: StaticModelInput): Uint8Array {
  const { dim, words, vectors, probs } = input;
  const V = words.length;
  const components = input.components ?? new Float32Array(0);
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new ModelFormatError(`bad dimension ${dim}`);
  if (vectors.length !== V * dim) throw new ModelFormatError('vectors length is not words.length * dim');
  if (probs.length !== V) throw new ModelFormatError('probs length is not words.length');
  if (components.length % dim !== 0) throw new ModelFormatError('components length is not a multiple of dim');
  for (const w of words) if (w.length === 0 || w.includes('\n')) throw new ModelFormatError('words must be non-empty and hold no newline');
  const K = components.length / dim;
  const header: StaticModelHeader = { format: 1, dim, vocabSize: V, components: K, ...input.header } as StaticModelHeader;
  const enc = new TextEncoder();
  let headerBytes = enc.encode(JSON.stringify(header));
  const padded = new Uint8Array(align4(headerBytes.length)).fill(0x20);
  padded.set(headerBytes);
  headerBytes = padded;
  const vocabBytes = enc.encode(words.join('\n'));

  const size = 8 + 4 + headerBytes.length + 4 * V + 4 * V + 4 * K * dim + V * dim + 4 + vocabBytes.length + 4;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (let i = 0; i < 8; i++) out[o++] = MAGIC.charCodeAt(i);
  view.setUint32(o, headerBytes.length, true);
  o += 4;
  out.set(headerBytes, o);
  o += headerBytes.length;
  const scaleOff = o;
  o += 4 * V;
  const probOff = o;
  o += 4 * V;
  const compOff = o;
  o += 4 * K * dim;
  const codeOff = o;
  o += V * dim;
  for (let w = 0; w < V; w++) {
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(vectors[w * dim + d]!));
    const s = max > 0 ? max / 127 : 0;
    view.setFloat32(scaleOff + 4 * w, s, true);
    view.setFloat32(probOff + 4 * w, probs[w]!, true);
    const sf = Math.fround(s);
    for (let d = 0; d < dim; d++) {
      const q = sf > 0 ? Math.round(vectors[w * dim + d]! / sf) : 0;
      out[codeOff + w * dim + d] = Math.max(-127, Math.min(127, q)) & 0xff;
    }
  }
  for (let i = 0; i < K * dim; i++) view.setFloat32(compOff + 4 * i, components[i]!, true);
  view.setUint32(o, vocabBytes.length, true);
  o += 4;
  out.set(vocabBytes, o);
  o += vocabBytes.length;
  view.setUint32(o, crc32(out.subarray(0, o)), true);
  return out;
}

function fail(message: string): never {
  throw new ModelFormatError(message);
}

/**
 * Reads a model file. The bytes are copied once into an aligned buffer, so the caller may reuse
 * its input. Throws {@link ModelFormatError} or {@link ModelChecksumError} on anything wrong.
 */
export function decodeStaticModel(input: Uint8Array | ArrayBuffer): StaticModel {
  let src: Uint8Array;
  if (input instanceof Uint8Array) src = input;
  else if (input instanceof ArrayBuffer) src = new Uint8Array(input);
  else fail('model bytes must be a Uint8Array or ArrayBuffer');
  if (src.length < 8 + 4 + 4 + 4) fail('model file is truncated');
  for (let i = 0; i < 8; i++) if (src[i] !== MAGIC.charCodeAt(i)) fail('not an @edge/embed model file (bad magic)');
  // An aligned private copy: Float32Array views need 4-byte alignment, and the caller's buffer
  // must not be able to change the model after it was checked.
  const bytes = new Uint8Array(src.length);
  bytes.set(src);
  const view = new DataView(bytes.buffer);
  const stored = view.getUint32(bytes.length - 4, true);
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) {
    throw new ModelChecksumError('model file checksum mismatch (damaged or altered file)');
  }
  const H = view.getUint32(8, true);
  if (H > MAX_HEADER || H % 4 !== 0 || 12 + H > bytes.length - 8) fail('bad header length');
  let header: StaticModelHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + H))) as StaticModelHeader;
  } catch (cause) {
    throw new ModelFormatError(`header is not valid JSON: ${String(cause)}`);
  }
  if (typeof header !== 'object' || header === null) fail('header is not an object');
  if (header.format !== 1) fail(`unsupported model format ${String(header.format)}`);
  const { dim, vocabSize: V, components: K } = header;
  const isInt = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
  if (!isInt(dim, 1, MAX_DIM)) fail('bad dimension');
  if (!isInt(V, 1, MAX_VOCAB)) fail('bad vocabulary size');
  if (!isInt(K, 0, MAX_COMPONENTS)) fail('bad component count');
  if (typeof header.modelId !== 'string' || header.modelId.length === 0 || header.modelId.length > 200) fail('bad model id');
  for (const key of ['sifA', 'oovNorm', 'oovProb'] as const) {
    const x = header[key];
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) fail(`bad ${key}`);
  }
  let o = 12 + H;
  const need = 4 * V + 4 * V + 4 * K * dim + V * dim + 4;
  if (o + need + 4 > bytes.length) fail('model file is truncated');
  const scales = new Float32Array(bytes.buffer, o, V);
  o += 4 * V;
  const probs = new Float32Array(bytes.buffer, o, V);
  o += 4 * V;
  const components = new Float32Array(bytes.buffer, o, K * dim);
  o += 4 * K * dim;
  const codes = new Int8Array(bytes.buffer, o, V * dim);
  o += V * dim;
  const B = view.getUint32(o, true);
  o += 4;
  if (o + B + 4 !== bytes.length) fail('vocabulary length does not match the file size');
  let words: string[];
  try {
    words = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(o, o + B)).split('\n');
  } catch {
    fail('vocabulary is not valid UTF-8');
  }
  if (words.length !== V) fail(`vocabulary has ${words.length} words, header says ${V}`);
  for (let i = 0; i < V; i++) {
    const s = scales[i]!;
    const p = probs[i]!;
    if (!(s >= 0 && s < 1e6)) fail(`bad scale for word ${i}`);
    if (!(p > 0 && p <= 1)) fail(`bad probability for word ${i}`);
    if (words[i]!.length === 0) fail(`empty word at ${i}`);
  }
  for (let i = 0; i < K * dim; i++) if (!Number.isFinite(components[i]!)) fail('bad common component');
  return { header, words, scales, probs, components, codes };
}
