/**
 * Off-main-thread execution and the duty cycle.
 *
 * `Executor` owns one task worker that runs every task handler and holds the replicas of the
 * vector indexes the node serves: a worker_threads Worker in Node (`memoryLimit` becomes its V8
 * heap limit, so a runaway handler dies alone, not the node), a module Web Worker in browsers.
 * Both run the same handler code (executor-worker.js); which one is chosen by the package's
 * `#platform` import conditions (platform.node.ts / platform.browser.ts).
 *
 * `DutyCycle` holds the configured CPU share: after a task kept the worker busy for `b` ms the
 * next task may start only `b * (1 - c) / c` ms later (c = cpuLimit), so over any run of tasks
 * busy / (busy + idle) <= c — the on/off control of BOINC's client "use at most N% of CPU time".
 * It also blocks while the node is paused, while the user was active within `minIdleTime`, and
 * on a low battery (see `batteryFactor`).
 */

import { platform } from '#platform';
import { ConfigError, TaskExecutionError, NodeStateError } from './errors.js';
import type { TaskWorker, WorkerReply } from './platform-types.js';

export interface RunResult {
  readonly result: Uint8Array;
  /** Wall time of the handler inside the worker thread, ms (the metered work). */
  readonly ms: number;
}

interface Pending {
  resolve: (v: { result?: Uint8Array; ms?: number; version?: number }) => void;
  reject: (e: unknown) => void;
}

export class Executor {
  #worker: TaskWorker | undefined;
  #next = 1;
  #pending = new Map<number, Pending>();
  #memoryLimit: number;
  #registrations: { type: string; module: string; exportName?: string }[] = [];
  #indexes = new Map<string, Uint8Array>();

  constructor(memoryLimit: number) {
    this.#memoryLimit = memoryLimit;
  }

  #spawn(): TaskWorker {
    const fail = (error: unknown) => {
      for (const p of this.#pending.values()) p.reject(new TaskExecutionError('the executor worker died', { cause: error }));
      this.#pending.clear();
      this.#worker = undefined;
    };
    const w: TaskWorker = platform.spawnTaskWorker(this.#memoryLimit, {
      message: (m: WorkerReply) => {
        const p = this.#pending.get(m.id);
        if (p === undefined) return;
        this.#pending.delete(m.id);
        // Keep the process alive only while a call is in flight (an idle node must not hold it).
        if (this.#pending.size === 0) w.unref();
        if (m.ok) p.resolve(m);
        else p.reject(Object.assign(new TaskExecutionError(m.error ?? 'handler failed'), { reason: m.code ?? 'handler-error' }));
      },
      error: fail,
      exit: (code) => {
        if (this.#worker === w) fail(new Error(`exit ${code}`));
      },
    });
    this.#worker = w;
    return w;
  }

  async #call(msg: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<{ result?: Uint8Array; ms?: number; version?: number }> {
    let w = this.#worker;
    if (w === undefined) {
      w = this.#spawn();
      // A fresh worker (first start, or after a crash) gets the user handlers and index replicas again.
      for (const r of this.#registrations) await this.#send(w, { op: 'register', ...r });
      for (const [name, snapshot] of this.#indexes) await this.#send(w, { op: 'index', name, snapshot });
    }
    return this.#send(w, msg, transfer);
  }

  #send(w: TaskWorker, msg: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<{ result?: Uint8Array; ms?: number; version?: number }> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.ref();
      w.post({ ...msg, id }, transfer ?? []);
    });
  }

  /** Starts the task worker now (so the first task does not pay the start-up). */
  async warm(): Promise<void> {
    if (this.#worker === undefined) await this.#call({ op: 'ping' });
  }

  /** Runs one task; resolves with the canonical CBOR result bytes and the metered ms. */
  async run(type: string, payload: Uint8Array): Promise<RunResult> {
    const r = await this.#call({ op: 'run', type, payload });
    return { result: new Uint8Array(r.result!), ms: r.ms ?? 0 };
  }

  /** Registers a user handler module (an ES module exporting `run(payload, ctx)`). */
  async register(type: string, module: string, exportName?: string): Promise<void> {
    const reg = exportName === undefined ? { type, module } : { type, module, exportName };
    await this.#call({ op: 'register', ...reg });
    this.#registrations.push(reg);
  }

  /** Installs a full index replica (snapshot) in the worker. */
  async loadIndex(name: string, snapshot: Uint8Array): Promise<number> {
    const r = await this.#call({ op: 'index', name, snapshot });
    this.#indexes.set(name, snapshot);
    return r.version!;
  }

  /** Applies a delta to the worker's replica; `snapshot` is the state after it (kept for respawns). */
  async applyDelta(name: string, delta: Uint8Array, snapshotAfter: Uint8Array): Promise<number> {
    const r = await this.#call({ op: 'index', name, delta });
    this.#indexes.set(name, snapshotAfter);
    return r.version!;
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    for (const p of this.#pending.values()) p.reject(new NodeStateError('the node stopped'));
    this.#pending.clear();
    if (w !== undefined) await w.terminate();
  }
}

export interface BatteryStatus {
  readonly charging: boolean;
  /** Charge in [0, 1]. */
  readonly level: number;
}

/**
 * Share of cpuLimit allowed on this battery state when respectBattery is on: full when charging
 * or unknown, half on battery, none below 20 % charge.
 */
export function batteryFactor(b: BatteryStatus | undefined, respect: boolean): number {
  if (!respect || b === undefined || b.charging) return 1;
  if (b.level < 0.2) return 0;
  return 0.5;
}

export interface DutyCycleOptions {
  readonly cpuLimit: number;
  readonly minIdleTime: number;
  readonly respectBattery: boolean;
  readonly now: () => number;
}

/** Gate deciding when the next task may start (see module comment). */
export class DutyCycle {
  readonly #o: DutyCycleOptions;
  #cpuLimit: number;
  #nextStart = 0;
  #lastActivity = -Infinity;
  #paused = false;
  #battery: BatteryStatus | undefined;
  #busyMs = 0;
  #lastBusy = 0;
  #lastEnd = 0;
  #since: number;

  constructor(options: DutyCycleOptions) {
    this.#o = options;
    this.#cpuLimit = options.cpuLimit;
    this.#since = options.now();
  }

  /** The configured CPU share (before the battery factor). */
  get cpuLimit(): number {
    return this.#cpuLimit;
  }
  /**
   * Changes the CPU share live (0.1..0.5, as `EdgeNetConfig.cpuLimit`). The next task starts
   * under the new share; the gap already scheduled after the last task is recomputed from it, so
   * raising the share takes effect at once instead of after a gap sized for the old one.
   */
  setCpuLimit(share: number): void {
    if (typeof share !== 'number' || !(share >= 0.1 && share <= 0.5)) throw new ConfigError('cpuLimit', 'must be a number in [0.1, 0.5]');
    const before = this.effectiveLimit();
    this.#cpuLimit = share;
    const after = this.effectiveLimit();
    if (this.#lastBusy > 0 && before > 0 && after > 0 && Number.isFinite(this.#nextStart)) {
      this.#nextStart = this.#lastEnd + (this.#lastBusy * (1 - after)) / after;
    }
  }

  get paused(): boolean {
    return this.#paused;
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    this.#paused = false;
  }
  /** The user did something (input, foreground work): contribution waits minIdleTime. */
  signalActivity(at = this.#o.now()): void {
    this.#lastActivity = Math.max(this.#lastActivity, at);
  }
  setBattery(b: BatteryStatus | undefined): void {
    this.#battery = b;
  }
  get battery(): BatteryStatus | undefined {
    return this.#battery;
  }
  isIdle(now = this.#o.now()): boolean {
    return now - this.#lastActivity >= this.#o.minIdleTime;
  }
  /** The CPU share in force now: cpuLimit scaled by the battery factor. */
  effectiveLimit(): number {
    return this.#cpuLimit * batteryFactor(this.#battery, this.#o.respectBattery);
  }
  /** Why work may not start now, or undefined when it may. */
  blocked(now = this.#o.now()): 'paused' | 'user-active' | 'battery' | undefined {
    if (this.#paused) return 'paused';
    if (!this.isIdle(now)) return 'user-active';
    if (this.effectiveLimit() <= 0) return 'battery';
    return undefined;
  }
  /** ms until the next task may start under the CPU share (0 = now). */
  waitMs(now = this.#o.now()): number {
    return Math.max(0, this.#nextStart - now);
  }
  /** Records a task that kept the worker busy for `busyMs`, ending at `end`. */
  record(busyMs: number, end = this.#o.now()): void {
    const c = this.effectiveLimit();
    const b = Math.max(0, busyMs);
    this.#busyMs += b;
    this.#lastBusy = b;
    this.#lastEnd = end;
    this.#nextStart = end + (c > 0 ? (b * (1 - c)) / c : Infinity);
  }
  /** Busy share since construction (busy ms / elapsed ms). */
  utilization(now = this.#o.now()): number {
    const elapsed = now - this.#since;
    return elapsed <= 0 ? 0 : Math.min(1, this.#busyMs / elapsed);
  }
}
