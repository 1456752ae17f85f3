/**
 * Capability and load adverts, and the peer table that keeps the latest of each per peer.
 *
 * A capability advert says what a node can run (task types, compute backends, its CPU share and
 * memory); a load advert says how busy it is. Both carry a TTL; the table drops an advert when
 * it expires (TTL capped by the table's `maxTtlMs`, counted from when we received it, so a
 * sender's clock cannot stretch it) and keeps only the newest per peer and kind (by the
 * signer's timestamp, so a replayed older advert cannot roll the state back).
 */

import * as v from 'valibot';
import type { Incoming } from './codec.js';
import { defineTopic } from './protocols.js';

const NAME = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_.:-]{0,47}$/));
const TTL = v.pipe(v.number(), v.integer(), v.minValue(1_000), v.maxValue(3_600_000));
const COUNT = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000));
const SHARE = v.pipe(v.number(), v.minValue(0), v.maxValue(1));

export const capabilityAdvertSchema = v.strictObject({
  /** Task types this node executes (e.g. `vector_search`). */
  caps: v.pipe(v.array(NAME), v.maxLength(32)),
  /** Compute backends it has (e.g. `wasm-simd`, `webgpu`). */
  backends: v.pipe(v.array(NAME), v.maxLength(8)),
  /** Configured CPU share, 0..1. */
  cpuLimit: SHARE,
  /** Memory it offers, bytes. */
  memoryBytes: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER)),
  /** Software version. */
  version: v.pipe(v.string(), v.maxLength(32)),
  /** Named resources it holds (e.g. index shards), bounded. */
  holds: v.pipe(v.array(v.pipe(v.string(), v.maxLength(96))), v.maxLength(64)),
  ttlMs: TTL,
  /**
   * Optional dialable multiaddrs (without `/p2p/<id>`): lets peers that learned of this node
   * through gossip (for example via a hub) open a direct connection to it.
   */
  addrs: v.optional(v.pipe(v.array(v.pipe(v.string(), v.regex(/^\/[A-Za-z0-9./_:-]{1,255}$/))), v.maxLength(8))),
});

export const loadAdvertSchema = v.strictObject({
  /** Tasks waiting. */
  queued: COUNT,
  /** Tasks running now. */
  running: COUNT,
  /** Tasks it can run at once. */
  capacity: COUNT,
  /** Measured CPU share in use, 0..1. */
  cpu: SHARE,
  /** Whether it admits new tasks now. */
  accepting: v.boolean(),
  ttlMs: TTL,
});

export type CapabilityAdvert = v.InferOutput<typeof capabilityAdvertSchema>;
export type LoadAdvert = v.InferOutput<typeof loadAdvertSchema>;

export const CAPABILITY_ADVERT = 'edge.advert.capability';
export const LOAD_ADVERT = 'edge.advert.load';

export const advertMessages = {
  [CAPABILITY_ADVERT]: capabilityAdvertSchema,
  [LOAD_ADVERT]: loadAdvertSchema,
} as const;
export type AdvertMessages = typeof advertMessages;

/** The gossipsub topic of capability and load adverts. */
export const ADVERTS_TOPIC = defineTopic({
  topic: 'edge-net/adverts/1',
  messages: advertMessages,
  maxBytes: 4096,
  rate: { capacity: 16, refillPerSec: 2 },
});

export interface AdvertEntry<T> {
  readonly advert: T;
  /** Signer's timestamp. */
  readonly ts: number;
  readonly receivedAt: number;
  readonly expiresAt: number;
}

export interface PeerRecord {
  readonly peer: string;
  readonly publicKey: Uint8Array;
  readonly capability?: AdvertEntry<CapabilityAdvert>;
  readonly load?: AdvertEntry<LoadAdvert>;
}

export interface PeerTable {
  /** Records an advert; false when it is older than the one held (or the table refused it). */
  update(message: Incoming<AdvertMessages>): boolean;
  /** The live (unexpired) record of a peer. */
  get(peer: string): PeerRecord | undefined;
  /** Live records, optionally only peers that advertise `capability` / are `accepting`. */
  list(filter?: { capability?: string; accepting?: boolean }): PeerRecord[];
  delete(peer: string): void;
  /** Drops expired adverts; returns how many peers were removed. */
  prune(): number;
  readonly size: number;
}

export interface PeerTableOptions {
  /** Peers kept. Default 10 000 (the least recently updated is dropped). */
  maxPeers?: number;
  /** Longest TTL honoured, ms. Default 10 minutes. */
  maxTtlMs?: number;
  now?: () => number;
}

export function createPeerTable(options: PeerTableOptions = {}): PeerTable {
  const maxPeers = options.maxPeers ?? 10_000;
  const maxTtlMs = options.maxTtlMs ?? 600_000;
  const now = options.now ?? Date.now;
  const table = new Map<string, { peer: string; publicKey: Uint8Array; capability?: AdvertEntry<CapabilityAdvert>; load?: AdvertEntry<LoadAdvert> }>();

  const live = (r: typeof table extends Map<string, infer R> ? R : never, t: number): PeerRecord | undefined => {
    const capability = r.capability !== undefined && r.capability.expiresAt > t ? r.capability : undefined;
    const load = r.load !== undefined && r.load.expiresAt > t ? r.load : undefined;
    if (capability === undefined && load === undefined) return undefined;
    return { peer: r.peer, publicKey: r.publicKey, ...(capability ? { capability } : {}), ...(load ? { load } : {}) };
  };

  return {
    update(message) {
      const t = now();
      let r = table.get(message.signer);
      const kind = message.type === CAPABILITY_ADVERT ? 'capability' : 'load';
      const prev = r?.[kind];
      if (prev !== undefined && prev.ts >= message.ts) return false;
      const entry = { advert: message.body, ts: message.ts, receivedAt: t, expiresAt: t + Math.min(message.body.ttlMs, maxTtlMs) };
      if (r === undefined) {
        if (table.size >= maxPeers) table.delete(table.keys().next().value as string);
        r = { peer: message.signer, publicKey: message.from };
      } else {
        table.delete(message.signer); // re-insert: Map order is least recently updated first
      }
      if (kind === 'capability') r.capability = entry as AdvertEntry<CapabilityAdvert>;
      else r.load = entry as AdvertEntry<LoadAdvert>;
      table.set(message.signer, r);
      return true;
    },
    get(peer) {
      const r = table.get(peer);
      return r === undefined ? undefined : live(r, now());
    },
    list(filter = {}) {
      const t = now();
      const out: PeerRecord[] = [];
      for (const r of table.values()) {
        const l = live(r, t);
        if (l === undefined) continue;
        if (filter.capability !== undefined && !(l.capability?.advert.caps.includes(filter.capability) ?? false)) continue;
        if (filter.accepting !== undefined && (l.load?.advert.accepting ?? false) !== filter.accepting) continue;
        out.push(l);
      }
      return out;
    },
    delete(peer) {
      table.delete(peer);
    },
    prune() {
      const t = now();
      let removed = 0;
      for (const [k, r] of table) {
        if (live(r, t) === undefined) {
          table.delete(k);
          removed++;
        }
      }
      return removed;
    },
    get size() {
      return table.size;
    },
  };
}
