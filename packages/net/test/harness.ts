// Spawns fixture scripts as real `node` processes on 127.0.0.1 and talks to them with JSON lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const here = fileURLToPath(new URL('.', import.meta.url));
export const FIXTURES = `${here}fixtures/`;

export interface Child {
  readonly info: Record<string, unknown> & { peerId: string; addrs: string[] };
  readonly proc: ChildProcess;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Resolves with `{ ok: false, code }` instead of throwing. */
  try(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<{ ok: boolean; result?: unknown; code?: string; remoteCode?: string; message?: string }>;
  stderr(): string;
  kill(): void;
  readonly exited: Promise<number | null>;
}

const children = new Set<Child>();

export function assertBuilt(): void {
  if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
    throw new Error('packages/net/dist is missing: run `pnpm --filter @edge/net build` first (turbo does it before test)');
  }
}

export async function spawnChild(script: string, config: Record<string, unknown>, startTimeoutMs = 30_000): Promise<Child> {
  const proc = spawn(process.execPath, [FIXTURES + script, JSON.stringify(config)], {
    cwd: FIXTURES,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const pending = new Map<number, { resolve: (v: any) => void; timer: ReturnType<typeof setTimeout> }>();
  let nextId = 1;
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let ready!: (info: any) => void;
  let failed!: (e: Error) => void;
  const readyP = new Promise<any>((res, rej) => {
    ready = res;
    failed = rej;
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let msg: any;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.ready) return ready(msg);
    const p = pending.get(msg.id);
    if (p) {
      clearTimeout(p.timer);
      pending.delete(msg.id);
      p.resolve(msg);
    }
  });
  void exited.then((code) => {
    failed(new Error(`${script} exited with ${code} before it was ready:\n${err.slice(-4000)}`));
    for (const [, p] of pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, code: 'ERR_CHILD_EXITED', message: `child exited ${code}` });
    }
    pending.clear();
  });
  const timer = setTimeout(() => failed(new Error(`${script} not ready in ${startTimeoutMs} ms:\n${err.slice(-4000)}`)), startTimeoutMs);
  let info: any;
  try {
    info = await readyP;
  } finally {
    clearTimeout(timer);
  }
  const tryCall: Child['try'] = (cmd, args = {}, timeoutMs = 30_000) =>
    new Promise((resolve) => {
      const id = nextId++;
      const t = setTimeout(() => {
        pending.delete(id);
        resolve({ ok: false, code: 'ERR_HARNESS_TIMEOUT', message: `${cmd} got no answer in ${timeoutMs} ms` });
      }, timeoutMs);
      pending.set(id, { resolve, timer: t });
      proc.stdin!.write(JSON.stringify({ id, cmd, args }) + '\n');
    });
  const child: Child = {
    info,
    proc,
    try: tryCall,
    async call(cmd, args, timeoutMs) {
      const r = await tryCall(cmd, args, timeoutMs);
      if (!r.ok) throw Object.assign(new Error(`${cmd} failed: ${r.code} ${r.message}\n${err.slice(-2000)}`), { code: r.code });
      return r.result as any;
    },
    stderr: () => err,
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      children.delete(child);
    },
    exited,
  };
  children.add(child);
  return child;
}

/** Kills every child this test file started (afterAll). */
export async function killAll(): Promise<void> {
  const all = [...children];
  for (const c of all) c.kill();
  await Promise.all(all.map((c) => Promise.race([c.exited, new Promise((r) => setTimeout(r, 2000))])));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
