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

/** Resolves once `p` has a connection (@edge/net keeps dialing its bootstrap peers while it has none). */
export async function joined(p: Proc, timeoutMs = 60_000): Promise<void> {
  await until(`${p.id.slice(0, 8)} to connect to the network`, async () => (await p.call<string[]>('connected')).length > 0, timeoutMs, 250);
}

/** SIGKILLs one process (a crash: no shutdown code runs) and resolves when it is gone. */
export async function crash(p: Proc): Promise<void> {
  if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  await p.exited;
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

/** What the fixture's `state` command returns: one replica's ledger fold and the node's stats. */
export interface LedgerView {
  root: string;
  totals: { balances: number; escrow: number; stake: number; inFlight: number; granted: number; minted: number; burned: number };
  accounts: Record<string, { balance: number; minted: number; stake: number; burned: number; escrow: number; reputation: number; height: number; frozen: boolean; frozenAt?: number }>;
  stats: Record<string, any>;
  multiplier: number;
  rejected: Record<string, number>;
  forks: { author: string; height: number; entries: number; resolved: boolean }[];
}

/** The ledger invariant of docs/economy.md on one replica: balances + escrow + stake + in flight = granted + minted − burned. */
export function conserved(s: LedgerView): boolean {
  const t = s.totals;
  return t.balances + t.escrow + t.stake + t.inFlight === t.granted + t.minted - t.burned;
}

/** Waits until every process's replica has the same Merkle root (payments collected), and returns the states. */
export async function converged(procs: Proc[], timeoutMs = 90_000): Promise<LedgerView[]> {
  let states: LedgerView[] = [];
  try {
    await until(
      'ledger replicas to converge',
      async () => {
        states = await Promise.all(procs.map((p) => p.call<LedgerView>('state')));
        return states.every((s) => s.root === states[0]!.root);
      },
      timeoutMs,
      300,
    );
  } catch (error) {
    // Which replica is behind, and whether it is connected at all.
    const conns = await Promise.all(procs.map((p) => p.call<string[]>('connected').then((c) => c.length, () => -1)));
    const detail = procs.map((p, i) => `${p.id.slice(0, 8)}: root ${states[i]?.root.slice(0, 8)}, chain heights ${Object.values(states[i]?.accounts ?? {}).reduce((a, x) => a + x.height, 0)}, ${conns[i]} connections`).join('\n');
    throw new Error(`${(error as Error).message}\n${detail}`);
  }
  return states;
}
