import { PiKey } from '@edge/identity';
import { prng, seededBytes } from '@edge/tooling/seed';

export function keyFor(seed: number, i: number): PiKey {
  return PiKey.fromSeed(seededBytes(prng((seed ^ (i * 0x9e3779b1)) >>> 0), 32));
}

export function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}
