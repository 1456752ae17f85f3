/**
 * Ledger sync over any byte channel (a libp2p stream, a WebSocket, a test queue), after the
 * y-protocols sync protocol: each side sends its state vector (step 1), answers the other's
 * with exactly the updates the other lacks (step 2), and afterwards forwards live updates.
 *
 * Message = u8 type || payload, type 0 = step 1 (state vector), 1 = step 2 (update),
 * 2 = update. Decoding rejects empty, oversized and unknown messages with SyncMessageError; an
 * update that yjs cannot read changes nothing that counts (entries are checked at the ledger).
 */

import { SyncMessageError } from './errors.js';
import type { Ledger } from './ledger.js';

export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;
/** Default largest message: 64 MiB (a full sync of 100k entries is about 30 MiB). */
export const DEFAULT_MAX_SYNC_MESSAGE = 64 * 1024 * 1024;

export interface SyncMessage {
  readonly type: 0 | 1 | 2;
  readonly payload: Uint8Array;
}

export function encodeSyncMessage(type: 0 | 1 | 2, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = type;
  out.set(payload, 1);
  return out;
}

/** Splits a message; throws SyncMessageError for anything that is not one. */
export function decodeSyncMessage(bytes: unknown, maxSize = DEFAULT_MAX_SYNC_MESSAGE): SyncMessage {
  if (!(bytes instanceof Uint8Array)) throw new SyncMessageError('message must be a Uint8Array');
  if (bytes.length === 0) throw new SyncMessageError('empty message');
  if (bytes.length > maxSize) throw new SyncMessageError(`message of ${bytes.length} bytes exceeds ${maxSize}`);
  const type = bytes[0]!;
  if (type !== SYNC_STEP1 && type !== SYNC_STEP2 && type !== SYNC_UPDATE) throw new SyncMessageError(`unknown message type ${type}`);
  return { type, payload: bytes.subarray(1) };
}

export interface SyncSession {
  /** Sends our state vector (step 1). */
  start(): void;
  /** Handles one message from the peer. Throws SyncMessageError for bad input (nothing changes). */
  receive(bytes: Uint8Array): Promise<void>;
  /** Stops forwarding live updates. */
  close(): void;
  /** Bytes sent and received by this session. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export interface SyncOptions {
  maxMessageSize?: number;
  /** Forward local updates to the peer as they happen (default true). */
  live?: boolean;
}

/** A sync session between `ledger` and one peer reached through `send`. */
export function createSyncSession(ledger: Ledger, send: (bytes: Uint8Array) => void, options: SyncOptions = {}): SyncSession {
  const maxSize = options.maxMessageSize ?? DEFAULT_MAX_SYNC_MESSAGE;
  let sent = 0;
  let received = 0;
  let closed = false;
  const out = (type: 0 | 1 | 2, payload: Uint8Array) => {
    if (closed) return;
    const m = encodeSyncMessage(type, payload);
    sent += m.length;
    send(m);
  };
  const session: SyncSession = {
    start() {
      out(SYNC_STEP1, ledger.encodeStateVector());
    },
    async receive(bytes) {
      const m = decodeSyncMessage(bytes, maxSize);
      received += bytes.length;
      if (m.type === SYNC_STEP1) out(SYNC_STEP2, ledger.encodeUpdate(m.payload));
      else await ledger.receive(m.payload, session);
    },
    close() {
      closed = true;
      ledger.doc.off('update', onUpdate);
    },
    get bytesSent() {
      return sent;
    },
    get bytesReceived() {
      return received;
    },
  };
  // Live forwarding: everything that changes our document goes to the peer, except what the
  // peer itself sent us through this session.
  const onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin !== session) out(SYNC_UPDATE, update);
  };
  if (options.live !== false) ledger.doc.on('update', onUpdate);
  return session;
}
