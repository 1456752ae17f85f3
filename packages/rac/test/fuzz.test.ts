import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { testSeed } from '@edge/tooling/seed';
import { createRac, openClaim, signClaim, verifyAdmission, RacError } from '../src/index.js';
import { clock, keyFor } from './helpers.js';

const seed = testSeed();

describe('fuzz: claim decoding and the engine', () => {
  it('openClaim and submitClaim throw only typed errors; garbage changes no state', async () => {
    const c = clock();
    const rac = createRac({ now: c.now });
    const k = keyFor(seed, 1);
    const good = signClaim(k, { ctx: 'task', subject: new Uint8Array([1]), value: new Uint8Array([2]) }, { ts: c.now() });
    await rac.submitClaim(good);
    const root = rac.logRoot();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.option(fc.nat(), { nil: undefined })).map(([p, v, cut]) => {
            const b = Uint8Array.from(good);
            b[p % b.length] = v;
            return cut === undefined ? b : b.subarray(0, cut % b.length);
          }),
        ),
        async (bytes) => {
          for (const f of [() => openClaim(bytes), () => rac.submitClaim(bytes, { peer: 'p' })]) {
            try {
              await f();
            } catch (error) {
              expect(RacError.isInstance(error)).toBe(true);
            }
          }
          expect(rac.logSize).toBe(1);
          expect(rac.logRoot()).toEqual(root);
        },
      ),
      { seed, numRuns: 400 },
    );
    expect(verifyAdmission(new Uint8Array(5), '', new Uint8Array(8), 3)).toBe(false);
  });
});
