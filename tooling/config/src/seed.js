// Seeds for randomized tests. Every randomized test takes its seed from here so that a failure
// can be replayed with TEST_SEED=<n>; the seed is printed once per process.

let printed = false;

/** The run's seed: TEST_SEED when set, otherwise a fresh one. Printed once. */
export function testSeed() {
  const env = typeof process !== 'undefined' ? process.env.TEST_SEED : undefined;
  const seed = env !== undefined && env !== '' ? Number.parseInt(env, 10) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  if (!printed) {
    printed = true;
    console.log(`[seed] TEST_SEED=${seed}`);
  }
  return seed;
}

/** A small, fast, seeded PRNG (sfc32) returning floats in [0, 1). */
export function prng(seed) {
  let a = 0x9e3779b9 ^ seed, b = 0x243f6a88, c = 0xb7e15162, d = seed | 0;
  const next = () => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Fills a Uint8Array from a seeded PRNG. */
export function seededBytes(rand, length) {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (rand() * 256) | 0;
  return out;
}
