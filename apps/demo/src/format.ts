/** How the dashboard prints numbers (the end-to-end test reads them back the same way). */

import { shortIdOf, fromHex } from '@edge/identity';
import { UNITS_PER_RUV } from '@edge/economy';

/** Base units as rUv with all six decimals, so every displayed amount is exact. */
export function ruv(units: number): string {
  const sign = units < 0 ? '-' : '';
  const a = Math.abs(Math.trunc(units));
  return `${sign}${Math.floor(a / UNITS_PER_RUV)}.${String(a % UNITS_PER_RUV).padStart(6, '0')}`;
}

export function fixed(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

export function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—';
}

/** `π:xxxxxxxx` of a hex public key (the same short id the node shows for itself). */
export function shortOf(hex: string): string {
  try {
    return shortIdOf(fromHex(hex));
  } catch {
    return `${hex.slice(0, 8)}…`;
  }
}
