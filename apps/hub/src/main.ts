/**
 * `edge-net-hub` (what root `pnpm start` runs): starts the hub (hub.ts), prints the dashboard's
 * URL and a live one-line status, and shuts everything down cleanly on Ctrl-C.
 */

import { fileURLToPath } from 'node:url';
import { parseOptions, repoRoot, UsageError, USAGE } from './options.js';
import { startHub, type HubStatus } from './hub.js';

const UNITS_PER_RUV = 1_000_000;
const ruv = (units: number) => `${(units / UNITS_PER_RUV).toFixed(2)} rUv`;

/** One line: peers, tasks, credits. */
export function statusLine(s: HubStatus, workers: number): string {
  const up = s.workers.filter((w) => w !== null);
  const done = up.reduce((n, w) => n + w!.completed, 0);
  const queued = up.reduce((n, w) => n + w!.queue, 0);
  const earned = up.reduce((n, w) => n + w!.earned, 0);
  const held = up.reduce((n, w) => n + w!.balance + w!.staked, 0);
  const replicas = up.filter((w) => w!.indexVersion === s.hub.indexVersion).length;
  return (
    `peers ${s.hub.peers} (workers ${up.length}/${workers}, browsers ${s.others}) · ` +
    `tasks ${done} done, ${queued} queued · ` +
    `credits: workers earned ${ruv(earned)}, hold ${ruv(held)} · ` +
    `index v${s.hub.indexVersion ?? '-'} on ${replicas} worker(s)`
  );
}

function createConsole(live: boolean) {
  const tty = live && process.stdout.isTTY === true;
  let current = '';
  const clear = () => {
    if (tty && current !== '') process.stdout.write('\r\x1b[2K');
  };
  return {
    log(line: string) {
      clear();
      process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
      if (tty && current !== '') process.stdout.write(current);
    },
    status(line: string) {
      if (!live) return;
      const width = process.stdout.columns ?? 200;
      const shown = line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
      if (tty) {
        clear();
        current = shown;
        process.stdout.write(shown);
      } else {
        process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] status: ${line}\n`);
      }
    },
    end() {
      clear();
      current = '';
    },
  };
}

/** Runs the hub until SIGINT / SIGTERM; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseOptions(argv, repoRoot(fileURLToPath(import.meta.url)));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message === '' ? USAGE : `${error.message}\n\n${USAGE}`);
      return error.message === '' ? 0 : 2;
    }
    throw error;
  }
  const out = createConsole(o.status);
  out.log(`starting the hub and ${o.workers} worker(s); state in ${o.dataDir}`);
  let hub;
  try {
    hub = await startHub(o, (line) => out.log(line));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') console.error(`port ${o.port} is in use: pass --port <another> (or --port 0 for any free port)`);
    else console.error(`the hub did not start: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  out.log(`hub ${hub.node.shortId()} listening ${hub.node.addresses().join(' ')}`);
  for (const w of hub.workers) out.log(`${w.name} ${w.short} up`);
  out.log(`dashboard: ${hub.url}   (Ctrl-C stops everything)`);

  let ticking = false;
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      out.status(statusLine(await hub.status(), hub.workers.length));
    } catch {
      /* a worker mid-restart: the next tick shows it */
    } finally {
      ticking = false;
    }
  };
  const every = process.stdout.isTTY === true ? 1_000 : 10_000;
  const timer = o.status ? setInterval(() => void tick(), every) : undefined;
  void tick();

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (timer !== undefined) clearInterval(timer);
  out.end();
  out.log('stopping (Ctrl-C again to force)…');
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await hub.stop();
  out.log('stopped');
  return 0;
}
