/**
 * Task types. A type is one registration: its name, how to check and encode a payload, how many
 * compute units it costs (the AMM quote), whether honest workers agree bit for bit
 * (`deterministic`, which allows k-of-n verification) and where its plaintext may go
 * (`placement`). The handler itself runs in the executor's worker thread: built-ins live in
 * executor-worker.js, user handlers are ES modules the worker imports (`module`).
 *
 * Placement (DESIGN.md, "privacy by placement"):
 *   'any'      offered to any capable peer (the payload is visible to it);
 *   'trusted'  only the own node or peers the user marked trusted (`EdgeNetConfig.trustedPeers`);
 *   'local'    only the own node (encryption: the session key never leaves it).
 * A caller can tighten any task with `submitTask(..., { private: true })` ('trusted').
 */

import { encodeCanonical, decodeCanonical } from '@edge/identity';
import { InvalidPayloadError, TaskRegistrationError, UnknownTaskTypeError } from './errors.js';

export type Placement = 'any' | 'trusted' | 'local';

export interface TaskSpec<P = unknown> {
  readonly type: string;
  /** Honest workers return identical bytes for identical payloads (k-of-n agreement applies). */
  readonly deterministic: boolean;
  readonly placement: Placement;
  /** Checks a caller's payload and returns its wire form (CBOR-encodable). Throws InvalidPayloadError. */
  normalize(payload: P): unknown;
  /** Compute units of a (normalized) payload: what the AMM prices. */
  units(wire: unknown): number;
  /** Turns result bytes (canonical CBOR) into the value `submitTask` returns. */
  decode?(value: unknown): unknown;
}

/** A user task type: the spec plus the ES module (URL or absolute file URL string) with the handler. */
export interface UserTaskRegistration<P = unknown> extends Omit<TaskSpec<P>, 'normalize' | 'units' | 'placement' | 'deterministic'> {
  readonly module: string | URL;
  /** Export name of the handler in `module` (default `run`): `(payload, ctx) => value | Promise<value>`. */
  readonly exportName?: string;
  readonly deterministic?: boolean;
  readonly placement?: Placement;
  normalize?(payload: P): unknown;
  units?(wire: unknown): number;
}

const TYPE_RE = /^[a-z][a-z0-9_.-]{0,63}$/;

export class TaskRegistry {
  readonly #specs = new Map<string, TaskSpec>();

  add(spec: TaskSpec): void {
    if (typeof spec.type !== 'string' || !TYPE_RE.test(spec.type)) throw new TaskRegistrationError('task type must match /^[a-z][a-z0-9_.-]{0,63}$/');
    if (this.#specs.has(spec.type)) throw new TaskRegistrationError(`task type "${spec.type}" is already registered`);
    if (spec.placement !== 'any' && spec.placement !== 'trusted' && spec.placement !== 'local') throw new TaskRegistrationError('placement must be any, trusted or local');
    this.#specs.set(spec.type, spec);
  }

  get(type: string): TaskSpec {
    const s = this.#specs.get(type);
    if (s === undefined) throw new UnknownTaskTypeError(type);
    return s;
  }

  has(type: string): boolean {
    return this.#specs.has(type);
  }

  types(): string[] {
    return [...this.#specs.keys()].sort();
  }
}

/** Encodes a normalized payload; refuses what has no canonical CBOR form. */
export function encodePayload(wire: unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encodeCanonical(wire);
  } catch (error) {
    throw new InvalidPayloadError(`payload cannot be encoded: ${error instanceof Error ? error.message : String(error)}`);
  }
  const back = decodeCanonical(bytes);
  if (!back.ok) throw new InvalidPayloadError('payload has no canonical CBOR form (integral floats, undefined...)');
  return bytes;
}

export function decodeResult(bytes: Uint8Array): unknown {
  const d = decodeCanonical(bytes);
  if (!d.ok) throw new InvalidPayloadError('result is not canonical CBOR');
  return d.value;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_TEXTS = 256;
const MAX_TEXT = 20_000;

function f32Bytes(v: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(v as ArrayLike<number>);
  return new Uint8Array(f.buffer);
}

export function f32FromBytes(b: Uint8Array): Float32Array {
  const copy = b.slice();
  return new Float32Array(copy.buffer, 0, copy.length >> 2);
}

/** Payload of `vector_search`: a query against a named index at a pinned version. */
export interface VectorSearchPayload {
  readonly index: string;
  readonly vector: ArrayLike<number>;
  readonly k: number;
  /** Index version the answer must come from; the node fills in its current version. */
  readonly version?: number;
}

export interface VectorSearchResult {
  readonly ids: (string | number)[];
  readonly distances: Float32Array;
}

export const vectorSearchSpec: TaskSpec<VectorSearchPayload> = {
  type: 'vector_search',
  deterministic: true,
  placement: 'any',
  normalize(p) {
    if (!isObj(p) || typeof p.index !== 'string' || p.index.length === 0) throw new InvalidPayloadError('vector_search needs { index, vector, k }');
    if (!Number.isInteger(p.k) || p.k < 1 || p.k > 1000) throw new InvalidPayloadError('k must be an integer in [1, 1000]');
    const v = p.vector as ArrayLike<number> | undefined;
    if (v === undefined || typeof v.length !== 'number' || v.length === 0 || v.length > 65_536) throw new InvalidPayloadError('vector must be a non-empty array of numbers');
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new InvalidPayloadError('vector must be finite');
    if (p.version !== undefined && (!Number.isSafeInteger(p.version) || p.version < 0)) throw new InvalidPayloadError('version must be a non-negative integer');
    return { index: p.index, vector: f32Bytes(v), k: p.k, version: p.version ?? 0 };
  },
  units: (w) => 1 + Math.ceil(((w as { vector: Uint8Array }).vector.length / 4) * (w as { k: number }).k / 1024),
  decode(v) {
    const r = v as { ids: (string | number)[]; distances: Uint8Array };
    return { ids: r.ids, distances: f32FromBytes(r.distances) } satisfies VectorSearchResult;
  },
};

export interface EmbeddingPayload {
  readonly texts: readonly string[];
}

export interface EmbeddingResult {
  readonly model: string;
  readonly dim: number;
  readonly vectors: Float32Array[];
}

function checkTexts(texts: unknown, name: string): string[] {
  if (!Array.isArray(texts) || texts.length === 0 || texts.length > MAX_TEXTS) throw new InvalidPayloadError(`${name} must be 1..${MAX_TEXTS} strings`);
  for (const t of texts) if (typeof t !== 'string' || t.length === 0 || t.length > MAX_TEXT) throw new InvalidPayloadError(`each text must be 1..${MAX_TEXT} characters`);
  return [...texts] as string[];
}

const textUnits = (texts: readonly string[]) => 1 + Math.ceil(texts.reduce((s, t) => s + t.length, 0) / 256);

export const embeddingSpec: TaskSpec<EmbeddingPayload> = {
  type: 'embedding',
  deterministic: true,
  placement: 'any',
  normalize(p) {
    if (!isObj(p)) throw new InvalidPayloadError('embedding needs { texts }');
    return { texts: checkTexts(p.texts, 'texts') };
  },
  units: (w) => textUnits((w as { texts: string[] }).texts),
  decode(v) {
    const r = v as { model: string; dim: number; vectors: Uint8Array };
    const flat = f32FromBytes(r.vectors);
    const vectors: Float32Array[] = [];
    for (let i = 0; i < flat.length; i += r.dim) vectors.push(flat.slice(i, i + r.dim));
    return { model: r.model, dim: r.dim, vectors } satisfies EmbeddingResult;
  },
};

export interface SemanticMatchPayload {
  readonly text: string;
  readonly categories: readonly { id: string; description?: string; examples?: readonly string[] }[];
}

export interface SemanticMatchResult {
  readonly model: string;
  readonly best: string;
  /** Every category, best first, with its score and probability. */
  readonly scores: { id: string; score: number; probability: number }[];
}

export const semanticMatchSpec: TaskSpec<SemanticMatchPayload> = {
  type: 'semantic_match',
  deterministic: true,
  placement: 'any',
  normalize(p) {
    if (!isObj(p) || typeof p.text !== 'string' || p.text.length === 0 || p.text.length > MAX_TEXT) throw new InvalidPayloadError('semantic_match needs { text, categories }');
    if (!Array.isArray(p.categories) || p.categories.length < 2 || p.categories.length > 64) throw new InvalidPayloadError('categories must be 2..64 entries');
    const categories = p.categories.map((c) => {
      if (!isObj(c) || typeof c.id !== 'string' || c.id.length === 0 || c.id.length > 128) throw new InvalidPayloadError('each category needs an id');
      const out: Record<string, unknown> = { id: c.id };
      if (c.description !== undefined) {
        if (typeof c.description !== 'string' || c.description.length > MAX_TEXT) throw new InvalidPayloadError('description must be a string');
        out.description = c.description;
      }
      if (c.examples !== undefined) out.examples = checkTexts(c.examples, 'examples');
      return out;
    });
    return { text: p.text, categories };
  },
  units: (w) => {
    const x = w as { text: string; categories: { description?: string; examples?: string[] }[] };
    return textUnits([x.text, ...x.categories.flatMap((c) => [c.description ?? '', ...(c.examples ?? [])]).filter((t) => t.length > 0)]);
  },
  decode(v) {
    const r = v as { model: string; best: string; ids: string[]; scores: Uint8Array; probabilities: Uint8Array };
    const s = f32FromBytes(r.scores);
    const pr = f32FromBytes(r.probabilities);
    return { model: r.model, best: r.best, scores: r.ids.map((id, i) => ({ id, score: s[i]!, probability: pr[i]! })) } satisfies SemanticMatchResult;
  },
};

export interface EncryptionPayload {
  readonly op: 'encrypt' | 'decrypt';
  readonly data: Uint8Array;
}

/** Encryption runs only on the own node: its session key never leaves it (placement 'local'). */
export const encryptionSpec: TaskSpec<EncryptionPayload> = {
  type: 'encryption',
  deterministic: false,
  placement: 'local',
  normalize(p) {
    if (!isObj(p) || (p.op !== 'encrypt' && p.op !== 'decrypt') || !(p.data instanceof Uint8Array) || p.data.length > 1 << 20) {
      throw new InvalidPayloadError('encryption needs { op: "encrypt" | "decrypt", data: Uint8Array (<= 1 MiB) }');
    }
    return { op: p.op, data: new Uint8Array(p.data) };
  },
  units: (w) => 1 + Math.ceil((w as { data: Uint8Array }).data.length / 65_536),
  decode: (v) => v as Uint8Array,
};

export function userSpec(r: UserTaskRegistration): TaskSpec & { module: string; exportName?: string } {
  const module = r.module instanceof URL ? r.module.href : r.module;
  if (typeof module !== 'string' || module.length === 0) throw new TaskRegistrationError('module must be a URL or a module specifier');
  return {
    type: r.type,
    deterministic: r.deterministic ?? true,
    placement: r.placement ?? 'any',
    normalize: r.normalize ?? ((p: unknown) => p),
    units: r.units ?? ((w: unknown) => 1 + Math.ceil(encodePayload(w).length / 1024)),
    ...(r.decode ? { decode: r.decode } : {}),
    module,
    ...(r.exportName !== undefined ? { exportName: r.exportName } : {}),
  };
}
