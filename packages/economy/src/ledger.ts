/**
 * The replicated ledger. Entries live in a yjs document (Y.Map "entries": key = base64url of the
 * entry hash, value = the signed bytes; Y.Map "decisions" likewise for authority decisions), so
 * two replicas exchange only what the other lacks (state vectors, Nicolaescu et al., "Near
 * Real-Time Peer-to-Peer Shared Editing on Extensible Data Types", 2016) over any byte channel.
 *
 * yjs itself authenticates nothing: any peer can put any value under any key, overwrite or delete.
 * So nothing in the document counts until this replica has checked it (key = hash of the bytes,
 * signature, schema, witnesses, evidence); checked entries are kept in the replica's own set, and
 * a deletion or overwrite of a key it holds is undone (counted as `restored`). Garbage therefore
 * changes no balance, and balances are the fold (fold.ts) of the checked set.
 *
 * Two entries of one account at one height are an equivocation: both are kept, handed out as
 * @edge/rac evidence (`onEvidence`, `evidence()`), and the fold freezes the account there.
 *
 * Durability: every document update is appended to the storage; a locally written entry is
 * acknowledged (its promise resolves) only after the update that carries it is durable.
 */

import * as Y from 'yjs';
import { openBatch, toHex, type Envelope, type Signer, type Verifier } from '@edge/identity';
import {
  createAuthorityRegistry,
  equivocationEvidence,
  setRoot,
  MerkleLog,
  leafHash,
  solveAdmission,
  verifyAdmission,
  verifyDecision,
  verifyEvidence,
  type AuthorityRegistry,
  type VerifiedEvidence,
} from '@edge/rac';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  decodeEntry,
  ENTRY_TYPE,
  equal,
  LEDGER_SEQUENCE_RULE,
  MAX_ENTRY_SIZE,
  signEntryAsync,
  toKey,
  witnessBody,
  WITNESS_TYPE,
  ZERO_HASH,
  type Entry,
  type EntryBody,
  type EntryFields,
} from './entry.js';
import { AccountFrozenError, EconomyArgumentError, EntryFormatError, EntryRejectedError, SyncMessageError } from './errors.js';
import { fold, type AccountState, type FoldResult, type Fork } from './fold.js';
import { economicHealth, selfSustaining, type EconomicHealth } from './health.js';
import { createPolicy, type LedgerPolicy, type LedgerPolicyInput, type NetworkPhase } from './policy.js';
import type { LedgerStorage } from './storage.js';

export interface LedgerOptions {
  policy: LedgerPolicy | LedgerPolicyInput;
  /** Where updates are persisted. Without one the ledger lives in memory only. */
  storage?: LedgerStorage;
  /** Clock (ms). Entries stamped beyond now + maxClockSkew are deferred. */
  now?: () => number;
  verifier?: Verifier;
  /** Called once per equivocation found, with rac evidence of it. */
  onEvidence?: (evidence: Uint8Array, author: Uint8Array, height: number) => void;
}

export interface AppendResult {
  readonly key: string;
  readonly hash: Uint8Array;
  readonly height: number;
  readonly bytes: Uint8Array;
}

export interface LedgerStats {
  /** Entries in the replica's checked set. */
  readonly entries: number;
  readonly decisions: number;
  /** Input refused before the fold, by reason (bad-signature, malformed, wrong-net...). */
  readonly refused: Readonly<Record<string, number>>;
  /** Checked entries that did not count in the last fold, by reason. */
  readonly rejected: Readonly<Record<string, number>>;
  readonly notes: Readonly<Record<string, number>>;
  /** Keys whose deletion or overwrite was undone. */
  readonly restored: number;
  /** Equivocations found. */
  readonly equivocations: number;
}

const LOCAL = Symbol('local');
const RESTORE = Symbol('restore');
const STORAGE = Symbol('storage');
const LEDGER_CTX_PREFIX = 'ledger:';

export interface Ledger {
  readonly policy: LedgerPolicy;
  /** The yjs document (for custom transports; prefer the sync helpers). */
  readonly doc: Y.Doc;
  /** A handle that writes entries for `signer`'s account. */
  account(signer: Signer): LedgerAccount;
  /** Adds raw entry bytes (e.g. received by gossip). Resolves once checked; returns the key. */
  addEntry(bytes: Uint8Array): Promise<string>;
  /** Adds an authority decision (a fork resolution). */
  addDecision(bytes: Uint8Array): Promise<void>;
  /** State vector of this replica. */
  encodeStateVector(): Uint8Array;
  /** The update a replica with state vector `sv` lacks (everything without one). */
  encodeUpdate(sv?: Uint8Array): Uint8Array;
  /** Applies an update from another replica and checks what it brought. Throws SyncMessageError for bytes yjs cannot read. */
  receive(update: Uint8Array, origin?: unknown): Promise<void>;
  /** Waits until everything received so far is checked. */
  flush(): Promise<void>;
  /** The fold of the checked set (cached until the set or the clock changes). */
  state(): FoldResult;
  balanceOf(publicKey: Uint8Array): AccountState | undefined;
  getMultiplier(): number;
  getPhase(): NetworkPhase;
  getEconomicHealth(): EconomicHealth;
  isSelfSustaining(nodes: number, tasks: number): boolean;
  /** Merkle root (RFC 9162) over the sorted hashes of the checked entries and decisions. */
  merkleRoot(): Uint8Array;
  /** Inclusion proof of an entry under merkleRoot(). */
  proveEntry(hash: Uint8Array): { index: number; size: number; proof: Uint8Array[]; root: Uint8Array } | undefined;
  entry(keyOrHash: string | Uint8Array): Entry | undefined;
  /** Every checked entry. */
  entries(): IterableIterator<Entry>;
  forks(): readonly Fork[];
  /** rac evidence for every equivocation found. */
  evidence(): Uint8Array[];
  stats(): LedgerStats;
  /** Waits for pending writes and closes the storage. */
  close(): Promise<void>;
}

export interface LedgerAccount {
  readonly publicKey: Uint8Array;
  /** Writes an entry with the given fields at the account's next height. */
  append(fields: EntryFields, options?: { precheck?: boolean; ts?: number }): Promise<AppendResult>;
  /** Genesis: solves the admission proof of work (policy.genesisPowBits) and claims `amount` (default: the whole grant). */
  genesis(amount?: number): Promise<AppendResult>;
  hold(task: Uint8Array, amount: number): Promise<AppendResult>;
  pay(p: { task: Uint8Array; to: Uint8Array; amount: number; result: Uint8Array; work: number; witnesses?: readonly Uint8Array[] }): Promise<AppendResult>;
  receive(payment: Uint8Array): Promise<AppendResult>;
  refund(task: Uint8Array, amount: number): Promise<AppendResult>;
  mint(payment: Uint8Array, amount?: number): Promise<AppendResult>;
  stake(amount: number): Promise<AppendResult>;
  unstake(amount: number): Promise<AppendResult>;
  slash(accused: Uint8Array, evidence: Uint8Array): Promise<AppendResult>;
  /** This account's state in the fold. */
  state(): AccountState | undefined;
}

/** Opens a ledger, replaying its storage. */
export async function openLedger(options: LedgerOptions): Promise<Ledger> {
  if (options === null || typeof options !== 'object' || options.policy === null || typeof options.policy !== 'object') throw new EconomyArgumentError('options.policy is required');
  const policy = createPolicy(options.policy as LedgerPolicyInput);
  const now = options.now ?? Date.now;
  const verifier = options.verifier;
  const storage = options.storage;
  const doc = new Y.Doc();
  const entriesMap = doc.getMap<Uint8Array>('entries');
  const decisionsMap = doc.getMap<Uint8Array>('decisions');

  const valid = new Map<string, Entry>();
  const failed = new Map<string, string>();
  const pending = new Map<string, Uint8Array>();
  const pendingDecisions = new Map<string, Uint8Array>();
  const restoreQueue = new Set<string>();
  const validDecisions = new Map<string, Uint8Array>();
  const resolutions = new Map<string, Set<string>>();
  const slots = new Map<string, string[]>();
  const evidenceList: Uint8Array[] = [];
  const refused: Record<string, number> = {};
  let restored = 0;
  const registry: AuthorityRegistry = createAuthorityRegistry();
  const ledgerCtx = LEDGER_CTX_PREFIX + policy.net;
  if (policy.authorities.length > 0) registry.register(ledgerCtx, policy.authorities);

  let cache: { result: FoldResult; now: number } | undefined;
  let rootCache: { root: Uint8Array; sorted: Uint8Array[]; log?: MerkleLog } | undefined;
  const dirty = () => {
    cache = undefined;
    rootCache = undefined;
  };
  const refuse = (reason: string) => {
    refused[reason] = (refused[reason] ?? 0) + 1;
  };

  // ---- storage ------------------------------------------------------------------------------
  let lastWrite: Promise<void> = Promise.resolve();
  let writeError: unknown;
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (storage === undefined || origin === STORAGE) return;
    const w = storage.append(update);
    w.catch((e: unknown) => {
      writeError = e;
    });
    lastWrite = w;
  });

  // ---- intake -------------------------------------------------------------------------------
  entriesMap.observe((event) => {
    for (const key of event.keysChanged) {
      const v = entriesMap.get(key);
      const held = valid.get(key);
      if (held !== undefined) {
        if (!(v instanceof Uint8Array) || !equal(v, held.bytes)) restoreQueue.add(key);
        continue;
      }
      if (v instanceof Uint8Array) pending.set(key, v);
    }
  });
  decisionsMap.observe((event) => {
    for (const key of event.keysChanged) {
      const v = decisionsMap.get(key);
      if (validDecisions.has(key)) {
        if (!(v instanceof Uint8Array) || !equal(v, validDecisions.get(key)!)) restoreQueue.add('d:' + key);
        continue;
      }
      if (v instanceof Uint8Array) pendingDecisions.set(key, v);
    }
  });

  const checkEntries = async (items: [string, Uint8Array][]) => {
    const candidates: { key: string; hash: Uint8Array; bytes: Uint8Array }[] = [];
    for (const [key, bytes] of items) {
      if (bytes.length > MAX_ENTRY_SIZE) {
        refuse('too-large');
        continue;
      }
      const hash = sha256(bytes);
      if (toKey(hash) !== key) {
        refuse('bad-key');
        continue;
      }
      if (failed.has(key)) continue;
      // Cheap structural checks before any signature work.
      try {
        const d = decodeEntry(bytes);
        if (d.body.net !== policy.net) throw new EntryFormatError('entry of another ledger', 'wrong-net');
      } catch (error) {
        const reason = EntryFormatError.isInstance(error) ? (error as EntryFormatError).reason : 'malformed';
        failed.set(key, reason);
        refuse(reason);
        continue;
      }
      candidates.push({ key, hash, bytes });
    }
    if (candidates.length === 0) return;
    const opened = await openBatch(
      candidates.map((c) => c.bytes),
      { types: [ENTRY_TYPE], maxSize: MAX_ENTRY_SIZE, ...(verifier ? { verifier } : {}) },
    );
    // Second batch: the witness signatures embedded in payments.
    const witnessBytes: Uint8Array[] = [];
    const stage: { c: (typeof candidates)[number]; env: Envelope; body: EntryBody; wit: [number, number] }[] = [];
    opened.forEach((r, i) => {
      const c = candidates[i]!;
      if (r instanceof Error) {
        const reason = (r as { code?: string }).code === 'ERR_ENVELOPE_BAD_SIGNATURE' ? 'bad-signature' : 'malformed';
        failed.set(c.key, reason);
        refuse(reason);
        return;
      }
      const body = r.body as EntryBody;
      const start = witnessBytes.length;
      if (body.k === 'pay') witnessBytes.push(...body.wit);
      stage.push({ c, env: r, body, wit: [start, witnessBytes.length] });
    });
    const witnesses = witnessBytes.length > 0 ? await openBatch(witnessBytes, { types: [WITNESS_TYPE], maxSize: 2048, ...(verifier ? { verifier } : {}) }) : [];
    for (const { c, env, body, wit } of stage) {
      const fail = (reason: string) => {
        failed.set(c.key, reason);
        refuse(reason);
      };
      let witnessKeys: Uint8Array[] | undefined;
      let evidence: VerifiedEvidence | undefined;
      if (body.k === 'genesis') {
        if (body.amt > policy.genesisGrant) {
          fail('genesis-amount');
          continue;
        }
        if (!verifyAdmission(env.from, policy.net, body.pow, policy.genesisPowBits)) {
          fail('genesis-pow');
          continue;
        }
      } else if (body.k === 'pay') {
        if (body.work > body.amt * policy.maxWorkPerUnit) {
          fail('work-bound');
          continue;
        }
        witnessKeys = [];
        const seen = new Set<string>([toHex(env.from), toHex(body.to)]);
        let reason: string | undefined;
        for (let i = wit[0]; i < wit[1]; i++) {
          const w = witnesses[i]!;
          if (w instanceof Error) {
            reason = 'witness-invalid';
            break;
          }
          const s = witnessBody(w);
          if (s === undefined || s.net !== policy.net || !equal(s.task, body.task) || !equal(s.res, body.res) || !equal(s.to, body.to) || s.work !== body.work) {
            reason = 'witness-mismatch';
            break;
          }
          const hex = toHex(w.from);
          if (seen.has(hex)) {
            reason = 'witness-not-independent';
            break;
          }
          seen.add(hex);
          witnessKeys.push(w.from);
        }
        if (reason !== undefined) {
          fail(reason);
          continue;
        }
      } else if (body.k === 'slash') {
        try {
          evidence = await verifyEvidence(body.ev, {
            ...(verifier ? { verifier } : {}),
            rules: [LEDGER_SEQUENCE_RULE],
            minWitnesses: Math.max(1, policy.minWitnesses),
          });
        } catch {
          fail('evidence-invalid');
          continue;
        }
        if (!equal(evidence.accused, body.acc)) {
          fail('evidence-mismatch');
          continue;
        }
      }
      const entry: Entry = {
        hash: c.hash,
        key: c.key,
        author: env.from,
        authorHex: toHex(env.from),
        body,
        bytes: c.bytes,
        ...(witnessKeys ? { witnesses: witnessKeys } : {}),
        ...(evidence ? { evidence } : {}),
      };
      valid.set(c.key, entry);
      dirty();
      // Equivocation watch: one slot, two entries.
      const slot = `${entry.authorHex}:${body.h}`;
      const list = slots.get(slot);
      if (list === undefined) slots.set(slot, [c.key]);
      else {
        list.push(c.key);
        const first = valid.get(list[0]!)!;
        const ev = equivocationEvidence(first.bytes, entry.bytes);
        evidenceList.push(ev);
        options.onEvidence?.(ev, entry.author, body.h);
      }
    }
  };

  const checkDecisions = async (items: [string, Uint8Array][]) => {
    for (const [key, bytes] of items) {
      if (toKey(sha256(bytes)) !== key) {
        refuse('bad-key');
        continue;
      }
      try {
        const d = await verifyDecision(bytes, registry, verifier ? { verifier } : {});
        if (d.ctx !== ledgerCtx || d.verdict !== 'resolve-fork' || d.subject.length !== 32 || d.value.length !== 32) {
          refuse('decision-unusable');
          continue;
        }
        validDecisions.set(key, bytes);
        const hex = toHex(d.subject);
        let set = resolutions.get(hex);
        if (set === undefined) resolutions.set(hex, (set = new Set()));
        set.add(toHex(d.value));
        dirty();
      } catch (error) {
        refuse(`decision-${(error as { reason?: string }).reason ?? 'malformed'}`);
      }
    }
  };

  let chain: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    const run = async () => {
      while (pending.size > 0 || pendingDecisions.size > 0) {
        const items = [...pending];
        pending.clear();
        await checkEntries(items);
        const ds = [...pendingDecisions];
        pendingDecisions.clear();
        await checkDecisions(ds);
      }
      if (restoreQueue.size > 0) {
        const keys = [...restoreQueue];
        restoreQueue.clear();
        doc.transact(() => {
          for (const k of keys) {
            if (k.startsWith('d:')) {
              const key = k.slice(2);
              const bytes = validDecisions.get(key);
              const cur = decisionsMap.get(key);
              if (bytes && !(cur instanceof Uint8Array && equal(cur, bytes))) {
                decisionsMap.set(key, bytes);
                restored++;
              }
              continue;
            }
            const e = valid.get(k);
            const cur = entriesMap.get(k);
            if (e && !(cur instanceof Uint8Array && equal(cur, e.bytes))) {
              entriesMap.set(k, e.bytes);
              restored++;
            }
          }
        }, RESTORE);
      }
    };
    chain = chain.then(run, run);
    return chain;
  };

  // ---- replay storage -----------------------------------------------------------------------
  if (storage !== undefined) {
    const records = await storage.load();
    if (records.length > 0) {
      let merged: Uint8Array | undefined;
      try {
        merged = Y.mergeUpdates(records);
      } catch {
        merged = undefined;
      }
      if (merged !== undefined) Y.applyUpdate(doc, merged, STORAGE);
      else for (const r of records) {
        try {
          Y.applyUpdate(doc, r, STORAGE);
        } catch {
          refuse('storage-record');
        }
      }
      await flush();
    }
  }

  const state = (): FoldResult => {
    const t = now();
    if (cache !== undefined && (cache.now === t || !(cache.result.rejected.deferred! > 0))) return cache.result;
    const result = fold({ policy, entries: valid, resolutions, now: t });
    cache = { result, now: t };
    return result;
  };

  const root = () => {
    if (rootCache === undefined) {
      const hashes: Uint8Array[] = [];
      for (const e of valid.values()) hashes.push(e.hash);
      for (const d of validDecisions.values()) hashes.push(sha256(d));
      const sorted = hashes.sort((a, b) => {
        for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
        return 0;
      });
      rootCache = { root: setRoot(sorted), sorted };
    }
    return rootCache;
  };

  const append = async (signer: Signer, fields: EntryFields, opts: { precheck?: boolean; ts?: number }, q: { tip?: { h: number; hash: Uint8Array; ts: number } }): Promise<AppendResult> => {
    await flush();
    const hex = toHex(signer.publicKey);
    const st = state();
    const acct = st.accounts.get(hex);
    if (acct?.frozen) throw new AccountFrozenError();
    // Our own tip: the fold's, or the last entry we wrote if the fold has not seen it counted.
    let tip = acct && acct.height >= 0 ? { h: acct.height, hash: acct.tip, ts: acct.tipTs } : undefined;
    if (q.tip !== undefined && (tip === undefined || q.tip.h > tip.h)) tip = q.tip;
    if (fields.k !== 'genesis' && tip === undefined) throw new EntryRejectedError('no-account', 'write a genesis entry first');
    if (fields.k === 'genesis' && tip !== undefined) throw new EntryRejectedError('genesis-exists', 'the account already has a genesis entry');
    let ts = Math.max(opts.ts ?? now(), tip?.ts ?? 0);
    if ((fields.k === 'recv' || fields.k === 'mint') && opts.precheck !== false) {
      const p = st.payments.get(toHex(fields.pay));
      const ref = valid.get(toKey(fields.pay));
      if (p === undefined) throw new EntryRejectedError(ref ? 'payment-invalid' : 'recv-no-payment', 'the payment is not in this replica\'s ledger (sync first)');
      ts = Math.max(ts, p.ts + 1);
    }
    if (opts.precheck !== false && acct !== undefined) precheck(st, acct, hex, fields, ts);
    const body = { ...fields, net: policy.net, h: tip ? tip.h + 1 : 0, prev: tip ? tip.hash : ZERO_HASH, ts } as EntryBody;
    const bytes = plain(await signEntryAsync(signer, body));
    const hash = sha256(bytes);
    const key = toKey(hash);
    doc.transact(() => entriesMap.set(key, bytes), LOCAL);
    const write = lastWrite;
    await flush();
    await write;
    if (writeError !== undefined) throw writeError;
    if (!valid.has(key)) throw new EntryRejectedError(failed.get(key) ?? 'unknown', `entry refused: ${failed.get(key)}`);
    q.tip = { h: body.h, hash, ts };
    return { key, hash, height: body.h, bytes };
  };

  const ledger: Ledger = {
    policy,
    doc,
    account(signer) {
      if (signer === null || typeof signer !== 'object' || !(signer.publicKey instanceof Uint8Array)) throw new EconomyArgumentError('signer must be a Signer');
      const q: { tip?: { h: number; hash: Uint8Array; ts: number } } = {};
      let serial: Promise<unknown> = Promise.resolve();
      const run = (fields: EntryFields, opts: { precheck?: boolean; ts?: number } = {}): Promise<AppendResult> => {
        const p = serial.then(
          () => append(signer, fields, opts, q),
          () => append(signer, fields, opts, q),
        );
        serial = p.catch(() => undefined);
        return p;
      };
      const pk = signer.publicKey;
      return {
        publicKey: pk,
        append: run,
        genesis(amount = policy.genesisGrant) {
          return run({ k: 'genesis', amt: amount, pow: solve(pk, policy) });
        },
        hold: (task, amount) => run({ k: 'hold', task, amt: amount }),
        pay: (p) => run({ k: 'pay', task: p.task, to: p.to, amt: p.amount, res: p.result, work: p.work, wit: [...(p.witnesses ?? [])] }),
        receive(payment) {
          const p = state().payments.get(toHex(payment));
          return run({ k: 'recv', pay: payment, amt: p?.amt ?? 1 });
        },
        refund: (task, amount) => run({ k: 'refund', task, amt: amount }),
        mint(payment, amount) {
          const p = state().payments.get(toHex(payment));
          return run({ k: 'mint', pay: payment, amt: amount ?? Math.max(1, Math.floor((p?.amt ?? 1) * 9)) });
        },
        stake: (amount) => run({ k: 'stake', amt: amount }),
        unstake: (amount) => run({ k: 'unstake', amt: amount }),
        slash: (accused, evidence) => run({ k: 'slash', acc: accused, ev: evidence }),
        state: () => state().accounts.get(toHex(pk)),
      };
    },
    async addEntry(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new EconomyArgumentError('entry must be a Uint8Array');
      // Our own copy: the caller may reuse its buffer (and yjs keeps the reference).
      bytes = new Uint8Array(bytes);
      const key = toKey(sha256(bytes));
      if (valid.has(key)) {
        refuse('duplicate');
        return key;
      }
      doc.transact(() => entriesMap.set(key, bytes), LOCAL);
      await flush();
      return key;
    },
    async addDecision(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new EconomyArgumentError('decision must be a Uint8Array');
      bytes = new Uint8Array(bytes);
      const key = toKey(sha256(bytes));
      doc.transact(() => decisionsMap.set(key, bytes), LOCAL);
      await flush();
    },
    encodeStateVector: () => Y.encodeStateVector(doc),
    encodeUpdate(sv) {
      if (sv === undefined) return Y.encodeStateAsUpdate(doc);
      try {
        return Y.encodeStateAsUpdate(doc, sv);
      } catch {
        throw new SyncMessageError('state vector cannot be decoded');
      }
    },
    async receive(update, origin) {
      if (!(update instanceof Uint8Array)) throw new SyncMessageError('update must be a Uint8Array');
      try {
        Y.applyUpdate(doc, update, origin ?? 'remote');
      } catch {
        await flush();
        throw new SyncMessageError('update cannot be decoded');
      }
      await flush();
    },
    flush,
    state,
    balanceOf: (pk) => state().accounts.get(toHex(pk)),
    getMultiplier: () => state().multiplier,
    getPhase: () => state().phase,
    getEconomicHealth: () => economicHealth(state(), policy),
    isSelfSustaining: (nodes, tasks) => selfSustaining(economicHealth(state(), policy), policy, nodes, tasks),
    merkleRoot: () => root().root.slice(),
    proveEntry(hash) {
      const r = root();
      const index = r.sorted.findIndex((h) => equal(h, hash));
      if (index < 0) return undefined;
      if (r.log === undefined) {
        r.log = new MerkleLog();
        for (const h of r.sorted) r.log.appendLeafHash(leafHash(h));
      }
      return { index, size: r.sorted.length, proof: r.log.proveInclusion(index), root: r.root.slice() };
    },
    entry(k) {
      return valid.get(typeof k === 'string' ? k : toKey(k));
    },
    entries: () => valid.values(),
    forks: () => state().forks,
    evidence: () => evidenceList.slice(),
    stats() {
      const s = state();
      return { entries: valid.size, decisions: validDecisions.size, refused: { ...refused }, rejected: s.rejected, notes: s.notes, restored, equivocations: evidenceList.length };
    },
    async close() {
      await flush();
      await lastWrite.catch(() => undefined);
      await storage?.close();
      doc.destroy();
    },
  };
  return ledger;
}

/** yjs stores binary content only as plain Uint8Array (not Buffer or other subclasses). */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes);
}

function solve(publicKey: Uint8Array, policy: LedgerPolicy): Uint8Array {
  return solveAdmission(publicKey, policy.net, policy.genesisPowBits);
}

/** Refuses, before signing, an entry that the fold would not count (the fold stays the judge). */
function precheck(st: FoldResult, acct: AccountState, hex: string, f: EntryFields, ts: number): void {
  const no = (reason: string, message: string): never => {
    throw new EntryRejectedError(reason, message);
  };
  switch (f.k) {
    case 'hold':
      if (acct.escrows.has(toHex(f.task))) no('escrow-exists', 'task already has an escrow');
      if (f.amt > acct.balance) no('overspend', `balance ${acct.balance} < ${f.amt}`);
      break;
    case 'stake':
      if (f.amt > acct.balance) no('overspend', `balance ${acct.balance} < ${f.amt}`);
      break;
    case 'pay':
    case 'refund': {
      const left = acct.escrows.get(toHex(f.task));
      if (left === undefined) no('no-escrow', 'no open escrow for this task');
      if (f.amt > left!) no('escrow-exceeded', `escrow holds ${left} < ${f.amt}`);
      if (f.k === 'pay' && toHex(f.to) === hex) no('self-payment', 'an account cannot pay itself');
      break;
    }
    case 'unstake':
      if (f.amt > acct.stake) no('unstake-exceeds', `stake ${acct.stake} < ${f.amt}`);
      if (ts < acct.lockUntil) no('stake-locked', `stake is locked until ${acct.lockUntil}`);
      break;
    case 'recv': {
      const p = st.payments.get(toHex(f.pay))!;
      if (p.to !== hex) no('recv-not-payee', 'the payment is to another account');
      if (p.received) no('recv-duplicate', 'the payment was already received');
      break;
    }
    case 'mint': {
      const p = st.payments.get(toHex(f.pay))!;
      if (p.to !== hex) no('mint-not-payee', 'the payment is to another account');
      if (!p.verified) no('mint-unverified', 'the payment has too few independent witnesses');
      if (p.minted) no('mint-duplicate', 'the bonus of this payment was already minted');
      if (!p.received) no('mint-not-received', 'receive the payment first');
      break;
    }
    default:
      break;
  }
}
