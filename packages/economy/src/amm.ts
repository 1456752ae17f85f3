/**
 * Constant-product pool (x * y = k, as in Uniswap v2: Adams, Zinsmeister & Robinson 2020)
 * between rUv (x) and compute units (y). Exact integer (BigInt) arithmetic; every rounding goes
 * in the pool's favour, so k never decreases and no sequence of swaps returns more than it took.
 *
 * Fee: charged on the input and kept in the pool (it raises k). It grows with utilization
 *   u   = max(0, 1 - y / y0)       (share of the provisioned compute already bought)
 *   fee = feeMin + (feeMax - feeMin) * u^2     (parts per million)
 * so the price of the last compute units rises faster than the curve alone when capacity is
 * scarce. Swaps never block: a swap either completes atomically or throws and changes nothing.
 */

import { EconomyArgumentError, LiquidityError, SlippageError } from './errors.js';

export type SwapSide = 'ruv-to-compute' | 'compute-to-ruv';

export interface PoolOptions {
  /** Initial rUv reserve (base units) and compute reserve (units). */
  ruv: bigint | number;
  compute: bigint | number;
  /** Fee at zero and at full utilization, parts per million. Defaults 1 000 (0.1%) and 30 000 (3%). */
  feeMinPpm?: number;
  feeMaxPpm?: number;
}

export interface Quote {
  readonly side: SwapSide;
  readonly amountIn: bigint;
  readonly amountOut: bigint;
  /** Part of amountIn kept by the pool as fee. */
  readonly fee: bigint;
  readonly feePpm: number;
}

export interface PoolState {
  readonly ruv: bigint;
  readonly compute: bigint;
  /** The compute reserve utilization is measured against. */
  readonly computeTarget: bigint;
  readonly k: bigint;
  readonly feesRuv: bigint;
  readonly feesCompute: bigint;
}

export interface Pool {
  /** What a swap of `amountIn` would return now. Throws LiquidityError when it returns nothing. */
  quote(side: SwapSide, amountIn: bigint | number): Quote;
  /** Swaps, or throws SlippageError / LiquidityError and changes nothing. */
  swap(side: SwapSide, amountIn: bigint | number, minOut: bigint | number): Quote;
  /** rUv needed now to buy exactly `computeUnits` (the task price). */
  priceFor(computeUnits: bigint | number): bigint;
  /** Current fee in ppm. */
  feePpm(): number;
  /** Utilization u in [0, 1]. */
  utilization(): number;
  state(): PoolState;
}

const PPM = 1_000_000n;

function toBig(v: bigint | number, name: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new EconomyArgumentError(`${name} must be an integer`);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

export function createPool(options: PoolOptions): Pool {
  let x = toBig(options.ruv, 'ruv');
  let y = toBig(options.compute, 'compute');
  if (x <= 0n || y <= 0n) throw new EconomyArgumentError('reserves must be positive');
  const y0 = y;
  const feeMin = options.feeMinPpm ?? 1_000;
  const feeMax = options.feeMaxPpm ?? 30_000;
  if (!Number.isInteger(feeMin) || !Number.isInteger(feeMax) || feeMin < 0 || feeMax < feeMin || feeMax >= 1_000_000) {
    throw new EconomyArgumentError('fees must be integers with 0 <= feeMin <= feeMax < 1e6');
  }
  let feesRuv = 0n;
  let feesCompute = 0n;

  const utilPpm = (): bigint => (y >= y0 ? 0n : ((y0 - y) * PPM) / y0);
  const feeNow = (): bigint => BigInt(feeMin) + (BigInt(feeMax - feeMin) * utilPpm() * utilPpm()) / (PPM * PPM);

  const quote = (side: SwapSide, amountIn: bigint | number): Quote => {
    if (side !== 'ruv-to-compute' && side !== 'compute-to-ruv') throw new EconomyArgumentError('unknown swap side');
    const dx = toBig(amountIn, 'amountIn');
    if (dx <= 0n) throw new EconomyArgumentError('amountIn must be positive');
    const [rin, rout] = side === 'ruv-to-compute' ? [x, y] : [y, x];
    const f = feeNow();
    const fee = ceilDiv(dx * f, PPM);
    const eff = dx - fee;
    // Output rounded down: the pool never pays a fraction it did not receive.
    const out = eff <= 0n ? 0n : (rout * eff) / (rin + eff);
    if (out <= 0n) throw new LiquidityError('the swap is too small to return anything');
    return { side, amountIn: dx, amountOut: out, fee, feePpm: Number(f) };
  };

  return {
    quote,
    swap(side, amountIn, minOut) {
      const q = quote(side, amountIn);
      const min = toBig(minOut, 'minOut');
      if (q.amountOut < min) throw new SlippageError(q.amountOut, min);
      if (side === 'ruv-to-compute') {
        x += q.amountIn;
        y -= q.amountOut;
        feesRuv += q.fee;
      } else {
        y += q.amountIn;
        x -= q.amountOut;
        feesCompute += q.fee;
      }
      return q;
    },
    priceFor(computeUnits) {
      const dy = toBig(computeUnits, 'computeUnits');
      if (dy <= 0n) throw new EconomyArgumentError('computeUnits must be positive');
      if (dy >= y) throw new LiquidityError(`the pool holds only ${y} compute units`);
      const f = feeNow();
      // Smallest effective input giving dy, then gross it up for the fee; the loop corrects
      // the (at most one or two units of) rounding so quote(price) >= dy always holds.
      const eff = ceilDiv(x * dy, y - dy);
      let dx = ceilDiv(eff * PPM, PPM - f);
      for (;;) {
        const fee = ceilDiv(dx * f, PPM);
        if (((dx - fee) * y) / (x + dx - fee) >= dy) return dx;
        dx += 1n;
      }
    },
    feePpm: () => Number(feeNow()),
    utilization: () => Number(utilPpm()) / 1e6,
    state: () => ({ ruv: x, compute: y, computeTarget: y0, k: x * y, feesRuv, feesCompute }),
  };
}
