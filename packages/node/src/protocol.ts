/**
 * The task protocol: the messages one node sends another over `Transport.request`. Each is an
 * @edge/identity signed envelope (deterministic CBOR, Ed25519) whose body is checked field by
 * field after the signature verified; anything else is refused with a `ProtocolError` whose
 * `reason` is a stable counter key. Offers carry a deadline and go through a ReplayGuard (the
 * envelope nonce), so a replayed offer is refused before any work is done.
 *
 *   offer        edge.task.offer     { task, type, payload, units, price, deadline, to }
 *   result       edge.task.result    { task, offer, ok: true, result, work, claim }
 *                                    { task, offer, ok: false, reason }
 *   witness req  edge.task.witness-req { net, task, res, to, work }  -> @edge/economy witness envelope
 *   index sync   edge.index.sync     { name, snapshot? , delta? }   -> edge.index.ack { name, version }
 *
 * `claim` is an @edge/rac claim (ctx `edge/task`, subject = task id, value = SHA-256 of the result
 * bytes) signed by the worker: the same bytes become wrong-result evidence when the result is
 * proven wrong. docs/tasks.md lists the checks.
 */

import { open, openSync, parseUnverified, seal, type Envelope, type ReplayGuard, type Signer } from '@edge/identity';
import { ProtocolError } from './errors.js';

export const OFFER_TYPE = 'edge.task.offer';
export const RESULT_TYPE = 'edge.task.result';
export const WITNESS_REQUEST_TYPE = 'edge.task.witness-req';
export const INDEX_SYNC_TYPE = 'edge.index.sync';
export const INDEX_ACK_TYPE = 'edge.index.ack';
export const REFUSAL_TYPE = 'edge.task.refused';
/** rac claim context of task results. */
export const TASK_CLAIM_CTX = 'edge/task';

/** Largest offer (payload included). */
export const MAX_OFFER_SIZE = 1 << 20;
/** Largest result or index-sync message. */
export const MAX_RESULT_SIZE = 4 << 20;
export const MAX_INDEX_SYNC_SIZE = 32 << 20;
const MAX_TYPE_LENGTH = 64;
const MAX_REASON_LENGTH = 128;

export interface OfferBody {
  readonly task: Uint8Array;
  readonly type: string;
  readonly payload: Uint8Array;
  readonly units: number;
  readonly price: number;
  readonly deadline: number;
  readonly to: Uint8Array;
}

export type ResultBody =
  | { readonly task: Uint8Array; readonly offer: Uint8Array; readonly ok: true; readonly result: Uint8Array; readonly work: number; readonly claim: Uint8Array }
  | { readonly task: Uint8Array; readonly offer: Uint8Array; readonly ok: false; readonly reason: string };

export interface WitnessRequestBody {
  readonly net: string;
  readonly task: Uint8Array;
  readonly res: Uint8Array;
  readonly to: Uint8Array;
  readonly work: number;
}

export interface IndexSyncBody {
  readonly name: string;
  readonly snapshot?: Uint8Array;
  readonly delta?: Uint8Array;
}

const isBytes = (v: unknown, len?: number): v is Uint8Array => v instanceof Uint8Array && (len === undefined || v.length === len);
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

function keysAre(b: Record<string, unknown>, required: readonly string[], optional: readonly string[] = []): boolean {
  const keys = Object.keys(b);
  for (const k of required) if (!(k in b)) return false;
  for (const k of keys) if (!required.includes(k) && !optional.includes(k)) return false;
  return true;
}

function bad(reason: string, message: string): never {
  throw new ProtocolError(reason, message);
}

/** Maps identity's envelope errors to protocol reasons. */
function mapOpenError(error: unknown): never {
  const code = (error as { code?: string } | null)?.code ?? '';
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
              : code === 'ERR_ENVELOPE_TYPE'
                ? 'wrong-type'
                : code === 'ERR_ENVELOPE_WRONG_SIGNER'
                  ? 'wrong-signer'
                  : 'malformed';
  throw new ProtocolError(reason, `message refused: ${reason}`, { cause: error });
}

export function sealOffer(signer: Signer, body: OfferBody): Uint8Array {
  return seal(signer, OFFER_TYPE, { ...body }, { maxSize: MAX_OFFER_SIZE });
}

function checkOffer(b: unknown): OfferBody {
  if (!isMap(b) || !keysAre(b, ['task', 'type', 'payload', 'units', 'price', 'deadline', 'to'])) bad('schema', 'offer body has the wrong fields');
  if (!isBytes(b.task, 32) || !isStr(b.type, MAX_TYPE_LENGTH) || !isBytes(b.payload) || !isUint(b.units) || !isUint(b.price) || !isUint(b.deadline) || !isBytes(b.to, 32)) {
    bad('schema', 'offer field of the wrong type');
  }
  return b as unknown as OfferBody;
}

/** Opens an offer addressed to `me`; refuses replays (guard), expired deadlines and foreign addressees. */
export async function openOffer(bytes: Uint8Array, options: { guard: ReplayGuard; me: Uint8Array; now: number }): Promise<Envelope<OfferBody>> {
  let env: Envelope;
  try {
    env = await open(bytes, { types: [OFFER_TYPE], maxSize: MAX_OFFER_SIZE, guard: options.guard });
  } catch (error) {
    mapOpenError(error);
  }
  const body = checkOffer(env.body);
  if (!equalBytes(body.to, options.me)) bad('not-addressee', 'offer addressed to another node');
  if (body.deadline <= options.now) bad('expired', 'offer deadline has passed');
  return env as Envelope<OfferBody>;
}

export function sealResult(signer: Signer, body: ResultBody): Uint8Array {
  return seal(signer, RESULT_TYPE, { ...body }, { maxSize: MAX_RESULT_SIZE });
}

/** Opens a result that must come from `from` and answer the offer with hash `offer` for `task`. */
export async function openResult(bytes: Uint8Array, options: { from: Uint8Array; task: Uint8Array; offer: Uint8Array }): Promise<Envelope<ResultBody>> {
  let env: Envelope;
  try {
    env = await open(bytes, { types: [RESULT_TYPE, REFUSAL_TYPE], maxSize: MAX_RESULT_SIZE, expectFrom: options.from });
  } catch (error) {
    mapOpenError(error);
  }
  const b = env.body;
  if (env.type === REFUSAL_TYPE) {
    const reason = isMap(b) && isStr(b.reason, MAX_REASON_LENGTH) ? b.reason : 'refused';
    return { ...env, body: { task: options.task, offer: options.offer, ok: false, reason } } as Envelope<ResultBody>;
  }
  if (!isMap(b)) bad('schema', 'result body is not a map');
  if (b.ok === true) {
    if (!keysAre(b, ['task', 'offer', 'ok', 'result', 'work', 'claim']) || !isBytes(b.result) || !isUint(b.work) || !isBytes(b.claim)) bad('schema', 'result fields of the wrong type');
  } else if (b.ok === false) {
    if (!keysAre(b, ['task', 'offer', 'ok', 'reason']) || !isStr(b.reason, MAX_REASON_LENGTH)) bad('schema', 'refusal fields of the wrong type');
  } else bad('schema', 'result without ok');
  if (!isBytes(b.task, 32) || !isBytes(b.offer, 32)) bad('schema', 'result task/offer must be 32 bytes');
  if (!equalBytes(b.task, options.task) || !equalBytes(b.offer, options.offer)) bad('mismatch', 'result answers another offer');
  return env as Envelope<ResultBody>;
}

/** A signed refusal of any request (reason is a short counter key). */
export function sealRefusal(signer: Signer, reason: string): Uint8Array {
  return seal(signer, REFUSAL_TYPE, { reason: reason.slice(0, MAX_REASON_LENGTH) || 'refused' });
}

export function sealWitnessRequest(signer: Signer, body: WitnessRequestBody): Uint8Array {
  return seal(signer, WITNESS_REQUEST_TYPE, { ...body });
}

export function checkWitnessRequest(b: unknown): WitnessRequestBody {
  if (!isMap(b) || !keysAre(b, ['net', 'task', 'res', 'to', 'work'])) bad('schema', 'witness request has the wrong fields');
  if (!isStr(b.net, 56) || !isBytes(b.task, 32) || !isBytes(b.res, 32) || !isBytes(b.to, 32) || !isUint(b.work)) bad('schema', 'witness request field of the wrong type');
  return b as unknown as WitnessRequestBody;
}

export function sealIndexSync(signer: Signer, body: IndexSyncBody): Uint8Array {
  return seal(signer, INDEX_SYNC_TYPE, { ...body }, { maxSize: MAX_INDEX_SYNC_SIZE });
}

export function checkIndexSync(b: unknown): IndexSyncBody {
  if (!isMap(b) || !keysAre(b, ['name'], ['snapshot', 'delta'])) bad('schema', 'index sync has the wrong fields');
  if (!isStr(b.name, MAX_TYPE_LENGTH) || (b.snapshot !== undefined && !isBytes(b.snapshot)) || (b.delta !== undefined && !isBytes(b.delta))) bad('schema', 'index sync field of the wrong type');
  if ((b.snapshot === undefined) === (b.delta === undefined)) bad('schema', 'index sync needs exactly one of snapshot, delta');
  return b as unknown as IndexSyncBody;
}

/** The type of an incoming request, read before any signature work (nothing in it is trusted yet). */
export function requestType(bytes: Uint8Array): string {
  try {
    return parseUnverified(bytes, { types: [OFFER_TYPE, WITNESS_REQUEST_TYPE, INDEX_SYNC_TYPE], maxSize: MAX_INDEX_SYNC_SIZE }).envelope.type;
  } catch (error) {
    mapOpenError(error);
  }
}

/** Opens a witness request or an index sync (signature checked; bodies checked by their check*). */
export async function openRequest(bytes: Uint8Array, type: string): Promise<Envelope> {
  try {
    return await open(bytes, { types: [type], maxSize: type === INDEX_SYNC_TYPE ? MAX_INDEX_SYNC_SIZE : MAX_OFFER_SIZE });
  } catch (error) {
    mapOpenError(error);
  }
}

/** Synchronous open of an index ack from `from`. */
export function openIndexAck(bytes: Uint8Array, from: Uint8Array): { name: string; version: number } {
  let env: Envelope;
  try {
    env = openSync(bytes, { types: [INDEX_ACK_TYPE, REFUSAL_TYPE], expectFrom: from });
  } catch (error) {
    mapOpenError(error);
  }
  const b = env.body;
  if (env.type === REFUSAL_TYPE) bad(isMap(b) && typeof b.reason === 'string' ? b.reason : 'refused', 'index sync refused');
  if (!isMap(b) || !keysAre(b, ['name', 'version']) || !isStr(b.name, MAX_TYPE_LENGTH) || !isUint(b.version)) bad('schema', 'index ack has the wrong fields');
  return b as { name: string; version: number };
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
