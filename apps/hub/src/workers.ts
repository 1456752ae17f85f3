/**
 * The hub's worker processes: `node dist/worker.js <config>` forked with an IPC channel, each
 * with its own state directory. A worker that exits unexpectedly is reported (its line in the
 * status shows it down); shutdown asks every worker to stop and kills what is left after a grace
 * period.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NodeSnapshot } from './snapshot.js';
import type { WorkerConfig } from './worker.js';

export interface WorkerHandle {
  readonly name: string;
  readonly id: string;
  readonly short: string;
  readonly addrs: readonly string[];
  readonly alive: boolean;
  stats(timeoutMs?: number): Promise<NodeSnapshot | undefined>;
  stop(graceMs?: number): Promise<void>;
}

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

export async function spawnWorker(cfg: WorkerConfig, onLog: (line: string) => void, startTimeoutMs = 120_000): Promise<WorkerHandle> {
  const proc: ChildProcess = fork(WORKER, [JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let alive = true;
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      alive = false;
      resolve(code);
    }),
  );
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-8_000);
    for (const line of d.toString().split('\n')) if (line.trim().length > 0) onLog(`[${cfg.name}] ${line}`);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const pending = new Map<number, (s: NodeSnapshot | undefined) => void>();
  let next = 1;
  const ready = await new Promise<{ id: string; short: string; addrs: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cfg.name} did not start in ${startTimeoutMs} ms:\n${tail}`)), startTimeoutMs);
    proc.on('message', (m: { ready?: boolean; id?: string | number; short?: string; addrs?: string[]; stats?: NodeSnapshot }) => {
      if (m.ready === true) {
        clearTimeout(timer);
        resolve({ id: String(m.id), short: String(m.short), addrs: m.addrs ?? [] });
      } else if (typeof m.id === 'number') {
        pending.get(m.id)?.(m.stats);
        pending.delete(m.id);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${cfg.name} exited with ${code} while starting:\n${tail}`));
    });
  });
  void exited.then((code) => {
    for (const p of pending.values()) p(undefined);
    pending.clear();
    if (code !== 0) onLog(`[${cfg.name}] exited with code ${code}`);
  });
  return {
    name: cfg.name,
    ...ready,
    get alive() {
      return alive;
    },
    stats(timeoutMs = 2_000) {
      if (!alive || !proc.connected) return Promise.resolve(undefined);
      const id = next++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(undefined);
        }, timeoutMs);
        pending.set(id, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
        proc.send({ cmd: 'stats', id });
      });
    },
    async stop(graceMs = 8_000) {
      if (!alive) return;
      if (proc.connected) proc.send({ cmd: 'stop' });
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
