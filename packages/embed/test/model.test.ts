import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  decodeStaticModel,
  encodeStaticModel,
  ModelChecksumError,
  ModelFormatError,
  createStaticEmbedder,
  type StaticModelInput,
} from '../src/index.js';
import { MANIFEST, MODEL_BYTES, SEED, rand } from './helpers.js';

function smallModel(V = 20, dim = 8): StaticModelInput {
  const vectors = new Float32Array(V * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = (rand() - 0.5) * 4;
  vectors.fill(0, 0, dim); // an all-zero word must survive (scale 0)
  const probs = new Float32Array(V).map((_, i) => 1 / (i + 10));
  const comp = new Float32Array(dim).fill(1 / Math.sqrt(dim));
  return {
    header: { modelId: 'test-model', sifA: 1e-3, oovNorm: 1, oovProb: 1e-7 },
    dim,
    words: Array.from({ length: V }, (_, i) => `w${i}`),
    vectors,
    probs,
    components: comp,
  };
}

describe(`model file (seed ${SEED})`, () => {
  it('the shipped model matches the SHA-256 recorded in MODEL.json', () => {
    expect(MODEL_BYTES.length).toBe(MANIFEST.bytes);
    expect(createHash('sha256').update(MODEL_BYTES).digest('hex')).toBe(MANIFEST.sha256);
  });

  it('the shipped model decodes to what MODEL.json says, with one unit common component', () => {
    const m = decodeStaticModel(MODEL_BYTES);
    expect(m.header.modelId).toBe(MANIFEST.modelId);
    expect(m.header.dim).toBe(MANIFEST.dim);
    expect(m.header.vocabSize).toBe(MANIFEST.words);
    expect(m.words.slice(0, 5)).toEqual(['the', 'of', 'to', 'and', 'in']);
    expect(new Set(m.words).size).toBe(m.words.length);
    expect(m.header.components).toBe(1);
    let n = 0;
    for (const x of m.components) n += x * x;
    expect(Math.abs(n - 1)).toBeLessThan(1e-5);
    // Zipf probabilities fall with rank.
    for (let i = 1; i < 1000; i++) expect(m.probs[i]!).toBeLessThanOrEqual(m.probs[i - 1]!);
  });

  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('round-trips, and int8 quantization errs by at most half a step per coordinate', () => {
    const input = smallModel();
    const m = decodeStaticModel(encodeStaticModel(input));
    expect(m.words).toEqual(input.words);
    expect(Array.from(m.probs)).toEqual(Array.from(input.probs));
    for (let w = 0; w < input.words.length; w++) {
      const s = m.scales[w]!;
      for (let d = 0; d < input.dim; d++) {
        const err = Math.abs(s * m.codes[w * input.dim + d]! - input.vectors[w * input.dim + d]!);
        expect(err).toBeLessThanOrEqual(s / 2 + 1e-6);
      }
    }
    expect(m.scales[0]).toBe(0);
    // The byte encoding is deterministic.
    expect(encodeStaticModel(input)).toEqual(encodeStaticModel(input));
  });

  it('a flipped byte anywhere in the shipped model is caught by the checksum', () => {
    for (let i = 0; i < 8; i++) {
      const bad = MODEL_BYTES.slice();
      const at = 12 + Math.floor(rand() * (bad.length - 16));
      bad[at] = bad[at]! ^ (1 + Math.floor(rand() * 255));
      expect(() => decodeStaticModel(bad)).toThrow(ModelChecksumError);
    }
  });

  it('fuzz: random bytes and mutated models raise only typed errors', () => {
    const good = encodeStaticModel(smallModel());
    const withCrc = (b: Uint8Array) => {
      const out = b.slice();
      new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
      return out;
    };
    const typed = (bytes: Uint8Array) => {
      try {
        const m = decodeStaticModel(bytes);
        // Whatever decodes must also build a working embedder.
        createStaticEmbedder(m).embedSync(['w1 w2']);
      } catch (error) {
        if (!(error instanceof ModelFormatError || error instanceof ModelChecksumError)) throw error;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => typed(bytes)),
      { seed: SEED, numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 5), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(good.length),
        (flips, cut) => {
          const bad = good.slice();
          for (const [at, x] of flips) bad[at] = bad[at]! ^ x;
          typed(withCrc(bad)); // past the checksum: the structural checks must hold
          typed(bad);
          typed(withCrc(good.slice(0, Math.max(cut, 16))));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
    // Header fields a hostile file might lie about.
    const header = (patch: Record<string, unknown>) => {
      const m = smallModel();
      const bytes = encodeStaticModel({ ...m, header: { ...m.header, ...patch } as StaticModelInput['header'] });
      return () => decodeStaticModel(bytes);
    };
    expect(header({ sifA: -1 })).toThrow(ModelFormatError);
    expect(header({ oovNorm: 0 })).toThrow(ModelFormatError);
    expect(header({ modelId: '' })).toThrow(ModelFormatError);
  });

  it('the decoder copies its input: later writes to the caller buffer change nothing', () => {
    const bytes = encodeStaticModel(smallModel());
    const m = decodeStaticModel(bytes);
    const before = Array.from(m.codes);
    bytes.fill(0);
    expect(Array.from(m.codes)).toEqual(before);
  });
});
