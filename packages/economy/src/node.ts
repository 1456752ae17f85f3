/**
 * @packageDocumentation
 * Node-only part of @edge/economy: append-only file storage for the ledger.
 *
 * `openFileStorage(path)` keeps the framing of storage.ts in one file. Appends are group
 * committed: records queued while a write is in flight go out in the next single write followed
 * by one fdatasync, and every append's promise resolves only after the fdatasync that covers it,
 * so an acknowledged record is on disk. Opening cuts a torn last record (a crash mid-write) and
 * fsyncs the cut; damage before the last record raises StorageCorruptError.
 */

import { open as openFile, mkdir, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeRecords, encodeRecord, STORAGE_MAGIC, type LedgerStorage } from './storage.js';
import { StorageClosedError } from './errors.js';

export interface FileStorageOptions {
  /** fdatasync before acknowledging (default true). Turning it off gives up durability. */
  sync?: boolean;
}

export interface FileStorage extends LedgerStorage {
  readonly path: string;
  /** True if opening found and cut a torn last record. */
  readonly recoveredTornTail: boolean;
}

export async function openFileStorage(path: string, options: FileStorageOptions = {}): Promise<FileStorage> {
  const sync = options.sync ?? true;
  await mkdir(dirname(path), { recursive: true });
  const fh: FileHandle = await openFile(path, 'a+');
  let torn = false;
  try {
    const image = new Uint8Array(await readFile(path));
    const decoded = decodeRecords(image);
    torn = decoded.torn;
    if (decoded.torn || image.length < STORAGE_MAGIC.length) {
      await fh.truncate(decoded.goodLength);
      if (decoded.goodLength === 0) await fh.write(STORAGE_MAGIC, 0, STORAGE_MAGIC.length);
      await fh.datasync();
      // fsync the directory too, so the file's existence (and size) survives a crash.
      await syncDir(dirname(path));
    }
  } catch (error) {
    await fh.close();
    throw error;
  }

  let closed = false;
  let queue: { bytes: Uint8Array; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let writing: Promise<void> | undefined;

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      let total = 0;
      for (const r of batch) total += r.bytes.length;
      const buf = new Uint8Array(total);
      let o = 0;
      for (const r of batch) {
        buf.set(r.bytes, o);
        o += r.bytes.length;
      }
      try {
        // 'a+' mode: every write goes to the end of the file.
        let written = 0;
        while (written < buf.length) written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
        if (sync) await fh.datasync();
        for (const r of batch) r.resolve();
      } catch (error) {
        for (const r of batch) r.reject(error);
      }
    }
    writing = undefined;
  };

  return {
    path,
    recoveredTornTail: torn,
    async load() {
      if (closed) throw new StorageClosedError();
      if (writing) await writing;
      return decodeRecords(new Uint8Array(await readFile(path))).records;
    },
    append(record) {
      if (closed) return Promise.reject(new StorageClosedError());
      const bytes = encodeRecord(record);
      return new Promise<void>((resolve, reject) => {
        queue.push({ bytes, resolve, reject });
        writing ??= drain();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (writing) await writing;
      await fh.close();
    },
  };
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await openFile(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some platforms cannot open directories; the file's own fsync still holds.
  }
}

export { decodeRecords, encodeRecord } from './storage.js';
