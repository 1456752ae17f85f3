// `edge-net worker` twice and `edge-net submit vector_search …`, as separate processes, exactly as
// the README shows them.
import { afterAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createIndex } from '@edge/hnsw';
import { assertBuilt } from './procs.js';

const BIN = fileURLToPath(new URL('../bin/edge-net.js', import.meta.url));
const procs: ChildProcess[] = [];

function run(args: string[]): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out, exited: new Promise((r) => proc.on('exit', (c) => r(c))) };
}

async function until<T>(fn: () => T | undefined, ms: number, what: string, logs: () => string = () => ''): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(async () => {
  await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => (p.once('exit', r), p.kill('SIGKILL'))))));
});

it('two `edge-net worker` processes serve `edge-net submit vector_search`', async () => {
  assertBuilt();
  const w1 = run(['worker']);
  const addr = await until(() => /listening (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+)/.exec(w1.out())?.[1], 30_000, 'the first worker');
  const w2 = run(['worker', '--bootstrap', addr]);
  await until(() => (/peers: 1/.test(w2.out()) ? true : undefined), 30_000, 'the second worker to join');
  const workerIds = [w1, w2].map((w) => /worker (π:\w+) up/.exec(w.out())?.[1]);
  const ids = ['a', 'b', 'c', 'd'];
  const vectors = [[1, 0, 0], [0, 1, 0], [0.9, 0.1, 0], [0, 0, 1]];
  const payload = { index: 'demo', vector: [1, 0, 0.1], k: 2, insert: { ids, vectors } };
  const s = run(['submit', 'vector_search', JSON.stringify(payload), '--bootstrap', addr]);
  expect(await s.exited).toBe(0);
  const text = s.out();
  // Both workers hold the index replica, both execute, and their results agree.
  expect(text, text).toMatch(/index "demo": 4 vectors, version \d+ held by 2 peer\(s\)/);
  const verified = /verification: (\S+); executed by (π:\w+(?:, π:\w+)*)/.exec(text);
  expect(verified?.[1], text).toBe('replicated');
  expect(verified![2]!.split(', ').sort(), text).toEqual([...workerIds].sort());
  const money = /quote (\d+), paid (\d+), refunded (\d+)/.exec(text);
  const quote = Number(money?.[1]);
  expect(quote, text).toBeGreaterThan(0);
  expect(Number(money![2]), text).toBe(2 * quote); // one payment per executing worker
  // Every worker acknowledged its payment before the submitter left.
  expect(text, text).not.toMatch(/warning/);
  const result = JSON.parse(text.slice(text.indexOf('{')));
  const oracle = createIndex({ dim: 3, metric: 'cosine' });
  oracle.addBatch(ids, vectors);
  expect(result.ids).toEqual(oracle.search(Float32Array.from(payload.vector), 2).ids);
  // Each worker reports the completed task and the payment it collected.
  // The worker prints a line whenever its count or earnings change: the last one counts (the
  // task can complete a moment before its payment arrives).
  const earned = (w: { out: () => string }) => Number([...w.out().matchAll(/tasks completed: 1 \(earned (\d+)/g)].at(-1)?.[1] ?? 0);
  await until(() => ([w1, w2].every((w) => earned(w) > 0) ? true : undefined), 20_000, 'both workers to be paid', () => [w1, w2].map((w) => w.out()).join('\n---\n'));
  for (const w of [w1, w2]) expect(earned(w), w.out()).toBeGreaterThanOrEqual(quote);
  w1.proc.kill('SIGINT');
  w2.proc.kill('SIGINT');
  expect(await w1.exited).toBe(0);
  expect(await w2.exited).toBe(0);
}, 120_000);
