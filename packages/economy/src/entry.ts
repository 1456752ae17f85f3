/**
 * Ledger entries. An entry is an @edge/identity envelope (deterministic CBOR, Ed25519) of type
 * `edge/ledger/v1` signed by the account it changes. Its body:
 *
 *   common:  net: string   ledger name        h: uint    height in the author's chain (0 = genesis)
 *            prev: bytes32 hash of entry h-1   ts: uint   ms since epoch (= the envelope's ts)
 *            k: string     kind
 *   genesis: amt, pow (8-byte admission token)        hold:   task (32), amt
 *   pay:     task, to (32-byte key), amt, res (32), work (compute-seconds), wit (witness envelopes)
 *   recv:    pay (hash of the pay entry), amt          refund: task, amt
 *   mint:    pay (hash of the pay entry), amt (most the author asks for)
 *   stake:   amt                                       unstake: amt
 *   slash:   acc (32-byte key of the accused), ev (@edge/rac evidence)
 *
 * The envelope nonce is SHA-256("edge-net/ledger/nonce/v1" || 0x00 || CBOR(body))[0..16] and
 * its ts equals body.ts, so one body has exactly one signed form (Ed25519 is deterministic):
 * the same entry written twice is the same bytes, and two different entries at one height are
 * an equivocation, never an accident of nonces. The entry hash is SHA-256 of the envelope bytes.
 *
 * A witness attestation is an envelope of type `edge/ledger/witness` with body
 *   { net, task, res, to, work }: "I checked that worker `to` produced result `res` for `task`".
 */

import { decodeCanonical, encodeCanonical, seal, sealAsync, type Envelope, type Signer } from '@edge/identity';
import { sha256 } from '@noble/hashes/sha2.js';
import type { SequenceRule, VerifiedEvidence } from '@edge/rac';
import { EconomyArgumentError, EntryFormatError } from './errors.js';
import { MAX_AMOUNT } from './policy.js';

export const ENTRY_TYPE = 'edge/ledger/v1';
export const WITNESS_TYPE = 'edge/ledger/witness';
/** Largest entry (bytes); slash evidence is the large case. */
export const MAX_ENTRY_SIZE = 80 * 1024;
export const MAX_ENTRY_WITNESSES = 16;
export const ZERO_HASH = new Uint8Array(32);

export type EntryKind = 'genesis' | 'hold' | 'pay' | 'recv' | 'refund' | 'mint' | 'stake' | 'unstake' | 'slash';

interface Common {
  readonly net: string;
  readonly h: number;
  readonly prev: Uint8Array;
  readonly ts: number;
}
export type EntryBody = Common &
  (
    | { readonly k: 'genesis'; readonly amt: number; readonly pow: Uint8Array }
    | { readonly k: 'hold'; readonly task: Uint8Array; readonly amt: number }
    | { readonly k: 'pay'; readonly task: Uint8Array; readonly to: Uint8Array; readonly amt: number; readonly res: Uint8Array; readonly work: number; readonly wit: readonly Uint8Array[] }
    | { readonly k: 'recv'; readonly pay: Uint8Array; readonly amt: number }
    | { readonly k: 'refund'; readonly task: Uint8Array; readonly amt: number }
    | { readonly k: 'mint'; readonly pay: Uint8Array; readonly amt: number }
    | { readonly k: 'stake'; readonly amt: number }
    | { readonly k: 'unstake'; readonly amt: number }
    | { readonly k: 'slash'; readonly acc: Uint8Array; readonly ev: Uint8Array }
  );

/** The kind-specific part of a body, as callers pass it to `LedgerAccount.append`. */
export type EntryFields = EntryBody extends infer B ? (B extends EntryBody ? Omit<B, keyof Common> : never) : never;

/** A ledger entry whose signature and schema have been checked. */
export interface Entry {
  readonly hash: Uint8Array;
  /** base64url of the hash: the entry's key in the replicated map. */
  readonly key: string;
  readonly author: Uint8Array;
  readonly authorHex: string;
  readonly body: EntryBody;
  readonly bytes: Uint8Array;
  /** Witness public keys of a pay entry (signatures checked, matching the payment). */
  readonly witnesses?: readonly Uint8Array[];
  /** Verified evidence of a slash entry (signatures checked; stake rule is checked at fold). */
  readonly evidence?: VerifiedEvidence;
}

const FIELDS: Record<EntryKind, readonly string[]> = {
  genesis: ['amt', 'pow'],
  hold: ['task', 'amt'],
  pay: ['task', 'to', 'amt', 'res', 'work', 'wit'],
  recv: ['pay', 'amt'],
  refund: ['task', 'amt'],
  mint: ['pay', 'amt'],
  stake: ['amt'],
  unstake: ['amt'],
  slash: ['acc', 'ev'],
};
const COMMON = ['net', 'h', 'prev', 'ts', 'k'];
const NONCE_TAG = new TextEncoder().encode('edge-net/ledger/nonce/v1\u0000');

const isBytes = (v: unknown, len?: number): v is Uint8Array => v instanceof Uint8Array && (len === undefined || v.length === len);
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isAmount = (v: unknown): v is number => isUint(v) && v >= 1 && v <= MAX_AMOUNT;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Checks a decoded body against the schema above. Returns an error message or undefined. */
export function checkBody(body: unknown): string | undefined {
  if (!isMap(body)) return 'body must be a map';
  const k = body.k;
  if (typeof k !== 'string' || !(k in FIELDS)) return 'unknown kind';
  const want = [...COMMON, ...FIELDS[k as EntryKind]].sort();
  const have = Object.keys(body).sort();
  if (want.length !== have.length || want.some((w, i) => w !== have[i])) return `a ${k} entry has exactly the fields ${want.join(', ')}`;
  if (typeof body.net !== 'string' || body.net.length === 0 || body.net.length > 56) return 'bad net';
  if (!isUint(body.h) || body.h > 2 ** 40) return 'bad height';
  if (!isBytes(body.prev, 32)) return 'prev must be 32 bytes';
  if (!isUint(body.ts)) return 'bad ts';
  if ((body.h === 0) !== (k === 'genesis')) return 'genesis is exactly height 0';
  if (body.h === 0 && !equal(body.prev as Uint8Array, ZERO_HASH)) return 'genesis prev must be zero';
  if ('amt' in body && !isAmount(body.amt)) return `amt must be an integer in [1, ${MAX_AMOUNT}]`;
  for (const f of ['task', 'to', 'res', 'pay', 'acc'] as const) if (f in body && !isBytes(body[f], 32)) return `${f} must be 32 bytes`;
  if (k === 'genesis' && !isBytes(body.pow, 8)) return 'pow must be 8 bytes';
  if (k === 'pay') {
    if (!isUint(body.work)) return 'work must be a uint';
    if (!Array.isArray(body.wit) || body.wit.length > MAX_ENTRY_WITNESSES || body.wit.some((w) => !isBytes(w) || w.length > 2048)) return 'wit must be at most 16 witness envelopes';
  }
  if (k === 'slash' && (!isBytes(body.ev) || body.ev.length > 64 * 1024)) return 'ev must be evidence bytes';
  return undefined;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The deterministic envelope nonce of a body. */
export function entryNonce(body: EntryBody | Record<string, unknown>): Uint8Array {
  const cbor = encodeCanonical(body);
  const buf = new Uint8Array(NONCE_TAG.length + cbor.length);
  buf.set(NONCE_TAG);
  buf.set(cbor, NONCE_TAG.length);
  return sha256(buf).slice(0, 16);
}

function prepare(body: EntryBody): { body: EntryBody; nonce: Uint8Array } {
  const err = checkBody(body);
  if (err !== undefined) throw new EconomyArgumentError(`invalid entry: ${err}`);
  return { body, nonce: entryNonce(body) };
}

/** Signs an entry body (synchronous path). */
export function signEntry(signer: Signer, body: EntryBody): Uint8Array {
  const p = prepare(body);
  return seal(signer, ENTRY_TYPE, p.body, { ts: body.ts, nonce: p.nonce, maxSize: MAX_ENTRY_SIZE });
}

/** Signs an entry body on the signer's fastest path (same bytes). */
export function signEntryAsync(signer: Signer, body: EntryBody): Promise<Uint8Array> {
  const p = prepare(body);
  return sealAsync(signer, ENTRY_TYPE, p.body, { ts: body.ts, nonce: p.nonce, maxSize: MAX_ENTRY_SIZE });
}

export interface WitnessStatement {
  readonly net: string;
  readonly task: Uint8Array;
  /** Hash of the verified result. */
  readonly res: Uint8Array;
  /** Worker public key. */
  readonly to: Uint8Array;
  /** Metered compute-seconds. */
  readonly work: number;
}

/** A witness's signed statement that worker `to` produced `res` for `task` (embed it in the pay entry). */
export function signWitness(signer: Signer, s: WitnessStatement, options: { ts?: number } = {}): Uint8Array {
  if (!isBytes(s.task, 32) || !isBytes(s.res, 32) || !isBytes(s.to, 32) || !isUint(s.work) || typeof s.net !== 'string') {
    throw new EconomyArgumentError('witness statement needs net, task (32), res (32), to (32) and work (uint)');
  }
  return seal(signer, WITNESS_TYPE, { net: s.net, task: s.task, res: s.res, to: s.to, work: s.work }, { ...options, maxSize: 2048 });
}

/** Decodes a witness envelope's body (after its signature verified). */
export function witnessBody(env: Envelope): WitnessStatement | undefined {
  const b = env.body;
  if (env.type !== WITNESS_TYPE || !isMap(b)) return undefined;
  const keys = Object.keys(b).sort().join(',');
  if (keys !== 'net,res,task,to,work') return undefined;
  if (typeof b.net !== 'string' || !isBytes(b.task, 32) || !isBytes(b.res, 32) || !isBytes(b.to, 32) || !isUint(b.work)) return undefined;
  return b as unknown as WitnessStatement;
}

/** The sequence rule that makes two entries of one author at one height an equivocation for @edge/rac. */
export const LEDGER_SEQUENCE_RULE: SequenceRule = {
  type: ENTRY_TYPE,
  slot(body) {
    if (!isMap(body) || typeof body.net !== 'string' || !isUint(body.h)) return undefined;
    return `${body.net}\u0000${body.h}`;
  },
};

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (the entry key form). */
export function toKey(hash: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < hash.length; i += 3) {
    const n = (hash[i]! << 16) | (hash[i + 1]! << 8) | hash[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = hash.length - i;
  if (rest === 1) {
    const n = hash[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (hash[i]! << 16) | (hash[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]!;
  }
  return out;
}

/** SHA-256 of entry bytes. */
export function entryHash(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

/**
 * Structural decoding of entry bytes without signature checks (for tools and fuzzing; the
 * ledger verifies signatures before an entry counts). Throws EntryFormatError only.
 */
export function decodeEntry(bytes: unknown): { author: Uint8Array; body: EntryBody; sig: Uint8Array; ts: number; nonce: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new EntryFormatError('entry must be a Uint8Array');
  if (bytes.length > MAX_ENTRY_SIZE) throw new EntryFormatError('entry too large', 'too-large');
  const d = decodeCanonical(bytes);
  if (!d.ok) throw new EntryFormatError(`entry is ${d.reason} CBOR`);
  const v = d.value;
  if (!isMap(v) || v.type !== ENTRY_TYPE || v.v !== 1) throw new EntryFormatError('not a ledger entry envelope');
  if (!isBytes(v.from, 32) || !isBytes(v.sig, 64) || !isBytes(v.nonce, 16) || !isUint(v.ts)) throw new EntryFormatError('bad envelope fields');
  const err = checkBody(v.body);
  if (err !== undefined) throw new EntryFormatError(err);
  const body = v.body as EntryBody;
  if (body.ts !== v.ts) throw new EntryFormatError('envelope ts differs from body ts', 'bad-nonce');
  if (!equal(entryNonce(body), v.nonce)) throw new EntryFormatError('nonce is not derived from the body', 'bad-nonce');
  return { author: v.from, body, sig: v.sig, ts: v.ts, nonce: v.nonce };
}
