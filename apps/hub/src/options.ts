/**
 * Command line and config file of the hub.
 *
 *   edge-net-hub [--port 8080] [--host 127.0.0.1] [--workers 3] [--data-dir .edge-net]
 *                [--p2p-port 0] [--config hub.json] [--reset] [--no-status]
 *
 * A config file is JSON with the same names in camelCase (`port`, `host`, `workers`, `dataDir`,
 * `p2pPort`, `workerStake`, `cpu`); flags override it. A relative `dataDir` in a config file is
 * relative to the file.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface HubOptions {
  /** HTTP port of the dashboard (0: any free port). */
  readonly port: number;
  /** Interface every listener binds to. */
  readonly host: string;
  /** Headless worker nodes (child processes). */
  readonly workers: number;
  /** Where the hub and its workers keep identity, ledger, indexes and routing values. */
  readonly dataDir: string;
  /** TCP port of the hub's libp2p listener (its WebSockets listener takes the next one); 0: any. */
  readonly p2pPort: number;
  /** Stake each worker locks (base units), so it can witness payments. */
  readonly workerStake: number;
  /** CPU share of each worker, 0.1..0.5. */
  readonly cpu: number;
  /** Delete the data directory first. */
  readonly reset: boolean;
  /** Redraw a one-line status (on a terminal) or print one every few seconds (otherwise). */
  readonly status: boolean;
}

export class UsageError extends Error {}

export const USAGE = `usage: edge-net-hub [options]
  --port <n>        dashboard HTTP port (default 8080; 0 = any free port)
  --host <addr>     interface to bind (default 127.0.0.1; 0.0.0.0 serves other machines)
  --workers <n>     headless worker nodes (default 3, 0..32)
  --data-dir <dir>  state of the hub and workers (default .edge-net/ at the repository root)
  --p2p-port <n>    hub libp2p TCP port; WebSockets on the next port (default 0 = any)
  --config <file>   JSON file with the options above (camelCase); flags win
  --reset           delete the data directory before starting
  --no-status       no live status line`;

/** The repository root (nearest ancestor with pnpm-workspace.yaml), else the working directory. */
export function repoRoot(from: string): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function int(name: string, v: unknown, min: number, max: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}]`);
  return n;
}

export function parseOptions(argv: readonly string[], root: string): HubOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue; // `pnpm start -- --port 9000` passes the separator through
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${a}`);
    const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (k === 'reset' || k === 'no-status' || k === 'help') {
      flags.set(k, 'true');
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${k} needs a value`);
    flags.set(k, v);
  }
  const known = new Set(['port', 'host', 'workers', 'data-dir', 'p2p-port', 'config', 'reset', 'no-status', 'help', 'worker-stake', 'cpu']);
  for (const k of flags.keys()) if (!known.has(k)) throw new UsageError(`unknown option --${k}`);
  if (flags.has('help')) throw new UsageError('');

  let file: Record<string, unknown> = {};
  let fileDir = root;
  const cfg = flags.get('config');
  if (cfg !== undefined) {
    const path = resolve(cfg);
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`cannot read config ${path}: ${(error as Error).message}`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new UsageError(`config ${path} must be a JSON object`);
    fileDir = dirname(path);
  }
  const pick = (flag: string, key: string) => flags.get(flag) ?? file[key];

  const host = String(pick('host', 'host') ?? '127.0.0.1');
  if (!/^[0-9a-zA-Z.:-]{1,64}$/.test(host)) throw new UsageError('--host must be an address');
  const dataFlag = flags.get('data-dir');
  const dataFile = file.dataDir;
  const dataDir = dataFlag !== undefined ? resolve(dataFlag) : typeof dataFile === 'string' ? resolve(fileDir, dataFile) : join(root, '.edge-net');
  const cpu = Number(pick('cpu', 'cpu') ?? 0.5);
  if (!(cpu >= 0.1 && cpu <= 0.5)) throw new UsageError('--cpu must be in [0.1, 0.5]');
  return {
    port: int('port', pick('port', 'port') ?? 8080, 0, 65535),
    host,
    workers: int('workers', pick('workers', 'workers') ?? 3, 0, 32),
    dataDir,
    p2pPort: int('p2p-port', pick('p2p-port', 'p2pPort') ?? 0, 0, 65534),
    workerStake: int('worker-stake', pick('worker-stake', 'workerStake') ?? 20_000_000, 0, 2 ** 48),
    cpu,
    reset: flags.get('reset') === 'true' || file.reset === true,
    status: flags.get('no-status') !== 'true' && file.status !== false,
  };
}
