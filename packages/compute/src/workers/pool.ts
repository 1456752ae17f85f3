/**
 * A pool of up to 16 workers with work-stealing scheduling.
 *
 * Each worker owns a deque of tasks. A worker that becomes idle takes the newest task of its own
 * deque (LIFO: the data it touched last is still warm) and, when that is empty, steals the oldest
 * task of the fullest other deque (FIFO: the coldest, usually largest remaining unit) — the
 * discipline of Blumofe & Leiserson's work stealing (1999) and of Cilk/Rayon, run here by the
 * host, which owns the deques, because workers only talk through messages. Steals are counted.
 *
 * Inputs reach workers once per call: as views of one SharedArrayBuffer when memory can be
 * shared (Node always; browsers when crossOriginIsolated), otherwise as a copy sent to each
 * worker that runs a task of the call, with results transferred back without a copy.
 *
 * A worker that dies (uncaught error, killed, out of memory) is replaced by a fresh one and the
 * task it was running goes back to the front of a deque; a task that kills three workers fails
 * its call with WorkerCrashError. dispose() terminates every worker and waits until each is gone.
 */
import type { Begin, Job, WorkerHandle, WorkerHost, WorkerToHost } from './protocol.js';
import { DisposedError, ResourceLimitError, WorkerCrashError } from '../errors.js';

/** The most workers a pool runs. */
export const MAX_WORKERS = 16;
const MAX_ATTEMPTS = 3;

interface Task {
  call: number;
  task: number;
  row0: number;
  rows: number;
  attempts: number;
}

interface Call {
  begin: Begin;
  remaining: number;
  out: Float32Array;
  /** Elements per task row in `out` (n for matmul, 1 for dot). */
  width: number;
  shared: boolean;
  resolve(): void;
  reject(e: unknown): void;
  failed: boolean;
  /** Shared buffers this call borrowed from the pool; returned when it completes. */
  borrowed: SharedArrayBuffer[];
}

interface Slot {
  index: number;
  handle: WorkerHandle;
  deque: Task[];
  running: Task | undefined;
  begun: Set<number>;
  alive: boolean;
}

/** Counters of a pool's life. */
export interface PoolStats {
  workers: number;
  sharedMemory: boolean;
  tasks: number;
  steals: number;
  crashes: number;
  replaced: number;
  /** Tasks re-run because the worker running them died. */
  reruns: number;
  /** Workers started and not yet known to be gone. */
  live: number;
}

export interface PoolOptions {
  threads?: number;
  sharedMemory?: boolean;
}

export class WorkerPool {
  readonly size: number;
  readonly sharedMemory: boolean;
  private readonly slots: Slot[] = [];
  private readonly calls = new Map<number, Call>();
  private nextCall = 1;
  private disposed = false;
  private counters = { tasks: 0, steals: 0, crashes: 0, replaced: 0, reruns: 0, live: 0 };
  // SharedArrayBuffers by power-of-two size, reused across calls so a steady stream of calls
  // maps no new shared memory (allocating and zeroing it costs as much as a small matmul).
  private readonly sabs = new Map<number, SharedArrayBuffer[]>();
  private sabBytes = 0;

  constructor(private readonly host: WorkerHost, private readonly source: string, options: PoolOptions = {}) {
    const want = options.threads ?? host.concurrency();
    this.size = Math.max(1, Math.min(MAX_WORKERS, Math.floor(want) || 1));
    this.sharedMemory = (options.sharedMemory ?? true) && host.sharedMemory();
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn(i));
  }

  stats(): PoolStats {
    return { workers: this.size, sharedMemory: this.sharedMemory, ...this.counters };
  }

  private spawn(index: number): Slot {
    const slot: Slot = { index, handle: undefined as unknown as WorkerHandle, deque: [], running: undefined, begun: new Set(), alive: true };
    this.counters.live++;
    slot.handle = this.host.spawn(this.source, {
      message: (m) => this.onMessage(slot, m),
      crash: (reason) => this.onCrash(slot, reason),
    });
    return slot;
  }

  /**
   * Runs a matmul (rows split across tasks) or a dot/cosine (matrix rows split into segments).
   * `affinity` puts every task on one worker's deque (the others then have to steal).
   */
  run(job: Job, out: Float32Array, taskRows: number, affinity?: number): Promise<void> {
    if (this.disposed) return Promise.reject(new DisposedError('workers'));
    const call = this.nextCall++;
    const total = job.kind === 'matmul' ? job.m : job.rows;
    const width = job.kind === 'matmul' ? job.n : 1;
    let msg: Begin;
    let target = out;
    const borrowed: SharedArrayBuffer[] = [];
    if (this.sharedMemory) {
      // One shared copy of every input and one shared output: workers read and write in place.
      const view = (length: number): Float32Array => {
        const size = 2 ** Math.ceil(Math.log2(Math.max(64, length * 4)));
        const reused = this.sabs.get(size)?.pop();
        if (reused) this.sabBytes -= size;
        const sab = reused ?? new SharedArrayBuffer(size);
        borrowed.push(sab);
        return new Float32Array(sab, 0, length);
      };
      const share = (x: Float32Array): Float32Array => {
        if (x.buffer instanceof SharedArrayBuffer) return x;
        const s = view(x.length);
        s.set(x);
        return s;
      };
      target = out.buffer instanceof SharedArrayBuffer ? out : view(out.length);
      msg = job.kind === 'matmul'
        ? { ...job, t: 'begin', call, a: share(job.a), b: share(job.b), out: target }
        : { ...job, t: 'begin', call, q: share(job.q), mat: share(job.mat), out: target };
    } else {
      msg = { ...job, t: 'begin', call };
    }
    const tasks: Task[] = [];
    for (let r = 0, t = 0; r < total; r += taskRows, t++) tasks.push({ call, task: t, row0: r, rows: Math.min(taskRows, total - r), attempts: 0 });
    return new Promise<void>((resolve, reject) => {
      const c: Call = {
        begin: msg, remaining: tasks.length, out: target, width, shared: this.sharedMemory, failed: false, borrowed,
        resolve: () => { if (target !== out) out.set(target); resolve(); },
        reject,
      };
      this.calls.set(call, c);
      if (tasks.length === 0) { this.finish(call); return; }
      if (affinity !== undefined) {
        this.slots[affinity % this.size]!.deque.push(...tasks);
      } else {
        // Contiguous blocks per worker, in order, so a worker's own tasks are neighbours.
        const per = Math.ceil(tasks.length / this.size);
        for (let i = 0; i < tasks.length; i++) this.slots[Math.floor(i / per)]!.deque.push(tasks[i]!);
      }
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.alive || slot.running !== undefined) continue;
      for (;;) {
        let task = slot.deque.pop(); // own work: LIFO
        if (task === undefined) {
          let victim: Slot | undefined;
          for (const s of this.slots) if (s !== slot && s.deque.length > 0 && (victim === undefined || s.deque.length > victim.deque.length)) victim = s;
          if (victim === undefined) break;
          task = victim.deque.shift()!; // stolen work: FIFO
          this.counters.steals++;
        }
        const call = this.calls.get(task.call);
        if (call === undefined || call.failed) continue; // its call already failed: drop it
        slot.running = task;
        if (!slot.begun.has(task.call)) {
          slot.begun.add(task.call);
          slot.handle.post(call.begin);
        }
        slot.handle.post({ t: 'task', call: task.call, task: task.task, row0: task.row0, rows: task.rows });
        break;
      }
    }
  }

  private onMessage(slot: Slot, m: WorkerToHost): void {
    if (m.t === 'ready' || !slot.alive) return;
    const task = slot.running;
    slot.running = undefined;
    const call = this.calls.get(m.call);
    if (call !== undefined && !call.failed && task !== undefined) {
      if (m.t === 'error') {
        call.failed = true;
        this.fail(m.call, m.code === 'ERR_RESOURCE_LIMIT' ? new ResourceLimitError(m.message) : new WorkerCrashError(`worker task failed: ${m.message}`));
      } else {
        if (m.result !== undefined) call.out.set(m.result, task.row0 * call.width);
        this.counters.tasks++;
        if (--call.remaining === 0) this.finish(m.call);
      }
    }
    this.pump();
  }

  private onCrash(slot: Slot, reason: unknown): void {
    if (!slot.alive || this.disposed) return;
    slot.alive = false;
    this.counters.live--;
    this.counters.crashes++;
    const task = slot.running;
    const orphaned = slot.deque;
    const fresh = this.spawn(slot.index);
    this.slots[slot.index] = fresh;
    this.counters.replaced++;
    fresh.deque.push(...orphaned);
    if (task !== undefined) {
      task.attempts++;
      if (task.attempts >= MAX_ATTEMPTS) {
        const call = this.calls.get(task.call);
        if (call && !call.failed) {
          call.failed = true;
          this.fail(task.call, new WorkerCrashError(`a task crashed ${MAX_ATTEMPTS} workers`, { cause: reason }));
        }
      } else {
        // Re-run the lost task first: its rows are written again from scratch (idempotent).
        fresh.deque.push(task);
        this.counters.reruns++;
      }
    }
    this.pump();
  }

  private finish(call: number): void {
    const c = this.calls.get(call)!;
    this.calls.delete(call);
    this.endEverywhere(call);
    c.resolve();
    // Every task of the call is done, so no worker writes to these any more: keep them for
    // reuse (up to 256 MiB). A failed call's buffers are not reused, since a task of it may
    // still be running somewhere.
    for (const sab of c.borrowed) {
      if (this.sabBytes + sab.byteLength > 256 * 2 ** 20) continue;
      let list = this.sabs.get(sab.byteLength);
      if (!list) this.sabs.set(sab.byteLength, (list = []));
      list.push(sab);
      this.sabBytes += sab.byteLength;
    }
  }

  private fail(call: number, error: unknown): void {
    const c = this.calls.get(call);
    this.calls.delete(call);
    for (const s of this.slots) s.deque = s.deque.filter((t) => t.call !== call);
    this.endEverywhere(call);
    c?.reject(error);
  }

  private endEverywhere(call: number): void {
    for (const s of this.slots) {
      if (s.begun.delete(call) && s.alive) s.handle.post({ t: 'end', call });
    }
  }

  /** Fault injection for tests and drills: kills worker `index` as a crash would. */
  killWorker(index: number): void {
    this.slots[index % this.size]!.handle.kill();
  }

  /** Index of a worker currently running a task, if any. */
  busyWorker(): number | undefined {
    return this.slots.find((s) => s.running !== undefined)?.index;
  }

  /** Terminates every worker and waits until all are gone; pending calls reject. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const [call, c] of this.calls) { this.calls.delete(call); c.reject(new DisposedError('workers')); }
    await Promise.all(this.slots.map(async (s) => {
      if (!s.alive) return;
      s.alive = false;
      await s.handle.terminate();
      this.counters.live--;
    }));
  }
}
