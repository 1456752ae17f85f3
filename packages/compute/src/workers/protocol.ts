/** Messages between the pool (host) and its workers. Plain data: structured-clone safe. */

export interface MatmulBegin {
  t: 'begin';
  call: number;
  kind: 'matmul';
  a: Float32Array;
  b: Float32Array;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  /** Shared output (SharedArrayBuffer mode); absent when results travel back by transfer. */
  out?: Float32Array;
}

export interface DotBegin {
  t: 'begin';
  call: number;
  kind: 'dot';
  q: Float32Array;
  mat: Float32Array;
  rows: number;
  dim: number;
  cosine: boolean;
  out?: Float32Array;
}

export type Begin = MatmulBegin | DotBegin;

/** One unit of work: rows [row0, row0 + rows) of a matmul, or a segment of matrix rows for dot. */
export interface TaskMsg {
  t: 'task';
  call: number;
  task: number;
  row0: number;
  rows: number;
}

export interface EndMsg {
  t: 'end';
  call: number;
}

export type HostToWorker = Begin | TaskMsg | EndMsg;

export type WorkerToHost =
  | { t: 'ready' }
  | { t: 'done'; call: number; task: number; result?: Float32Array }
  | { t: 'error'; call: number; task: number; message: string; code?: string };

/** What a platform provides to the pool (worker_threads in Node, Web Workers in browsers). */
export interface WorkerHost {
  readonly kind: string;
  /** Logical processors available to this process. */
  concurrency(): number;
  /** Whether SharedArrayBuffer can be shared with workers here (crossOriginIsolated in browsers). */
  sharedMemory(): boolean;
  /** Starts a worker running `source` (a self-contained script). */
  spawn(source: string, handlers: WorkerHandlers): WorkerHandle;
}

export interface WorkerHandlers {
  message(msg: WorkerToHost): void;
  /** The worker died (uncaught error, exit, or termination by the platform). */
  crash(reason: unknown): void;
}

export interface WorkerHandle {
  post(msg: HostToWorker, transfer?: Transferable[]): void;
  /** Stops the worker; resolves when it is gone. */
  terminate(): Promise<void>;
  /** Kills the worker abruptly, as a crash would: the host reports it through `crash`. */
  kill(): void;
}

/** A call as the pool receives it, before it gets an id and (maybe) a shared output. */
export type Job = Omit<MatmulBegin, 't' | 'call' | 'out'> | Omit<DotBegin, 't' | 'call' | 'out'>;
