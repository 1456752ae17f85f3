/**
 * Evidence: signed material that proves a fault by one author. Only evidence that verifies here
 * quarantines or slashes anyone; an accusation without it changes nothing.
 *
 * Wire form: deterministic CBOR of { v: 1, kind, a, b?, w? } (at most 64 KiB), where a, b and
 * every w[i] are signed @edge/identity envelopes:
 *
 * | kind           | proves                 | material                                                          |
 * |----------------|------------------------|-------------------------------------------------------------------|
 * | `equivocation` | equivocation           | a, b: two envelopes of one author, same type and sequence slot,    |
 * |                |                        | different bodies (a double spend on a ledger is one of these)      |
 * | `wrong-result` | wrong result           | a: the author's signed claim; w: claims of >= minWitnesses other   |
 * |                |                        | authors on the same ctx/subject agreeing on a different value      |
 * | `timeout`      | timeout                | a: the author's signed claim with a deadline; w: claims of other   |
 * |                |                        | authors (ctx `rac/timeout`, subject = id of a) signed after it     |
 * | `nonce-reuse`  | protocol violation     | a, b: two different envelopes of one author with the same nonce    |
 *
 * Canonical form: a < b bytewise and w strictly increasing, so one fault has one encoding.
 * A fault key names the fault itself (author + slot), so it is punished once however many
 * encodings of evidence for it exist. Witness rules: distinct, not the accused, and (when a
 * stake function is given) together holding at least `minWitnessStake` and more than twice the
 * accused's stake, i.e. more than 2/3 of the stake of everyone named in the evidence.
 */

import { decodeCanonical, encodeCanonical, open, openSync, toHex, type Envelope, type Verifier } from '@edge/identity';
import { CLAIM_TYPE, contentId } from './claim.js';
import { EvidenceError, RacArgumentError } from './errors.js';
import { compareBytes, hasExactKeys, isBytes, isPlainMap, utf8 } from './hash.js';

export const MAX_EVIDENCE_SIZE = 64 * 1024;
export const MAX_WITNESSES = 32;
export const TIMEOUT_CTX = 'rac/timeout';
const INNER_MAX = 16 * 1024;

export type EvidenceKind = 'equivocation' | 'wrong-result' | 'timeout' | 'nonce-reuse';
export type Fault = 'equivocation' | 'wrong-result' | 'timeout' | 'protocol-violation';

/** A type of sequenced envelope: two bodies of one author in the same slot are an equivocation. */
export interface SequenceRule {
  readonly type: string;
  /** The slot of a body (e.g. a ledger height), or undefined when the body has none. */
  slot(body: unknown): string | undefined;
}

/** rac's own rule: one author, one value per (ctx, subject). */
export const CLAIM_SEQUENCE_RULE: SequenceRule = {
  type: CLAIM_TYPE,
  slot(body) {
    if (!isPlainMap(body) || typeof body.ctx !== 'string' || !isBytes(body.subject)) return undefined;
    return `${body.ctx}\u0000${toHex(body.subject)}`;
  },
};

export interface EvidenceOptions {
  verifier?: Verifier;
  /** Sequenced envelope types besides `rac/claim`. */
  rules?: readonly SequenceRule[];
  /** Fewest witnesses for `wrong-result` and `timeout`. Default 2. */
  minWitnesses?: number;
  /** Stake of an author, for the witness stake rule; without it stake is not checked. */
  stakeOf?: (publicKey: Uint8Array) => number;
  /** Least total witness stake (only with `stakeOf`). Default 0. */
  minWitnessStake?: number;
}

/** Evidence that verified. */
export interface VerifiedEvidence {
  /** Content address of the evidence bytes. */
  readonly id: Uint8Array;
  readonly kind: EvidenceKind;
  readonly fault: Fault;
  /** Public key of the author at fault. */
  readonly accused: Uint8Array;
  /** Names the fault itself; the same fault always has the same key. */
  readonly faultKey: string;
  /** Witness public keys (wrong-result, timeout). */
  readonly witnesses: readonly Uint8Array[];
  /** The decoded envelopes: a, b (if any), then the witnesses. */
  readonly envelopes: readonly Envelope[];
  readonly bytes: Uint8Array;
}

interface Parsed {
  kind: EvidenceKind;
  a: Uint8Array;
  b?: Uint8Array;
  w: Uint8Array[];
}

const KINDS: readonly EvidenceKind[] = ['equivocation', 'wrong-result', 'timeout', 'nonce-reuse'];

function fail(reason: string, message: string): never {
  throw new EvidenceError(reason, message);
}

function strictlyIncreasing(list: readonly Uint8Array[]): boolean {
  for (let i = 1; i < list.length; i++) if (compareBytes(list[i - 1]!, list[i]!) >= 0) return false;
  return true;
}

/** Structural decoding (no signature checks). Throws EvidenceError; never anything else. */
export function decodeEvidence(bytes: unknown): Parsed {
  if (!isBytes(bytes)) fail('malformed', 'evidence must be a Uint8Array');
  if (bytes.length > MAX_EVIDENCE_SIZE) fail('too-large', `evidence exceeds ${MAX_EVIDENCE_SIZE} bytes`);
  const d = decodeCanonical(bytes);
  if (!d.ok) fail('malformed', `evidence is ${d.reason} CBOR`);
  const v = d.value;
  if (!isPlainMap(v) || !hasExactKeys(v, ['v', 'kind', 'a'], ['b', 'w'])) fail('malformed', 'evidence must be { v, kind, a, b?, w? }');
  if (v.v !== 1) fail('malformed', 'unsupported evidence version');
  if (typeof v.kind !== 'string' || !KINDS.includes(v.kind as EvidenceKind)) fail('malformed', 'unknown evidence kind');
  const kind = v.kind as EvidenceKind;
  if (!isBytes(v.a) || v.a.length > INNER_MAX) fail('malformed', 'a must be signed bytes');
  const pair = kind === 'equivocation' || kind === 'nonce-reuse';
  if (pair) {
    if (!isBytes(v.b) || v.b.length > INNER_MAX || 'w' in v) fail('malformed', `${kind} evidence is { a, b }`);
    if (compareBytes(v.a, v.b) >= 0) fail('non-canonical', 'a must sort before b and differ from it');
    return { kind, a: v.a, b: v.b, w: [] };
  }
  if ('b' in v || !Array.isArray(v.w) || v.w.length === 0 || v.w.length > MAX_WITNESSES) fail('malformed', `${kind} evidence is { a, w: [1..${MAX_WITNESSES}] }`);
  const w = v.w as unknown[];
  for (const x of w) if (!isBytes(x) || x.length > INNER_MAX) fail('malformed', 'witnesses must be signed bytes');
  if (!strictlyIncreasing(w as Uint8Array[])) fail('non-canonical', 'witnesses must be strictly increasing');
  return { kind, a: v.a, w: w as Uint8Array[] };
}

function encode(p: Parsed): Uint8Array {
  const value: Record<string, unknown> = { v: 1, kind: p.kind, a: p.a };
  if (p.b !== undefined) value.b = p.b;
  if (p.w.length > 0) value.w = p.w;
  const bytes = encodeCanonical(value);
  if (bytes.length > MAX_EVIDENCE_SIZE) throw new RacArgumentError('evidence would exceed 64 KiB');
  return bytes;
}

function pair(kind: 'equivocation' | 'nonce-reuse', x: Uint8Array, y: Uint8Array): Uint8Array {
  if (!isBytes(x) || !isBytes(y)) throw new RacArgumentError('evidence parts must be Uint8Arrays');
  const [a, b] = compareBytes(x, y) <= 0 ? [x, y] : [y, x];
  return encode({ kind, a, b, w: [] });
}

/** Evidence that one author signed two different bodies in one sequence slot. */
export function equivocationEvidence(x: Uint8Array, y: Uint8Array): Uint8Array {
  return pair('equivocation', x, y);
}

/** Evidence that one author signed two different envelopes with one nonce. */
export function nonceReuseEvidence(x: Uint8Array, y: Uint8Array): Uint8Array {
  return pair('nonce-reuse', x, y);
}

function withWitnesses(kind: 'wrong-result' | 'timeout', a: Uint8Array, witnesses: readonly Uint8Array[]): Uint8Array {
  if (!isBytes(a) || !Array.isArray(witnesses) || witnesses.some((w) => !isBytes(w))) throw new RacArgumentError('evidence parts must be Uint8Arrays');
  const w = [...witnesses].sort(compareBytes).filter((x, i, all) => i === 0 || compareBytes(all[i - 1]!, x) !== 0);
  return encode({ kind, a, w });
}

/** Evidence that `claim`'s value is wrong: `witnesses` sign the agreed correct value. */
export function wrongResultEvidence(claim: Uint8Array, witnesses: readonly Uint8Array[]): Uint8Array {
  return withWitnesses('wrong-result', claim, witnesses);
}

/** Evidence that a claim with a deadline was not honoured: witnesses signed after the deadline. */
export function timeoutEvidence(accept: Uint8Array, witnesses: readonly Uint8Array[]): Uint8Array {
  return withWitnesses('timeout', accept, witnesses);
}

function bodyBytes(env: Envelope): Uint8Array {
  return encodeCanonical(env.body);
}

function claimFields(env: Envelope): { ctx: string; subject: Uint8Array; value: Uint8Array; deadline?: number } {
  const b = env.body;
  if (env.type !== CLAIM_TYPE || !isPlainMap(b) || typeof b.ctx !== 'string' || utf8(b.ctx).length > 64 || !isBytes(b.subject) || !isBytes(b.value)) {
    fail('malformed', 'expected a rac/claim');
  }
  if (b.deadline !== undefined && (typeof b.deadline !== 'number' || !Number.isSafeInteger(b.deadline))) fail('malformed', 'bad deadline');
  return b as { ctx: string; subject: Uint8Array; value: Uint8Array; deadline?: number };
}

function check(parsed: Parsed, envs: Envelope[], bytes: Uint8Array, options: EvidenceOptions): VerifiedEvidence {
  const a = envs[0]!;
  const accused = a.from;
  const accusedHex = toHex(accused);
  const base = { id: contentId(bytes), kind: parsed.kind, accused, envelopes: envs, bytes };
  if (parsed.kind === 'equivocation' || parsed.kind === 'nonce-reuse') {
    const b = envs[1]!;
    if (toHex(b.from) !== accusedHex) fail('different-authors', 'the two envelopes have different authors');
    if (parsed.kind === 'nonce-reuse') {
      if (toHex(a.nonce) !== toHex(b.nonce)) fail('different-nonces', 'the two envelopes have different nonces');
      return { ...base, fault: 'protocol-violation', faultKey: `protocol-violation:${accusedHex}:${toHex(a.nonce)}`, witnesses: [] };
    }
    if (a.type !== b.type) fail('different-types', 'the two envelopes have different types');
    const rule = [CLAIM_SEQUENCE_RULE, ...(options.rules ?? [])].find((r) => r.type === a.type);
    if (rule === undefined) fail('not-sequenced', `type ${a.type} has no sequence rule`);
    const sa = rule.slot(a.body);
    const sb = rule.slot(b.body);
    if (sa === undefined || sb === undefined || sa !== sb) fail('different-slots', 'the two envelopes are not in the same slot');
    if (compareBytes(bodyBytes(a), bodyBytes(b)) === 0) fail('same-body', 'the two envelopes sign the same body');
    return { ...base, fault: 'equivocation', faultKey: `equivocation:${accusedHex}:${a.type}:${sa}`, witnesses: [] };
  }
  const claim = claimFields(a);
  const witnesses: Uint8Array[] = [];
  const seen = new Set<string>([accusedHex]);
  let agreed: Uint8Array | undefined;
  const aId = contentId(parsed.a);
  for (const w of envs.slice(1)) {
    const wc = claimFields(w);
    const hex = toHex(w.from);
    if (seen.has(hex)) fail('witness-not-independent', 'a witness is the accused or appears twice');
    seen.add(hex);
    if (parsed.kind === 'wrong-result') {
      if (wc.ctx !== claim.ctx || compareBytes(wc.subject, claim.subject) !== 0) fail('witness-off-subject', 'a witness speaks of another subject');
      if (agreed === undefined) agreed = wc.value;
      else if (compareBytes(agreed, wc.value) !== 0) fail('witness-disagree', 'the witnesses do not agree');
    } else {
      if (claim.deadline === undefined) fail('no-deadline', 'timeout evidence needs a claim with a deadline');
      if (wc.ctx !== TIMEOUT_CTX || compareBytes(wc.subject, aId) !== 0) fail('witness-off-subject', 'a witness speaks of another claim');
      if (!(w.ts > claim.deadline)) fail('not-late', 'a witness signed before the deadline');
    }
    witnesses.push(w.from);
  }
  if (parsed.kind === 'wrong-result' && agreed !== undefined && compareBytes(agreed, claim.value) === 0) fail('not-wrong', 'the witnesses agree with the accused');
  const minWitnesses = options.minWitnesses ?? 2;
  if (witnesses.length < minWitnesses) fail('too-few-witnesses', `need ${minWitnesses} witnesses, got ${witnesses.length}`);
  const faultKey = parsed.kind === 'wrong-result' ? `wrong-result:${accusedHex}:${claim.ctx}:${toHex(claim.subject)}` : `timeout:${accusedHex}:${toHex(aId)}`;
  const ev: VerifiedEvidence = { ...base, fault: parsed.kind, faultKey, witnesses };
  if (options.stakeOf !== undefined) checkWitnessStake(ev, options.stakeOf, options.minWitnessStake ?? 0);
  return ev;
}

/**
 * The witness stake rule on evidence that already verified (for callers whose stake view changes,
 * e.g. a ledger fold): witnesses hold >= `minStake` together and more than twice the accused's stake.
 */
export function checkWitnessStake(ev: VerifiedEvidence, stakeOf: (publicKey: Uint8Array) => number, minStake = 0): void {
  if (ev.witnesses.length === 0) return;
  let total = 0;
  for (const w of ev.witnesses) {
    const s = stakeOf(w);
    total += Number.isFinite(s) && s > 0 ? s : 0;
  }
  const accusedStake = Math.max(0, stakeOf(ev.accused) || 0);
  if (total < minStake || !(total > 2 * accusedStake) || total === 0) fail('witness-stake', 'witnesses hold too little stake');
}

const OPEN = { maxSize: INNER_MAX } as const;

function wrapOpenError(error: unknown): never {
  const code = (error as { code?: string } | null)?.code;
  if (code === 'ERR_ENVELOPE_BAD_SIGNATURE') fail('bad-signature', 'a signature in the evidence does not verify');
  fail('malformed', 'an envelope in the evidence is malformed');
}

/** Verifies evidence (structure, every signature, the rules above) on the synchronous path. */
export function verifyEvidenceSync(bytes: Uint8Array, options: EvidenceOptions = {}): VerifiedEvidence {
  const parsed = decodeEvidence(bytes);
  const parts = [parsed.a, ...(parsed.b !== undefined ? [parsed.b] : []), ...parsed.w];
  const envs: Envelope[] = [];
  for (const p of parts) {
    try {
      envs.push(openSync(p, { ...OPEN, ...(options.verifier ? { verifier: options.verifier } : {}) }));
    } catch (error) {
      wrapOpenError(error);
    }
  }
  return check(parsed, envs, bytes, options);
}

/** Verifies evidence on the fastest signature path. Throws EvidenceError unless it proves a fault. */
export async function verifyEvidence(bytes: Uint8Array, options: EvidenceOptions = {}): Promise<VerifiedEvidence> {
  const parsed = decodeEvidence(bytes);
  const parts = [parsed.a, ...(parsed.b !== undefined ? [parsed.b] : []), ...parsed.w];
  const settled = await Promise.all(
    parts.map((p) => open(p, { ...OPEN, ...(options.verifier ? { verifier: options.verifier } : {}) }).then((e) => e, (error: unknown) => error as Error)),
  );
  const envs: Envelope[] = [];
  for (const s of settled) {
    if (s instanceof Error) wrapOpenError(s);
    envs.push(s);
  }
  return check(parsed, envs, bytes, options);
}
