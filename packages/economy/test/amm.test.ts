import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { testSeed } from '@edge/tooling/seed';
import { createPool, EconomyError, type SwapSide } from '../src/index.js';

const seed = testSeed();
const side = fc.constantFrom<SwapSide>('ruv-to-compute', 'compute-to-ruv');
const reserve = fc.bigInt({ min: 1_000n, max: 10n ** 15n });
const swapArb = fc.record({ side, amount: fc.bigInt({ min: 1n, max: 10n ** 14n }), min: fc.bigInt({ min: 0n, max: 10n ** 12n }) });

describe('AMM invariants (fast-check)', () => {
  it('k never decreases, whatever the sequence of swaps', () => {
    fc.assert(
      fc.property(reserve, reserve, fc.array(swapArb, { maxLength: 40 }), (x, y, swaps) => {
        const pool = createPool({ ruv: x, compute: y });
        let k = pool.state().k;
        for (const s of swaps) {
          try {
            pool.swap(s.side, s.amount, s.min);
          } catch (error) {
            if (!EconomyError.isInstance(error)) throw error;
          }
          const k2 = pool.state().k;
          expect(k2 >= k).toBe(true);
          k = k2;
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it('no swap yields something for nothing: a round trip never returns more than it took', () => {
    fc.assert(
      fc.property(reserve, reserve, fc.bigInt({ min: 1n, max: 10n ** 13n }), side, (x, y, amount, first) => {
        const pool = createPool({ ruv: x, compute: y });
        const back: SwapSide = first === 'ruv-to-compute' ? 'compute-to-ruv' : 'ruv-to-compute';
        let out1: bigint;
        try {
          out1 = pool.swap(first, amount, 0n).amountOut;
        } catch (error) {
          if (!EconomyError.isInstance(error)) throw error;
          return;
        }
        let out2 = 0n;
        try {
          out2 = pool.swap(back, out1, 0n).amountOut;
        } catch (error) {
          if (!EconomyError.isInstance(error)) throw error;
        }
        expect(out2 <= amount).toBe(true);
        // And the output of a swap is below its input's value at the pre-swap spot price.
        const [rin, rout] = first === 'ruv-to-compute' ? [x, y] : [y, x];
        expect(out1 * rin <= amount * rout).toBe(true);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('fees accrue to the pool: reserves end above a fee-free pool after the same swap', () => {
    fc.assert(
      fc.property(reserve, reserve, fc.bigInt({ min: 1000n, max: 10n ** 13n }), side, (x, y, amount, s) => {
        const fee = createPool({ ruv: x, compute: y, feeMinPpm: 3000, feeMaxPpm: 30000 });
        const free = createPool({ ruv: x, compute: y, feeMinPpm: 0, feeMaxPpm: 0 });
        let a, b;
        try {
          a = fee.swap(s, amount, 0n);
          b = free.swap(s, amount, 0n);
        } catch (error) {
          if (!EconomyError.isInstance(error)) throw error;
          return;
        }
        expect(a.fee > 0n).toBe(true);
        expect(a.amountOut <= b.amountOut).toBe(true);
        expect(fee.state().k >= free.state().k).toBe(true);
        const st = fee.state();
        expect(s === 'ruv-to-compute' ? st.feesRuv : st.feesCompute).toBe(a.fee);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('quote equals swap; a slippage bound refuses and changes nothing', () => {
    fc.assert(
      fc.property(reserve, reserve, swapArb, (x, y, s) => {
        const pool = createPool({ ruv: x, compute: y });
        let q;
        try {
          q = pool.quote(s.side, s.amount);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ERR_ECONOMY_LIQUIDITY');
          return;
        }
        const before = pool.state();
        expect(() => pool.swap(s.side, s.amount, q.amountOut + 1n)).toThrow(/minimum/);
        expect(pool.state()).toEqual(before);
        expect(pool.swap(s.side, s.amount, q.amountOut).amountOut).toBe(q.amountOut);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('priceFor(n) is the least input that buys n compute units', () => {
    fc.assert(
      fc.property(reserve, reserve, fc.bigInt({ min: 1n, max: 10n ** 9n }), (x, y, n) => {
        const pool = createPool({ ruv: x, compute: y });
        if (n >= y) {
          expect(() => pool.priceFor(n)).toThrow();
          return;
        }
        const price = pool.priceFor(n);
        expect(pool.quote('ruv-to-compute', price).amountOut >= n).toBe(true);
        if (price > 1n) {
          let less = 0n;
          try {
            less = pool.quote('ruv-to-compute', price - 1n).amountOut;
          } catch {
            less = 0n;
          }
          expect(less < n).toBe(true);
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it('the fee grows with utilization', () => {
    const pool = createPool({ ruv: 1_000_000n, compute: 1_000_000n, feeMinPpm: 1000, feeMaxPpm: 30000 });
    const fees: number[] = [pool.feePpm()];
    for (let i = 0; i < 8; i++) {
      pool.swap('ruv-to-compute', 200_000n, 0n);
      fees.push(pool.feePpm());
    }
    for (let i = 1; i < fees.length; i++) expect(fees[i]!).toBeGreaterThanOrEqual(fees[i - 1]!);
    expect(fees[0]).toBe(1000);
    expect(fees.at(-1)!).toBeGreaterThan(1000);
    expect(pool.utilization()).toBeGreaterThan(0.5);
  });
});
