/**
 * Storage: the small interface through which ledger state survives a restart. A ledger stores
 * an append-only sequence of records (its yjs updates); `append` resolves only when the record
 * is durable, and only then does the ledger acknowledge the entry it carries.
 *
 * Record framing shared by file-backed implementations (and fuzzed by the tests):
 *   file   = MAGIC (8 bytes "EDGELOG1") || record*
 *   record = u32be length || u32be CRC-32(payload) || payload
 * A crash can leave a torn last record (short, or with a bad CRC); `decodeRecords` reports where
 * the good prefix ends so the opener can cut the tail. Damage before the last record is
 * corruption, not a torn write, and raises StorageCorruptError instead of silently losing data.
 */

import { StorageClosedError, StorageCorruptError, EconomyArgumentError } from './errors.js';

export interface LedgerStorage {
  /** Every record stored, in order (a torn tail already cut off). */
  load(): Promise<Uint8Array[]>;
  /** Appends one record; resolves when it is durable. */
  append(record: Uint8Array): Promise<void>;
  /** Flushes and releases resources; later calls throw StorageClosedError. */
  close(): Promise<void>;
}

export const STORAGE_MAGIC = new TextEncoder().encode('EDGELOG1');
/** Largest record accepted (256 MiB). */
export const MAX_RECORD_SIZE = 256 * 1024 * 1024;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Frames one record. */
export function encodeRecord(payload: Uint8Array): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new EconomyArgumentError('record must be a Uint8Array');
  if (payload.length > MAX_RECORD_SIZE) throw new EconomyArgumentError('record too large');
  const out = new Uint8Array(8 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, payload.length);
  v.setUint32(4, crc32(payload));
  out.set(payload, 8);
  return out;
}

export interface DecodedRecords {
  readonly records: Uint8Array[];
  /** Byte offset where the good prefix ends (file length if nothing is torn). */
  readonly goodLength: number;
  /** A torn last record was found after goodLength. */
  readonly torn: boolean;
}

/**
 * Decodes a whole file image. Throws StorageCorruptError for a bad magic or for damage that is
 * followed by further intact records; reports a torn tail otherwise. Never throws anything else.
 */
export function decodeRecords(file: Uint8Array): DecodedRecords {
  if (!(file instanceof Uint8Array)) throw new StorageCorruptError('file image must be bytes');
  if (file.length < STORAGE_MAGIC.length) {
    // A crash while creating the file: treat a prefix of the magic as an empty log.
    for (let i = 0; i < file.length; i++) if (file[i] !== STORAGE_MAGIC[i]) throw new StorageCorruptError('not a ledger log (bad magic)');
    return { records: [], goodLength: 0, torn: file.length > 0 };
  }
  for (let i = 0; i < STORAGE_MAGIC.length; i++) if (file[i] !== STORAGE_MAGIC[i]) throw new StorageCorruptError('not a ledger log (bad magic)');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  let off = STORAGE_MAGIC.length;
  while (off < file.length) {
    const bad = (): DecodedRecords => {
      // Torn only if no intact record follows anywhere after this point.
      if (intactRecordAfter(file, view, off + 1)) throw new StorageCorruptError(`damaged record at byte ${off} followed by intact records`);
      return { records, goodLength: off, torn: true };
    };
    if (off + 8 > file.length) return bad();
    const len = view.getUint32(off);
    const crc = view.getUint32(off + 4);
    if (len > MAX_RECORD_SIZE || off + 8 + len > file.length) return bad();
    const payload = file.subarray(off + 8, off + 8 + len);
    if (crc32(payload) !== crc) return bad();
    records.push(payload.slice());
    off += 8 + len;
  }
  return { records, goodLength: off, torn: false };
}

/** Whether an intact record (valid length and CRC, non-empty) starts at some offset >= from. */
function intactRecordAfter(file: Uint8Array, view: DataView, from: number): boolean {
  for (let o = from; o + 8 < file.length; o++) {
    const len = view.getUint32(o);
    if (len === 0 || len > file.length - o - 8) continue;
    if (crc32(file.subarray(o + 8, o + 8 + len)) === view.getUint32(o + 4)) return true;
  }
  return false;
}

/**
 * In-memory storage (tests, ephemeral nodes). Records live in the object itself, so handing the
 * same object to a new ledger is a "restart" that keeps what was appended.
 */
export interface MemoryStorage extends LedgerStorage {
  /** The records appended so far. */
  readonly records: readonly Uint8Array[];
  /** Reopens after close (simulates a process restart over the same medium). */
  reopen(): MemoryStorage;
}

export function createMemoryStorage(initial: readonly Uint8Array[] = []): MemoryStorage {
  const records = initial.map((r) => r.slice());
  let closed = false;
  const self: MemoryStorage = {
    get records() {
      return records;
    },
    async load() {
      if (closed) throw new StorageClosedError();
      return records.map((r) => r.slice());
    },
    async append(record) {
      if (closed) throw new StorageClosedError();
      if (!(record instanceof Uint8Array)) throw new EconomyArgumentError('record must be a Uint8Array');
      records.push(record.slice());
    },
    async close() {
      closed = true;
    },
    reopen() {
      return createMemoryStorage(records);
    },
  };
  return self;
}
