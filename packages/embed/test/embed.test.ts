import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cosine,
  createStaticEmbedder,
  decodeStaticModel,
  EmbedError,
  type TextEmbedder,
} from '../src/index.js';
import { MODEL_BYTES, SEED, asyncCodeOf, codeOf, embedder, norm, vector } from './helpers.js';

const sha = (v: Float32Array) => createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex');

describe(`static SIF embedder (seed ${SEED})`, () => {
  it('implements TextEmbedder with the model id and dimension of the model', async () => {
    const e: TextEmbedder = embedder();
    expect(e.dim).toBe(100);
    expect(e.modelId).toBe('edge-sif-sg100d-50k-int8-v1');
    const out = await e.embed(['hello world', 'good morning']);
    expect(out).toHaveLength(2);
    for (const v of out) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(100);
    }
  });

  it('gives the pinned bits for fixed texts (deterministic across runs, instances and engines)', () => {
    const golden = vector('golden.json') as { modelId: string; cases: { text: string; sha256: string }[] };
    const a = embedder();
    const b = createStaticEmbedder(MODEL_BYTES);
    expect(a.modelId).toBe(golden.modelId);
    const batch = a.embedSync(golden.cases.map((c) => c.text));
    golden.cases.forEach((c, i) => {
      expect(sha(batch[i]!)).toBe(c.sha256);
      expect(sha(b.embedSync([c.text])[0]!)).toBe(c.sha256); // alone = in a batch
    });
  });

  it('equals an independent computation of SIF from the decoded model', () => {
    const m = decodeStaticModel(MODEL_BYTES);
    const e = embedder();
    const text = 'the committee approved the new budget for public schools';
    const D = m.header.dim;
    const acc = new Float64Array(D);
    for (const w of text.split(' ')) {
      const id = m.words.indexOf(w);
      expect(id).toBeGreaterThanOrEqual(0);
      const weight = m.header.sifA / (m.header.sifA + m.probs[id]!);
      for (let d = 0; d < D; d++) acc[d] += weight * m.scales[id]! * m.codes[id * D + d]!;
    }
    let dot = 0;
    for (let d = 0; d < D; d++) dot += acc[d]! * m.components[d]!;
    for (let d = 0; d < D; d++) acc[d] -= dot * m.components[d]!;
    const n = Math.hypot(...acc);
    const got = e.embedSync([text])[0]!;
    for (let d = 0; d < D; d++) expect(Math.abs(got[d]! - acc[d]! / n)).toBeLessThan(1e-6);
    // Frequent words weigh less than rare ones: a / (a + p) grows as p falls.
    expect(m.probs[m.words.indexOf('the')]!).toBeGreaterThan(m.probs[m.words.indexOf('budget')]!);
  });

  it('returns unit vectors for any text with words, and the common component is removed', () => {
    const e = embedder();
    const m = decodeStaticModel(MODEL_BYTES);
    const texts = ['a', 'The', 'one two three', 'Supercalifragilistic!', 'x'.repeat(5000), 'Ωμέγα 東京 مرحبا', '42'];
    for (const v of e.embedSync(texts)) {
      expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-6);
      let dot = 0;
      for (let d = 0; d < 100; d++) dot += v[d]! * m.components[d]!;
      expect(Math.abs(dot)).toBeLessThan(1e-6);
    }
  });

  it('tokenises case, punctuation, contractions, numbers, identifiers and diacritics', () => {
    const e = embedder();
    const words = (t: string) => e.analyze(t).flatMap((r) => r.words);
    expect(words("Don't")).toEqual(['do', 'not']);
    expect(words("I can't, we won't; they're here, it's fine.")).toEqual(['can', 'not', 'we', 'will', 'not', 'they', 'are', 'here', 'it', 'fine']);
    expect(words('They’ve said I’d go')).toEqual(['they', 'have', 'said', 'would', 'go']);
    // The vocabulary has no single letters ("a", "i"): they carry next to nothing anyway.
    expect(words('a')).toEqual([]);
    expect(words('HELLO, World!!!')).toEqual(['hello', 'world']);
    expect(words('3 cats and 20 dogs, 2nd place, 1st try')).toEqual(['three', 'cats', 'and', 'twenty', 'dogs', 'second', 'place', 'first', 'try']);
    expect(words('In 1995 it cost 3.5 dollars')).toEqual(['in', 'it', 'cost', 'dollars']);
    expect(words('ListReport manifest.json U.S. e-mail')).toEqual(['list', 'report', 'manifest', 'us', 'e-mail']);
    expect(words('naïve café')).toEqual(['naive', 'cafe']);
    // The same text with and without case / punctuation embeds identically.
    const [a, b] = e.embedSync(['The Cat, sat; ON the mat!', 'the cat sat on the mat']);
    expect(sha(a!)).toBe(sha(b!));
    // "three" and "3" are the same word.
    const [c, d] = e.embedSync(['I have 3 cats', 'i have three cats']);
    expect(sha(c!)).toBe(sha(d!));
  });

  it('handles out-of-vocabulary words: hashed, stable, and shared spelling pulls texts together', () => {
    const e = embedder();
    const r = e.analyze('the frobnicator zqxj');
    expect(r.map((t) => t.oov)).toEqual([[], ['frobnicator'], ['zqxj']]);
    const [base, same, other] = e.embedSync(['deploy the frobnicator today', 'frobnicator broke again', 'zqxjwv broke again']);
    expect(cosine(base!, same!)).toBeGreaterThan(cosine(base!, other!));
    // A text of OOV words only still embeds (to its hashed vectors), deterministically.
    const [o1, o2] = e.embedSync(['zqxjwv', 'zqxjwv']);
    expect(sha(o1!)).toBe(sha(o2!));
    expect(Math.abs(norm(o1!) - 1)).toBeLessThan(1e-6);
    // In 'ignore' mode an OOV word next to known words changes nothing, and the id says so.
    const ignore = createStaticEmbedder(MODEL_BYTES, { oov: 'ignore' });
    expect(ignore.modelId).toBe('edge-sif-sg100d-50k-int8-v1+oov=ignore');
    const [p, q] = ignore.embedSync(['the red car zqxjwv', 'the red car']);
    expect(sha(p!)).toBe(sha(q!));
    // With OOV weight 0, OOV words are ignored beside known words but still embed a text alone.
    const zero = createStaticEmbedder(MODEL_BYTES, { oovWeight: 0 });
    expect(zero.modelId).toBe('edge-sif-sg100d-50k-int8-v1+oovw=0');
    expect(sha(zero.embedSync(['the red car zqxjwv'])[0]!)).toBe(sha(zero.embedSync(['the red car'])[0]!));
    expect(Math.abs(norm(zero.embedSync(['zqxjwv'])[0]!) - 1)).toBeLessThan(1e-6);
    // Hash mode keeps the OOV word in.
    const [h1, h2] = e.embedSync(['the red car zqxjwv', 'the red car']);
    expect(sha(h1!)).not.toBe(sha(h2!));
  });

  it('falls back on inflections the vocabulary cut lost', () => {
    const e = embedder();
    const m = decodeStaticModel(MODEL_BYTES);
    // Pick inflected forms that are outside the 50k words while their stems are inside.
    const cases = [['reconfigured', 'reconfigure'], ['unzipping', 'unzip']] as const;
    for (const [form, stem] of cases) {
      if (m.words.includes(form) || !m.words.includes(stem)) continue;
      expect(e.analyze(form)[0]!.words).toEqual([stem]);
    }
    expect(e.analyze('deployments')[0]!.words.length).toBe(1);
  });

  it('rejects empty and oversized input with typed errors, changing nothing', async () => {
    const e = createStaticEmbedder(MODEL_BYTES, { maxTextLength: 1000, maxBatchSize: 4 });
    const before = sha(e.embedSync(['steady state'])[0]!);
    expect(codeOf(() => e.embedSync([]))).toBe('ERR_EMPTY_BATCH');
    expect(codeOf(() => e.embedSync(['ok', '']))).toBe('ERR_EMPTY_TEXT');
    expect(codeOf(() => e.embedSync(['   \n\t ']))).toBe('ERR_EMPTY_TEXT');
    expect(codeOf(() => e.embedSync(['?!... --- !!!']))).toBe('ERR_EMPTY_TEXT');
    expect(codeOf(() => e.embedSync(['a'.repeat(1001)]))).toBe('ERR_TEXT_TOO_LONG');
    expect(codeOf(() => e.embedSync(['a', 'b', 'c', 'd', 'e']))).toBe('ERR_BATCH_TOO_LARGE');
    expect(codeOf(() => e.embedSync([42 as unknown as string]))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => e.embedSync('text' as unknown as string[]))).toBe('ERR_INVALID_ARGUMENT');
    expect(await asyncCodeOf(e.embed([]))).toBe('ERR_EMPTY_BATCH');
    expect(await asyncCodeOf(e.embed(['x'.repeat(2000)]))).toBe('ERR_TEXT_TOO_LONG');
    try {
      e.embedSync(['fine', 'also fine', '...']);
      expect.unreachable();
    } catch (error) {
      expect(EmbedError.isInstance(error) && (error as { index?: number }).index).toBe(2);
    }
    expect(sha(e.embedSync(['steady state'])[0]!)).toBe(before);
    expect(codeOf(() => createStaticEmbedder(MODEL_BYTES, { maxTextLength: 0 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => createStaticEmbedder(MODEL_BYTES, { sifA: -1 }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('fuzz: arbitrary strings give a unit vector or a typed error, and never disturb later results', () => {
    const e = embedder();
    const probe = 'reference sentence about rivers and mountains';
    const before = sha(e.embedSync([probe])[0]!);
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { minLength: 1, maxLength: 5 }), (texts) => {
        try {
          for (const v of e.embedSync(texts)) {
            expect(v.every(Number.isFinite)).toBe(true);
            expect(Math.abs(norm(v) - 1)).toBeLessThan(1e-5);
          }
        } catch (error) {
          if (!EmbedError.isInstance(error)) throw error;
          expect(error.code).toBe('ERR_EMPTY_TEXT');
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
    expect(sha(e.embedSync([probe])[0]!)).toBe(before);
  });

  it('semantic sanity: each paraphrase is closer to its anchor than an unrelated sentence', () => {
    const e = embedder();
    const { triples } = vector('paraphrases.json') as { triples: [string, string, string][] };
    for (const [anchor, para, unrelated] of triples) {
      const [a, p, u] = e.embedSync([anchor, para, unrelated]);
      expect(cosine(a!, p!), `${anchor} / ${para}`).toBeGreaterThan(cosine(a!, u!));
    }
    // Word vectors: analogous pairs are closer than unrelated ones.
    const w = (x: string) => e.wordVector(x)!;
    expect(cosine(w('king'), w('queen'))).toBeGreaterThan(cosine(w('king'), w('banana')));
    expect(cosine(w('paris'), w('france'))).toBeGreaterThan(cosine(w('paris'), w('guitar')));
    expect(e.wordVector('notaword-xyz')).toBeUndefined();
  });
});
