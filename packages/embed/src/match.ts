/**
 * Semantic matching of a text against categories, on any {@link TextEmbedder}.
 *
 * - Zero-shot: a category is the embedding of its name and description.
 * - Few-shot, centroid (default when examples are given): a category is the normalised mean of
 *   its example embeddings, the description counting as one more example (a nearest-centroid /
 *   prototype classifier; Snell, Swersky & Zemel 2017 use the same rule on learned embeddings).
 * - Few-shot, k-NN: a category scores the mean cosine of its k most similar examples.
 *
 * Scores are cosines in [-1, 1]. The confidence is the softmax of score / T for the best
 * category. T is fitted by temperature scaling (Guo et al. 2017, "On Calibration of Modern
 * Neural Networks"): minimising the negative log-likelihood of held-out labels, here the
 * leave-one-out predictions of the examples themselves, or the labelled texts passed to
 * `calibrate()`, with label smoothing so a small separable set does not push T to 0.
 * Without labels T keeps its default.
 */
import { cosine, type TextEmbedder } from './embedder.js';
import { DimensionMismatchError, InvalidArgumentError, InvalidCategoriesError } from './errors.js';

/** A category to match against. */
export interface Category {
  /** Unique id; also embedded as the category's name when there is no description. */
  id: string;
  /** What the category means, in words (zero-shot). */
  description?: string;
  /** Example texts of the category (few-shot). */
  examples?: readonly string[];
}

/** Options of {@link createMatcher} and {@link match}. */
export interface MatchOptions {
  /** 'centroid' (default) or 'knn'. Without examples both are zero-shot. */
  mode?: 'centroid' | 'knn';
  /** Neighbours per category in 'knn' mode (default 3). */
  k?: number;
  /** Softmax temperature; fixes T and turns off automatic calibration. */
  temperature?: number;
}

/** One category's score. */
export interface CategoryScore {
  id: string;
  /** Cosine-based similarity, higher is closer. */
  score: number;
  /** Softmax probability at the matcher's temperature. */
  probability: number;
}

/** The outcome of matching one text. */
export interface MatchResult {
  /** Id of the best category. */
  best: string;
  /** Probability of the best category. */
  confidence: number;
  /** Every category, best first. */
  scores: CategoryScore[];
}

/** A labelled text for calibration. */
export interface LabelledText {
  text: string;
  label: string;
}

/** Categories embedded once, matched against many texts. */
export interface Matcher {
  readonly categories: readonly string[];
  /** Current softmax temperature. */
  readonly temperature: number;
  match(text: string): Promise<MatchResult>;
  matchMany(texts: readonly string[]): Promise<MatchResult[]>;
  /** Scores vectors that the caller has already embedded with the same embedder. */
  matchVector(vector: Float32Array): MatchResult;
  /** Fits the temperature on labelled texts; returns the fitted T and the NLL before and after. */
  calibrate(labelled: readonly LabelledText[]): Promise<{ temperature: number; nllBefore: number; nllAfter: number }>;
}

/**
 * Temperature used when nothing calibrates it: near the values fitted on the zero-shot and
 * few-shot sets of test/vectors/labelled-set.json (0.08-0.11).
 */
export const DEFAULT_TEMPERATURE = 0.1;

interface Prepared {
  ids: string[];
  /** Per category: its unit prototype (centroid mode) or its example vectors (knn). */
  prototypes: Float32Array[];
  examples: Float32Array[][];
}

function normalised(sum: Float64Array): Float32Array {
  let n = 0;
  for (let i = 0; i < sum.length; i++) n += sum[i]! * sum[i]!;
  const out = new Float32Array(sum.length);
  if (n === 0) return out;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < sum.length; i++) out[i] = sum[i]! * inv;
  return out;
}

/** Softmax probabilities of scores / T, computed stably. */
function softmax(scores: readonly number[], T: number): number[] {
  let max = -Infinity;
  for (const s of scores) max = Math.max(max, s);
  const e = scores.map((s) => Math.exp((s - max) / T));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/**
 * Golden-section search of the smoothed NLL over log T in [log 1e-3, log 2]. The targets are
 * label-smoothed with eps = 1 / (n + 2), Laplace's rule of succession for a classifier that made
 * no error in n trials: without it, a separable calibration set drives T to 0 and every answer
 * to a confidence of 1.
 */
function fitTemperature(rows: readonly { scores: number[]; label: number }[]): number {
  const eps = 1 / (rows.length + 2);
  const nll = (logT: number) => {
    const T = Math.exp(logT);
    let s = 0;
    for (const r of rows) {
      const p = softmax(r.scores, T);
      const others = p.length > 1 ? eps / (p.length - 1) : 0;
      for (let c = 0; c < p.length; c++) s -= (c === r.label ? 1 - eps : others) * Math.log(Math.max(p[c]!, 1e-300));
    }
    return s / rows.length;
  };
  let lo = Math.log(1e-3);
  let hi = Math.log(2);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = nll(x1);
  let f2 = nll(x2);
  for (let i = 0; i < 60; i++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = nll(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = nll(x2);
    }
  }
  return Math.exp((lo + hi) / 2);
}

function meanNll(rows: readonly { scores: number[]; label: number }[], T: number): number {
  let s = 0;
  for (const r of rows) s -= Math.log(Math.max(softmax(r.scores, T)[r.label]!, 1e-300));
  return s / rows.length;
}

function checkCategories(categories: unknown): asserts categories is readonly Category[] {
  if (!Array.isArray(categories) || categories.length === 0) throw new InvalidCategoriesError('categories must be a non-empty array');
  const seen = new Set<string>();
  for (const c of categories as unknown[]) {
    if (typeof c !== 'object' || c === null) throw new InvalidCategoriesError('a category must be an object');
    const { id, description, examples } = c as Category;
    if (typeof id !== 'string' || id.trim().length === 0) throw new InvalidCategoriesError('a category id must be a non-empty string');
    if (seen.has(id)) throw new InvalidCategoriesError(`duplicate category id ${JSON.stringify(id)}`);
    seen.add(id);
    if (description !== undefined && typeof description !== 'string') throw new InvalidCategoriesError(`description of ${id} must be a string`);
    if (examples !== undefined && (!Array.isArray(examples) || examples.some((e) => typeof e !== 'string'))) {
      throw new InvalidCategoriesError(`examples of ${id} must be an array of strings`);
    }
  }
}

/** Words of an id such as "billing_issue" or "BillingIssue", for zero-shot matching. */
function idWords(id: string): string {
  return id.replace(/[_\-./]+/g, ' ').replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2');
}

/**
 * Embeds the categories once. Categories with examples are few-shot, others zero-shot; the two
 * may be mixed. When every few-shot category has two or more examples, the temperature is fitted
 * on their leave-one-out predictions.
 */
export async function createMatcher(embedder: TextEmbedder, categories: readonly Category[], options: MatchOptions = {}): Promise<Matcher> {
  checkCategories(categories);
  const mode = options.mode ?? 'centroid';
  const k = options.k ?? 3;
  if (mode !== 'centroid' && mode !== 'knn') throw new InvalidArgumentError("mode must be 'centroid' or 'knn'");
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError('k must be a positive integer');
  if (options.temperature !== undefined && !(options.temperature > 0 && Number.isFinite(options.temperature))) {
    throw new InvalidArgumentError('temperature must be a finite number > 0');
  }
  const dim = embedder.dim;

  // One batched embed call for every text of every category, in chunks the embedder accepts.
  const texts: string[] = [];
  const owner: number[] = [];
  categories.forEach((c, ci) => {
    const hasExamples = (c.examples?.length ?? 0) > 0;
    if (c.description !== undefined && c.description.trim().length > 0) {
      texts.push(`${idWords(c.id)}: ${c.description}`);
      owner.push(ci);
    } else if (!hasExamples) {
      texts.push(idWords(c.id));
      owner.push(ci);
    }
    for (const e of c.examples ?? []) {
      texts.push(e);
      owner.push(ci);
    }
  });
  const vectors: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += embedder.maxBatchSize) {
    vectors.push(...(await embedder.embed(texts.slice(i, i + embedder.maxBatchSize))));
  }
  const prepared: Prepared = { ids: categories.map((c) => c.id), prototypes: [], examples: categories.map(() => []) };
  vectors.forEach((v, i) => prepared.examples[owner[i]!]!.push(v));
  const sums = prepared.examples.map((vs) => {
    const s = new Float64Array(dim);
    for (const v of vs) for (let d = 0; d < dim; d++) s[d]! += v[d]!;
    return s;
  });
  prepared.prototypes = sums.map(normalised);

  const scoreWith = (v: Float32Array, exclude?: { cat: number; vec: Float32Array }): number[] => {
    if (v.length !== dim) throw new DimensionMismatchError(dim, v.length);
    return prepared.ids.map((_, ci) => {
      if (mode === 'centroid') {
        if (exclude !== undefined && exclude.cat === ci) {
          // Leave-one-out centroid: the category's sum without the held-out vector.
          const s = new Float64Array(sums[ci]!);
          for (let d = 0; d < dim; d++) s[d]! -= exclude.vec[d]!;
          return cosine(v, normalised(s));
        }
        return cosine(v, prepared.prototypes[ci]!);
      }
      const sims: number[] = [];
      for (const e of prepared.examples[ci]!) if (e !== exclude?.vec) sims.push(cosine(v, e));
      if (sims.length === 0) return -1;
      sims.sort((a, b) => b - a);
      const top = sims.slice(0, Math.min(k, sims.length));
      return top.reduce((a, b) => a + b, 0) / top.length;
    });
  };

  let temperature = options.temperature ?? DEFAULT_TEMPERATURE;
  if (options.temperature === undefined) {
    const fewShot = categories.map((c) => c.examples?.length ?? 0).filter((n) => n > 0);
    if (fewShot.length >= 2 && fewShot.every((n) => n >= 2)) {
      const rows: { scores: number[]; label: number }[] = [];
      let vi = 0;
      categories.forEach((c, ci) => {
        const hasDescription = c.description !== undefined && c.description.trim().length > 0;
        if (hasDescription) vi++;
        for (let j = 0; j < (c.examples?.length ?? 0); j++) {
          const vec = vectors[vi++]!;
          rows.push({ scores: scoreWith(vec, { cat: ci, vec }), label: ci });
        }
        if (!hasDescription && (c.examples?.length ?? 0) === 0) vi++;
      });
      temperature = fitTemperature(rows);
    }
  }

  const result = (scores: number[]): MatchResult => {
    const p = softmax(scores, temperature);
    const out = prepared.ids.map((id, i) => ({ id, score: scores[i]!, probability: p[i]! }));
    // Ties break by category order, so the outcome is deterministic.
    const order = out.map((_, i) => i).sort((a, b) => out[b]!.score - out[a]!.score || a - b);
    const sorted = order.map((i) => out[i]!);
    return { best: sorted[0]!.id, confidence: sorted[0]!.probability, scores: sorted };
  };

  const matcher: Matcher = {
    categories: prepared.ids,
    get temperature() {
      return temperature;
    },
    async match(text) {
      const [v] = await embedder.embed([text]);
      return result(scoreWith(v!));
    },
    async matchMany(texts) {
      const out: MatchResult[] = [];
      for (let i = 0; i < texts.length; i += embedder.maxBatchSize) {
        for (const v of await embedder.embed(texts.slice(i, i + embedder.maxBatchSize))) out.push(result(scoreWith(v)));
      }
      return out;
    },
    matchVector(vector) {
      if (!(vector instanceof Float32Array)) throw new InvalidArgumentError('vector must be a Float32Array');
      return result(scoreWith(vector));
    },
    async calibrate(labelled) {
      if (!Array.isArray(labelled) || labelled.length === 0) throw new InvalidArgumentError('calibrate needs labelled texts');
      const labels = labelled.map((l) => {
        const i = prepared.ids.indexOf(l?.label);
        if (i < 0) throw new InvalidArgumentError(`unknown label ${JSON.stringify(l?.label)}`);
        return i;
      });
      const rows: { scores: number[]; label: number }[] = [];
      const all = labelled.map((l) => l.text);
      for (let i = 0; i < all.length; i += embedder.maxBatchSize) {
        const vs = await embedder.embed(all.slice(i, i + embedder.maxBatchSize));
        vs.forEach((v, j) => rows.push({ scores: scoreWith(v), label: labels[i + j]! }));
      }
      const nllBefore = meanNll(rows, temperature);
      temperature = fitTemperature(rows);
      return { temperature, nllBefore, nllAfter: meanNll(rows, temperature) };
    },
  };
  return matcher;
}

/** Matches one text against categories (zero-shot, few-shot or both); see {@link createMatcher}. */
export async function match(embedder: TextEmbedder, text: string, categories: readonly Category[], options?: MatchOptions): Promise<MatchResult> {
  const matcher = await createMatcher(embedder, categories, options);
  return matcher.match(text);
}
