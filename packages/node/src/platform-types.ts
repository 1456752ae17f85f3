/**
 * What an environment variant (`#platform`) supplies to the node: the task worker (a
 * worker_threads Worker in Node, a module Web Worker in browsers) and the storage behind
 * `openDirectoryStorage` (a directory in Node, IndexedDB in browsers). The variant is chosen by
 * the `imports` conditions of package.json (`browser` / `node` / `default`), never by sniffing;
 * the main bundle keeps `#platform` external, so a browser bundle never sees `node:*`.
 *
 * Variants throw plain errors; executor.ts and storage.ts turn them into the package's typed
 * errors, so those classes exist once (in the main bundle) and `instanceof` keeps working.
 */

import type { LedgerStorage } from '@edge/economy';

/** A reply of the task worker (see executor-worker.js). */
export interface WorkerReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: Uint8Array;
  readonly ms?: number;
  readonly version?: number;
  readonly error?: string;
  readonly code?: string;
}

export interface TaskWorkerEvents {
  message(reply: WorkerReply): void;
  /** The worker failed (uncaught error, failed to load). */
  error(error: unknown): void;
  /** The worker ended (Node reports an exit code; browsers never call this). */
  exit(code: number): void;
}

export interface TaskWorker {
  post(message: Record<string, unknown>, transfer: ArrayBuffer[]): void;
  /** Keep the host process alive while a call is in flight (Node); no-op in browsers. */
  ref(): void;
  unref(): void;
  terminate(): Promise<void>;
}

/** The raw store behind a NodeStorage: names are checked and errors typed by storage.ts. */
export interface BlobStore {
  openLedger(): Promise<LedgerStorage>;
  get(name: string): Promise<Uint8Array | undefined>;
  put(name: string, bytes: Uint8Array): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  /** Starts the task worker; `memoryLimit` (bytes) is its heap limit where the platform has one. */
  spawnTaskWorker(memoryLimit: number, events: TaskWorkerEvents): TaskWorker;
  /** Opens the persistent store at `location` (Node: a directory; browsers: an IndexedDB database name). */
  openStore(location: string): Promise<BlobStore>;
}
