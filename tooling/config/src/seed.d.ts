/** The run's seed: TEST_SEED when set, otherwise a fresh one. Printed once per process. */
export declare function testSeed(): number;
/** A small, fast, seeded PRNG returning floats in [0, 1). */
export declare function prng(seed: number): () => number;
/** Fills a Uint8Array of `length` bytes from `rand`. */
export declare function seededBytes(rand: () => number, length: number): Uint8Array;
