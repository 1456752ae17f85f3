/**
 * Observed latency per peer, for routing: an exponentially weighted moving average of round
 * trips (RFC 6298's smoothed RTT with alpha = 1/8) plus the last sample and the sample count.
 * Samples come from libp2p ping and from request/response round trips.
 */

export interface LatencyEstimate {
  /** Smoothed round trip in ms. */
  readonly rttMs: number;
  /** Last sample in ms. */
  readonly lastMs: number;
  readonly samples: number;
  /** When the last sample was taken (ms since epoch). */
  readonly updatedAt: number;
  /** Where the last sample came from. */
  readonly source: 'ping' | 'request';
}

export interface LatencyTable {
  record(peer: string, rttMs: number, source: 'ping' | 'request'): void;
  get(peer: string): LatencyEstimate | undefined;
  /** Every peer with an estimate, fastest first. */
  list(): Array<{ peer: string } & LatencyEstimate>;
  delete(peer: string): void;
  readonly size: number;
}

const ALPHA = 1 / 8;

export function createLatencyTable(options: { maxPeers?: number; now?: () => number } = {}): LatencyTable {
  const maxPeers = options.maxPeers ?? 16_384;
  const now = options.now ?? Date.now;
  const table = new Map<string, LatencyEstimate>();
  return {
    record(peer, rttMs, source) {
      if (!Number.isFinite(rttMs) || rttMs < 0) return;
      const prev = table.get(peer);
      const rtt = prev === undefined ? rttMs : prev.rttMs + ALPHA * (rttMs - prev.rttMs);
      if (prev === undefined && table.size >= maxPeers) table.delete(table.keys().next().value as string);
      table.set(peer, { rttMs: rtt, lastMs: rttMs, samples: (prev?.samples ?? 0) + 1, updatedAt: now(), source });
    },
    get(peer) {
      return table.get(peer);
    },
    list() {
      return [...table].map(([peer, e]) => ({ peer, ...e })).sort((a, b) => a.rttMs - b.rttMs);
    },
    delete(peer) {
      table.delete(peer);
    },
    get size() {
      return table.size;
    },
  };
}
