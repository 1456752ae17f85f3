// The heavy variant of packages/node/test/flood.test.ts: the same processes, generator and
// assertions, with FLOOD_MESSAGES raised (default 100 000 delivered messages; CI runs 10 000).
// Runs the test's discovery, volume and latency cases, then writes results/flood.json and
// results/flood.md from the report the test leaves behind.
// Usage: pnpm bench:flood [--messages N] [--tasks N]   (TEST_SEED=<n> replays a run)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, d) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : d;
};
const messages = Number(arg('--messages', '100000'));
const tasks = Number(arg('--tasks', '40'));
mkdirSync(join(here, 'results'), { recursive: true });
const reportPath = join(here, 'results/flood.json');
const nodePkg = join(here, '../../packages/node');

const run = spawnSync('nice', ['-n', '10', 'npx', 'vitest', 'run', 'test/flood.test.ts', '-t', 'every edge-net protocol|volume|latency'], {
  cwd: nodePkg,
  stdio: 'inherit',
  env: { ...process.env, FLOOD_MESSAGES: String(messages), FLOOD_TASKS: String(tasks), FLOOD_REPORT: reportPath },
});

const r = JSON.parse(readFileSync(reportPath, 'utf8'));
r.machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
r.passed = run.status === 0;
writeFileSync(reportPath, JSON.stringify(r, null, 2) + '\n');
const v = r.volume ?? {};
const l = r.latency ?? {};
const codes = (rows) => {
  const sum = {};
  for (const row of rows ?? []) for (const [k, n] of Object.entries(row)) sum[k] = (sum[k] ?? 0) + n;
  return Object.entries(sum).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`).join(', ');
};
const md = `# Flood (heavy variant of packages/node/test/flood.test.ts)

Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model}); three workers and a submitter, each its own process on 127.0.0.1; flooders are raw libp2p peers (libp2p alone) at a lower CPU priority. TEST_SEED=${r.seed}. Test ${r.passed ? 'passed' : 'FAILED'}.

| volume | |
|---|---:|
| messages delivered to honest nodes (a gossip message to four subscribers is four) | ${(v.delivered ?? 0).toLocaleString('en-US')} |
| messages sent by the flooders | ${(v.sentByFlooder ?? 0).toLocaleString('en-US')} |
| flooder identities | ${v.identities ?? '–'}: banned per node ${(v.bansByNode ?? []).join(' / ')}; cut off by all four nodes ${v.identitiesCutOff ?? '–'} |
| seconds, delivered per second | ${v.seconds ?? '–'} s, ${v.deliveredPerSecond ?? '–'} /s |
| tasks completed meanwhile (unpaced flood at the machine's limit), median, p90 | ${v.tasksDuringFlood?.count ?? '–'}, ${v.tasksDuringFlood?.medianMs ?? '–'} ms, ${v.tasksDuringFlood?.p90Ms ?? '–'} ms |

Rejections counted by net, all four nodes: ${codes(v.rejectedByNode)}.

Refusals counted by the nodes: ${codes(v.refusedByNode)}.

| latency (alternating flood and quiet blocks, one raw peer, ${l.rate ?? '–'} messages/s, ${l.concurrency ?? '–'} in flight) | quiet | flooded |
|---|---:|---:|
| tasks | ${l.tasks?.quiet ?? '–'} | ${l.tasks?.flooded ?? '–'} |
| median (ms) | ${l.quietMedianMs ?? '–'} | ${l.floodMedianMs ?? '–'} |
| p90 (ms) | ${l.quietP90Ms ?? '–'} | ${l.floodP90Ms ?? '–'} |
| ratio of medians | | ${l.ratio ?? '–'}x (${(l.deliveredPerFloodSecond ?? '–')} messages/s delivered in flood blocks) |
`;
writeFileSync(join(here, 'results/flood.md'), md);
console.log(md);
process.exit(run.status ?? 1);
