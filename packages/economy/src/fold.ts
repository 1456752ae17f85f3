/**
 * The fold: balances as a pure function of the set of valid entries. Every replica holding the
 * same set computes the same result, whatever order the entries arrived in.
 *
 * 1. Chain selection (per author). Heights 0, 1, 2... are followed while exactly one entry exists
 *    at the height, it links to the previous one (prev = its hash) and its ts does not go back.
 *    Two entries at one height are an equivocation: the account is frozen there (nothing at or
 *    above that height counts) unless an authority decision picked one branch. A missing height
 *    or a bad link ends the chain (`orphan`); entries stamped beyond now + maxClockSkew wait
 *    (`deferred`).
 * 2. Order. The selected entries are sorted by (ts, author, height). A cross-account reference
 *    (recv/mint -> pay) must point to an entry with a strictly smaller ts, so the order is a
 *    topological order of the reference graph, fixed by the set alone.
 * 3. Apply. Each entry is checked against the state built so far; a failing entry is a no-op
 *    counted under its reason (the author's later entries still count). No check lets a balance,
 *    an escrow or a stake go below zero.
 *
 * Consensus values use only IEEE +, -, *, / and the deterministic exponential of math.ts.
 */

import { checkWitnessStake, type VerifiedEvidence } from '@edge/rac';
import { toHex } from '@edge/identity';
import { equal, toKey, ZERO_HASH, type Entry } from './entry.js';
import { multiplierFor, phaseFor, type LedgerPolicy, type NetworkPhase, type SlashFault } from './policy.js';
import { newReputationRecord, recordFault, recordSuccess, reputationScore, type ReputationRecord } from './reputation.js';

export interface AccountState {
  readonly publicKey: Uint8Array;
  /** Spendable balance, base units. */
  readonly balance: number;
  /** Held in open escrows. */
  readonly escrow: number;
  /** Open escrows by task id (hex) with what remains in each. */
  readonly escrows: ReadonlyMap<string, number>;
  readonly stake: number;
  /** Stake may be withdrawn from this time on (ms). */
  readonly lockUntil: number;
  /** Frozen after an unresolved equivocation at `frozenAt`. */
  readonly frozen: boolean;
  readonly frozenAt?: number;
  /** Height and hash of the last entry that counts in this account's chain (-1 before genesis). */
  readonly height: number;
  readonly tip: Uint8Array;
  readonly tipTs: number;
  /** Reputation in [0, 1] at the ledger time. */
  readonly reputation: number;
  readonly minted: number;
  readonly burned: number;
}

export interface PaymentState {
  readonly payer: string;
  readonly to: string;
  readonly amt: number;
  readonly work: number;
  readonly ts: number;
  readonly verified: boolean;
  readonly received: boolean;
  readonly minted: boolean;
}

export interface Fork {
  readonly author: Uint8Array;
  readonly height: number;
  /** The entries signed at that height (two or more). */
  readonly entries: readonly Entry[];
  /** An authority decision chose one of them. */
  readonly resolved: boolean;
}

export interface FoldTotals {
  readonly granted: number;
  readonly minted: number;
  readonly burned: number;
  readonly balances: number;
  readonly escrow: number;
  readonly stake: number;
  /** Paid out of escrow but not yet received by the worker. */
  readonly inFlight: number;
}

export interface HealthInputs {
  readonly ledgerTime: number;
  /** Per applied entry: ts and author index. */
  readonly entryTs: Float64Array;
  readonly entryAuthor: Int32Array;
  readonly pays: { ts: number; amt: number }[];
  readonly holds: { ts: number; amt: number }[];
  readonly mints: { ts: number; amt: number }[];
}

export interface FoldResult {
  readonly accounts: ReadonlyMap<string, AccountState>;
  readonly payments: ReadonlyMap<string, PaymentState>;
  readonly totals: FoldTotals;
  /** Verified compute-hours H. */
  readonly computeHours: number;
  readonly multiplier: number;
  /** Accounts with an entry within activeWindowMs of the ledger time. */
  readonly active: number;
  readonly phase: NetworkPhase;
  /** Largest ts among applied entries. */
  readonly ledgerTime: number;
  readonly applied: number;
  /** Entries that did not count, by reason. */
  readonly rejected: Readonly<Record<string, number>>;
  /** Things that counted with a reduced effect (capped mints, unverified payments...). */
  readonly notes: Readonly<Record<string, number>>;
  /** Status of every entry folded: `applied` or the reason it did not count. */
  readonly status: ReadonlyMap<string, string>;
  readonly forks: readonly Fork[];
  readonly health: HealthInputs;
}

interface Acc {
  publicKey: Uint8Array;
  hex: string;
  index: number;
  open: boolean;
  balance: number;
  escrow: number;
  escrows: Map<string, number>;
  usedTasks: Set<string>;
  stake: number;
  lockUntil: number;
  frozenAt: number | undefined;
  height: number;
  tip: Uint8Array;
  tipTs: number;
  rep: ReputationRecord;
  mintEpoch: number;
  mintedInEpoch: number;
  minted: number;
  burned: number;
}

interface Pay {
  payer: string;
  to: string;
  amt: number;
  work: number;
  ts: number;
  verified: boolean;
  received: boolean;
  minted: boolean;
}

export interface FoldInput {
  readonly policy: LedgerPolicy;
  /** Entries whose signatures and schema verified, by key. */
  readonly entries: ReadonlyMap<string, Entry>;
  /** Hashes (hex) of entries that an authority decision kept at a fork, by author hex. */
  readonly resolutions: ReadonlyMap<string, ReadonlySet<string>>;
  /** Current time (ms): entries beyond now + maxClockSkew are deferred. */
  readonly now: number;
}

export function fold(input: FoldInput): FoldResult {
  const { policy, entries, resolutions } = input;
  const horizon = input.now + policy.maxClockSkewMs;
  const status = new Map<string, string>();
  const rejected: Record<string, number> = {};
  const notes: Record<string, number> = {};
  const reject = (e: Entry, reason: string) => {
    status.set(e.key, reason);
    rejected[reason] = (rejected[reason] ?? 0) + 1;
  };
  const note = (reason: string) => {
    notes[reason] = (notes[reason] ?? 0) + 1;
  };

  // ---- 1. chain selection -------------------------------------------------------------------
  const byAuthor = new Map<string, Map<number, Entry[]>>();
  for (const e of entries.values()) {
    let m = byAuthor.get(e.authorHex);
    if (m === undefined) byAuthor.set(e.authorHex, (m = new Map()));
    const list = m.get(e.body.h);
    if (list === undefined) m.set(e.body.h, [e]);
    else list.push(e);
  }
  const authorsSorted = [...byAuthor.keys()].sort();
  const accs = new Map<string, Acc>();
  const forks: Fork[] = [];
  const selected: Entry[] = [];
  const selectedKeys = new Set<string>();
  authorsSorted.forEach((hex, index) => {
    const m = byAuthor.get(hex)!;
    const first = m.values().next().value![0]!;
    const acc: Acc = {
      publicKey: first.author,
      hex,
      index,
      open: false,
      balance: 0,
      escrow: 0,
      escrows: new Map(),
      usedTasks: new Set(),
      stake: 0,
      lockUntil: 0,
      frozenAt: undefined,
      height: -1,
      tip: ZERO_HASH,
      tipTs: 0,
      rep: newReputationRecord(0),
      mintEpoch: -1,
      mintedInEpoch: 0,
      minted: 0,
      burned: 0,
    };
    accs.set(hex, acc);
    const kept = resolutions.get(hex);
    let prev: Uint8Array = ZERO_HASH;
    let prevTs = 0;
    let stop: string | undefined;
    const heights = [...m.keys()].sort((a, b) => a - b);
    for (let h = 0; stop === undefined; h++) {
      const cands = m.get(h);
      if (cands === undefined) break;
      let pick = cands[0]!;
      if (cands.length > 1) {
        const sortedCands = [...cands].sort((a, b) => (a.key < b.key ? -1 : 1));
        const chosen = kept === undefined ? undefined : sortedCands.find((c) => kept.has(toHex(c.hash)));
        forks.push({ author: first.author, height: h, entries: sortedCands, resolved: chosen !== undefined });
        if (chosen === undefined) {
          acc.frozenAt = h;
          stop = 'frozen';
          break;
        }
        for (const c of cands) if (c !== chosen) reject(c, 'fork-discarded');
        pick = chosen;
      }
      if (!equal(pick.body.prev, prev)) {
        stop = 'orphan';
        break;
      }
      if (pick.body.ts < prevTs) {
        stop = 'ts-order';
        break;
      }
      if (pick.body.ts > horizon) {
        stop = 'deferred';
        break;
      }
      selected.push(pick);
      selectedKeys.add(pick.key);
      prev = pick.hash;
      prevTs = pick.body.ts;
    }
    // Everything of this author at or above the stopping height does not count.
    for (const h of heights) {
      for (const e of m.get(h)!) if (!status.has(e.key) && !selectedKeys.has(e.key)) reject(e, stop ?? 'orphan');
    }
  });

  // ---- 2. order -----------------------------------------------------------------------------
  const n = selected.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const tsOf = new Float64Array(n);
  const aOf = new Int32Array(n);
  const hOf = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = selected[i]!;
    tsOf[i] = e.body.ts;
    aOf[i] = accs.get(e.authorHex)!.index;
    hOf[i] = e.body.h;
  }
  order.sort((a, b) => tsOf[a]! - tsOf[b]! || aOf[a]! - aOf[b]! || hOf[a]! - hOf[b]!);

  // ---- 3. apply -----------------------------------------------------------------------------
  const payments = new Map<string, Pay>();
  const slashed = new Set<string>();
  let granted = 0;
  let mintedTotal = 0;
  let burnedTotal = 0;
  let inFlight = 0;
  let workSeconds = 0;
  let genesisEpoch = -1;
  let genesisUsed = 0;
  let ledgerTime = 0;
  const entryTs: number[] = [];
  const entryAuthor: number[] = [];
  const pays: { ts: number; amt: number }[] = [];
  const holds: { ts: number; amt: number }[] = [];
  const mints: { ts: number; amt: number }[] = [];
  const stakeOf = (pk: Uint8Array) => accs.get(toHex(pk))?.stake ?? 0;
  const { reputation: repParams } = policy;

  const refCheck = (e: Entry, ref: Uint8Array, missing: string): Pay | undefined => {
    const refHex = toHex(ref);
    const p = payments.get(refHex);
    if (p !== undefined) return p;
    // Tell apart "never seen", "seen but it did not count" and "referenced out of order".
    const other = entries.get(toKey(ref));
    if (other === undefined) reject(e, missing);
    else if (other.body.ts >= e.body.ts) reject(e, 'ref-order');
    else reject(e, status.get(other.key) === 'frozen' ? 'payment-frozen' : 'payment-invalid');
    return undefined;
  };

  for (let oi = 0; oi < n; oi++) {
    const e = selected[order[oi]!]!;
    const a = accs.get(e.authorHex)!;
    const b = e.body;
    const ts = b.ts;
    let ok = true;
    const fail = (reason: string) => {
      reject(e, reason);
      ok = false;
    };
    switch (b.k) {
      case 'genesis': {
        const epoch = Math.floor(ts / policy.epochMs);
        if (epoch !== genesisEpoch) {
          genesisEpoch = epoch;
          genesisUsed = 0;
        }
        const grant = Math.min(b.amt, policy.genesisBudgetPerEpoch - genesisUsed);
        if (grant < b.amt) note('genesis-budget');
        genesisUsed += grant;
        a.balance += grant;
        granted += grant;
        a.open = true;
        a.rep.t = ts;
        break;
      }
      case 'hold': {
        const task = toHex(b.task);
        if (a.usedTasks.has(task)) fail('escrow-exists');
        else if (b.amt > a.balance) fail('overspend');
        else {
          a.balance -= b.amt;
          a.escrow += b.amt;
          a.escrows.set(task, b.amt);
          a.usedTasks.add(task);
          holds.push({ ts, amt: b.amt });
        }
        break;
      }
      case 'pay': {
        const task = toHex(b.task);
        const left = a.escrows.get(task);
        const to = toHex(b.to);
        if (left === undefined) fail('no-escrow');
        else if (to === a.hex) fail('self-payment');
        else if (b.amt > left) fail('escrow-exceeded');
        else {
          if (left === b.amt) a.escrows.delete(task);
          else a.escrows.set(task, left - b.amt);
          a.escrow -= b.amt;
          inFlight += b.amt;
          let eligible = 0;
          for (const w of e.witnesses ?? []) {
            const wa = accs.get(toHex(w));
            if (wa !== undefined && wa.open && wa.frozenAt === undefined && wa.stake >= policy.minWitnessStake) eligible++;
          }
          const verified = eligible >= policy.minWitnesses;
          if (verified) workSeconds += b.work;
          else note('pay-unverified');
          payments.set(toHex(e.hash), { payer: a.hex, to, amt: b.amt, work: b.work, ts, verified, received: false, minted: false });
          pays.push({ ts, amt: b.amt });
        }
        break;
      }
      case 'recv': {
        const p = refCheck(e, b.pay, 'recv-no-payment');
        if (p === undefined) ok = false;
        else if (p.to !== a.hex) fail('recv-not-payee');
        else if (p.received) fail('recv-duplicate');
        else if (p.amt !== b.amt) fail('recv-amount');
        else if (p.ts >= ts) fail('ref-order');
        else {
          p.received = true;
          a.balance += b.amt;
          inFlight -= b.amt;
          if (p.verified) recordSuccess(a.rep, ts, repParams);
        }
        break;
      }
      case 'refund': {
        const task = toHex(b.task);
        const left = a.escrows.get(task);
        if (left === undefined) fail('no-escrow');
        else if (b.amt > left) fail('escrow-exceeded');
        else {
          if (left === b.amt) a.escrows.delete(task);
          else a.escrows.set(task, left - b.amt);
          a.escrow -= b.amt;
          a.balance += b.amt;
        }
        break;
      }
      case 'mint': {
        const p = refCheck(e, b.pay, 'mint-no-payment');
        if (p === undefined) ok = false;
        else if (p.to !== a.hex) fail('mint-not-payee');
        else if (!p.verified) fail('mint-unverified');
        else if (p.minted) fail('mint-duplicate');
        else if (!p.received) fail('mint-not-received');
        else if (p.ts >= ts) fail('ref-order');
        else {
          p.minted = true;
          const m = multiplierFor(workSeconds / 3600);
          const bonus = Math.floor(p.amt * (m - 1));
          const epoch = Math.floor(ts / policy.epochMs);
          if (epoch !== a.mintEpoch) {
            a.mintEpoch = epoch;
            a.mintedInEpoch = 0;
          }
          const rep = reputationScore(a.rep, a.stake, ts, repParams);
          const cap = Math.floor(policy.bonusCapBase * rep) + Math.floor((a.stake * policy.bonusCapStakePpm) / 1e6);
          const room = Math.max(0, cap - a.mintedInEpoch);
          const credit = Math.min(b.amt, bonus, room);
          if (credit < Math.min(b.amt, bonus)) note('mint-capped');
          a.balance += credit;
          a.minted += credit;
          a.mintedInEpoch += credit;
          mintedTotal += credit;
          mints.push({ ts, amt: credit });
        }
        break;
      }
      case 'stake': {
        if (b.amt > a.balance) fail('overspend');
        else {
          a.balance -= b.amt;
          a.stake += b.amt;
          a.lockUntil = ts + policy.lockPeriodMs;
        }
        break;
      }
      case 'unstake': {
        if (b.amt > a.stake) fail('unstake-exceeds');
        else if (ts < a.lockUntil) fail('stake-locked');
        else {
          a.stake -= b.amt;
          a.balance += b.amt;
        }
        break;
      }
      case 'slash': {
        const ev = e.evidence as VerifiedEvidence;
        const target = accs.get(toHex(b.acc));
        if (target === undefined || !target.open) fail('slash-unknown-account');
        else if (slashed.has(ev.faultKey)) fail('slash-duplicate');
        else {
          let stakeOk = true;
          try {
            checkWitnessStake(ev, stakeOf, policy.minWitnessStake);
          } catch {
            stakeOk = false;
          }
          if (!stakeOk) fail('slash-evidence');
          else {
            slashed.add(ev.faultKey);
            const fault = ev.fault as SlashFault;
            const burn = Math.floor((target.stake * policy.slashPpm[fault]) / 1e6);
            target.stake -= burn;
            target.burned += burn;
            burnedTotal += burn;
            recordFault(target.rep, fault, ts, repParams);
          }
        }
        break;
      }
    }
    // An entry that failed still occupies its height: the chain goes on from it.
    a.height = b.h;
    a.tip = e.hash;
    a.tipTs = ts;
    if (ok) {
      status.set(e.key, 'applied');
      entryTs.push(ts);
      entryAuthor.push(a.index);
      if (ts > ledgerTime) ledgerTime = ts;
    }
  }

  // ---- results ------------------------------------------------------------------------------
  const accounts = new Map<string, AccountState>();
  let balances = 0;
  let escrow = 0;
  let stake = 0;
  let active = 0;
  const lastTs = new Float64Array(authorsSorted.length);
  for (let i = 0; i < entryTs.length; i++) if (entryTs[i]! > lastTs[entryAuthor[i]!]!) lastTs[entryAuthor[i]!] = entryTs[i]!;
  for (const a of accs.values()) {
    if (!a.open && a.frozenAt === undefined) continue;
    balances += a.balance;
    escrow += a.escrow;
    stake += a.stake;
    if (lastTs[a.index]! > ledgerTime - policy.activeWindowMs) active++;
    accounts.set(a.hex, {
      publicKey: a.publicKey,
      balance: a.balance,
      escrow: a.escrow,
      escrows: a.escrows,
      stake: a.stake,
      lockUntil: a.lockUntil,
      frozen: a.frozenAt !== undefined,
      ...(a.frozenAt !== undefined ? { frozenAt: a.frozenAt } : {}),
      height: a.height,
      tip: a.tip,
      tipTs: a.tipTs,
      reputation: reputationScore(a.rep, a.stake, Math.max(ledgerTime, a.rep.t), repParams),
      minted: a.minted,
      burned: a.burned,
    });
  }
  const computeHours = workSeconds / 3600;
  return {
    accounts,
    payments,
    totals: { granted, minted: mintedTotal, burned: burnedTotal, balances, escrow, stake, inFlight },
    computeHours,
    multiplier: multiplierFor(computeHours),
    active,
    phase: phaseFor(active, policy.phaseThresholds),
    ledgerTime,
    applied: entryTs.length,
    rejected,
    notes,
    status,
    forks,
    health: { ledgerTime, entryTs: Float64Array.from(entryTs), entryAuthor: Int32Array.from(entryAuthor), pays, holds, mints },
  };
}
