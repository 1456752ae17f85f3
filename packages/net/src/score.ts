/**
 * Peer scoring: every rejected message costs its sender a penalty that depends on the reason
 * (a forged signature costs more than a stale timestamp, which an honest peer with a skewed
 * clock can send). Scores recover linearly towards zero, so an honest peer that trips once is
 * forgiven; a peer whose score falls to `-threshold` is banned for `banMs`: disconnected, its
 * dials and inbound connections refused by the connection gater. The model follows gossipsub
 * v1.1's application-specific score (P5) with a graylist threshold, kept outside gossipsub so
 * that request/response and stream protocols are scored by the same rules.
 */

import { InvalidArgumentError } from './errors.js';

export interface ScoreOptions {
  /** Score at or below `-threshold` bans the peer. Default 100. */
  threshold?: number;
  /** Cool-down of a ban in ms. Default 10 minutes. */
  banMs?: number;
  /** Points recovered per second towards zero. Default 1. */
  recoveryPerSec?: number;
  /** Penalty by rejection code; codes not listed cost `defaultPenalty`. */
  penalties?: Readonly<Record<string, number>>;
  /** Default 20. */
  defaultPenalty?: number;
  /** Peers remembered (scores and bans). Default 65 536. */
  maxPeers?: number;
  now?: () => number;
}

/** Penalties by code. A peer is banned after ~3 forgeries, 5 malformed messages or 50 floods. */
export const DEFAULT_PENALTIES: Readonly<Record<string, number>> = Object.freeze({
  ERR_ENVELOPE_BAD_SIGNATURE: 40,
  ERR_ENVELOPE_WRONG_SIGNER: 40,
  ERR_ENVELOPE_MALFORMED: 20,
  ERR_ENVELOPE_NON_CANONICAL: 20,
  ERR_ENVELOPE_VERSION: 10,
  ERR_ENVELOPE_TYPE: 20,
  ERR_ENVELOPE_TOO_LARGE: 25,
  ERR_MESSAGE_TOO_LARGE: 25,
  ERR_FRAMING: 20,
  ERR_SCHEMA: 20,
  ERR_UNEXPECTED_MESSAGE: 20,
  ERR_REPLAY: 10,
  ERR_STALE: 4,
  ERR_FUTURE: 4,
  ERR_RATE_LIMITED: 2,
  ERR_TIMEOUT: 2,
  // A stream cut mid-frame is as likely a network failure as an attack: counted, barely scored.
  ERR_STREAM_CLOSED: 1,
  ERR_ABORTED: 0,
  ERR_INTERNAL: 0,
});

export interface PeerScorer {
  /** Charges `code`'s penalty; returns true when this charge banned the peer. */
  penalize(peer: string, code: string): boolean;
  /** Current score (<= 0), after recovery. */
  score(peer: string): number;
  isBanned(peer: string): boolean;
  /** Bans now, whatever the score. */
  ban(peer: string): void;
  /** Lifts a ban now and clears the peer's score (an operator's decision, e.g. a healed partition). */
  unban(peer: string): void;
  /** Peers banned right now. */
  banned(): string[];
  readonly bansTotal: number;
}

export function createPeerScorer(options: ScoreOptions = {}): PeerScorer {
  const threshold = options.threshold ?? 100;
  const banMs = options.banMs ?? 600_000;
  const recovery = options.recoveryPerSec ?? 1;
  const penalties = { ...DEFAULT_PENALTIES, ...(options.penalties ?? {}) };
  const defaultPenalty = options.defaultPenalty ?? 20;
  const maxPeers = options.maxPeers ?? 65_536;
  const now = options.now ?? Date.now;
  if (!(threshold > 0) || !(banMs >= 0) || !(recovery >= 0)) throw new InvalidArgumentError('invalid score options');

  // [score, last update ms, banned until ms]
  const table = new Map<string, Float64Array>();
  let bansTotal = 0;

  const entry = (peer: string, create: boolean): Float64Array | undefined => {
    let e = table.get(peer);
    const t = now();
    if (e === undefined) {
      if (!create) return undefined;
      if (table.size >= maxPeers) {
        // Drop the first entry that is neither banned nor negative; else the oldest.
        let victim: string | undefined;
        for (const [k, v] of table) {
          if (v[2]! <= t && v[0]! >= 0) {
            victim = k;
            break;
          }
        }
        table.delete(victim ?? (table.keys().next().value as string));
      }
      e = new Float64Array(3);
      e[1] = t;
      table.set(peer, e);
      return e;
    }
    const elapsed = Math.max(0, t - e[1]!) / 1000;
    e[0] = Math.min(0, e[0]! + elapsed * recovery);
    e[1] = t;
    return e;
  };

  const doBan = (e: Float64Array) => {
    e[2] = now() + banMs;
    bansTotal++;
  };

  return {
    penalize(peer, code) {
      const e = entry(peer, true)!;
      const wasBanned = e[2]! > now();
      e[0] = e[0]! - (penalties[code] ?? defaultPenalty);
      if (!wasBanned && e[0]! <= -threshold) {
        doBan(e);
        return true;
      }
      return false;
    },
    score(peer) {
      return entry(peer, false)?.[0] ?? 0;
    },
    isBanned(peer) {
      const e = table.get(peer);
      return e !== undefined && e[2]! > now();
    },
    ban(peer) {
      const e = entry(peer, true)!;
      if (!(e[2]! > now())) doBan(e);
    },
    unban(peer) {
      table.delete(peer);
    },
    banned() {
      const t = now();
      const out: string[] = [];
      for (const [k, v] of table) if (v[2]! > t) out.push(k);
      return out;
    },
    get bansTotal() {
      return bansTotal;
    },
  };
}
