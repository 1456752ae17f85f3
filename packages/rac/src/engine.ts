/**
 * The coherence engine: one object a node feeds every claim, challenge, vote and decision it
 * receives. It keeps an authenticated (Merkle) log of accepted claims, detects conflicts,
 * quarantines only on verified evidence, accepts only properly signed authority decisions, rate
 * limits peers with thresholds an adaptive policy tunes, and reports a security audit computed
 * from its live counters and configuration.
 */

import { createReplayGuard, toHex, type ReplayGuard, type ReplayGuardOptions, type Verifier } from '@edge/identity';
import { verifyAdmission } from './admission.js';
import { createAuthorityRegistry, tallyVotes, verifyDecision, type AuthorityRegistry, type Decision, type Tally } from './authority.js';
import { openClaim, type Claim } from './claim.js';
import { createEclipseGuard, type EclipseGuard, type EclipseOptions } from './eclipse.js';
import { AdmissionError, ClaimRejectedError, DecisionRejectedError, EvidenceError, RacArgumentError } from './errors.js';
import { equivocationEvidence, verifyEvidence, wrongResultEvidence, type SequenceRule, type VerifiedEvidence } from './evidence.js';
import { createAdaptivePolicy, type AdaptiveOptions, type AdaptivePolicy, type SecurityAction } from './adaptive.js';
import { compareBytes, isBytes } from './hash.js';
import { MerkleLog } from './merkle.js';

export type QuarantineLevel = 'none' | 'watch' | 'quarantined' | 'blocked';

export interface QuarantineStatus {
  readonly level: QuarantineLevel;
  /** Fault keys proven against this author. */
  readonly faults: readonly string[];
}

export interface RacOptions {
  verifier?: Verifier;
  /** Replay guard options (window and memory); the guard is @edge/identity's. */
  replay?: ReplayGuardOptions;
  now?: () => number;
  /** Stake of an identity (e.g. from the ledger). Default: 0 for everyone. */
  stakeOf?: (publicKey: Uint8Array) => number;
  /** Total stake of the electorate, for stake-weighted votes in contexts without an authority. */
  totalStake?: () => number;
  /** Least stake for a vote to count. Default 1. */
  minStakeToVote?: number;
  /** New identities must present an admission token (proof of work) before their claims count. */
  requireAdmission?: boolean;
  /** Difficulty of admission tokens in bits. Default 16. */
  admissionBits?: number;
  /** Context string admission tokens are bound to. Default `edge-net`. */
  admissionCtx?: string;
  /** Witness rules for evidence. */
  minWitnesses?: number;
  minWitnessStake?: number;
  /** Sequenced envelope types besides rac claims (e.g. ledger entries). */
  rules?: readonly SequenceRule[];
  /** Verified faults before an author is blocked instead of quarantined. Default 2. */
  blockAfter?: number;
  eclipse?: EclipseOptions;
  adaptive?: AdaptiveOptions;
  /** Window of the per-peer rate limit and of the adaptive signals, ms. Default 10 000. */
  windowMs?: number;
}

export interface Conflict {
  readonly ctx: string;
  readonly subject: Uint8Array;
  /** Distinct values claimed, each with its claims. */
  readonly values: ReadonlyMap<string, readonly Claim[]>;
}

export interface AuditCheck {
  readonly name: string;
  readonly weight: number;
  /** Fraction of the weight earned, [0, 1]. */
  readonly score: number;
  readonly detail: string;
}

export interface SecurityAudit {
  /** 0..100, the weighted sum of the checks. */
  readonly score: number;
  readonly checks: readonly AuditCheck[];
  readonly counters: Readonly<Record<string, number>>;
}

export interface Rac {
  /** Admits an identity with a proof-of-work token. Throws AdmissionError. */
  admit(publicKey: Uint8Array, token: Uint8Array): void;
  isAdmitted(publicKey: Uint8Array): boolean;
  /** Verifies, rate limits, replay-checks and logs a claim. Throws ClaimRejectedError (counted). */
  submitClaim(bytes: Uint8Array, options?: { peer?: string }): Promise<Claim>;
  /** Open conflicts: subjects with more than one claimed value. */
  conflicts(): Conflict[];
  /** Checks evidence; when it verifies, the accused is quarantined. Throws EvidenceError (counted). */
  challenge(evidence: Uint8Array): Promise<VerifiedEvidence>;
  /**
   * Stake-weighted vote on a conflict (votes are the claims on the subject, already submitted).
   * When decided, every claim of another value becomes wrong-result evidence and is challenged.
   */
  resolveConflict(ctx: string, subject: Uint8Array): Promise<Tally & { evidence: VerifiedEvidence[] }>;
  /** Verifies and applies an authority decision (verdict `release` frees `subject`). Throws DecisionRejectedError. */
  applyDecision(bytes: Uint8Array): Promise<Decision>;
  status(publicKey: Uint8Array): QuarantineStatus;
  readonly authorities: AuthorityRegistry;
  readonly eclipse: EclipseGuard;
  readonly policy: AdaptivePolicy;
  /** Root and size of the claim log; inclusion proof of a claim id. */
  logRoot(): Uint8Array;
  readonly logSize: number;
  proveClaim(id: Uint8Array): { index: number; size: number; proof: Uint8Array[]; root: Uint8Array } | undefined;
  /** Closes the signal window: feeds the adaptive policy and returns its action. */
  tick(reward?: number): SecurityAction;
  counters(): Record<string, number>;
  /** Score from live counters and configuration (see docs/rac.md). */
  runSecurityAudit(localRoot?: Uint8Array): SecurityAudit;
}

export function createRac(options: RacOptions = {}): Rac {
  const now = options.now ?? Date.now;
  const replayOptions: ReplayGuardOptions = { maxAgeMs: 120_000, maxFutureMs: 30_000, ...options.replay, now };
  const guard: ReplayGuard = createReplayGuard(replayOptions);
  const stakeOf = options.stakeOf ?? (() => 0);
  const minStakeToVote = options.minStakeToVote ?? 1;
  const admissionBits = options.admissionBits ?? 16;
  const admissionCtx = options.admissionCtx ?? 'edge-net';
  const requireAdmission = options.requireAdmission ?? false;
  const blockAfter = options.blockAfter ?? 2;
  const windowMs = options.windowMs ?? 10_000;
  if (!Number.isInteger(blockAfter) || blockAfter < 1) throw new RacArgumentError('blockAfter must be a positive integer');
  const evidenceOptions = {
    ...(options.verifier ? { verifier: options.verifier } : {}),
    rules: options.rules ?? [],
    minWitnesses: options.minWitnesses ?? 2,
    minWitnessStake: options.minWitnessStake ?? 0,
    ...(options.stakeOf ? { stakeOf: options.stakeOf } : {}),
  };
  const authorities = createAuthorityRegistry();
  const eclipse = createEclipseGuard(options.eclipse);
  const policy = createAdaptivePolicy(options.adaptive);

  const counts: Record<string, number> = {};
  const count = (key: string, n = 1) => {
    counts[key] = (counts[key] ?? 0) + n;
  };
  const admitted = new Set<string>();
  const log = new MerkleLog();
  const logIndex = new Map<string, number>();
  /** (ctx \0 subjectHex) -> valueHex -> claims */
  const subjects = new Map<string, { ctx: string; subject: Uint8Array; values: Map<string, Claim[]> }>();
  /** (author, ctx, subject) -> first claim, to catch equivocation on submit */
  const byAuthorSlot = new Map<string, Claim>();
  const quarantine = new Map<string, { level: QuarantineLevel; faults: Set<string> }>();
  const proven = new Set<string>();
  const peerWindow = new Map<string, { start: number; n: number; rejected: number }>();
  let win = { start: now(), msgs: 0, rejects: 0, evidence: 0, junkPassed: 0, limited: 0, limitedClean: 0 };

  const reject = (reason: string, message: string, peer?: string): never => {
    count(`claim.rejected.${reason}`);
    win.rejects++;
    if (reason !== 'rate-limited') win.junkPassed++;
    else win.limited++;
    if (peer !== undefined) {
      const p = peerWindow.get(peer);
      if (p) p.rejected++;
    }
    throw new ClaimRejectedError(reason, message);
  };

  const entryOf = (hex: string) => {
    let q = quarantine.get(hex);
    if (q === undefined) {
      q = { level: 'none', faults: new Set() };
      quarantine.set(hex, q);
    }
    return q;
  };

  const punish = (ev: VerifiedEvidence) => {
    const hex = toHex(ev.accused);
    const q = entryOf(hex);
    if (!q.faults.has(ev.faultKey)) {
      q.faults.add(ev.faultKey);
      count(`fault.${ev.fault}`);
    }
    const level: QuarantineLevel = q.faults.size >= blockAfter || ev.fault === 'equivocation' ? 'blocked' : 'quarantined';
    if (q.level !== 'blocked') {
      if (q.level !== level) count(`quarantine.${level}`);
      q.level = level;
    }
  };

  const challenge = async (bytes: Uint8Array): Promise<VerifiedEvidence> => {
    let ev: VerifiedEvidence;
    try {
      ev = await verifyEvidence(bytes, evidenceOptions);
    } catch (error) {
      const reason = EvidenceError.isInstance(error) ? (error as EvidenceError).reason : 'malformed';
      count(`evidence.rejected.${reason}`);
      count('evidence.rejected');
      win.evidence++;
      if (EvidenceError.isInstance(error)) throw error;
      throw new EvidenceError('malformed', 'evidence could not be checked');
    }
    count('evidence.verified');
    win.evidence++;
    proven.add(ev.faultKey);
    punish(ev);
    return ev;
  };

  const status = (publicKey: Uint8Array): QuarantineStatus => {
    const hex = toHex(publicKey);
    const q = quarantine.get(hex);
    if (q !== undefined && q.level !== 'none') return { level: q.level, faults: [...q.faults] };
    // Watch: a peer identity whose messages keep failing is watched (rate limited harder).
    const p = peerWindow.get(hex);
    if (p !== undefined && p.rejected >= policy.thresholds.watchThreshold) return { level: 'watch', faults: [] };
    return { level: 'none', faults: q ? [...q.faults] : [] };
  };

  const rac: Rac = {
    authorities,
    eclipse,
    policy,
    admit(publicKey, token) {
      if (!verifyAdmission(publicKey, admissionCtx, token, admissionBits)) {
        count('admission.rejected');
        throw new AdmissionError(`admission token does not meet ${admissionBits} bits`);
      }
      admitted.add(toHex(publicKey));
      count('admission.accepted');
    },
    isAdmitted(publicKey) {
      return admitted.has(toHex(publicKey));
    },
    async submitClaim(bytes, submitOptions = {}) {
      win.msgs++;
      count('claim.received');
      const peer = submitOptions.peer;
      if (peer !== undefined) {
        const t = now();
        let p = peerWindow.get(peer);
        if (p === undefined || t - p.start >= windowMs) {
          p = { start: t, n: 0, rejected: p?.rejected ?? 0 };
          peerWindow.set(peer, p);
        }
        p.n++;
        const watched = p.rejected >= policy.thresholds.watchThreshold;
        const limit = watched ? Math.max(1, Math.floor(policy.thresholds.rateLimit / 4)) : policy.thresholds.rateLimit;
        if (p.n > limit) {
          if (!watched) win.limitedClean++;
          reject('rate-limited', 'peer exceeded its rate limit', peer);
        }
      }
      if (!isBytes(bytes)) reject('malformed', 'claim must be a Uint8Array', peer);
      let claim: Claim;
      try {
        claim = await openClaim(bytes, { guard, ...(options.verifier ? { verifier: options.verifier } : {}) });
      } catch (error) {
        const reason = ClaimRejectedError.isInstance(error) ? (error as ClaimRejectedError).reason : 'malformed';
        return reject(reason, `claim rejected: ${reason}`, peer);
      }
      const authorHex = toHex(claim.author);
      const q = quarantine.get(authorHex);
      if (q !== undefined && (q.level === 'quarantined' || q.level === 'blocked')) reject('quarantined', 'author is quarantined', peer);
      if (requireAdmission && !admitted.has(authorHex)) reject('not-admitted', 'author has not paid the admission cost', peer);
      const slot = `${authorHex}\u0000${claim.ctx}\u0000${toHex(claim.subject)}`;
      const earlier = byAuthorSlot.get(slot);
      if (earlier !== undefined && compareBytes(earlier.value, claim.value) !== 0) {
        // One author, two values for one subject: equivocation. Its own claims prove it.
        await challenge(equivocationEvidence(earlier.bytes, claim.bytes));
        reject('equivocation', 'author claimed two values for one subject', peer);
      }
      if (earlier === undefined) byAuthorSlot.set(slot, claim);
      const key = `${claim.ctx}\u0000${toHex(claim.subject)}`;
      let s = subjects.get(key);
      if (s === undefined) {
        s = { ctx: claim.ctx, subject: claim.subject, values: new Map() };
        subjects.set(key, s);
      }
      const vhex = toHex(claim.value);
      const list = s.values.get(vhex) ?? [];
      if (!list.some((c) => toHex(c.author) === authorHex)) list.push(claim);
      s.values.set(vhex, list);
      const idHex = toHex(claim.id);
      if (!logIndex.has(idHex)) logIndex.set(idHex, log.append(claim.bytes));
      count('claim.accepted');
      return claim;
    },
    conflicts() {
      const out: Conflict[] = [];
      for (const s of subjects.values()) if (s.values.size > 1) out.push({ ctx: s.ctx, subject: s.subject, values: s.values });
      return out;
    },
    challenge,
    async resolveConflict(ctx, subject) {
      const s = subjects.get(`${ctx}\u0000${toHex(subject)}`);
      if (s === undefined) throw new RacArgumentError('no claims on this subject');
      const members = authorities.get(ctx);
      const weightOf = members
        ? (pk: Uint8Array) => members.find((m) => compareBytes(m.publicKey, pk) === 0)?.weight ?? 0
        : (pk: Uint8Array) => {
            const w = stakeOf(pk);
            return w >= minStakeToVote ? w : 0;
          };
      const total = members ? members.reduce((a, m) => a + m.weight, 0) : (options.totalStake?.() ?? 0);
      if (!(total > 0)) throw new RacArgumentError('no electorate: register an authority or provide totalStake');
      const votes = [...s.values.values()].flat();
      const tally = tallyVotes(votes, weightOf, total);
      count(tally.decided ? 'vote.decided' : 'vote.undecided');
      const evidence: VerifiedEvidence[] = [];
      if (tally.decided && tally.value) {
        const winners = s.values.get(toHex(tally.value)) ?? [];
        for (const [vhex, claims] of s.values) {
          if (vhex === toHex(tally.value)) continue;
          for (const loser of claims) {
            try {
              evidence.push(await challenge(wrongResultEvidence(loser.bytes, winners.map((w) => w.bytes))));
            } catch {
              // Too few independent winners to prove it: the conflict is decided, nobody is punished.
            }
          }
        }
      }
      return { ...tally, evidence };
    },
    async applyDecision(bytes) {
      let d: Decision;
      try {
        d = await verifyDecision(bytes, authorities, options.verifier ? { verifier: options.verifier } : {});
      } catch (error) {
        const reason = DecisionRejectedError.isInstance(error) ? (error as DecisionRejectedError).reason : 'malformed';
        count(`decision.rejected.${reason}`);
        count('decision.rejected');
        throw error;
      }
      count('decision.accepted');
      if (d.verdict === 'release' && d.subject.length === 32) {
        const q = quarantine.get(toHex(d.subject));
        if (q !== undefined) q.level = 'none';
        count('quarantine.released');
      }
      return d;
    },
    status,
    logRoot() {
      return log.root();
    },
    get logSize() {
      return log.size;
    },
    proveClaim(id) {
      const index = logIndex.get(toHex(id));
      if (index === undefined) return undefined;
      return { index, size: log.size, proof: log.proveInclusion(index), root: log.root() };
    },
    tick(reward) {
      const msgs = Math.max(1, win.msgs);
      const admitted = Math.max(1, win.msgs - win.limited);
      const signals = { rejectRate: win.junkPassed / admitted, evidenceRate: (100 * win.evidence) / msgs };
      // Default reward: junk that got past the limiter cost verification work; rate limiting a
      // peer with a clean record probably refused honest traffic.
      const r = reward ?? -(win.junkPassed / msgs) - 0.5 * (win.limitedClean / msgs);
      const action = policy.step(signals, r);
      count(`adaptive.${action}`);
      win = { start: now(), msgs: 0, rejects: 0, evidence: 0, junkPassed: 0, limited: 0, limitedClean: 0 };
      return action;
    },
    counters() {
      return { ...counts };
    },
    runSecurityAudit(localRoot) {
      const checks: AuditCheck[] = [];
      const add = (name: string, weight: number, score: number, detail: string) => checks.push({ name, weight, score: Math.max(0, Math.min(1, score)), detail });
      const maxAge = replayOptions.maxAgeMs ?? 120_000;
      const maxFuture = replayOptions.maxFutureMs ?? 30_000;
      add('replay-window', 10, (maxAge <= 300_000 ? 0.5 : 0) + (maxFuture <= 60_000 ? 0.5 : 0), `max age ${maxAge} ms, max future ${maxFuture} ms`);
      const used = new Set<string>([...subjects.values()].map((s) => s.ctx));
      const covered = [...used].filter((c) => authorities.get(c) !== undefined || options.totalStake !== undefined).length;
      add('authority-coverage', 15, used.size === 0 ? (authorities.contexts().length > 0 ? 1 : 0) : covered / used.size, `${covered}/${used.size} contexts in use have an electorate`);
      const ctxs = authorities.contexts();
      const bft = ctxs.filter((c) => (authorities.get(c)?.length ?? 0) >= 4).length;
      add('byzantine-tolerance', 10, ctxs.length === 0 ? 0 : bft / ctxs.length, `${bft}/${ctxs.length} authorities have >= 4 members (tolerate f >= 1 of 3f+1)`);
      add('sybil-admission', 15, requireAdmission ? Math.min(1, admissionBits / 16) : 0, requireAdmission ? `admission costs 2^${admissionBits} hashes` : 'identities are free');
      add('stake-weighting', 10, (options.stakeOf ? 0.5 : 0) + (minStakeToVote > 0 ? 0.5 : 0), options.stakeOf ? `votes weighted by stake, minimum ${minStakeToVote}` : 'no stake view');
      const ec = eclipse.assess(localRoot);
      add('eclipse', 15, ec.peers === 0 ? 0 : (ec.diverse ? 0.6 : 0) + (ec.suspected ? 0 : 0.4), `${ec.peers} peers in ${ec.distinctGroups} groups, ${ec.divergent.length} divergent`);
      const received = counts['claim.received'] ?? 0;
      const rejected = received - (counts['claim.accepted'] ?? 0);
      add('attack-pressure', 15, received === 0 ? 1 : 1 - Math.min(1, (2 * rejected) / received), `${rejected}/${received} claims rejected`);
      const evOk = counts['evidence.verified'] ?? 0;
      const evBad = counts['evidence.rejected'] ?? 0;
      add('evidence-quality', 10, evOk + evBad === 0 ? 1 : evOk / (evOk + evBad), `${evOk} verified, ${evBad} fake or unprovable challenges`);
      const score = Math.round(checks.reduce((s, c) => s + c.weight * c.score, 0) * 100) / 100;
      return { score, checks, counters: { ...counts } };
    },
  };
  return rac;
}
