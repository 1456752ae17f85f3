import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PiKey, createReplayGuard, seal } from '@edge/identity';
import { testSeed } from '@edge/tooling/seed';
import {
  ConfigError,
  DutyCycle,
  EdgeNetConfig,
  MIN_SAMPLE,
  ProtocolError,
  RoutingTable,
  TRUST_AFTER,
  UnknownTaskTypeError,
  batteryFactor,
  checkIndexSync,
  checkWitnessRequest,
  openOffer,
  openResult,
  sealOffer,
} from '../src/index.js';
import { config } from './helpers.js';

const SEED = testSeed();

describe('EdgeNetConfig', () => {
  it('validates every setter with a typed error naming the field', () => {
    const bad: [string, () => unknown][] = [
      ['siteId', () => new EdgeNetConfig('')],
      ['siteId', () => new EdgeNetConfig('a b')],
      ['cpuLimit', () => new EdgeNetConfig('s').cpuLimit(0.05)],
      ['cpuLimit', () => new EdgeNetConfig('s').cpuLimit(0.51)],
      ['cpuLimit', () => new EdgeNetConfig('s').cpuLimit(Number.NaN)],
      ['memoryLimit', () => new EdgeNetConfig('s').memoryLimit(1024)],
      ['minIdleTime', () => new EdgeNetConfig('s').minIdleTime(-1)],
      ['respectBattery', () => new EdgeNetConfig('s').respectBattery('yes' as unknown as boolean)],
      ['bootstrap', () => new EdgeNetConfig('s').bootstrap(['not-a-multiaddr'])],
      ['storage', () => new EdgeNetConfig('s').storage('' as string)],
      ['passphrase', () => new EdgeNetConfig('s').passphrase('short')],
      ['passphrase', () => new EdgeNetConfig('s').passphrase('long enough pass').build()],
      ['trustedPeers', () => new EdgeNetConfig('s').trustedPeers([new Uint8Array(3)])],
    ];
    for (const [field, f] of bad) {
      let e: unknown;
      try {
        f();
      } catch (error) {
        e = error;
      }
      expect(e, field).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).code).toBe('ERR_NODE_CONFIG');
      expect((e as ConfigError).field).toBe(field);
    }
    const ok = new EdgeNetConfig('site').cpuLimit(0.1).cpuLimit(0.5).memoryLimit(64 << 20).minIdleTime(0).respectBattery(false).bootstrap(['/ip4/127.0.0.1/tcp/4001']);
    expect(ok.build()).toBeDefined();
  });

  it('refuses calls on a node that is not started', () => {
    const n = new EdgeNetConfig('s').build();
    expect(() => n.ruvBalance()).toThrow(expect.objectContaining({ code: 'ERR_NODE_STATE' }));
  });
});

describe('DutyCycle', () => {
  it('holds the CPU share: busy b ms is followed by b(1-c)/c ms of rest', () => {
    let t = 0;
    const d = new DutyCycle({ cpuLimit: 0.25, minIdleTime: 1000, respectBattery: true, now: () => t });
    let busy = 0;
    for (let i = 0; i < 100; i++) {
      t += d.waitMs();
      expect(d.waitMs()).toBe(0);
      const b = 10 + (i % 7) * 5;
      t += b;
      busy += b;
      d.record(b);
    }
    t += d.waitMs(); // the rest owed by the last task
    expect(busy / t).toBeCloseTo(0.25, 10);
  });

  it('blocks on pause, user activity within minIdleTime, and a low battery', () => {
    let t = 10_000;
    const d = new DutyCycle({ cpuLimit: 0.4, minIdleTime: 1000, respectBattery: true, now: () => t });
    expect(d.blocked()).toBeUndefined();
    d.pause();
    expect(d.blocked()).toBe('paused');
    d.resume();
    d.signalActivity();
    expect(d.blocked()).toBe('user-active');
    expect(d.isIdle()).toBe(false);
    t += 1000;
    expect(d.isIdle()).toBe(true);
    d.setBattery({ charging: false, level: 0.5 });
    expect(d.effectiveLimit()).toBeCloseTo(0.2, 12);
    d.setBattery({ charging: false, level: 0.1 });
    expect(d.blocked()).toBe('battery');
    expect(batteryFactor({ charging: false, level: 0.1 }, false)).toBe(1);
    expect(batteryFactor({ charging: true, level: 0.1 }, true)).toBe(1);
  });
});

describe('RoutingTable', () => {
  it('replicates unknown workers always, samples trusted ones down to MIN_SAMPLE, resets on a fault', () => {
    const r = new RoutingTable();
    const w = 'ab'.repeat(32);
    expect(r.replicationProbability(w)).toBe(1);
    for (let i = 0; i < TRUST_AFTER - 1; i++) r.verified(w);
    expect(r.replicationProbability(w)).toBe(1);
    const seen: number[] = [];
    for (let i = 0; i < 400; i++) {
      r.verified(w);
      seen.push(r.replicationProbability(w));
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeLessThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)).toBe(MIN_SAMPLE);
    r.fault(w);
    expect(r.replicationProbability(w)).toBe(1);
  });

  it('learns values as an EMA and survives a JSON round trip', () => {
    const r = new RoutingTable();
    const p = 'cd'.repeat(32);
    expect(r.record('embedding', p, 1)).toBeCloseTo(0.2, 12);
    expect(r.record('embedding', p, 1)).toBeCloseTo(0.36, 12);
    expect(r.record('embedding', p, 5)).toBeCloseTo(0.488, 12); // rewards clamp to [-1, 1]
    r.observeLatency(p, 10);
    const back = RoutingTable.restore(JSON.parse(JSON.stringify(r.snapshot())));
    expect(back.value('embedding', p)).toBe(r.value('embedding', p));
    expect(back.latency.get(p)).toBe(10);
    expect(RoutingTable.restore({ v: 2 }).values.size).toBe(0);
  });
});

describe('task protocol decoders', () => {
  const me = PiKey.fromSeed(new Uint8Array(32).fill(1));
  const peer = PiKey.fromSeed(new Uint8Array(32).fill(2));
  const body = (over = {}) => ({ task: new Uint8Array(32).fill(3), type: 'embedding', payload: new Uint8Array([0xa0]), units: 2, price: 2000, deadline: 2_000_000_000_000, to: me.publicKey, ...over });

  it('accepts a good offer once, then refuses its replay, foreign addressees, expiry and forgery', async () => {
    const guard = createReplayGuard({ now: () => 1_900_000_000_000, maxAgeMs: 1e15, maxFutureMs: 1e15 });
    const bytes = sealOffer(peer, body());
    const env = await openOffer(bytes, { guard, me: me.publicKey, now: 1_900_000_000_000 });
    expect(env.body.type).toBe('embedding');
    const reason = async (b: Uint8Array, now = 1_900_000_000_000) => (await openOffer(b, { guard, me: me.publicKey, now }).catch((e: unknown) => e)) as ProtocolError;
    expect((await reason(bytes)).reason).toBe('replay');
    expect((await reason(sealOffer(peer, body({ to: peer.publicKey })))).reason).toBe('not-addressee');
    expect((await reason(sealOffer(peer, body()), 2_100_000_000_000)).reason).toBe('expired');
    const forged = sealOffer(peer, body());
    forged[forged.length - 5] ^= 1;
    expect((await reason(forged)).reason).toBe('bad-signature');
    expect((await reason(seal(peer, 'edge.task.offer', { ...body(), extra: 1 }))).reason).toBe('schema');
    expect((await reason(seal(peer, 'edge.task.offer', body({ units: -1 })))).reason).toBe('schema');
  });

  it('lets only ProtocolError escape for random bytes and random bodies (fuzz)', async () => {
    const guard = createReplayGuard();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        for (const f of [
          () => openOffer(bytes, { guard, me: me.publicKey, now: Date.now() }),
          () => openResult(bytes, { from: peer.publicKey, task: new Uint8Array(32), offer: new Uint8Array(32) }),
        ]) {
          const e = await f().then(() => undefined, (x: unknown) => x);
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.anything(), (v) => {
        for (const f of [() => checkWitnessRequest(v), () => checkIndexSync(v)]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});

describe('task types', () => {
  it('a user task type is one registration and runs on the worker thread', async () => {
    const n = config(SEED, 7).build();
    n.registerTask({ type: 'square', module: new URL('./fixtures/square.mjs', import.meta.url), units: () => 1 });
    await n.start();
    try {
      const r = await n.submitTask<{ squares: number[] }>('square', { values: [1, 2, 3, -4] }, 1_000);
      expect(r.result.squares).toEqual([1, 4, 9, 16]);
      await expect(n.submitTask('nope', {}, 1)).rejects.toBeInstanceOf(UnknownTaskTypeError);
      await expect(n.submitTask('embedding', { texts: [] }, 1)).rejects.toMatchObject({ code: 'ERR_INVALID_PAYLOAD' });
      expect(n.getStats().tasks_local).toBe(1);
    } finally {
      await n.stop();
    }
  });
});
