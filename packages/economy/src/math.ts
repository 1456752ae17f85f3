/**
 * Deterministic arithmetic for consensus values. Every replica (V8, SpiderMonkey, JavaScriptCore)
 * must compute the same bonus and the same reputation, but ECMAScript does not pin the results of
 * Math.exp / Math.pow / Math.log. IEEE 754 +, -, *, / with round-to-nearest are pinned, so the
 * exponential here uses only those: range reduction x = n ln2 + r (0 <= r < ln2), a fixed
 * 24-term Taylor series for e^-r evaluated in a fixed order (error < 2^-60 on [0, ln2)), and an
 * exact scaling by 2^-n.
 */

const LN2 = 0.6931471805599453;

/** e^(-x) for x >= 0, bit-identical on every conforming engine. */
export function expNeg(x: number): number {
  if (!(x > 0)) return 1;
  if (x > 745) return 0;
  const n = Math.floor(x / LN2);
  const r = x - n * LN2;
  // Horner form of sum_{i=0}^{24} (-r)^i / i!
  let sum = 1;
  for (let i = 24; i >= 1; i--) sum = 1 - (r / i) * sum;
  // Exact multiplication by 2^-n in steps that never underflow prematurely.
  let out = sum;
  let k = n;
  while (k >= 30) {
    out *= 1 / 1073741824;
    k -= 30;
  }
  return out / (1 << k);
}

/** 2^(-t / halfLife): the decay factor after time t. */
export function halfLifeDecay(t: number, halfLife: number): number {
  if (!(t > 0)) return 1;
  return expNeg((t / halfLife) * LN2);
}
