/**
 * One identity on every layer: a node's libp2p peer id is the Ed25519 peer id of its Pi-Key's
 * public key (libp2p peer-id spec: identity multihash of the protobuf-encoded public key), so
 * either can be computed from the other without any lookup.
 */

import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import { PUBLIC_KEY_LENGTH } from '@edge/identity';
import { BadPeerIdError, InvalidArgumentError } from './errors.js';

// Small caches: conversions happen once per message on hot paths.
const MAX_CACHE = 4096;
const toPeer = new Map<string, string>();
const toKey = new Map<string, Uint8Array>();

function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return s;
}

function remember<V>(map: Map<string, V>, key: string, value: V): V {
  if (map.size >= MAX_CACHE) map.delete(map.keys().next().value as string);
  map.set(key, value);
  return value;
}

/** The libp2p PeerId of a 32-byte Pi (Ed25519) public key. */
export function peerIdFromPiKey(publicKey: Uint8Array): PeerId {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new InvalidArgumentError('public key must be 32 bytes');
  }
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey));
}

/** The peer id string (base58btc, `12D3KooW…`) of a 32-byte Pi (Ed25519) public key. */
export function peerIdOf(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new InvalidArgumentError('public key must be 32 bytes');
  }
  const k = hex(publicKey);
  return toPeer.get(k) ?? remember(toPeer, k, peerIdFromPiKey(publicKey).toString());
}

/** The 32-byte Pi (Ed25519) public key of a peer id; `ERR_BAD_PEER_ID` if it is not Ed25519. */
export function publicKeyOf(peer: PeerId | string): Uint8Array {
  const s = typeof peer === 'string' ? peer : peer.toString();
  const cached = toKey.get(s);
  if (cached !== undefined) return cached.slice();
  let id: PeerId;
  try {
    id = typeof peer === 'string' ? peerIdFromString(peer) : peer;
  } catch (error) {
    throw new BadPeerIdError(`not a peer id: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (id.type !== 'Ed25519' || id.publicKey === undefined) throw new BadPeerIdError(`peer id ${s} is not an Ed25519 peer id`);
  const raw = id.publicKey.raw;
  if (raw.length !== PUBLIC_KEY_LENGTH) throw new BadPeerIdError('Ed25519 key of unexpected length');
  remember(toKey, s, raw.slice());
  return raw.slice();
}

/** Parses a peer id string into a PeerId (typed error on failure). */
export function parsePeerId(peer: PeerId | string): PeerId {
  if (typeof peer !== 'string') return peer;
  try {
    return peerIdFromString(peer);
  } catch (error) {
    throw new BadPeerIdError(`not a peer id: ${error instanceof Error ? error.message : String(error)}`);
  }
}
