// Spawns test/fixtures/node-proc.mjs as real `node` processes (IPC channel for commands) and
// kills every one of them at the end.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/node-proc.mjs', import.meta.url));

export interface Proc {
  readonly id: string;
  readonly addrs: string[];
  readonly proc: ChildProcess;
  call<T = any>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stderr(): string;
  readonly exited: Promise<number | null>;
}

const all = new Set<ChildProcess>();

export function assertBuilt(): void {
  if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
    throw new Error('packages/node/dist is missing: run `pnpm --filter @edge/node build` first (turbo does it before test)');
  }
}

export async function spawnNode(config: Record<string, unknown>, startTimeoutMs = 60_000): Promise<Proc> {
  const proc = fork(FIXTURE, [JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } });
  all.add(proc);
  let err = '';
  const keep = (d: Buffer) => {
    err += d.toString();
    if (err.length > 100_000) err = err.slice(-50_000);
  };
  proc.stderr!.on('data', keep);
  proc.stdout!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => (all.delete(proc), resolve(code))));
  const pending = new Map<number, (m: any) => void>();
  let ready!: (m: any) => void;
  const readyP = new Promise<any>((res, rej) => {
    ready = res;
    void exited.then((code) => rej(new Error(`node process exited with ${code}:\n${err.slice(-4000)}`)));
    setTimeout(() => rej(new Error(`node process not ready in ${startTimeoutMs} ms:\n${err.slice(-4000)}`)), startTimeoutMs).unref();
  });
  proc.on('message', (m: any) => {
    if (m.ready) return ready(m);
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  });
  void exited.then((code) => {
    for (const [, p] of pending) p({ ok: false, code: 'ERR_CHILD_EXITED', message: `child exited ${code}` });
    pending.clear();
  });
  const info = await readyP;
  let next = 1;
  return {
    id: info.id,
    addrs: info.addrs,
    proc,
    exited,
    stderr: () => err,
    call(cmd, args = {}, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${cmd} timed out after ${timeoutMs} ms:\n${err.slice(-3000)}`));
        }, timeoutMs);
        pending.set(id, (m) => {
          clearTimeout(timer);
          if (m.ok) resolve(m.result);
          else reject(Object.assign(new Error(`${cmd}: ${m.code} ${m.message}`), { code: m.code }));
        });
        proc.send({ id, cmd, args });
      });
    },
  };
}

/** Kills every child still running (SIGKILL: tests must not leave processes behind). */
export async function killAll(): Promise<void> {
  const waits = [...all].map((p) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGKILL')))));
  await Promise.all(waits);
}

export async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000, stepMs = 200): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
