/**
 * The duty cycle, measured from outside (issue 8): a loaded worker process's executor thread
 * uses `cpuLimit` of one core, within ±5 points, at 0.1, 0.3 and 0.5, and (about) nothing while
 * the node is paused or within `minIdleTime` of user activity.
 *
 * Three worker processes (cpuLimit 0.1, 0.3, 0.5), each with its own submitter process that
 * keeps offers queued at it (a user task type that spins for 80 ms, registered as
 * non-deterministic so every task goes to one worker and nobody re-executes it). The share is
 * read from the kernel for the worker process's executor thread — the thread that runs task
 * handlers, found as the one that burned the most CPU under load — over a window of wall time
 * (/proc/<pid>/task/<tid>/stat and schedstat, see `threadTimes`): the node's own utilization
 * figure is not used. The share asserted within ±5 points is the time the thread held or waited
 * for a CPU (schedstat run + run-queue wait): on this shared 2-core machine the CPU time it gets
 * falls below what the duty cycle allows by what the scheduler withholds for other jobs, so the
 * CPU time itself is asserted never to exceed the limit by more than 5 points, and reported.
 * The whole process's share (main thread: networking, signatures, ledger) is reported beside it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { toHex } from '@edge/identity';
import { prng, seededBytes, testSeed } from '@edge/tooling/seed';
import { assertBuilt, until } from './procs.js';
import { killFixtures, spawnFixture, type Fixture } from './fixtures/flood-spawn.js';

const SEED = testSeed();
const rand = prng(SEED);
const POLICY = {
  net: 'node-test',
  genesisGrant: 1_000_000_000,
  genesisPowBits: 4,
  genesisBudgetPerEpoch: 1_000_000_000_000,
  minWitnesses: 2,
  minWitnessStake: 10_000_000,
  maxWorkPerUnit: 1,
  bonusCapBase: 1_000_000_000_000,
};
const LIMITS = [0.1, 0.3, 0.5] as const;
const MIN_IDLE_MS = 3_000;
const SPIN = { type: 'duty_spin', payload: { ms: 80 }, maxCost: 1_000_000_000, concurrency: 8 };
const TASKS = [{ type: 'duty_spin', module: './duty-spin.mjs', deterministic: false }];
const TICK = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

interface Pair {
  limit: number;
  worker: Fixture;
  submitter: Fixture;
  tid?: string;
}
let pairs: Pair[] = [];

/**
 * CPU time of every thread of `pid`, from the kernel: `cpu` = utime + stime (/proc/…/stat, in
 * USER_HZ ticks), `run` and `wait` = time on a CPU and time runnable but waiting on a run queue
 * (/proc/…/schedstat, ns). `run + wait` is the time the thread wanted a CPU: on a contended
 * machine (this VM has 2 cores shared with other jobs) `cpu` falls below what the duty cycle
 * allows by what the scheduler withheld, and `run + wait` does not.
 */
function threadTimes(pid: number): Map<string, { cpu: number; run: number; wait: number }> {
  const out = new Map<string, { cpu: number; run: number; wait: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      out.set(tid, { cpu: (Number(f[11]) + Number(f[12])) / TICK, run: run! / 1e9, wait: wait! / 1e9 });
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Share {
  /** CPU time of the executor thread / wall time. */
  cpu: number;
  /** (time on a CPU + time waiting for one) of the executor thread / wall time. */
  demand: number;
  /** CPU time of the whole worker process / wall time. */
  process: number;
  threads: Map<string, number>;
}

/** Shares over `ms` of wall time, per pair. */
async function measure(ps: Pair[], ms: number): Promise<Share[]> {
  const before = ps.map((p) => threadTimes(p.worker.info.pid));
  const t0 = performance.now();
  await sleep(ms);
  const after = ps.map((p) => threadTimes(p.worker.info.pid));
  const wall = (performance.now() - t0) / 1000;
  return ps.map((p, i) => {
    const d = new Map<string, { cpu: number; run: number; wait: number }>();
    for (const [tid, t] of after[i]!) {
      const b = before[i]!.get(tid) ?? { cpu: 0, run: 0, wait: 0 };
      d.set(tid, { cpu: t.cpu - b.cpu, run: t.run - b.run, wait: t.wait - b.wait });
    }
    const x = p.tid === undefined ? undefined : d.get(p.tid);
    return {
      cpu: x === undefined ? 0 : x.cpu / wall,
      demand: x === undefined ? 0 : (x.run + x.wait) / wall,
      process: [...d.values()].reduce((a, t) => a + t.cpu, 0) / wall,
      threads: new Map([...d].map(([tid, t]) => [tid, t.run])),
    };
  });
}

/** The duty cycle holds `limit`: the thread wants a CPU that share of the time (±5 points), and gets no more than that. */
function expectHolds(s: Share, limit: number, what: string): void {
  expect(Math.abs(s.demand - limit), `${what}: ${JSON.stringify({ cpu: s.cpu, demand: s.demand })}`).toBeLessThanOrEqual(0.05);
  expect(s.cpu, `${what}: cpu`).toBeLessThanOrEqual(limit + 0.05);
}
const r3 = (s: Share) => ({ cpu: +s.cpu.toFixed(3), demand: +s.demand.toFixed(3), process: +s.process.toFixed(3) });

const report: Record<string, unknown> = {};

beforeAll(async () => {
  assertBuilt();
  pairs = await Promise.all(
    LIMITS.map(async (limit, i) => {
      const worker = await spawnFixture('flood-node.mjs', { site: `duty-w${i}`, policy: POLICY, seed: toHex(seededBytes(rand, 32)), cpuLimit: limit, minIdleTime: MIN_IDLE_MS, tasks: TASKS });
      // Each worker has its own submitter (its own little network): every task it submits goes to that worker.
      const submitter = await spawnFixture('flood-node.mjs', { site: `duty-s${i}`, policy: POLICY, seed: toHex(seededBytes(rand, 32)), bootstrap: [worker.info.addrs[0]], tasks: TASKS, taskTimeoutMs: 20_000 });
      return { limit, worker, submitter };
    }),
  );
  await Promise.all(pairs.map((p) => until(`the submitter to rank its worker (${p.limit})`, async () => (await p.submitter.call<string[]>('peers', { type: 'duty_spin' })).length === 1, 30_000)));
  for (const p of pairs) await p.submitter.call('startLoad', SPIN);
}, 120_000);

afterAll(async () => {
  for (const p of pairs) await p.submitter.call('stopLoad', {}, 30_000).catch(() => undefined);
  console.log('[duty]', JSON.stringify(report));
  await killFixtures();
});

describe(`duty cycle of loaded worker processes (TEST_SEED=${SEED})`, () => {
  it('the executor thread holds cpuLimit within ±5 points at 0.1, 0.3 and 0.5', async () => {
    // Warm-up: queues fill, the first cycles pass; then find each worker's executor thread.
    await sleep(1_500);
    const probe = await measure(pairs, 1_500);
    for (const [i, p] of pairs.entries()) p.tid = [...probe[i]!.threads].sort((a, b) => b[1] - a[1])[0]![0];
    const done0 = await Promise.all(pairs.map((p) => p.worker.call<{ tasks_completed: number }>('stats')));
    const m = await measure(pairs, 6_000);
    const done1 = await Promise.all(pairs.map((p) => p.worker.call<{ tasks_completed: number }>('stats')));
    report.tasksInWindow = done1.map((d, i) => d.tasks_completed - done0[i]!.tasks_completed);
    report.loaded = pairs.map((p, i) => ({ cpuLimit: p.limit, ...r3(m[i]!) }));
    for (const [i, p] of pairs.entries()) expectHolds(m[i]!, p.limit, `cpuLimit ${p.limit}`);
    // The load kept flowing: tasks completed on every worker.
    for (const p of pairs) expect((await p.worker.call<{ tasks_completed: number }>('stats')).tasks_completed).toBeGreaterThan(5);
  });

  it('pause() stops the work (about 0 %), resume() brings the share back', async () => {
    const p = pairs[2]!;
    await p.worker.call('pause');
    await sleep(300); // the task running at that moment finishes
    const paused = (await measure([p], 2_000))[0]!;
    await p.worker.call('resume');
    await sleep(1_500);
    const resumed = (await measure([p], 2_500))[0]!;
    report.pause = { paused: r3(paused), resumed: r3(resumed) };
    expect(paused.demand).toBeLessThanOrEqual(0.02);
    expectHolds(resumed, p.limit, 'resumed');
  });

  it('user activity stops the work for minIdleTime (about 0 %), then the share comes back', async () => {
    const p = pairs[2]!;
    await p.worker.call('activity');
    expect(await p.worker.call('isIdle')).toBe(false);
    await sleep(300);
    const active = (await measure([p], 2_000))[0]!;
    await until('the node to be idle again', async () => p.worker.call<boolean>('isIdle'), MIN_IDLE_MS + 2_000, 50);
    await sleep(1_000);
    const idle = (await measure([p], 2_500))[0]!;
    report.activity = { active: r3(active), idleAgain: r3(idle) };
    expect(active.demand).toBeLessThanOrEqual(0.02);
    expectHolds(idle, p.limit, 'idle again');
  });
});
