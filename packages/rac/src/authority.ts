/**
 * Authorities, decisions and stake-weighted votes.
 *
 * A context (a ledger, a task family) may register an authority: a set of members with weights
 * (stake). A decision is accepted only when members of the context's authority holding more
 * than 2/3 of its weight signed the same decision body; so up to f < 1/3 of the weight can be
 * Byzantine (Lamport, Shostak & Pease 1982; Castro & Liskov 1999) without forging a decision.
 * A context without a registered authority accepts no decision at all, and an unsigned or badly
 * signed decision is never accepted.
 *
 * Decision wire form: deterministic CBOR array of @edge/identity envelopes of type
 * `rac/decision`, each with body { ctx, subject: bytes(1..64), verdict: string(1..32), value: bytes(0..64) }.
 */

import { decodeCanonical, encodeCanonical, open, seal, toHex, type Envelope, type Signer, type Verifier } from '@edge/identity';
import type { Claim } from './claim.js';
import { DecisionRejectedError, RacArgumentError } from './errors.js';
import { compareBytes, hasExactKeys, isBytes, isPlainMap, utf8 } from './hash.js';

export const DECISION_TYPE = 'rac/decision';
export const MAX_DECISION_SIZE = 32 * 1024;
const MAX_SIGNERS = 64;

export interface AuthorityMember {
  readonly publicKey: Uint8Array;
  /** Voting weight (stake); must be positive. */
  readonly weight: number;
}

export interface DecisionBody {
  readonly ctx: string;
  readonly subject: Uint8Array;
  readonly verdict: string;
  readonly value: Uint8Array;
}

/** A decision that verified. */
export interface Decision extends DecisionBody {
  /** Public keys of the members whose signatures counted. */
  readonly signers: readonly Uint8Array[];
  /** Their total weight and the authority's total weight. */
  readonly weight: number;
  readonly totalWeight: number;
}

export interface AuthorityRegistry {
  /** Registers (or replaces) the authority of `ctx`. */
  register(ctx: string, members: readonly AuthorityMember[]): void;
  /** Removes the authority of `ctx`: it accepts no decisions afterwards. */
  unregister(ctx: string): void;
  /** The members of `ctx`'s authority, or undefined. */
  get(ctx: string): readonly AuthorityMember[] | undefined;
  /** The contexts with an authority. */
  contexts(): string[];
}

function checkCtx(ctx: unknown): asserts ctx is string {
  if (typeof ctx !== 'string' || ctx.length === 0 || utf8(ctx).length > 64) throw new RacArgumentError('ctx must be 1..64 bytes');
}

export function createAuthorityRegistry(): AuthorityRegistry {
  const map = new Map<string, AuthorityMember[]>();
  return {
    register(ctx, members) {
      checkCtx(ctx);
      if (!Array.isArray(members) || members.length === 0 || members.length > MAX_SIGNERS) throw new RacArgumentError(`an authority has 1..${MAX_SIGNERS} members`);
      const seen = new Set<string>();
      const copy: AuthorityMember[] = [];
      for (const m of members) {
        if (!isBytes(m?.publicKey) || m.publicKey.length !== 32) throw new RacArgumentError('member publicKey must be 32 bytes');
        if (!(typeof m.weight === 'number' && Number.isFinite(m.weight) && m.weight > 0)) throw new RacArgumentError('member weight must be positive');
        const hex = toHex(m.publicKey);
        if (seen.has(hex)) throw new RacArgumentError('duplicate authority member');
        seen.add(hex);
        copy.push({ publicKey: m.publicKey.slice(), weight: m.weight });
      }
      map.set(ctx, copy);
    },
    unregister(ctx) {
      map.delete(ctx);
    },
    get(ctx) {
      return map.get(ctx);
    },
    contexts() {
      return [...map.keys()];
    },
  };
}

function checkBody(body: unknown): body is DecisionBody {
  if (!isPlainMap(body) || !hasExactKeys(body, ['ctx', 'subject', 'verdict', 'value'])) return false;
  const { ctx, subject, verdict, value } = body;
  return (
    typeof ctx === 'string' &&
    ctx.length > 0 &&
    utf8(ctx).length <= 64 &&
    isBytes(subject) &&
    subject.length > 0 &&
    subject.length <= 64 &&
    typeof verdict === 'string' &&
    verdict.length > 0 &&
    verdict.length <= 32 &&
    isBytes(value) &&
    value.length <= 64
  );
}

/** One member's signature on a decision body. Combine several with `combineDecision`. */
export function signDecision(signer: Signer, body: DecisionBody, options: { ts?: number } = {}): Uint8Array {
  if (!checkBody(body)) throw new RacArgumentError('decision body must be { ctx, subject (1..64 bytes), verdict (1..32 chars), value (0..64 bytes) }');
  const env = seal(signer, DECISION_TYPE, { ctx: body.ctx, subject: body.subject, verdict: body.verdict, value: body.value }, options);
  return encodeCanonical([env]);
}

/** Merges decision packages (each from `signDecision`) into one. */
export function combineDecision(parts: readonly Uint8Array[]): Uint8Array {
  const all: Uint8Array[] = [];
  for (const p of parts) {
    const d = decodeCanonical(p);
    if (!d.ok || !Array.isArray(d.value)) throw new RacArgumentError('not a decision package');
    for (const e of d.value) if (isBytes(e)) all.push(e);
  }
  all.sort(compareBytes);
  return encodeCanonical(all.filter((x, i) => i === 0 || compareBytes(all[i - 1]!, x) !== 0));
}

function reject(reason: string, message: string): never {
  throw new DecisionRejectedError(reason, message);
}

/**
 * Verifies a decision package against the registry: every signature verifies, all sign the same
 * body, the signers are members of the body's context, and their weight exceeds 2/3.
 */
export async function verifyDecision(bytes: Uint8Array, registry: AuthorityRegistry, options: { verifier?: Verifier } = {}): Promise<Decision> {
  if (!isBytes(bytes)) reject('malformed', 'decision must be a Uint8Array');
  if (bytes.length > MAX_DECISION_SIZE) reject('malformed', 'decision too large');
  const d = decodeCanonical(bytes);
  if (!d.ok) reject('malformed', 'decision is not canonical CBOR');
  if (isPlainMap(d.value)) reject('unsigned', 'a bare decision body carries no signature');
  if (!Array.isArray(d.value) || d.value.length === 0 || d.value.length > MAX_SIGNERS) reject('malformed', 'decision must be an array of signed envelopes');
  const envs: Envelope[] = [];
  for (const item of d.value) {
    if (!isBytes(item)) reject('malformed', 'decision items must be bytes');
    const inner = decodeCanonical(item);
    if (inner.ok && isPlainMap(inner.value) && !('sig' in inner.value)) reject('unsigned', 'a decision item carries no signature');
    try {
      envs.push(await open(item, { types: [DECISION_TYPE], maxSize: MAX_DECISION_SIZE, ...(options.verifier ? { verifier: options.verifier } : {}) }));
    } catch (error) {
      const code = (error as { code?: string } | null)?.code;
      reject(code === 'ERR_ENVELOPE_BAD_SIGNATURE' ? 'bad-signature' : 'malformed', 'a decision signature does not verify');
    }
  }
  const first = envs[0]!;
  if (!checkBody(first.body)) reject('malformed', 'decision body does not match the schema');
  const body = first.body;
  const bodyBytes = encodeCanonical(body);
  for (const e of envs) if (compareBytes(encodeCanonical(e.body), bodyBytes) !== 0) reject('mixed-bodies', 'signers signed different decisions');
  const members = registry.get(body.ctx);
  if (members === undefined) reject('no-authority', `context ${JSON.stringify(body.ctx)} has no registered authority`);
  const weights = new Map(members.map((m) => [toHex(m.publicKey), m.weight]));
  const total = members.reduce((s, m) => s + m.weight, 0);
  const counted = new Set<string>();
  const signers: Uint8Array[] = [];
  let weight = 0;
  for (const e of envs) {
    const hex = toHex(e.from);
    const w = weights.get(hex);
    if (w === undefined) reject('not-authority', 'a signer is not a member of the context authority');
    if (counted.has(hex)) continue;
    counted.add(hex);
    signers.push(e.from);
    weight += w;
  }
  if (!(3 * weight > 2 * total)) reject('insufficient-weight', `signers hold ${weight} of ${total}; more than 2/3 is needed`);
  return { ctx: body.ctx, subject: body.subject, verdict: body.verdict, value: body.value, signers, weight, totalWeight: total };
}

/** Result of a stake-weighted tally. */
export interface Tally {
  /** True when one value holds more than 2/3 of the total weight. */
  readonly decided: boolean;
  readonly value?: Uint8Array;
  /** Weight per value (hex) and the weight that counted. */
  readonly weights: ReadonlyMap<string, number>;
  readonly counted: number;
  /** Voters who voted two different values: their votes are void (and are evidence). */
  readonly equivocators: readonly string[];
}

/**
 * Stake-weighted tally of verified vote claims on one subject. A voter counts once, with
 * `weightOf(voter)` (0 for unknown identities, which is what makes a Sybil swarm weightless);
 * a voter with two different values counts for neither. Decided iff one value's weight is more
 * than 2/3 of `totalWeight`, the weight of the whole electorate (not only of those who voted).
 */
export function tallyVotes(votes: readonly Claim[], weightOf: (publicKey: Uint8Array) => number, totalWeight: number): Tally {
  if (!(totalWeight > 0)) throw new RacArgumentError('totalWeight must be positive');
  const byVoter = new Map<string, Claim>();
  const bad = new Set<string>();
  for (const v of votes) {
    const hex = toHex(v.author);
    const prev = byVoter.get(hex);
    if (prev !== undefined && compareBytes(prev.value, v.value) !== 0) bad.add(hex);
    else byVoter.set(hex, v);
  }
  const weights = new Map<string, number>();
  let counted = 0;
  for (const [hex, v] of byVoter) {
    if (bad.has(hex)) continue;
    const w = Math.max(0, weightOf(v.author) || 0);
    if (w === 0) continue;
    const key = toHex(v.value);
    weights.set(key, (weights.get(key) ?? 0) + w);
    counted += w;
  }
  let best: string | undefined;
  let bestW = 0;
  for (const [k, w] of weights) if (w > bestW || (w === bestW && best !== undefined && k < best)) [best, bestW] = [k, w];
  const decided = best !== undefined && 3 * bestW > 2 * totalWeight;
  const value = decided ? byVoterValue(byVoter, best!) : undefined;
  return { decided, ...(value ? { value } : {}), weights, counted, equivocators: [...bad] };
}

function byVoterValue(byVoter: Map<string, Claim>, hex: string): Uint8Array | undefined {
  for (const v of byVoter.values()) if (toHex(v.value) === hex) return v.value;
  return undefined;
}
