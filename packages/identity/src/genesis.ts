/**
 * GenesisKey (φ): the 21-byte origin marker of a network, created and signed by a Pi-Key.
 *
 *   id = SHA-256("edge-net/phi-genesis/v1" || 0x00 || creator public key (32)
 *                || u32be(len(name)) || UTF-8 name || u64be(epoch))[0..21]
 *   signature = Ed25519 by the creator over
 *               "edge-net/phi-genesis/sig/v1" || 0x00 || CBOR({ v, name, epoch, creator, id, createdAt })
 * Encoded form: deterministic CBOR of { v: 1, name, epoch, creator, id, createdAt, sig }.
 * `verify()` recomputes the id and checks the signature; `decode()` rejects anything else.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, domainTag, equalBytes, isBytes, toHex, u64BE, utf8, writeU32BE } from './bytes.js';
import { decodeCanonical, encodeCanonical } from './cbor.js';
import { defaultVerifier, type Verifier } from './ed25519.js';
import { GenesisError, InvalidArgumentError } from './errors.js';
import { assertPiKey, type PiKey } from './pikey.js';

export const GENESIS_ID_LENGTH = 21;
const ID_TAG = domainTag('edge-net/phi-genesis/v1');
const SIG_TAG = domainTag('edge-net/phi-genesis/sig/v1');
const MAX_NAME_BYTES = 128;

function genesisId(creator: Uint8Array, name: string, epoch: number): Uint8Array {
  const nameBytes = utf8(name);
  const len = new Uint8Array(4);
  writeU32BE(len, 0, nameBytes.length);
  return sha256(concatBytes(ID_TAG, creator, len, nameBytes, u64BE(epoch))).slice(0, GENESIS_ID_LENGTH);
}

function checkFields(name: unknown, epoch: unknown): void {
  if (typeof name !== 'string' || name.length === 0 || utf8(name).length > MAX_NAME_BYTES || name !== name.normalize('NFC')) {
    throw new InvalidArgumentError(`network name must be a non-empty NFC string of at most ${MAX_NAME_BYTES} bytes`);
  }
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) throw new InvalidArgumentError('epoch must be a non-negative safe integer');
}

/** The origin marker of a network (see module comment). */
export class GenesisKey {
  private constructor(
    readonly networkName: string,
    readonly epoch: number,
    readonly creator: Uint8Array,
    readonly id: Uint8Array,
    readonly createdAt: number,
    readonly signature: Uint8Array,
  ) {}

  /** Creates and signs the marker of network `networkName` at `epoch`. */
  static create(creator: PiKey, networkName: string, epoch: number, options: { now?: () => number } = {}): GenesisKey {
    assertPiKey(creator, 'creator');
    checkFields(networkName, epoch);
    const pub = creator.getPublicKey();
    const id = genesisId(pub, networkName, epoch);
    const createdAt = (options.now ?? Date.now)();
    const sig = creator.sign(GenesisKey.message(networkName, epoch, pub, id, createdAt));
    return new GenesisKey(networkName, epoch, pub, id, createdAt, sig);
  }

  private static message(name: string, epoch: number, creator: Uint8Array, id: Uint8Array, createdAt: number): Uint8Array {
    return concatBytes(SIG_TAG, encodeCanonical({ v: 1, name, epoch, creator, id, createdAt }));
  }

  /** Decodes and verifies an encoded marker; throws GenesisError unless it is valid. */
  static decode(bytes: Uint8Array, verifier: Verifier = defaultVerifier): GenesisKey {
    if (!isBytes(bytes) || bytes.length > 1024) throw new GenesisError('genesis marker must be at most 1024 bytes');
    const decoded = decodeCanonical(bytes);
    if (!decoded.ok) throw new GenesisError(`genesis marker is ${decoded.reason}`);
    const value = decoded.value as Record<string, unknown>;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GenesisError('genesis marker must be a map');
    const keys = Object.keys(value).sort().join(',');
    if (keys !== 'createdAt,creator,epoch,id,name,sig,v') throw new GenesisError('genesis marker has the wrong fields');
    const { v, name, epoch, creator, id, createdAt, sig } = value;
    if (v !== 1) throw new GenesisError('unsupported genesis marker version');
    try {
      checkFields(name, epoch);
    } catch {
      throw new GenesisError('genesis marker has an invalid name or epoch');
    }
    if (!isBytes(creator) || creator.length !== 32 || !isBytes(id) || id.length !== GENESIS_ID_LENGTH || !isBytes(sig) || sig.length !== 64) {
      throw new GenesisError('genesis marker has malformed keys');
    }
    if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || createdAt < 0) throw new GenesisError('genesis marker has a malformed createdAt');
    const g = new GenesisKey(name as string, epoch as number, creator, id, createdAt, sig);
    if (!g.verify(verifier)) throw new GenesisError('genesis marker does not verify');
    return g;
  }

  /** Recomputes the id from (creator, name, epoch) and checks the creator's signature. */
  verify(verifier: Verifier = defaultVerifier): boolean {
    if (!equalBytes(genesisId(this.creator, this.networkName, this.epoch), this.id)) return false;
    return verifier.verify(this.signature, GenesisKey.message(this.networkName, this.epoch, this.creator, this.id, this.createdAt), this.creator);
  }

  /** Deterministic CBOR encoding (see module comment). */
  encode(): Uint8Array {
    return encodeCanonical({ v: 1, name: this.networkName, epoch: this.epoch, creator: this.creator, id: this.id, createdAt: this.createdAt, sig: this.signature });
  }

  /** "φ:" + the first 8 hex digits of the id. */
  getShortId(): string {
    return 'φ:' + toHex(this.id.subarray(0, 4));
  }
}
