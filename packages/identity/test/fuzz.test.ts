import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCanonical, GenesisKey, IdentityError, PiKey, SessionKey } from '../src/index.js';
import { SEED } from './helpers.js';

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!IdentityError.isInstance(error)) throw error;
  }
}

async function onlyTypedAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'OK';
  } catch (error) {
    if (!IdentityError.isInstance(error)) throw error;
    return error.code;
  }
}

describe(`public parsers under random and mutated input (seed ${SEED})`, () => {
  it('decodeCanonical never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeCanonical(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { seed: SEED, numRuns: 5000 },
    );
  });

  it('GenesisKey.decode throws only typed errors and accepts only the original', () => {
    const original = GenesisKey.create(PiKey.generate(), 'fuzz-net', 3).encode();
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const t = original.slice();
        t[i]! ^= x;
        return t;
      })), (bytes) => {
        onlyTyped(() => GenesisKey.decode(bytes));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('SessionKey.decrypt throws only typed errors on random ciphertexts', async () => {
    const s = SessionKey.create(PiKey.generate(), 60);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        expect(await onlyTypedAsync(() => s.decrypt(bytes))).not.toBe('OK');
        onlyTyped(() => s.decryptSync(bytes));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('PiKey.restore and SessionKey.accept throw only typed errors on random bytes', async () => {
    const me = PiKey.generate();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), async (bytes) => {
        expect(await onlyTypedAsync(() => PiKey.restore(bytes, 'password-long-enough'))).not.toBe('OK');
        expect(await onlyTypedAsync(() => SessionKey.accept(me, bytes))).not.toBe('OK');
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
