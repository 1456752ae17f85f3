// The hub's parts on their own: the option parser (fuzzed: only UsageError escapes), the web
// server (isolation headers on every response, no path escapes the dashboard's folder, JSON
// documents), and the status line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { testSeed } from '@edge/tooling/seed';
import { parseOptions, UsageError } from '../src/options.js';
import { ISOLATION_HEADERS, startStaticServer, type StaticServer } from '../src/static.js';
import { statusLine } from '../src/main.js';
import { DutyCycle, NodeError } from '@edge/node';
import type { NodeSnapshot } from '../src/snapshot.js';

const seed = testSeed();
let dir: string;
let server: StaticServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-hub-units-'));
  await mkdir(join(dir, 'site', 'assets'), { recursive: true });
  await writeFile(join(dir, 'site', 'index.html'), '<!doctype html><title>dash</title>');
  await writeFile(join(dir, 'site', 'assets', 'app-1234.js'), 'console.log(1)');
  await writeFile(join(dir, 'secret.txt'), 'outside the site');
  server = await startStaticServer({ root: join(dir, 'site'), host: '127.0.0.1', port: 0, json: { '/hub.json': () => ({ hello: 'hub' }), '/status.json': async () => ({ n: 1 }), '/later.json': () => undefined } });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A raw GET (the path is sent exactly as given, no client-side normalisation). */
function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('options', () => {
  const root = '/repo';

  it('defaults, flags, and a config file that flags override', async () => {
    expect(parseOptions([], root)).toEqual({ port: 8080, host: '127.0.0.1', workers: 3, dataDir: '/repo/.edge-net', p2pPort: 0, workerStake: 20_000_000, cpu: 0.5, reset: false, status: true });
    expect(parseOptions(['--', '--port', '0', '--workers=1', '--data-dir', '/tmp/x', '--reset', '--no-status'], root)).toMatchObject({ port: 0, workers: 1, dataDir: '/tmp/x', reset: true, status: false });
    const cfg = join(dir, 'hub.config.json');
    await writeFile(cfg, JSON.stringify({ port: 9001, workers: 5, dataDir: 'state', host: '0.0.0.0' }));
    expect(parseOptions(['--config', cfg, '--workers', '2'], root)).toMatchObject({ port: 9001, workers: 2, dataDir: join(dir, 'state'), host: '0.0.0.0' });
  });

  it('refuses what is not an option, with a UsageError', async () => {
    for (const argv of [['--port', '70000'], ['--workers', '-1'], ['--workers', '2.5'], ['--port'], ['--nope', '1'], ['stray'], ['--cpu', '0.9'], ['--host', 'a b'], ['--config', join(dir, 'missing.json')]]) {
      expect(() => parseOptions(argv, root), argv.join(' ')).toThrow(UsageError);
    }
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '[1, 2]');
    expect(() => parseOptions(['--config', bad], root)).toThrow(UsageError);
  });

  it('random argument lists: valid options or a UsageError, nothing else (fuzz)', () => {
    const token = fc.oneof(fc.constantFrom('--port', '--host', '--workers', '--data-dir', '--p2p-port', '--cpu', '--worker-stake', '--reset', '--no-status', '--', '--port=80'), fc.string({ maxLength: 12 }), fc.integer().map(String));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
        try {
          const o = parseOptions(argv, root);
          expect(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535).toBe(true);
          expect(Number.isInteger(o.workers) && o.workers >= 0 && o.workers <= 32).toBe(true);
          expect(o.cpu >= 0.1 && o.cpu <= 0.5).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
        }
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe('web server', () => {
  it('serves the dashboard cross-origin isolated, assets cached for good, HTML revalidated', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>dash</title>');
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) expect(page.headers[k]).toBe(v);
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await get('/assets/app-1234.js?v=1');
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await get('/assets/app-1234.js', 'HEAD')).body).toBe('');
    expect((await get('/', 'POST')).status).toBe(405);
  });

  it('JSON documents are computed per request and never cached', async () => {
    const r = await get('/status.json');
    expect(JSON.parse(r.body)).toEqual({ n: 1 });
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(JSON.parse((await get('//hub.json')).body)).toEqual({ hello: 'hub' });
    // A document that is not ready yet (the hub is starting): 503.
    const later = await get('/later.json');
    expect(later.status).toBe(503);
    expect(JSON.parse(later.body)).toEqual({ starting: true });
  });

  it('no path leaves the dashboard folder; errors carry the isolation headers too', async () => {
    for (const p of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/..%5csecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/nope.js']) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('outside the site');
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    }
    expect((await get('/%E0%A4%A')).status).toBe(400);
  });
});

describe('status line', () => {
  const snap = (o: Partial<NodeSnapshot>): NodeSnapshot => ({ id: 'ab', short: 'π:00', balance: 0, earned: 0, spent: 0, staked: 0, completed: 0, queue: 0, peers: 0, reputation: 0, indexVersion: 778, pid: 1, ...o });

  it('sums the workers that answered and says how many are up', () => {
    const line = statusLine(
      {
        hub: snap({ peers: 4 }),
        workers: [snap({ completed: 3, queue: 1, earned: 6_012, balance: 80_006_012, staked: 20_000_000 }), null, snap({ completed: 2, earned: 4_008, balance: 80_004_008, staked: 20_000_000, indexVersion: 777 })],
        others: 2,
        capable: {},
      },
      3,
    );
    expect(line).toBe('peers 4 (workers 2/3, browsers 2) · tasks 5 done, 1 queued · credits: workers earned 0.01 rUv, hold 200.01 rUv · index v778 on 1 worker(s)');
  });
});

describe('DutyCycle.setCpuLimit (what the dashboard\'s CPU slider drives)', () => {
  it('the gap after a task follows the share set since, and a bad share changes nothing', () => {
    let t = 1_000;
    const d = new DutyCycle({ cpuLimit: 0.25, minIdleTime: 0, respectBattery: true, now: () => t });
    d.record(100, 1_000); // busy 100 ms: at 25 % the next task waits 100 * 0.75 / 0.25 = 300 ms
    expect(d.waitMs()).toBeCloseTo(300, 9);
    d.setCpuLimit(0.5);
    expect(d.cpuLimit).toBe(0.5);
    expect(d.waitMs()).toBeCloseTo(100, 9);
    d.setCpuLimit(0.1);
    expect(d.waitMs()).toBeCloseTo(900, 9);
    for (const bad of [0.05, 0.55, Number.NaN, '0.3' as unknown as number]) {
      let code = '';
      try {
        d.setCpuLimit(bad);
      } catch (error) {
        code = NodeError.isInstance(error) ? error.code : String(error);
      }
      expect(code).toBe('ERR_NODE_CONFIG');
    }
    expect(d.cpuLimit).toBe(0.1);
    expect(d.waitMs()).toBeCloseTo(900, 9);
    // The battery factor still applies on top of the new share.
    d.setCpuLimit(0.4);
    d.setBattery({ charging: false, level: 0.8 });
    expect(d.effectiveLimit()).toBeCloseTo(0.2, 12);
    t = 1_500;
    d.record(50, 1_500);
    expect(d.waitMs()).toBeCloseTo(200, 9);
  });
});
