// Hash and byte helpers shared by the modules of this package (not part of the public API).

import { sha256 } from '@noble/hashes/sha2.js';

// UTF-8, concatenation and the domain-separation tag (UTF-8 tag + 0x00) are @edge/identity's, so
// every package separates domains the same way.
export { utf8, domainTag, concatBytes as concat } from '@edge/identity';

export { sha256 };

/** Lexicographic comparison of byte strings (shorter prefix first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

export function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** True when `record` has exactly `required` keys plus any subset of `optional`. */
export function hasExactKeys(record: Record<string, unknown>, required: readonly string[], optional: readonly string[] = []): boolean {
  const keys = Object.keys(record);
  for (const k of required) if (!(k in record)) return false;
  for (const k of keys) if (!required.includes(k) && !optional.includes(k)) return false;
  return true;
}
