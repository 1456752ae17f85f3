/**
 * Signed claims: the statements rac reasons about ("the result of task T is V", "I accept task
 * T until deadline D", "I vote V on conflict C"). A claim is an @edge/identity envelope of type
 * `rac/claim` whose body is the CBOR map
 *   { ctx: string (1..64 bytes), subject: bytes (1..64), value: bytes (0..64), deadline?: uint }
 * Its id is SHA-256("edge-net/rac/id/v1" || 0x00 || envelope bytes): content-addressed, so the
 * same signed bytes always have the same id and a changed byte is a different claim.
 */

import { open, openSync, seal, sealAsync, type Envelope, type OpenOptions, type Signer } from '@edge/identity';
import { ClaimRejectedError, RacArgumentError } from './errors.js';
import { concat, domainTag, hasExactKeys, isBytes, isPlainMap, sha256, utf8 } from './hash.js';

export const CLAIM_TYPE = 'rac/claim';
/** Largest claim envelope accepted (bytes). */
export const MAX_CLAIM_SIZE = 4096;
const ID_TAG = domainTag('edge-net/rac/id/v1');

export interface ClaimBody {
  /** The context (namespace) of the claim: a task family, a vote, a ledger. */
  readonly ctx: string;
  /** What the claim is about (a task id, a conflict id...). */
  readonly subject: Uint8Array;
  /** The claimed value (a result hash, a vote choice...). */
  readonly value: Uint8Array;
  /** For commitments (accepting a task): the deadline in ms since the epoch. */
  readonly deadline?: number;
}

/** A claim whose signature and schema have been checked. */
export interface Claim extends ClaimBody {
  /** Content address of the envelope bytes. */
  readonly id: Uint8Array;
  /** Author public key (32 bytes). */
  readonly author: Uint8Array;
  readonly ts: number;
  readonly nonce: Uint8Array;
  /** The signed envelope bytes. */
  readonly bytes: Uint8Array;
}

/** Content address of signed bytes (claims, evidence, decisions). */
export function contentId(bytes: Uint8Array): Uint8Array {
  return sha256(concat(ID_TAG, bytes));
}

function checkBody(body: unknown): body is ClaimBody {
  if (!isPlainMap(body) || !hasExactKeys(body, ['ctx', 'subject', 'value'], ['deadline'])) return false;
  const { ctx, subject, value, deadline } = body;
  if (typeof ctx !== 'string' || ctx.length === 0 || utf8(ctx).length > 64) return false;
  if (!isBytes(subject) || subject.length === 0 || subject.length > 64) return false;
  if (!isBytes(value) || value.length > 64) return false;
  if (deadline !== undefined && (typeof deadline !== 'number' || !Number.isSafeInteger(deadline) || deadline < 0)) return false;
  return true;
}

function toClaim(env: Envelope, input: Uint8Array): Claim {
  if (!checkBody(env.body)) throw new ClaimRejectedError('malformed', 'claim body does not match the schema');
  // Our own copy: the caller's buffer (possibly a Node Buffer view) may be reused after this.
  const bytes = new Uint8Array(input);
  const b = env.body;
  return {
    id: contentId(bytes),
    author: env.from,
    ts: env.ts,
    nonce: env.nonce,
    bytes,
    ctx: b.ctx,
    subject: b.subject,
    value: b.value,
    ...(b.deadline !== undefined ? { deadline: b.deadline } : {}),
  };
}

function bodyOf(body: ClaimBody): ClaimBody {
  if (!checkBody(body)) throw new RacArgumentError('claim body must be { ctx (1..64 bytes), subject (1..64 bytes), value (0..64 bytes), deadline? }');
  return body.deadline === undefined ? { ctx: body.ctx, subject: body.subject, value: body.value } : { ctx: body.ctx, subject: body.subject, value: body.value, deadline: body.deadline };
}

/** Signs a claim. `options` are the envelope's (timestamp, nonce). */
export function signClaim(signer: Signer, body: ClaimBody, options: { ts?: number; nonce?: Uint8Array } = {}): Uint8Array {
  return seal(signer, CLAIM_TYPE, bodyOf(body), { ...options, maxSize: MAX_CLAIM_SIZE });
}

/** `signClaim` on the signer's fastest path (same bytes). */
export function signClaimAsync(signer: Signer, body: ClaimBody, options: { ts?: number; nonce?: Uint8Array } = {}): Promise<Uint8Array> {
  return sealAsync(signer, CLAIM_TYPE, bodyOf(body), { ...options, maxSize: MAX_CLAIM_SIZE });
}

function mapIdentityError(error: unknown): ClaimRejectedError {
  const code = (error as { code?: string } | null)?.code;
  const reason =
    code === 'ERR_ENVELOPE_BAD_SIGNATURE'
      ? 'bad-signature'
      : code === 'ERR_REPLAY'
        ? 'replay'
        : code === 'ERR_STALE'
          ? 'stale'
          : code === 'ERR_FUTURE'
            ? 'future'
            : code === 'ERR_ENVELOPE_TOO_LARGE'
              ? 'too-large'
              : 'malformed';
  return new ClaimRejectedError(reason, `claim rejected: ${reason}`);
}

/** Decodes and verifies a claim (signature, schema; with `options.guard`, timestamp window and nonce). */
export async function openClaim(bytes: Uint8Array, options: Omit<OpenOptions, 'types' | 'maxSize'> = {}): Promise<Claim> {
  let env: Envelope;
  try {
    env = await open(bytes, { ...options, types: [CLAIM_TYPE], maxSize: MAX_CLAIM_SIZE });
  } catch (error) {
    throw mapIdentityError(error);
  }
  return toClaim(env, bytes);
}

/** `openClaim` on the synchronous verification path. */
export function openClaimSync(bytes: Uint8Array, options: Omit<OpenOptions, 'types' | 'maxSize'> = {}): Claim {
  let env: Envelope;
  try {
    env = openSync(bytes, { ...options, types: [CLAIM_TYPE], maxSize: MAX_CLAIM_SIZE });
  } catch (error) {
    throw mapIdentityError(error);
  }
  return toClaim(env, bytes);
}
