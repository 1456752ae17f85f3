/**
 * Deterministic CBOR (RFC 8949 section 4.2.1, "core deterministic encoding") via cborg.
 *
 * Encoding: definite lengths, shortest integer and float forms, map keys sorted by their encoded
 * bytes (cborg's default for string keys is the same order). Decoding is strict: no undefined,
 * no indefinite lengths, no NaN/Infinity, no duplicate map keys, no tags, and then the value is
 * re-encoded and compared byte for byte, so only the one canonical encoding of a value is
 * accepted. That closes signature-malleability through alternative encodings.
 */

import { decode, encode } from 'cborg';
import { equalBytes } from './bytes.js';

const DECODE_OPTIONS = {
  strict: true,
  allowUndefined: false,
  allowIndefinite: false,
  allowNaN: false,
  allowInfinity: false,
  allowBigInt: true,
  rejectDuplicateMapKeys: true,
  useMaps: false,
  retainStringBytes: false,
  tags: [],
} as const;

// Accepts every well-formed CBOR item, to tell "not canonical" apart from "not CBOR at all".
const LENIENT_OPTIONS = {
  strict: false,
  allowUndefined: true,
  allowIndefinite: true,
  allowNaN: true,
  allowInfinity: true,
  allowBigInt: true,
  rejectDuplicateMapKeys: false,
  useMaps: true,
  tags: [],
} as const;

function wellFormed(bytes: Uint8Array): boolean {
  try {
    decode(bytes, LENIENT_OPTIONS);
    return true;
  } catch {
    return false;
  }
}

/** Encodes a value deterministically. Throws for values CBOR cannot carry (functions, undefined...). */
export function encodeCanonical(value: unknown): Uint8Array {
  const out = encode(value);
  // cborg may hand back a Node Buffer (a subclass whose slice() shares memory, and which some
  // consumers such as yjs refuse); always return a plain Uint8Array.
  return out.constructor === Uint8Array ? out : new Uint8Array(out);
}

export type DecodeResult = { ok: true; value: unknown } | { ok: false; reason: 'malformed' | 'non-canonical'; detail?: string };

/** Strictly decodes one CBOR item and checks that `bytes` is its canonical encoding. Never throws. */
export function decodeCanonical(bytes: Uint8Array): DecodeResult {
  let value: unknown;
  try {
    value = decode(bytes, DECODE_OPTIONS);
  } catch (error) {
    // Strict decoding also fails on non-minimal lengths, indefinite items and duplicate keys;
    // those are well-formed CBOR that is not in canonical form.
    if (wellFormed(bytes)) return { ok: false, reason: 'non-canonical' };
    return { ok: false, reason: 'malformed', detail: error instanceof Error ? error.message : String(error) };
  }
  let again: Uint8Array;
  try {
    again = encode(value);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!equalBytes(again, bytes)) return { ok: false, reason: 'non-canonical' };
  return { ok: true, value };
}
