/**
 * What the node learns about peers from its own traffic:
 *
 * - Routing values Q(type, peer) in [-1, 1], an exponential moving average of rewards
 *   (`recordTaskRouting`): Q <- Q + alpha (r - Q), alpha = 0.2 — the bandit form of Q-routing
 *   (Boyan & Littman 1994) with one step. Verified results reward +1 (less for slow answers),
 *   timeouts and refusals -0.5, proven wrong results -1.
 * - Trust records for adaptive replication (BOINC, Anderson 2004/2019): consecutive verified
 *   results `c`; a worker with c < TRUST_AFTER is always replicated; beyond, it is replicated
 *   with probability max(MIN_SAMPLE, TRUST_AFTER / c), so the verification overhead falls
 *   toward MIN_SAMPLE (5 %). One proven wrong result resets c to 0.
 * - Observed latency per peer (EMA of request round trips).
 *
 * The table is plain data; it is persisted as JSON and survives a restart.
 */

export const TRUST_AFTER = 10;
export const MIN_SAMPLE = 0.05;
const ALPHA = 0.2;
const LATENCY_ALPHA = 0.3;

export interface TrustRecord {
  /** Consecutive verified results. */
  consecutive: number;
  verified: number;
  faults: number;
  timeouts: number;
}

export interface RoutingSnapshot {
  readonly v: 1;
  readonly values: Record<string, Record<string, number>>;
  readonly trust: Record<string, TrustRecord>;
  readonly latency: Record<string, number>;
}

export class RoutingTable {
  readonly values = new Map<string, Map<string, number>>();
  readonly trust = new Map<string, TrustRecord>();
  readonly latency = new Map<string, number>();

  value(type: string, peerHex: string): number {
    return this.values.get(type)?.get(peerHex) ?? 0;
  }

  record(type: string, peerHex: string, reward: number): number {
    const r = Math.max(-1, Math.min(1, reward));
    let m = this.values.get(type);
    if (m === undefined) this.values.set(type, (m = new Map()));
    const q = m.get(peerHex) ?? 0;
    const next = q + ALPHA * (r - q);
    m.set(peerHex, next);
    return next;
  }

  trustOf(peerHex: string): TrustRecord {
    let t = this.trust.get(peerHex);
    if (t === undefined) this.trust.set(peerHex, (t = { consecutive: 0, verified: 0, faults: 0, timeouts: 0 }));
    return t;
  }

  /** Probability that a task given to this worker is replicated (or spot-checked). */
  replicationProbability(peerHex: string): number {
    const c = this.trust.get(peerHex)?.consecutive ?? 0;
    if (c < TRUST_AFTER) return 1;
    return Math.max(MIN_SAMPLE, TRUST_AFTER / c);
  }

  verified(peerHex: string): void {
    const t = this.trustOf(peerHex);
    t.consecutive++;
    t.verified++;
  }

  fault(peerHex: string): void {
    const t = this.trustOf(peerHex);
    t.consecutive = 0;
    t.faults++;
  }

  timeout(peerHex: string): void {
    this.trustOf(peerHex).timeouts++;
  }

  observeLatency(peerHex: string, ms: number): void {
    const old = this.latency.get(peerHex);
    this.latency.set(peerHex, old === undefined ? ms : old + LATENCY_ALPHA * (ms - old));
  }

  snapshot(): RoutingSnapshot {
    const values: Record<string, Record<string, number>> = {};
    for (const [t, m] of this.values) values[t] = Object.fromEntries(m);
    return { v: 1, values, trust: Object.fromEntries([...this.trust].map(([k, v]) => [k, { ...v }])), latency: Object.fromEntries(this.latency) };
  }

  static restore(s: unknown): RoutingTable {
    const t = new RoutingTable();
    if (typeof s !== 'object' || s === null || (s as RoutingSnapshot).v !== 1) return t;
    const snap = s as RoutingSnapshot;
    const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
    for (const [type, m] of Object.entries(snap.values ?? {})) {
      const mm = new Map<string, number>();
      for (const [p, q] of Object.entries(m ?? {})) if (num(q)) mm.set(p, Math.max(-1, Math.min(1, q)));
      t.values.set(type, mm);
    }
    for (const [p, r] of Object.entries(snap.trust ?? {})) {
      if (r && num(r.consecutive) && num(r.verified) && num(r.faults) && num(r.timeouts)) t.trust.set(p, { consecutive: r.consecutive, verified: r.verified, faults: r.faults, timeouts: r.timeouts });
    }
    for (const [p, l] of Object.entries(snap.latency ?? {})) if (num(l)) t.latency.set(p, l);
    return t;
  }
}
