/**
 * EdgeNetNode: the thin composition of identity, ledger, rac, executor and routing into the task
 * loop of DESIGN.md ("A task, end to end"). docs/tasks.md describes the lifecycle and the
 * verification policy this file implements; the README documents each public method.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import {
  PiKey,
  SessionKey,
  createReplayGuard,
  fromHex,
  open as openEnvelope,
  seal,
  toHex,
  type ReplayGuard,
} from '@edge/identity';
import {
  createPool,
  openLedger,
  signWitness,
  UNITS_PER_RUV,
  WITNESS_TYPE,
  type EconomicHealth,
  type Ledger,
  type LedgerAccount,
  type Pool,
} from '@edge/economy';
import { EvidenceError, MAX_EVIDENCE_SIZE, checkWitnessStake, createRac, openClaimSync, signClaim, verifyEvidence, wrongResultEvidence, type Rac, type SecurityAudit, type VerifiedEvidence } from '@edge/rac';
import { HnswIndex, createIndex, deserialize, type IndexOptions } from '@edge/hnsw';
import type { ResolvedConfig } from './options.js';
import {
  IndexError,
  InsufficientBalanceError,
  InvalidPayloadError,
  MaxCostExceededError,
  NodeError,
  NodeStateError,
  ProtocolError,
  StorageError,
  TaskExecutionError,
  TaskFailedError,
  TransportError,
} from './errors.js';
import { DutyCycle, Executor, type BatteryStatus } from './executor.js';
import {
  INDEX_ACK_TYPE,
  INDEX_SYNC_TYPE,
  OFFER_TYPE,
  TASK_CLAIM_CTX,
  WITNESS_REQUEST_TYPE,
  checkIndexSync,
  checkWitnessRequest,
  equalBytes,
  openIndexAck,
  openOffer,
  openRequest,
  openResult,
  requestType,
  sealIndexSync,
  sealOffer,
  sealRefusal,
  sealResult,
  sealWitnessRequest,
  type OfferBody,
} from './protocol.js';
import { RoutingTable } from './routing.js';
import { createMemoryNodeStorage, openDirectoryStorage, type NodeStorage } from './storage.js';
import {
  TaskRegistry,
  decodeResult,
  embeddingSpec,
  encodePayload,
  encryptionSpec,
  semanticMatchSpec,
  userSpec,
  vectorSearchSpec,
  type TaskSpec,
  type UserTaskRegistration,
  type VectorSearchResult,
} from './tasks.js';
import type { LedgerSyncProvider, PeerInfo, Transport } from './transport.js';
import { createNetTransport } from './net-transport.js';

/** Workers a replicated task goes to at first (k-of-n with k = 2). */
export const REPLICAS = 3;
/** Extra executions the escrow covers for disagreement and retries. */
export const SPARE_EXECUTIONS = 2;
/** Agreeing results that accept a replicated task. */
export const QUORUM = 2;

export interface SubmitOptions {
  /** Plaintext only on this node or trusted peers. */
  readonly private?: boolean;
}

/** How a result was accepted. */
export type Verification = 'local' | 'replicated' | 'sampled' | 'local-check';

export interface TaskOutcome<R = unknown> {
  readonly taskId: string;
  readonly type: string;
  readonly result: R;
  /** SHA-256 (hex) of the canonical result bytes. */
  readonly resultHash: string;
  /** Public keys (hex) whose result was accepted (this node's own for local runs). */
  readonly executedBy: readonly string[];
  /** Workers whose result was proven wrong (not paid; evidence filed). */
  readonly rejected: readonly string[];
  /** For a sharded vector_search: the weakest verification among the shards. */
  readonly verification: Verification;
  /** Whether a known-answer canary went to the worker with this task, and how it answered. */
  readonly canary?: 'passed' | 'failed' | 'unanswered';
  /** Sharded vector_search: the outcome of each shard's sub-task, in shard order. */
  readonly shards?: readonly TaskOutcome<VectorSearchResult>[];
  /** AMM quote per execution, base units. */
  readonly quote: number;
  /** What left this node's balance for good (payments), base units. */
  readonly cost: number;
  /** Escrow returned. */
  readonly refunded: number;
}

export interface NodeStats {
  readonly node_id: string;
  readonly ruv_balance: number;
  readonly ruv_earned: number;
  readonly ruv_spent: number;
  readonly ruv_staked: number;
  readonly ruv_escrow: number;
  readonly ruv_minted: number;
  readonly tasks_completed: number;
  readonly tasks_submitted: number;
  readonly tasks_local: number;
  readonly tasks_failed: number;
  readonly faults_detected: number;
  /** Escrows left held by a previous run (crash mid-task) and refunded at start. */
  readonly escrows_recovered: number;
  /** Known-answer canaries sent, and how many came back wrong. */
  readonly canaries_sent: number;
  readonly canaries_failed: number;
  /** Verified rac evidence this node published on the evidence topic. */
  readonly evidence_published: number;
  /** Evidence from peers that verified here and quarantined the accused. */
  readonly evidence_accepted: number;
  readonly reputation: number;
  readonly multiplier: number;
  readonly peers: number;
  readonly queue: number;
  readonly utilization: number;
  /** Incoming messages refused, by reason. */
  readonly refused: Readonly<Record<string, number>>;
}

export interface RankedPeer {
  readonly id: string;
  readonly score: number;
  readonly reputation: number;
  readonly routingValue: number;
  readonly latencyMs: number | undefined;
  readonly load: number;
  readonly trusted: boolean;
}

export interface RecommendedConfig {
  readonly cpuLimit: number;
  readonly minIdleTime: number;
  readonly respectBattery: boolean;
  readonly reasons: readonly string[];
}

interface QueuedOffer {
  readonly from: Uint8Array;
  readonly body: OfferBody;
  readonly offerHash: Uint8Array;
  readonly resolve: (reply: Uint8Array) => void;
}

interface Collected {
  readonly peer: Uint8Array;
  readonly hex: string;
  readonly result: Uint8Array;
  readonly res: Uint8Array;
  readonly resHex: string;
  readonly workMs: number;
  readonly claim: Uint8Array;
}

interface HeldIndex {
  index: HnswIndex;
  owner: string;
  /** Version each peer acknowledged (owner side). */
  peers: Map<string, number>;
  /** Owner side: how many peers hold a replica (undefined: every vector_search peer). */
  replicas?: number;
  /** Replica side: size of its last snapshot, bytes (what counts against `replicaQuota`). */
  bytes?: number;
}

/** How long an offer waits for its escrow to reach this replica, and how many may wait at once. */
const ESCROW_WAIT_MS = 3_000;
const MAX_ESCROW_WAITERS = 64;

/** Most replicas (indexes or shards of other owners) a node holds. */
const MAX_REPLICAS = 256;

/** Options of `createIndex`: @edge/hnsw's, plus how the index spreads over peers. */
export interface NodeIndexOptions extends IndexOptions {
  /**
   * Shards (1..256, default 1). A vector goes to shard `shardOf(id, shards)`; each shard is its own
   * @edge/hnsw index `<name>.<s>` with its own replicas, and a query fans out to one holder set per
   * shard and merges the top k.
   */
  readonly shards?: number;
  /**
   * Peers holding a replica of each shard, chosen by rendezvous hashing over the peers that serve
   * vector_search (1..64). Default: 3 for a sharded index, every vector_search peer otherwise.
   */
  readonly replicas?: number;
}

/** The layout of an own index (persisted in manifests.json). */
interface Manifest {
  readonly shards: number;
  readonly replicas?: number;
}

const INDEX_NAME_RE = /^[a-z0-9_-]{1,48}$/;
/** An index or one of its shards (`<name>.<s>`) as held, replicated and advertised. */
const HELD_NAME_RE = /^[a-z0-9_-]{1,48}(\.[0-9]{1,3})?$/;
const MAX_SHARDS = 256;

/**
 * The shard of a vector id: FNV-1a (32-bit) of its type-tagged string form, modulo `shards`.
 * A pure function of the id, so an update always lands on the shard that holds the old vector.
 */
export function shardOf(id: string | number, shards: number): number {
  const key = `${typeof id === 'number' ? 'n' : 's'}:${id}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

const shardName = (name: string, s: number) => `${name}.${s}`;
const VERIFICATION_ORDER: Verification[] = ['local', 'sampled', 'local-check', 'replicated'];
/** The `kind` of the evidence the node publishes on net's RAC_EVIDENCE_TOPIC (rac's evidence kind). */
export const EVIDENCE_KIND = 'wrong-result';
/** Largest evidence the topic carries (its `evidence` field). */
const MAX_GOSSIP_EVIDENCE = 60 * 1024;

/** A verified (payload, result) pair a canary can reuse. */
interface KnownAnswer {
  readonly payload: Uint8Array;
  readonly units: number;
  readonly resHex: string;
  /** Capability the worker must advertise (vector_search: the pinned index version). */
  readonly requires?: string;
}
/** Known answers kept per task type. */
const KNOWN_ANSWERS = 32;

/** Refusal reasons that prove the requester at fault: thrown to the transport, not answered. */
export const PEER_FAULT_REASONS: ReadonlySet<string> = new Set(['bad-signature', 'wrong-signer', 'wrong-sender', 'replay', 'malformed', 'schema', 'too-large', 'wrong-type', 'stale', 'future']);

/** Origin of ledger updates that came from peers (not re-gossiped). */
const REMOTE = Symbol('edge-node-remote');
/** Interval of the background ledger exchange with one peer (round robin). */
const ANTI_ENTROPY_MS = 3_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The node. Build it with `new EdgeNetConfig(siteId)...build()`. */
export class EdgeNetNode {
  readonly #cfg: ResolvedConfig;
  readonly #registry = new TaskRegistry();
  readonly #userModules: { type: string; module: string; exportName?: string }[] = [];
  readonly #trusted: Set<string>;
  #identity: PiKey | undefined;
  #storage: NodeStorage | undefined;
  #ledger: Ledger | undefined;
  #account: LedgerAccount | undefined;
  #transport: Transport | undefined;
  #rac: Rac | undefined;
  #executor: Executor | undefined;
  #duty: DutyCycle;
  #routing = new RoutingTable();
  #pool: Pool;
  #session: SessionKey | undefined;
  #guard: ReplayGuard;
  #indexes = new Map<string, HeldIndex>();
  /** Own indexes' layouts, by name. */
  #manifests = new Map<string, Manifest>();
  #queue: QueuedOffer[] = [];
  #wake: (() => void) | undefined;
  /** Ledger exchanges in flight by peer (hex), and whether another was asked for meanwhile. */
  #syncs = new Map<string, { run: Promise<void>; again: boolean }>();
  #lastSync = new Map<string, number>();
  #antiEntropyAt = 0;
  #antiEntropyNext = 0;
  #onLocalLedgerUpdate = (update: Uint8Array, origin: unknown) => {
    // Gossip what this node wrote (and what its ledger restored); what came from peers is not
    // re-published: gossipsub already carries it to every subscriber.
    if (origin === REMOTE || this.#state !== 'running') return;
    const t = this.#transport;
    if (t === undefined) return;
    if (update.length > t.ledger.maxBroadcast) {
      for (const p of t.peers()) this.#syncWith(p.id);
      return;
    }
    void t.ledger.broadcast(update);
  };
  #ledgerProvider: LedgerSyncProvider = {
    stateVector: () => this.#ledger!.encodeStateVector(),
    diff: (remote) => this.#ledger!.encodeUpdate(remote),
    apply: async (update) => {
      if (this.#state !== 'running' && this.#state !== 'starting') return;
      await this.#ledger!.receive(update, REMOTE);
    },
  };
  #results = new Map<string, { res: Uint8Array; workMs: number; at: number }>();
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  #loop: Promise<void> | undefined;
  #collecting = false;
  #collectAgain = false;
  #refused: Record<string, number> = {};
  #counters = { completed: 0, submitted: 0, local: 0, failed: 0, faults: 0, evidencePublished: 0, evidenceAccepted: 0, canaries: 0, canariesFailed: 0, escrowsRecovered: 0 };
  /** Equivocations the ledger found, waiting to be filed (slash + rac), and those filed. */
  #equivocations: { evidence: Uint8Array; author: Uint8Array }[] = [];
  #filed = new Set<string>();
  /** Offers waiting for their escrow to reach this replica. */
  #escrowWaiters = new Set<() => void>();
  /** Known answers by task type (the canary pool). */
  #known = new Map<string, KnownAnswer[]>();
  /** Peer evidence whose signatures verified but whose witnesses' stake this replica cannot see yet, by content hex. */
  #pendingEvidence = new Map<string, { bytes: Uint8Array; until: number }>();
  #onUpdate = () => this.#scheduleCollect();
  /** Replication of own indexes in flight, by name (one at a time per index). */
  #replicating = new Map<string, Promise<void>>();
  /** Peer (hex) → when a failed replica push may be retried in the background, and the next delay. */
  #replicaBackoff = new Map<string, { until: number; delayMs: number }>();
  #maintainTimer: ReturnType<typeof setInterval> | undefined;

  /** @internal Use EdgeNetConfig.build(). */
  constructor(cfg: ResolvedConfig) {
    this.#cfg = cfg;
    this.#trusted = new Set(cfg.trustedPeers.map((k) => toHex(k)));
    this.#duty = new DutyCycle({ cpuLimit: cfg.cpuLimit, minIdleTime: cfg.minIdleTime, respectBattery: cfg.respectBattery, now: cfg.now });
    // The node's local view of the compute market: 1 000 rUv against 1 000 000 compute units,
    // so an idle market prices one unit at about 0.001 rUv (1 000 base units).
    this.#pool = createPool({ ruv: 1_000 * UNITS_PER_RUV, compute: 1_000_000 });
    this.#guard = createReplayGuard({ now: cfg.now, maxAgeMs: 120_000, maxFutureMs: 30_000 });
    for (const spec of [vectorSearchSpec, embeddingSpec, semanticMatchSpec, encryptionSpec] as TaskSpec[]) this.#registry.add(spec);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Registers a task type; the handler module runs in the worker thread. Call before start(). */
  registerTask(registration: UserTaskRegistration): void {
    if (this.#state !== 'new') throw new NodeStateError('register task types before start()');
    const spec = userSpec(registration);
    this.#registry.add(spec);
    this.#userModules.push({ type: spec.type, module: spec.module, ...(spec.exportName !== undefined ? { exportName: spec.exportName } : {}) });
  }

  /** Opens storage, identity and ledger, joins the network (if any) and starts the worker loop. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new NodeStateError(`start() on a ${this.#state} node`);
    this.#state = 'starting';
    const cfg = this.#cfg;
    const s = cfg.storage;
    this.#storage = typeof s === 'string' ? await openDirectoryStorage(s) : (s ?? createMemoryNodeStorage());
    this.#identity = await this.#loadIdentity();
    const routing = await this.#storage.get('routing.json');
    if (routing !== undefined) {
      try {
        this.#routing = RoutingTable.restore(JSON.parse(new TextDecoder().decode(routing)));
      } catch (error) {
        throw new StorageError('routing.json is not readable', { cause: error });
      }
    }
    this.#ledger = await openLedger({
      policy: cfg.ledgerPolicy,
      storage: await this.#storage.openLedger(),
      now: cfg.now,
      // Two entries at one height of one chain (a double spend): filed as a slash once started.
      onEvidence: (evidence, author) => {
        this.#equivocations.push({ evidence, author: author.slice() });
        if (this.#account !== undefined) this.#scheduleCollect();
      },
    });
    this.#account = this.#ledger.account(this.#identity);
    const ledger = this.#ledger;
    this.#rac = createRac({ now: cfg.now, stakeOf: (pk) => ledger.balanceOf(pk)?.stake ?? 0, totalStake: () => ledger.state().totals.stake });
    this.#session = SessionKey.create(this.#identity, 24 * 3600);
    this.#executor = new Executor(cfg.memoryLimit);
    await this.#executor.warm();
    for (const m of this.#userModules) await this.#executor.register(m.type, m.module, m.exportName);
    await this.#loadIndexes();

    if (this.#account.state() === undefined) await this.#account.genesis();
    // Escrow a previous run of this node left held (it stopped or crashed mid-task): no task of
    // this run tracks it, and whatever it already paid is on its chain; the rest comes back.
    for (const [task, left] of [...(this.#account.state()!.escrows ?? new Map<string, number>())]) {
      if (left > 0) {
        await this.#account.refund(fromHex(task), left);
        this.#counters.escrowsRecovered++;
      }
    }
    const mine = this.#account.state()!;
    if (cfg.stake > mine.stake && mine.balance > 0) await this.#account.stake(Math.min(cfg.stake - mine.stake, mine.balance));
    ledger.doc.on('update', this.#onUpdate);

    const factory =
      cfg.transport ??
      (cfg.bootstrap.length > 0 || cfg.listen.length > 0
        ? createNetTransport({
            bootstrap: [...cfg.bootstrap],
            ...(cfg.listen.length > 0 ? { listen: [...cfg.listen] } : {}),
            cpuLimit: cfg.cpuLimit,
            memoryBytes: cfg.memoryLimit,
          })
        : undefined);
    const t = factory?.(this.#identity);
    if (t !== undefined) {
      this.#transport = t;
      t.handle((from, bytes, signal) => this.#onRequest(from, bytes, signal));
      t.ledger.serve(this.#ledgerProvider);
      t.ledger.onUpdate((from, update) => void this.#onLedgerUpdate(from, update));
      t.ledger.onPeer((peer, up) => {
        if (up) this.#syncWith(peer);
        else this.#lastSync.delete(toHex(peer));
      });
      ledger.doc.on('update', this.#onLocalLedgerUpdate);
      t.evidence?.onEvidence((from, kind, subject, bytes) => void this.#onEvidence(from, kind, subject, bytes));
      await t.start();
    }
    this.#state = 'running';
    if (t !== undefined) for (const p of t.peers()) this.#syncWith(p.id);
    this.#advertise();
    this.#scheduleCollect();
    this.#loop = this.#workLoop();
    if (this.#transport !== undefined) {
      // Peers whose capability advert arrives after an insert (gossip takes a few rounds; a
      // node that just joined has not heard of everyone yet) get the index here.
      this.#maintainTimer = setInterval(() => {
        this.#replicateToNewPeers();
        this.#retryEvidence();
        this.#antiEntropy();
      }, 500);
      this.#maintainTimer.unref?.();
    }
  }

  /** Stops the loop, the network, the worker thread; persists routing values; closes the ledger. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'stopped';
    for (const q of this.#queue.splice(0)) q.resolve(sealRefusal(this.#identity!, 'stopping'));
    this.#wake?.();
    await this.#loop;
    this.#ledger!.doc.off('update', this.#onUpdate);
    this.#ledger!.doc.off('update', this.#onLocalLedgerUpdate);
    if (this.#maintainTimer !== undefined) clearInterval(this.#maintainTimer);
    this.#maintainTimer = undefined;
    await this.#transport?.stop();
    await Promise.all([...this.#syncs.values()].map((x) => x.run.catch(() => undefined)));
    await this.#executor!.close();
    await this.#waitCollect();
    await this.#saveRouting();
    await this.#ledger!.close();
    this.#session?.destroy();
  }

  /** Stops contributing (queued offers are refused, new ones too); own submissions still work. */
  pause(): void {
    this.#duty.pause();
    this.#advertise();
  }

  resume(): void {
    this.#duty.resume();
    this.#advertise();
    this.#wake?.();
  }

  /** Changes the CPU share (0.1..0.5) at once; the duty cycle holds the new share from the next task. */
  setCpuLimit(share: number): void {
    this.#duty.setCpuLimit(share);
  }

  /** The user did something: contribution waits `minIdleTime` from now. */
  signalActivity(): void {
    this.#duty.signalActivity();
  }

  /** Battery state as the platform reports it (Node has no standard source; the host app passes it). */
  setBatteryStatus(status: BatteryStatus | undefined): void {
    this.#duty.setBattery(status);
  }

  /** True when the user has been inactive for at least `minIdleTime`. */
  isIdle(): boolean {
    return this.#duty.isIdle();
  }

  // ---- identity and credits ------------------------------------------------------------------

  /** The node's public key, hex. */
  /** Dialable multiaddrs (with `/p2p/<peer id>`) of the network transport; empty without one. */
  addresses(): string[] {
    const t = this.#transport as { addresses?: () => string[] } | undefined;
    return t?.addresses?.() ?? [];
  }

  nodeId(): string {
    return toHex(this.#need().identity.publicKey);
  }

  get publicKey(): Uint8Array {
    return this.#need().identity.publicKey.slice();
  }

  /** Short id `π:xxxxxxxx`. */
  shortId(): string {
    return this.#need().identity.getShortId();
  }

  /** Spendable balance in base units (UNITS_PER_RUV per rUv), from the ledger fold. */
  ruvBalance(): number {
    return this.#need().account.state()?.balance ?? 0;
  }

  /** The ledger (for inspection: balances, totals, merkleRoot). */
  get ledger(): Ledger {
    return this.#need().ledger;
  }

  getMultiplier(): number {
    return this.#need().ledger.getMultiplier();
  }

  getEconomicHealth(): EconomicHealth {
    return this.#need().ledger.getEconomicHealth();
  }

  /** Ledger rule of docs/economy.md with nodes = active accounts, tasks = payments in the health window. */
  isSelfSustaining(): boolean {
    const ledger = this.#need().ledger;
    const st = ledger.state();
    const from = st.ledgerTime - ledger.policy.healthWindowMs;
    const tasks = st.health.pays.filter((p) => p.ts > from).length;
    return ledger.isSelfSustaining(st.active, tasks);
  }

  getStats(): NodeStats {
    const { ledger, identity } = this.#need();
    const me = toHex(identity.publicKey);
    const st = ledger.state();
    const acct = st.accounts.get(me);
    let earned = 0;
    let spent = 0;
    for (const p of st.payments.values()) {
      if (p.payer === me) spent += p.amt;
      if (p.to === me && p.received) earned += p.amt;
    }
    return {
      node_id: me,
      ruv_balance: acct?.balance ?? 0,
      ruv_earned: earned + (acct?.minted ?? 0),
      ruv_spent: spent,
      ruv_staked: acct?.stake ?? 0,
      ruv_escrow: acct?.escrow ?? 0,
      ruv_minted: acct?.minted ?? 0,
      tasks_completed: this.#counters.completed,
      tasks_submitted: this.#counters.submitted,
      tasks_local: this.#counters.local,
      tasks_failed: this.#counters.failed,
      faults_detected: this.#counters.faults,
      escrows_recovered: this.#counters.escrowsRecovered,
      canaries_sent: this.#counters.canaries,
      canaries_failed: this.#counters.canariesFailed,
      evidence_published: this.#counters.evidencePublished,
      evidence_accepted: this.#counters.evidenceAccepted,
      reputation: acct?.reputation ?? 0,
      multiplier: st.multiplier,
      peers: this.#transport?.peers().length ?? 0,
      queue: this.#queue.length,
      utilization: this.#duty.utilization(),
      refused: { ...this.#refused },
    };
  }

  /** rac's audit (replay window, admission, stake weighting, eclipse, attack pressure...) against the ledger root. */
  runSecurityAudit(): SecurityAudit {
    const { ledger } = this.#need();
    return this.#rac!.runSecurityAudit(ledger.merkleRoot());
  }

  // ---- routing -------------------------------------------------------------------------------

  /** Feeds the learned routing value of (type, peer) with a reward in [-1, 1]; returns the new value. */
  recordTaskRouting(type: string, peerId: string, reward: number): number {
    if (typeof type !== 'string' || typeof peerId !== 'string' || !/^[0-9a-f]{64}$/.test(peerId) || !Number.isFinite(reward)) {
      throw new InvalidPayloadError('recordTaskRouting(type, peerId hex, finite reward)');
    }
    return this.#routing.record(type, peerId, reward);
  }

  routingValue(type: string, peerId: string): number {
    return this.#routing.value(type, peerId);
  }

  /** Capable peers for `type`, best first (see docs/tasks.md, "Routing"). */
  getOptimalPeers(type: string, count = 5): RankedPeer[] {
    this.#need();
    return this.#rank(type, undefined, false).slice(0, Math.max(0, count)).map((r) => r.ranked);
  }

  /**
   * Whether a task given to `peerId` is replicated: the adaptive-replication probability of its
   * trust record (1 for unknown workers), drawn with the node's random source. Without a peer:
   * whether the best peer for vector_search would be replicated.
   */
  shouldReplicate(peerId?: string): boolean {
    return this.#cfg.random() < this.replicationProbability(peerId);
  }

  replicationProbability(peerId?: string): number {
    const id = peerId ?? this.getOptimalPeers('vector_search', 1)[0]?.id;
    if (id === undefined) return 1;
    const rep = this.#need().ledger.balanceOf(fromHex(id))?.reputation ?? 0;
    return rep < 0.5 ? 1 : this.#routing.replicationProbability(id);
  }

  /**
   * Fitness in [0, 1]: the mean of connectivity (peers / 8, capped), the mean score of the best
   * five peers, and the verified share of this node's routed executions.
   */
  getNetworkFitness(): number {
    this.#need();
    const peers = this.#transport?.peers().length ?? 0;
    const connectivity = Math.min(1, peers / 8);
    const best = this.#rank(undefined, undefined, false).slice(0, 5);
    const quality = best.length === 0 ? 0 : best.reduce((s, r) => s + r.ranked.score, 0) / best.length;
    let ok = 0;
    let bad = 0;
    for (const t of this.#routing.trust.values()) {
      ok += t.verified;
      bad += t.faults + t.timeouts;
    }
    const success = ok + bad === 0 ? 1 : ok / (ok + bad);
    return (connectivity + quality + success) / 3;
  }

  /** A configuration suited to the state the node observes (battery, refusals, utilization). */
  getRecommendedConfig(): RecommendedConfig {
    const reasons: string[] = [];
    let cpu = this.#duty.cpuLimit;
    const b = this.#duty.battery;
    if (this.#cfg.respectBattery && b !== undefined && !b.charging) {
      cpu = 0.1;
      reasons.push(`on battery (${Math.round(b.level * 100)} %): lowest share`);
    } else {
      const busy = this.#refused['busy'] ?? 0;
      const offers = busy + this.#counters.completed;
      if (offers >= 10 && busy / offers > 0.1) {
        cpu = Math.min(0.5, cpu + 0.1);
        reasons.push(`${busy} of ${offers} offers refused as busy: raise the share`);
      }
    }
    const userActive = !this.#duty.isIdle();
    const minIdle = userActive ? Math.max(this.#cfg.minIdleTime, 30_000) : this.#cfg.minIdleTime;
    if (userActive) reasons.push('user active: wait at least 30 s after activity');
    if (reasons.length === 0) reasons.push('current configuration fits');
    return { cpuLimit: cpu, minIdleTime: minIdle, respectBattery: this.#cfg.respectBattery, reasons };
  }

  // ---- indexes -------------------------------------------------------------------------------

  /**
   * Creates a named index owned by this node (the one writer; peers hold replicas). With
   * `shards > 1` it is split into `shards` @edge/hnsw indexes `<name>.<s>`, each replicated to
   * `replicas` peers (see NodeIndexOptions).
   */
  async createIndex(name: string, options: NodeIndexOptions): Promise<void> {
    const { identity } = this.#need();
    if (typeof name !== 'string' || !INDEX_NAME_RE.test(name)) throw new IndexError('index name must match /^[a-z0-9_-]{1,48}$/');
    if (this.#indexes.has(name) || this.#manifests.has(name)) throw new IndexError(`index "${name}" exists`);
    const { shards = 1, replicas, ...hnswOptions } = options ?? ({} as NodeIndexOptions);
    if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new IndexError(`shards must be an integer in [1, ${MAX_SHARDS}]`);
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1 || replicas > 64)) throw new IndexError('replicas must be an integer in [1, 64]');
    const names = shards === 1 ? [name] : Array.from({ length: shards }, (_, s) => shardName(name, s));
    const made: HnswIndex[] = [];
    for (let i = 0; i < names.length; i++) {
      try {
        made.push(createIndex(hnswOptions));
      } catch (error) {
        throw new IndexError(`bad index options: ${(error as Error).message}`, { cause: error });
      }
    }
    const me = toHex(identity.publicKey);
    const manifest: Manifest = { shards, ...(replicas !== undefined || shards > 1 ? { replicas: replicas ?? 3 } : {}) };
    this.#manifests.set(name, manifest);
    for (let i = 0; i < names.length; i++) {
      this.#indexes.set(names[i]!, { index: made[i]!, owner: me, peers: new Map(), ...(manifest.replicas !== undefined ? { replicas: manifest.replicas } : {}) });
      await this.#persistIndex(names[i]!);
      await this.#executor!.loadIndex(names[i]!, made[i]!.serialize());
    }
    await this.#persistManifests();
    this.#advertise();
  }

  /**
   * Inserts (or updates) vectors in an own index, then ships the change as an @edge/hnsw delta to
   * this node's worker thread and to the peers holding a replica (a snapshot to a peer that has
   * none). Every input is checked before anything changes. Resolves with the new version (for a
   * sharded index: the sum of its shards' versions) once every reachable replica acknowledged it.
   */
  async insertVectors(name: string, ids: readonly (string | number)[], vectors: readonly ArrayLike<number>[]): Promise<number> {
    this.#need();
    const manifest = this.#manifests.get(name);
    const held = this.#indexes.get(name);
    if (manifest === undefined) {
      if (held === undefined) throw new IndexError(`no index "${name}"`);
      throw new IndexError(`index "${name}" is a replica; only its owner writes`);
    }
    if (!Array.isArray(ids) || !Array.isArray(vectors) || ids.length !== vectors.length) throw new IndexError('ids and vectors must be arrays of the same length');
    const names = manifest.shards === 1 ? [name] : Array.from({ length: manifest.shards }, (_, s) => shardName(name, s));
    // Group by shard, and check every input against the index before the first insert, so a bad
    // vector in shard 3 cannot leave shards 0..2 changed.
    const groups = names.map(() => ({ ids: [] as (string | number)[], vectors: [] as ArrayLike<number>[] }));
    const dim = this.#indexes.get(names[0]!)!.index.dim;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)))) throw new IndexError(`ids[${i}] must be a string or a safe integer`);
      const v = vectors[i];
      if (v === null || typeof v !== 'object' || v.length !== dim) throw new IndexError(`vectors[${i}] must have ${dim} numbers`);
      for (let j = 0; j < dim; j++) if (!Number.isFinite(v[j])) throw new IndexError(`vectors[${i}] must be finite`);
      const g = groups[manifest.shards === 1 ? 0 : shardOf(id, manifest.shards)]!;
      g.ids.push(id);
      g.vectors.push(v);
    }
    const changed: string[] = [];
    for (let s = 0; s < names.length; s++) {
      const g = groups[s]!;
      if (g.ids.length === 0) continue;
      const h = this.#indexes.get(names[s]!)!;
      const before = h.index.currentVersion;
      try {
        h.index.addBatch(g.ids, g.vectors as number[][]);
      } catch (error) {
        throw new IndexError(`insert refused: ${(error as Error).message}`, { cause: error });
      }
      const snapshot = h.index.serialize();
      await this.#persistIndex(names[s]!, snapshot);
      await this.#executor!.applyDelta(names[s]!, h.index.exportDelta(before), snapshot);
      changed.push(names[s]!);
    }
    this.#advertise();
    await Promise.all(changed.map((n) => this.#replicateHeld(n)));
    return names.reduce((sum, n) => sum + this.#indexes.get(n)!.index.currentVersion, 0);
  }

  /**
   * Pushes an own index (every shard of it) to the peers that should hold it (delta where the
   * peer is current, else snapshot). The node also does this by itself, within a second, for
   * peers whose capability advert arrives later. Pushes of one shard run one at a time.
   */
  async replicateIndex(name: string): Promise<void> {
    this.#need();
    const manifest = this.#manifests.get(name);
    if (manifest === undefined) {
      if (this.#indexes.has(name)) throw new IndexError(`index "${name}" is a replica; only its owner replicates it`);
      throw new IndexError(`no index "${name}"`);
    }
    const names = manifest.shards === 1 ? [name] : Array.from({ length: manifest.shards }, (_, s) => shardName(name, s));
    await Promise.all(names.map((n) => this.#replicateHeld(n)));
  }

  async #replicateHeld(name: string): Promise<void> {
    const held = this.#indexes.get(name);
    if (held === undefined) return;
    const prev = this.#replicating.get(name) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.#pushIndex(name, held));
    this.#replicating.set(name, run);
    try {
      await run;
    } finally {
      if (this.#replicating.get(name) === run) this.#replicating.delete(name);
    }
  }

  /**
   * The peers that should hold `name`: every vector_search peer, or with `replicas` set the top
   * `replicas` of them by rendezvous hash (SHA-256 of name and peer key: stable as peers come and
   * go), plus every peer that already holds a replica (it keeps receiving deltas).
   */
  #replicaTargets(name: string, held: HeldIndex, peers: readonly PeerInfo[]): PeerInfo[] {
    const capable = peers.filter((p) => {
      if (!p.capabilities.includes('vector_search')) return false;
      const level = this.#rac!.status(p.id).level;
      return level !== 'quarantined' && level !== 'blocked';
    });
    if (held.replicas === undefined || capable.length <= held.replicas) return capable;
    const tag = new TextEncoder().encode(name);
    const scored = capable.map((p) => {
      const buf = new Uint8Array(tag.length + p.id.length);
      buf.set(tag);
      buf.set(p.id, tag.length);
      return { p, h: toHex(sha256(buf)) };
    });
    scored.sort((a, b) => (a.h < b.h ? 1 : -1));
    const chosen = new Set(scored.slice(0, held.replicas).map((x) => x.p));
    for (const p of capable) if (held.peers.has(toHex(p.id))) chosen.add(p);
    return [...chosen];
  }

  /** Own indexes that a target peer has not acknowledged at their current version. */
  #replicateToNewPeers(): void {
    const t = this.#transport;
    if (t === undefined || this.#state !== 'running' || this.#identity === undefined) return;
    const me = toHex(this.#identity.publicKey);
    const now = Date.now();
    const peers = t.peers();
    for (const [name, held] of this.#indexes) {
      if (held.owner !== me || this.#replicating.has(name)) continue;
      const version = held.index.currentVersion;
      const missing = this.#replicaTargets(name, held, peers).some((p) => {
        const hex = toHex(p.id);
        return held.peers.get(hex) !== version && (this.#replicaBackoff.get(hex)?.until ?? 0) <= now;
      });
      if (missing) this.#replicateHeld(name).catch(() => undefined);
    }
  }

  async #pushIndex(name: string, held: HeldIndex): Promise<void> {
    const { identity } = this.#need();
    const t = this.#transport;
    if (t === undefined || this.#state !== 'running') return;
    const version = held.index.currentVersion;
    await Promise.all(
      this.#replicaTargets(name, held, t.peers()).map(async (p) => {
        const hex = toHex(p.id);
        const known = held.peers.get(hex);
        if (known === version) return;
        const body = known !== undefined ? { name, delta: held.index.exportDelta(known) } : { name, snapshot: held.index.serialize() };
        try {
          const reply = await t.request(p.id, sealIndexSync(identity, body), { timeoutMs: Math.max(30_000, this.#cfg.taskTimeoutMs) });
          const ack = openIndexAck(reply, p.id);
          if (ack.name === name) held.peers.set(hex, ack.version);
          this.#replicaBackoff.delete(hex);
        } catch {
          held.peers.delete(hex); // next time: a snapshot
          // A refusing or unreachable peer is retried in the background after 2, 4, 8 ... 60 s.
          const delayMs = Math.min(60_000, (this.#replicaBackoff.get(hex)?.delayMs ?? 1_000) * 2);
          this.#replicaBackoff.set(hex, { until: Date.now() + delayMs, delayMs });
        }
      }),
    );
  }

  /** Version of a held index or shard (`<name>.<s>`), own or replica; for an own sharded index the sum over its shards. */
  indexVersion(name: string): number | undefined {
    const m = this.#manifests.get(name);
    if (m !== undefined && m.shards > 1) {
      let v = 0;
      for (let s = 0; s < m.shards; s++) v += this.#indexes.get(shardName(name, s))?.index.currentVersion ?? 0;
      return v;
    }
    return this.#indexes.get(name)?.index.currentVersion;
  }

  /**
   * How many peers advertise a replica of index (or shard) `name` at its current version here
   * (at the newest advertised version where this node holds none): the peers a `vector_search`
   * on it can be routed to (0 until the replicas' adverts have arrived). For an own sharded
   * index: the smallest count over its shards.
   */
  indexHolders(name: string): number {
    const m = this.#manifests.get(name);
    if (m !== undefined && m.shards > 1) {
      let min = Infinity;
      for (let s = 0; s < m.shards; s++) min = Math.min(min, this.indexHolders(shardName(name, s)));
      return min;
    }
    const peers = this.#transport?.peers() ?? [];
    // Not held here: the newest version any peer advertises (what a query would pin).
    let version = this.#indexes.get(name)?.index.currentVersion;
    if (version === undefined) {
      const prefix = `index:${name}@`;
      for (const p of peers) for (const c of p.capabilities) if (c.startsWith(prefix)) version = Math.max(version ?? -1, Number(c.slice(prefix.length)));
    }
    if (version === undefined) return 0;
    const cap = `index:${name}@${version}`;
    return peers.filter((p) => p.capabilities.includes(cap)).length;
  }

  /** The layout of an own index (`shards`, `replicas`), or undefined. */
  indexLayout(name: string): { shards: number; replicas: number | undefined } | undefined {
    const m = this.#manifests.get(name);
    return m === undefined ? undefined : { shards: m.shards, replicas: m.replicas };
  }

  /** A held index or shard itself (read-only use: search locally, compare). */
  getIndex(name: string): HnswIndex | undefined {
    return this.#indexes.get(name)?.index;
  }

  // ---- the task loop: submitter side ---------------------------------------------------------

  /**
   * Quotes, escrows, routes, verifies and settles one task (docs/tasks.md). Throws
   * MaxCostExceededError / InsufficientBalanceError before anything is held, TaskFailedError
   * (escrow refunded) when no verified result came back.
   */
  async submitTask<R = unknown>(type: string, payload: unknown, maxCost: number, options: SubmitOptions = {}): Promise<TaskOutcome<R>> {
    this.#need();
    if (!Number.isSafeInteger(maxCost) || maxCost < 0) throw new InvalidPayloadError('maxCost must be a non-negative integer (base units)');
    const spec = this.#registry.get(type);
    const wire = spec.normalize(payload) as Record<string, unknown>;
    if (type === 'vector_search') {
      const pinned = (payload as { version?: number }).version;
      const plan = this.#searchPlan(wire.index as string, pinned);
      if (plan.length > 1) return (await this.#shardedSearch(wire.index as string, plan, wire, maxCost, options)) as TaskOutcome<R>;
      wire.index = plan[0]!.index;
      wire.version = plan[0]!.version;
    }
    return this.#submitOne<R>(type, spec, wire, maxCost, options);
  }

  /**
   * Where a vector_search on `name` goes: one (index, version) per shard. From this node's own
   * layout or held replica, else from the peers' adverts (the owner advertises
   * `manifest:<name>/<shards>`, holders `index:<name>[.<s>]@<version>`; the newest advertised
   * version of each shard is pinned).
   */
  #searchPlan(name: string, pinned: number | undefined): { index: string; version: number }[] {
    const m = this.#manifests.get(name);
    const held = this.#indexes.get(name);
    if (m !== undefined && m.shards > 1) {
      if (pinned !== undefined) throw new IndexError(`"${name}" is sharded: pin a version per shard by querying "${name}.<s>"`);
      return Array.from({ length: m.shards }, (_, s) => ({ index: shardName(name, s), version: this.#indexes.get(shardName(name, s))!.index.currentVersion }));
    }
    if (held !== undefined) return [{ index: name, version: pinned ?? held.index.currentVersion }];
    const peers = this.#transport?.peers() ?? [];
    const layouts = new Set<number>();
    const newest = new Map<string, number>();
    for (const p of peers) {
      for (const c of p.capabilities) {
        const lm = /^manifest:([a-z0-9_-]{1,48})\/([0-9]{1,3})$/.exec(c);
        if (lm !== null && lm[1] === name) layouts.add(Number(lm[2]));
        const im = /^index:([a-z0-9_.-]{1,52})@([0-9]{1,15})$/.exec(c);
        if (im !== null) newest.set(im[1]!, Math.max(newest.get(im[1]!) ?? -1, Number(im[2])));
      }
    }
    if (layouts.size > 1) throw new IndexError(`peers advertise conflicting layouts for "${name}": query from a node that holds it, or one shard "${name}.<s>" at a time`);
    const shards = layouts.size === 1 ? [...layouts][0]! : 1;
    if (shards > 1 && pinned !== undefined) throw new IndexError(`"${name}" is sharded: pin a version per shard by querying "${name}.<s>"`);
    if (shards < 1 || shards > MAX_SHARDS) throw new IndexError(`"${name}" has an invalid advertised layout`);
    const names = shards === 1 ? [name] : Array.from({ length: shards }, (_, s) => shardName(name, s));
    return names.map((n) => {
      const v = pinned ?? newest.get(n);
      if (v === undefined) throw new IndexError(`no index "${n}" on this node or any connected peer`);
      return { index: n, version: v };
    });
  }

  /**
   * A query on a sharded index: one vector_search per shard (each quoted, escrowed, routed to that
   * shard's holders, verified and settled on its own, with at most maxCost / shards), then the
   * k nearest of the union. Results within a shard are ordered by distance; ties across shards by id.
   */
  async #shardedSearch(name: string, plan: { index: string; version: number }[], wire: Record<string, unknown>, maxCost: number, options: SubmitOptions): Promise<TaskOutcome<VectorSearchResult>> {
    const per = Math.floor(maxCost / plan.length);
    const settled = await Promise.allSettled(
      plan.map((sh) => this.#submitOne<VectorSearchResult>('vector_search', vectorSearchSpec as TaskSpec, { ...wire, index: sh.index, version: sh.version }, per, options)),
    );
    const outcomes: TaskOutcome<VectorSearchResult>[] = [];
    const failures: { shard: string; error: unknown }[] = [];
    settled.forEach((r, i) => (r.status === 'fulfilled' ? outcomes.push(r.value) : failures.push({ shard: plan[i]!.index, error: r.reason })));
    if (failures.length > 0) {
      const refunded = failures.reduce((sum, f) => sum + (TaskFailedError.isInstance(f.error) ? (f.error as TaskFailedError).refunded : 0), 0);
      const first = failures[0]!;
      const paid = outcomes.reduce((sum, o) => sum + o.cost, 0);
      throw new TaskFailedError(
        'shard-failed',
        refunded,
        `${failures.length} of ${plan.length} shards of "${name}" failed (first: ${first.shard}: ${(first.error as Error)?.message ?? String(first.error)}); ${paid} base units were paid for the shards that completed`,
      );
    }
    const k = wire.k as number;
    const merged: { id: string | number; d: number }[] = [];
    for (const o of outcomes) o.result.ids.forEach((id, i) => merged.push({ id, d: o.result.distances[i]! }));
    merged.sort((a, b) => a.d - b.d || (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
    const top = merged.slice(0, k);
    const distances = Float32Array.from(top.map((x) => x.d));
    const result: VectorSearchResult = { ids: top.map((x) => x.id), distances };
    const unique = (xs: string[]) => [...new Set(xs)];
    let weakest = VERIFICATION_ORDER.length - 1;
    for (const o of outcomes) weakest = Math.min(weakest, VERIFICATION_ORDER.indexOf(o.verification));
    return {
      taskId: toHex(crypto.getRandomValues(new Uint8Array(32))),
      type: 'vector_search',
      result,
      resultHash: toHex(sha256(encodePayload({ ids: result.ids, distances: new Uint8Array(distances.buffer) }))),
      executedBy: unique(outcomes.flatMap((o) => [...o.executedBy])),
      rejected: unique(outcomes.flatMap((o) => [...o.rejected])),
      verification: VERIFICATION_ORDER[weakest]!,
      quote: outcomes.reduce((sum, o) => sum + o.quote, 0),
      cost: outcomes.reduce((sum, o) => sum + o.cost, 0),
      refunded: outcomes.reduce((sum, o) => sum + o.refunded, 0),
      shards: outcomes,
    };
  }

  /** One task (or one shard of a sharded query): quote, escrow, route, verify, settle. */
  async #submitOne<R>(type: string, spec: TaskSpec, wire: Record<string, unknown>, maxCost: number, options: SubmitOptions): Promise<TaskOutcome<R>> {
    const { identity, ledger, account } = this.#need();
    const payloadBytes = encodePayload(wire);
    const units = spec.units(wire);
    const quote = Number(this.#pool.priceFor(units));
    const placement = options.private === true && spec.placement === 'any' ? 'trusted' : spec.placement;
    this.#counters.submitted++;
    const taskId = crypto.getRandomValues(new Uint8Array(32));
    const taskHex = toHex(taskId);

    const ranked = placement === 'local' ? [] : this.#rank(type, wire, placement === 'trusted');
    if (ranked.length === 0) {
      // No capable (for private tasks: trusted) peer: the own node is always an allowed place.
      if (type === 'vector_search') {
        const held = this.#indexes.get(wire.index as string);
        if (held === undefined || held.index.currentVersion !== wire.version) {
          throw new IndexError(`no peer serves "${String(wire.index)}" at version ${String(wire.version)} and this node does not hold it`);
        }
      }
      const out = await this.#runLocal(type, payloadBytes);
      this.#counters.local++;
      if (spec.deterministic) this.#rememberAnswer(type, wire, payloadBytes, units, toHex(sha256(out.result)));
      return this.#outcome(taskHex, type, spec, out, [toHex(identity.publicKey)], [], 'local', quote, 0, 0);
    }

    // ---- quote and escrow
    const primary = ranked[0]!;
    const p = this.replicationProbability(primary.ranked.id);
    let replicate = spec.deterministic && this.#cfg.random() < p;
    // An untrusted worker's task goes to REPLICAS workers; a trusted worker's spot check needs one
    // more (QUORUM): disagreement still draws the spares.
    let planned = replicate ? Math.min(p < 1 ? QUORUM : REPLICAS, ranked.length) : 1;
    const canary = !replicate && spec.deterministic && this.#cfg.random() < this.#cfg.canaryRate ? this.#pickCanary(type, primary.info) : undefined;
    const required = quote * planned;
    if (required > maxCost) throw new MaxCostExceededError(required, maxCost);
    const balance = account.state()?.balance ?? 0;
    if (balance < required) throw new InsufficientBalanceError(required, balance);
    const budget = Math.min(ranked.length, planned + SPARE_EXECUTIONS, Math.floor(Math.min(maxCost, balance) / Math.max(1, quote)));
    const escrow = quote * budget;
    await account.hold(taskId, escrow);

    try {
      // ---- route, offer, collect
      const collected: Collected[] = [];
      let next = 0;
      const dispatch = async (count: number): Promise<void> => {
        const batch: Promise<void>[] = [];
        while (batch.length < count && next < ranked.length) {
          const peer = ranked[next++]!;
          batch.push(this.#offer(peer.info, type, taskId, payloadBytes, units, quote).then((c) => void (c && collected.push(c))));
        }
        await Promise.all(batch);
      };
      const paidSlots = () => budget - collected.length;
      // A known-answer canary to the same worker, alongside the task (its own escrow and payment).
      const canaryRun = canary === undefined ? Promise.resolve(undefined) : this.#runCanary(primary.info, type, canary);
      await dispatch(planned);
      // Timeouts and refusals: retry elsewhere until the planned number answered or peers run out.
      while (collected.length < planned && next < ranked.length && paidSlots() > 0) await dispatch(Math.min(planned - collected.length, paidSlots()));
      const canaryOut = await canaryRun;
      if (canaryOut?.verdict === 'failed' && !replicate) {
        // The trusted worker failed a question whose answer was known: its word on this task is
        // not enough any more; the task is replicated now and decided by agreement.
        replicate = true;
        planned = Math.min(REPLICAS, ranked.length);
        while (collected.length < planned && next < ranked.length && paidSlots() > 0) await dispatch(Math.min(planned - collected.length, paidSlots()));
      }

      // ---- verify
      let groups = groupByResult(collected);
      if (planned > 1 && groups.length > 1 && paidSlots() > 0 && next < ranked.length) {
        // Disagreement goes to more peers (and strengthens the evidence against the liar).
        await dispatch(paidSlots());
        groups = groupByResult(collected);
      }
      let accepted: Collected[] | undefined;
      let verification: Verification = replicate ? 'replicated' : 'sampled';
      const canCheck = spec.deterministic && (type !== 'vector_search' || this.#indexes.get(wire.index as string)?.index.currentVersion === wire.version);
      if (!replicate && collected.length === 1) accepted = collected;
      // Any disagreement among deterministic workers means someone lied: a majority can be a set of
      // colluders, so where this node can compute the task itself its own answer decides.
      else if (groups.length > 1 && canCheck) accepted = undefined;
      else if (groups.length > 0 && groups[0]!.length >= QUORUM && (groups.length === 1 || groups[0]!.length > groups[1]!.length)) accepted = groups[0];
      let localResult: { result: Uint8Array; ms: number } | undefined;
      if (accepted === undefined && collected.length > 0 && canCheck) {
        // Disagreement, too few answers, or a tie: this node re-executes; its own answer decides.
        localResult = await this.#runLocal(type, payloadBytes);
        const lh = toHex(sha256(localResult.result));
        accepted = groups.find((g) => g[0]!.resHex === lh) ?? [];
        verification = 'local-check';
      }
      if (accepted === undefined) {
        this.#counters.failed++;
        const refunded = await this.#refundAll(taskId);
        throw new TaskFailedError('no-result', refunded, `no worker returned a result for ${type} (${collected.length} answers); escrow refunded`);
      }
      const acceptedHex = accepted[0]?.resHex ?? (localResult ? toHex(sha256(localResult.result)) : '');
      const liars = collected.filter((c) => c.resHex !== acceptedHex);

      // ---- settle: pay every accepted worker, witnessed by the other accepted ones
      const workSec = accepted.length === 0 ? 0 : Math.min(Math.floor(Math.min(...accepted.map((c) => c.workMs)) / 1000), Math.floor(quote * ledger.policy.maxWorkPerUnit));
      let paid = 0;
      for (const w of accepted) {
        const witnesses = await this.#gatherWitnesses(w, accepted, taskId, workSec);
        await account.pay({ task: taskId, to: w.peer, amount: quote, result: w.res, work: workSec, witnesses });
        paid += quote;
        this.#routing.verified(w.hex);
        this.#routing.record(type, w.hex, 1 - Math.min(0.5, (this.#routing.latency.get(w.hex) ?? 0) / 2000));
      }
      const refunded = escrow - paid > 0 ? (await account.refund(taskId, escrow - paid), escrow - paid) : 0;
      for (const l of liars) await this.#punish(type, l, accepted);
      if (paid > 0) {
        try {
          this.#pool.swap('ruv-to-compute', paid, 0);
        } catch {
          // A swap too small to return anything leaves the market view as it was.
        }
      }
      await this.#saveRouting();
      const resultBytes = accepted[0]?.result ?? localResult!.result;
      const finalVerification: Verification = accepted.length === 0 ? 'local-check' : verification;
      // A result settled by agreement or by this node's own execution becomes a known answer for canaries.
      if (spec.deterministic && (finalVerification === 'local-check' || (finalVerification === 'replicated' && accepted.length >= QUORUM))) {
        this.#rememberAnswer(type, wire, payloadBytes, units, toHex(sha256(resultBytes)));
      }
      const out = this.#outcome<R>(taskHex, type, spec, { result: resultBytes }, accepted.map((a) => a.hex), liars.map((l) => l.hex), finalVerification, quote, paid + (canaryOut?.paid ?? 0), refunded);
      return canaryOut === undefined ? out : { ...out, canary: canaryOut.verdict };
    } catch (error) {
      if (!(error instanceof TaskFailedError)) await this.#refundAll(taskId).catch(() => 0);
      throw error;
    }
  }

  #outcome<R>(taskHex: string, type: string, spec: TaskSpec, out: { result: Uint8Array }, by: string[], rejected: string[], verification: Verification, quote: number, cost: number, refunded: number): TaskOutcome<R> {
    const value = decodeResult(out.result);
    return {
      taskId: taskHex,
      type,
      result: (spec.decode ? spec.decode(value) : value) as R,
      resultHash: toHex(sha256(out.result)),
      executedBy: by,
      rejected,
      verification,
      quote,
      cost,
      refunded,
    };
  }

  async #refundAll(taskId: Uint8Array): Promise<number> {
    const { account } = this.#need();
    const left = account.state()?.escrows.get(toHex(taskId)) ?? 0;
    if (left > 0) await account.refund(taskId, left);
    return left;
  }

  /** Keeps a verified (payload, result hash) pair per deterministic type: the canary pool (bounded, newest kept). */
  #rememberAnswer(type: string, wire: Record<string, unknown>, payload: Uint8Array, units: number, resHex: string): void {
    let pool = this.#known.get(type);
    if (pool === undefined) this.#known.set(type, (pool = []));
    if (pool.some((k) => k.resHex === resHex && equalBytes(k.payload, payload))) return;
    const requires = type === 'vector_search' ? `index:${String(wire.index)}@${String(wire.version)}` : undefined;
    pool.push({ payload, units, resHex, ...(requires !== undefined ? { requires } : {}) });
    if (pool.length > KNOWN_ANSWERS) pool.shift();
  }

  /** A known answer `peer` can compute (for vector_search: an index version it still advertises). */
  #pickCanary(type: string, peer: PeerInfo): KnownAnswer | undefined {
    const pool = (this.#known.get(type) ?? []).filter((k) => k.requires === undefined || peer.capabilities.includes(k.requires));
    if (pool.length === 0) return undefined;
    return pool[Math.floor(this.#cfg.random() * pool.length)]!;
  }

  /**
   * Sends a canary — a task whose answer this node already knows, under a fresh task id, so the
   * worker cannot tell it from real work — with its own escrow. Right: paid like any task and
   * counted as a verified result. Wrong: not paid (escrow refunded), trust reset (its next tasks
   * are replicated, where a lie becomes provable rac evidence), routing value down.
   */
  async #runCanary(peer: PeerInfo, type: string, known: KnownAnswer): Promise<{ verdict: 'passed' | 'failed' | 'unanswered'; paid: number }> {
    const { account, ledger } = this.#need();
    const hex = toHex(peer.id);
    const id = crypto.getRandomValues(new Uint8Array(32));
    const price = Number(this.#pool.priceFor(known.units));
    try {
      await account.hold(id, price);
    } catch {
      return { verdict: 'unanswered', paid: 0 };
    }
    this.#counters.canaries++;
    const c = await this.#offer(peer, type, id, known.payload, known.units, price);
    if (c === undefined) {
      await this.#refundAll(id).catch(() => 0);
      return { verdict: 'unanswered', paid: 0 };
    }
    if (c.resHex !== known.resHex) {
      this.#counters.canariesFailed++;
      this.#counters.faults++;
      this.#routing.fault(hex);
      this.#routing.record(type, hex, -1);
      await this.#refundAll(id).catch(() => 0);
      return { verdict: 'failed', paid: 0 };
    }
    const work = Math.min(Math.floor(c.workMs / 1000), Math.floor(price * ledger.policy.maxWorkPerUnit));
    try {
      await account.pay({ task: id, to: c.peer, amount: price, result: c.res, work, witnesses: [] });
    } catch {
      await this.#refundAll(id).catch(() => 0);
      return { verdict: 'passed', paid: 0 };
    }
    this.#routing.verified(hex);
    return { verdict: 'passed', paid: price };
  }

  /** Runs a task on this node's worker thread (encryption: on the session key, see tasks.ts). */
  async #runLocal(type: string, payloadBytes: Uint8Array): Promise<{ result: Uint8Array; ms: number }> {
    if (type === 'encryption') {
      const p = decodeResult(payloadBytes) as { op: 'encrypt' | 'decrypt'; data: Uint8Array };
      const s = this.#session!;
      try {
        const out = p.op === 'encrypt' ? await s.encrypt(p.data) : await s.decrypt(p.data);
        return { result: encodePayload(out), ms: 0 };
      } catch (error) {
        throw new TaskExecutionError(`encryption ${p.op} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    return this.#executor!.run(type, payloadBytes);
  }

  /** One offer to one peer: signed, with a deadline; resolves with a checked result or undefined. */
  async #offer(peer: PeerInfo, type: string, taskId: Uint8Array, payload: Uint8Array, units: number, price: number): Promise<Collected | undefined> {
    const { identity } = this.#need();
    const t = this.#transport!;
    const hex = toHex(peer.id);
    const offer = sealOffer(identity, { task: taskId, type, payload, units, price, deadline: this.#cfg.now() + this.#cfg.taskTimeoutMs, to: peer.id });
    const offerHash = sha256(offer);
    const t0 = performance.now();
    let reply: Uint8Array;
    try {
      reply = await t.request(peer.id, offer, { timeoutMs: this.#cfg.taskTimeoutMs });
    } catch (error) {
      this.#routing.timeout(hex);
      this.#routing.record(type, hex, -0.5);
      if (!TransportError.isInstance(error)) this.#refuse('transport-error');
      return undefined;
    }
    this.#routing.observeLatency(hex, performance.now() - t0);
    try {
      const env = await openResult(reply, { from: peer.id, task: taskId, offer: offerHash });
      const b = env.body;
      if (!b.ok) {
        this.#routing.record(type, hex, -0.5);
        return undefined;
      }
      const res = sha256(b.result);
      const claim = openClaimSync(b.claim);
      if (!equalBytes(claim.author, peer.id) || claim.ctx !== TASK_CLAIM_CTX || !equalBytes(claim.subject, taskId) || !equalBytes(claim.value, res)) {
        throw new ProtocolError('claim-mismatch', 'the result claim does not match the result');
      }
      return { peer: peer.id, hex, result: b.result, res, resHex: toHex(res), workMs: b.work, claim: b.claim };
    } catch (error) {
      this.#refuse(error instanceof ProtocolError ? `result-${error.reason}` : 'result-malformed');
      this.#routing.fault(hex);
      this.#routing.record(type, hex, -1);
      return undefined;
    }
  }

  /** Witness statements for `w`'s payment from the other accepted workers (each checks its own result). */
  async #gatherWitnesses(w: Collected, accepted: Collected[], taskId: Uint8Array, work: number): Promise<Uint8Array[]> {
    const { identity, ledger } = this.#need();
    const others = accepted.filter((o) => o !== w);
    const out = await Promise.all(
      others.map(async (o) => {
        try {
          const req = sealWitnessRequest(identity, { net: ledger.policy.net, task: taskId, res: w.res, to: w.peer, work });
          const bytes = await this.#transport!.request(o.peer, req, { timeoutMs: this.#cfg.taskTimeoutMs });
          // Check before embedding: one bad witness would make the ledger refuse the whole payment.
          const env = await openEnvelope(bytes, { types: [WITNESS_TYPE], expectFrom: o.peer, maxSize: 2048 });
          const b = env.body as { net: string; task: Uint8Array; res: Uint8Array; to: Uint8Array; work: number };
          if (b.net !== ledger.policy.net || !equalBytes(b.task, taskId) || !equalBytes(b.res, w.res) || !equalBytes(b.to, w.peer) || b.work !== work) return undefined;
          return bytes;
        } catch {
          return undefined;
        }
      }),
    );
    return out.filter((x): x is Uint8Array => x !== undefined);
  }

  /** A proven wrong result: not paid, trust reset, routing value down, rac evidence, ledger slash. */
  async #punish(type: string, liar: Collected, accepted: Collected[]): Promise<void> {
    const { account, ledger } = this.#need();
    this.#counters.faults++;
    this.#routing.fault(liar.hex);
    this.#routing.record(type, liar.hex, -1);
    if (accepted.length < Math.max(1, ledger.policy.minWitnesses)) return; // not provable without enough agreeing claims
    const evidence = wrongResultEvidence(liar.claim, accepted.map((a) => a.claim));
    try {
      await this.#rac!.challenge(evidence);
    } catch {
      this.#refuse('evidence-unproven');
      return;
    }
    // Only evidence that verified here goes out; every receiver verifies it again (#onEvidence).
    const ev = this.#transport?.evidence;
    if (ev !== undefined && evidence.length <= MAX_GOSSIP_EVIDENCE) {
      this.#counters.evidencePublished++;
      try {
        await ev.publish(EVIDENCE_KIND, liar.peer, evidence);
      } catch {
        /* gossip is best effort: the slash entry still reaches every replica */
      }
    }
    if ((ledger.balanceOf(liar.peer)?.stake ?? 0) > 0) {
      try {
        await account.slash(liar.peer, evidence);
      } catch {
        this.#refuse('slash-refused');
      }
    }
  }

  /**
   * rac evidence a peer published. Nothing in it is trusted: the bytes are verified by @edge/rac
   * (structure, every signature, witness independence and agreement) before rac's engine sees
   * them, so a stream of forgeries cannot even move rac's counters; only then is the witness
   * stake rule checked against this replica's ledger and the accused quarantined.
   */
  async #onEvidence(_from: Uint8Array, kind: string, subject: Uint8Array, bytes: Uint8Array): Promise<void> {
    if (this.#state !== 'running') return;
    const refuse = (reason: string) => this.#refuse(`evidence-${reason}`);
    if (kind !== EVIDENCE_KIND) return refuse('kind');
    if (!(bytes instanceof Uint8Array) || bytes.length > MAX_EVIDENCE_SIZE) return refuse('too-large');
    let ev: VerifiedEvidence;
    try {
      ev = await verifyEvidence(bytes, { minWitnesses: QUORUM });
    } catch (error) {
      return refuse(EvidenceError.isInstance(error) ? (error as EvidenceError).reason : 'malformed');
    }
    if (ev.kind !== kind) return refuse('kind');
    if (!equalBytes(ev.accused, subject)) return refuse('subject');
    await this.#acceptEvidence(bytes, ev);
  }

  /** Stake rule on this replica, then rac's challenge (quarantine). Unseen stake: retried later. */
  async #acceptEvidence(bytes: Uint8Array, verified?: VerifiedEvidence): Promise<boolean> {
    const ledger = this.#ledger!;
    const key = toHex(sha256(bytes));
    const first = verified !== undefined;
    try {
      const ev = verified ?? (await verifyEvidence(bytes, { minWitnesses: QUORUM }));
      checkWitnessStake(ev, (pk) => ledger.balanceOf(pk)?.stake ?? 0);
    } catch (error) {
      if (first && EvidenceError.isInstance(error) && (error as EvidenceError).reason === 'witness-stake') {
        // The stake entries may not have synced yet; a bounded set waits for them.
        if (this.#pendingEvidence.size < 32 && !this.#pendingEvidence.has(key)) this.#pendingEvidence.set(key, { bytes, until: this.#cfg.now() + 60_000 });
        this.#refuse('evidence-witness-stake');
      }
      return false;
    }
    try {
      await this.#rac!.challenge(bytes);
    } catch (error) {
      this.#refuse(`evidence-${EvidenceError.isInstance(error) ? (error as EvidenceError).reason : 'malformed'}`);
      return true;
    }
    this.#counters.evidenceAccepted++;
    return true;
  }

  #retryEvidence(): void {
    if (this.#pendingEvidence.size === 0 || this.#state !== 'running') return;
    const now = this.#cfg.now();
    for (const [key, p] of [...this.#pendingEvidence]) {
      if (p.until < now) {
        this.#pendingEvidence.delete(key);
        continue;
      }
      void this.#acceptEvidence(p.bytes).then((done) => {
        if (done) this.#pendingEvidence.delete(key);
      });
    }
  }

  /** rac's standing of a peer (hex Pi key) here: `quarantined` and `blocked` peers are never routed to. */
  peerStatus(peerId: string): 'none' | 'watch' | 'quarantined' | 'blocked' {
    this.#need();
    return this.#rac!.status(fromHex(peerId)).level;
  }

  /** Capable peers, ranked (see docs/tasks.md, "Routing"). */
  #rank(type: string | undefined, wire: Record<string, unknown> | undefined, trustedOnly: boolean): { info: PeerInfo; ranked: RankedPeer }[] {
    const t = this.#transport;
    if (t === undefined) return [];
    const ledger = this.#ledger!;
    const out: { info: PeerInfo; ranked: RankedPeer }[] = [];
    for (const p of t.peers()) {
      const hex = toHex(p.id);
      const trusted = this.#trusted.has(hex);
      if (trustedOnly && !trusted) continue;
      if (type !== undefined && !p.capabilities.includes(type)) continue;
      if (type === 'vector_search' && wire !== undefined && !p.capabilities.includes(`index:${String(wire.index)}@${String(wire.version)}`)) continue;
      const level = this.#rac!.status(p.id).level;
      if (level === 'quarantined' || level === 'blocked') continue;
      const acct = ledger.balanceOf(p.id);
      const reputation = acct === undefined || acct.frozen ? 0 : acct.reputation;
      const q = type === undefined ? 0 : this.#routing.value(type, hex);
      const latency = this.#routing.latency.get(hex) ?? p.latencyMs;
      const load = Math.max(0, Math.min(1, p.load));
      // Multiplicative: reputation gates, the learned value and latency and load shade.
      const score = (0.1 + reputation) * ((1 + q) / 2 + 0.05) * (1 / (1 + (latency ?? 50) / 100)) * (1 - 0.5 * load);
      out.push({ info: p, ranked: { id: hex, score, reputation, routingValue: q, latencyMs: latency, load, trusted } });
    }
    return out.sort((a, b) => b.ranked.score - a.ranked.score || (a.ranked.id < b.ranked.id ? -1 : 1));
  }

  // ---- the task loop: worker side -------------------------------------------------------------

  /**
   * Takes the next admitted offer, waits for the duty cycle, runs it on the worker thread and
   * answers with a signed result. Returns false when nothing was queued.
   */
  async processNextTask(): Promise<boolean> {
    const { identity } = this.#need();
    const item = this.#queue.shift();
    if (item === undefined) return false;
    const b = item.body;
    try {
      const blocked = this.#duty.blocked();
      if (blocked !== undefined) return item.resolve(sealRefusal(identity, blocked)), true;
      const wait = this.#duty.waitMs();
      if (wait > 0) await sleep(wait);
      if (b.deadline <= this.#cfg.now()) return item.resolve(sealRefusal(identity, 'expired')), true;
      const start = this.#cfg.now();
      const out = await this.#executor!.run(b.type, b.payload);
      this.#duty.record(Math.max(out.ms, this.#cfg.now() - start));
      const res = sha256(out.result);
      const claim = signClaim(identity, { ctx: TASK_CLAIM_CTX, subject: b.task, value: res });
      const workMs = Math.max(0, Math.round(out.ms));
      this.#results.set(toHex(b.task), { res, workMs, at: this.#cfg.now() });
      this.#pruneResults();
      this.#counters.completed++;
      item.resolve(sealResult(identity, { task: b.task, offer: item.offerHash, ok: true, result: out.result, work: workMs, claim }));
    } catch (error) {
      const reason = (error as { reason?: string }).reason ?? (NodeError.isInstance(error) ? error.code : 'handler-error');
      item.resolve(sealResult(identity, { task: b.task, offer: item.offerHash, ok: false, reason: String(reason).slice(0, 64) }));
    }
    this.#advertise();
    return true;
  }

  async #workLoop(): Promise<void> {
    while (this.#state === 'running') {
      if (this.#queue.length === 0) {
        await new Promise<void>((r) => (this.#wake = r));
        this.#wake = undefined;
        continue;
      }
      await this.processNextTask();
    }
  }

  #pruneResults(): void {
    if (this.#results.size <= 10_000) return;
    const cutoff = this.#cfg.now() - 3_600_000;
    for (const [k, v] of this.#results) if (v.at < cutoff || this.#results.size > 10_000) this.#results.delete(k);
  }

  async #onRequest(from: Uint8Array, bytes: Uint8Array, _signal: AbortSignal): Promise<Uint8Array> {
    const identity = this.#identity!;
    try {
      if (this.#state !== 'running') return sealRefusal(identity, 'not-running');
      const type = requestType(bytes);
      if (type === OFFER_TYPE) return await this.#admit(from, bytes);
      const env = await openRequest(bytes, type);
      if (!equalBytes(env.from, from)) throw new ProtocolError('wrong-sender', 'signer is not the connected peer');
      if (type === WITNESS_REQUEST_TYPE) return this.#witness(checkWitnessRequest(env.body));
      if (type === INDEX_SYNC_TYPE) return await this.#indexSync(toHex(env.from), checkIndexSync(env.body));
      throw new ProtocolError('wrong-type', 'unknown request');
    } catch (error) {
      const reason = error instanceof ProtocolError ? error.reason : 'malformed';
      this.#refuse(reason);
      // A request that is the sender's fault (forged, replayed, malformed) gets no signed answer
      // (which would cost this node a signature per forgery): the transport refuses it and scores
      // the sender as for any forged message (net-transport maps the reason to net's code).
      if (PEER_FAULT_REASONS.has(reason)) throw error instanceof ProtocolError ? error : new ProtocolError(reason, 'malformed request');
      return sealRefusal(identity, reason);
    }
  }

  /** Admission: signature, addressee, deadline, replay, capability, placement, pinned inputs, load. */
  async #admit(from: Uint8Array, bytes: Uint8Array): Promise<Uint8Array> {
    const identity = this.#identity!;
    const env = await openOffer(bytes, { guard: this.#guard, me: identity.publicKey, now: this.#cfg.now() });
    if (!equalBytes(env.from, from)) throw new ProtocolError('wrong-sender', 'signer is not the connected peer');
    const b = env.body;
    if (!this.#registry.has(b.type)) throw new ProtocolError('no-capability', `no handler for ${b.type}`);
    const spec = this.#registry.get(b.type);
    if (spec.placement === 'local') throw new ProtocolError('local-only', `${b.type} runs only on its submitter`);
    if (b.type === 'vector_search') {
      const p = decodeResult(b.payload) as { index?: unknown; version?: unknown };
      const held = typeof p.index === 'string' ? this.#indexes.get(p.index) : undefined;
      if (held === undefined) throw new ProtocolError('no-index', 'index not held here');
      if (held.index.currentVersion !== p.version) throw new ProtocolError('stale-index', 'index version differs');
    }
    const blocked = this.#duty.blocked();
    if (blocked !== undefined) throw new ProtocolError(blocked, `not contributing: ${blocked}`);
    if (this.#queue.length >= this.#cfg.queueCapacity) throw new ProtocolError('busy', 'queue full');
    await this.#awaitEscrow(env.from, b.task, b.price, b.deadline);
    if (this.#queue.length >= this.#cfg.queueCapacity) throw new ProtocolError('busy', 'queue full');
    return new Promise<Uint8Array>((resolve) => {
      this.#queue.push({ from, body: b, offerHash: sha256(bytes), resolve });
      this.#advertise();
      this.#wake?.();
    });
  }

  /**
   * No work without pay: the submitter's escrow for this task, on this node's ledger replica, must
   * cover the offered price. The hold is written before the offer is sent, so it is usually here
   * already; if not, an exchange with the submitter fetches it, and the offer waits (at most
   * ESCROW_WAIT_MS and its deadline; at most MAX_ESCROW_WAITERS offers at once) before `no-escrow`.
   */
  async #awaitEscrow(from: Uint8Array, task: Uint8Array, price: number, deadline: number): Promise<void> {
    const ledger = this.#ledger!;
    const key = toHex(task);
    const covered = () => (ledger.balanceOf(from)?.escrows.get(key) ?? 0) >= price;
    if (covered()) return;
    if (this.#escrowWaiters.size >= MAX_ESCROW_WAITERS) throw new ProtocolError('no-escrow', 'no escrow on the ledger covers this offer');
    this.#syncWith(from);
    const waitMs = Math.min(ESCROW_WAIT_MS, Math.max(0, deadline - this.#cfg.now()));
    const ok = await new Promise<boolean>((resolve) => {
      const check = () => {
        if (!covered()) return;
        clearTimeout(timer);
        this.#escrowWaiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#escrowWaiters.delete(check);
        resolve(covered());
      }, waitMs);
      this.#escrowWaiters.add(check);
    });
    if (!ok) throw new ProtocolError('no-escrow', 'no escrow on the ledger covers this offer');
  }

  /** Signs a witness statement only for a result this node computed itself, for no more work than it measured. */
  #witness(req: { net: string; task: Uint8Array; res: Uint8Array; to: Uint8Array; work: number }): Uint8Array {
    const identity = this.#identity!;
    const mine = this.#results.get(toHex(req.task));
    if (req.net !== this.#ledger!.policy.net) throw new ProtocolError('wrong-net', 'witness request for another ledger');
    if (mine === undefined || !equalBytes(mine.res, req.res)) throw new ProtocolError('not-witnessed', 'this node did not compute that result');
    if (req.work > Math.floor(mine.workMs / 1000)) throw new ProtocolError('work-exceeds', 'claimed work exceeds what this node measured');
    if (equalBytes(req.to, identity.publicKey)) throw new ProtocolError('self-witness', 'a worker cannot witness itself');
    return signWitness(identity, { net: req.net, task: req.task, res: req.res, to: req.to, work: req.work });
  }

  /** A replica from its owner: snapshot (new) or delta (one writer: only the first owner is accepted). */
  async #indexSync(fromHex: string, body: { name: string; snapshot?: Uint8Array; delta?: Uint8Array }): Promise<Uint8Array> {
    const identity = this.#identity!;
    if (!HELD_NAME_RE.test(body.name)) throw new ProtocolError('schema', 'bad index name');
    const held = this.#indexes.get(body.name);
    if (held !== undefined && held.owner !== fromHex) throw new ProtocolError('not-owner', 'index has another owner');
    // Replicas are unsolicited: a bounded number and size of them, so a peer cannot fill the disk.
    const me = toHex(identity.publicKey);
    let others = 0;
    let count = 0;
    for (const [n, h] of this.#indexes) {
      if (h.owner === me || n === body.name) continue;
      others += h.bytes ?? 0;
      count++;
    }
    const incoming = body.snapshot !== undefined ? body.snapshot.length : (held?.bytes ?? 0) + body.delta!.length;
    if ((held === undefined && count >= MAX_REPLICAS) || others + incoming > this.#cfg.replicaQuota) {
      throw new ProtocolError('replica-quota', `replicas would exceed ${this.#cfg.replicaQuota} bytes or ${MAX_REPLICAS} indexes`);
    }
    try {
      if (body.snapshot !== undefined) {
        const index = deserialize(body.snapshot);
        this.#indexes.set(body.name, { index, owner: fromHex, peers: new Map(), bytes: body.snapshot.length });
        await this.#executor!.loadIndex(body.name, body.snapshot);
      } else {
        if (held === undefined) throw new ProtocolError('no-index', 'delta for an index not held here');
        held.index.applyDelta(body.delta!);
        const snapshot = held.index.serialize();
        held.bytes = snapshot.length;
        await this.#executor!.applyDelta(body.name, body.delta!, snapshot);
      }
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError('index-refused', `index sync refused: ${(error as Error).message}`);
    }
    await this.#persistIndex(body.name);
    this.#advertise();
    return seal(identity, INDEX_ACK_TYPE, { name: body.name, version: this.#indexes.get(body.name)!.index.currentVersion });
  }

  // ---- ledger sync and collection -------------------------------------------------------------

  /**
   * One state-vector exchange with `peer` (net's LEDGER_SYNC): both replicas end with the union.
   * One at a time per peer; a request while one runs queues exactly one more.
   */
  #syncWith(peer: Uint8Array): void {
    const t = this.#transport;
    if (t === undefined || this.#state !== 'running') return;
    const hex = toHex(peer);
    const cur = this.#syncs.get(hex);
    if (cur !== undefined) {
      cur.again = true;
      return;
    }
    const key = peer.slice();
    const entry = { run: Promise.resolve(), again: false };
    entry.run = (async () => {
      do {
        entry.again = false;
        this.#lastSync.set(hex, this.#cfg.now());
        try {
          await t.ledger.sync(key, this.#ledgerProvider);
        } catch {
          this.#refuse('ledger-sync-failed');
          break; // the anti-entropy round comes back to this peer
        }
      } while (entry.again && this.#state === 'running');
    })().finally(() => this.#syncs.delete(hex));
    this.#syncs.set(hex, entry);
  }

  /** Every ANTI_ENTROPY_MS an exchange with the next connected peer (round robin): gossip is lossy. */
  #antiEntropy(): void {
    const t = this.#transport;
    const now = this.#cfg.now();
    if (t === undefined || this.#state !== 'running' || now < this.#antiEntropyAt) return;
    this.#antiEntropyAt = now + ANTI_ENTROPY_MS;
    const peers = t.peers();
    if (peers.length === 0) return;
    this.#syncWith(peers[this.#antiEntropyNext++ % peers.length]!.id);
  }

  /** A gossiped ledger update: applied (entries checked by the ledger); a gap starts an exchange. */
  async #onLedgerUpdate(from: Uint8Array, update: Uint8Array): Promise<void> {
    if (this.#state !== 'running') return;
    const ledger = this.#ledger!;
    try {
      await ledger.receive(update, REMOTE);
    } catch {
      this.#refuse('ledger-update-malformed');
      return;
    }
    // yjs keeps an update whose predecessors it has not seen as pending: fetch them now rather
    // than wait for the next anti-entropy round (a payment would sit unseen until then).
    const store = ledger.doc.store as { pendingStructs: unknown; pendingDs: unknown };
    if (store.pendingStructs !== null || store.pendingDs !== null) {
      const peers = this.#transport?.peers() ?? [];
      const direct = peers.find((p) => equalBytes(p.id, from));
      const target = direct ?? peers[Math.floor(this.#cfg.random() * peers.length)];
      if (target !== undefined && this.#cfg.now() - (this.#lastSync.get(toHex(target.id)) ?? 0) > 200) this.#syncWith(target.id);
    }
  }

  #collectRun: Promise<void> = Promise.resolve();

  #scheduleCollect(): void {
    if (this.#state !== 'running' && this.#state !== 'starting') return;
    if (this.#collecting) {
      this.#collectAgain = true;
      return;
    }
    this.#collecting = true;
    this.#collectRun = (async () => {
      do {
        this.#collectAgain = false;
        await this.#collect();
      } while (this.#collectAgain && this.#state === 'running');
      this.#collecting = false;
    })();
  }

  async #waitCollect(): Promise<void> {
    await this.#collectRun.catch(() => undefined);
  }

  /** Receives every payment to this node that the ledger holds and mints the bonus of verified ones. */
  async #collect(): Promise<void> {
    const { ledger, account, identity } = this.#need();
    const me = toHex(identity.publicKey);
    // The doc's 'update' event fires inside Y.applyUpdate, before the ledger has checked the
    // signatures of the entries it brought: they are still pending and not in state(). Wait for
    // that check, or a payment arriving as the last message of a task is never seen until some
    // unrelated update comes along (a short-lived submitter sends none).
    await ledger.flush();
    for (const check of [...this.#escrowWaiters]) check();
    // A double spend proves itself: every node that sees it quarantines the author (rac) and, if
    // the author has stake, files the ledger's equivocation slash (the fold counts one per fault).
    for (const { evidence, author } of this.#equivocations.splice(0)) {
      const key = toHex(sha256(evidence));
      if (this.#filed.has(key) || equalBytes(author, identity.publicKey)) continue;
      this.#filed.add(key);
      try {
        await this.#rac!.challenge(evidence);
      } catch {
        this.#refuse('equivocation-unproven');
      }
      if ((ledger.balanceOf(author)?.stake ?? 0) > 0) {
        try {
          await account.slash(author, evidence);
        } catch {
          // Already slashed by another replica's entry, or the fold would not count it.
        }
      }
    }
    for (const [hash, p] of ledger.state().payments) {
      if (p.to !== me) continue;
      try {
        if (!p.received) await account.receive(fromHex(hash));
        const now = ledger.state().payments.get(hash);
        if (now?.received && now.verified && !now.minted) await account.mint(fromHex(hash));
      } catch {
        // The fold is the judge: an entry it would not count is not written; try again on the next update.
      }
    }
  }

  /** Resolves once every payment to this node in its replica is received (and minted where verified). */
  /**
   * Payments this node made that their payee has not yet acknowledged on the ledger (no `recv`
   * entry seen here). A submitter that is about to leave waits for 0, so its payments have
   * reached the network before it goes.
   */
  unacknowledgedPayments(): number {
    const { ledger, identity } = this.#need();
    const me = toHex(identity.publicKey);
    let n = 0;
    for (const p of ledger.state().payments.values()) if (p.payer === me && !p.received) n++;
    return n;
  }

  async settled(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await this.#waitCollect();
      const { ledger, identity } = this.#need();
      const me = toHex(identity.publicKey);
      let open = false;
      for (const p of ledger.state().payments.values()) if (p.to === me && (!p.received || (p.verified && !p.minted))) open = true;
      if (!open) return;
      this.#scheduleCollect();
      await sleep(5);
    }
  }

  // ---- persistence ---------------------------------------------------------------------------

  async #loadIdentity(): Promise<PiKey> {
    const cfg = this.#cfg;
    const st = this.#storage!;
    if (cfg.identity !== undefined) return cfg.identity;
    if (cfg.passphrase !== undefined) {
      const backup = await st.get('identity.backup');
      if (backup !== undefined) {
        try {
          return await PiKey.restore(backup, cfg.passphrase);
        } catch (error) {
          throw new StorageError('the stored identity backup does not open with this passphrase', { cause: error });
        }
      }
      const key = PiKey.generate();
      await st.put('identity.backup', await key.createEncryptedBackup(cfg.passphrase));
      return key;
    }
    const seed = await st.get('identity.seed');
    if (seed !== undefined) {
      if (seed.length !== 32) throw new StorageError('identity.seed is not 32 bytes');
      const key = PiKey.fromSeed(seed);
      seed.fill(0);
      return key;
    }
    const key = PiKey.generate();
    const s = key.exportSeed();
    await st.put('identity.seed', s);
    s.fill(0);
    return key;
  }

  async #saveRouting(): Promise<void> {
    await this.#storage?.put('routing.json', new TextEncoder().encode(JSON.stringify(this.#routing.snapshot())));
  }

  async #persistIndex(name: string, snapshot?: Uint8Array): Promise<void> {
    const st = this.#storage!;
    const held = this.#indexes.get(name)!;
    await st.put(`index.${name}.hnsw`, snapshot ?? held.index.serialize());
    const owners: Record<string, string> = {};
    for (const [n, h] of this.#indexes) owners[n] = h.owner;
    await st.put('indexes.json', new TextEncoder().encode(JSON.stringify(owners)));
  }

  async #loadIndexes(): Promise<void> {
    const st = this.#storage!;
    const raw = await st.get('indexes.json');
    if (raw === undefined) return;
    let owners: Record<string, string>;
    try {
      owners = JSON.parse(new TextDecoder().decode(raw)) as Record<string, string>;
    } catch (error) {
      throw new StorageError('indexes.json is not readable', { cause: error });
    }
    for (const [name, owner] of Object.entries(owners)) {
      if (!HELD_NAME_RE.test(name) || typeof owner !== 'string') continue;
      const bytes = await st.get(`index.${name}.hnsw`);
      if (bytes === undefined) continue;
      let index: HnswIndex;
      try {
        index = deserialize(bytes);
      } catch (error) {
        throw new StorageError(`index ${name} is corrupt`, { cause: error });
      }
      this.#indexes.set(name, { index, owner, peers: new Map(), bytes: bytes.length });
      await this.#executor!.loadIndex(name, bytes);
    }
    const rawManifests = await st.get('manifests.json');
    if (rawManifests === undefined) return;
    let manifests: Record<string, Manifest>;
    try {
      manifests = JSON.parse(new TextDecoder().decode(rawManifests)) as Record<string, Manifest>;
    } catch (error) {
      throw new StorageError('manifests.json is not readable', { cause: error });
    }
    for (const [name, m] of Object.entries(manifests)) {
      if (!INDEX_NAME_RE.test(name) || !Number.isInteger(m?.shards) || m.shards < 1 || m.shards > MAX_SHARDS) throw new StorageError(`manifests.json: bad layout for "${name}"`);
      const names = m.shards === 1 ? [name] : Array.from({ length: m.shards }, (_, i) => shardName(name, i));
      for (const n of names) {
        const h = this.#indexes.get(n);
        if (h === undefined) throw new StorageError(`index ${n} of "${name}" is missing from storage`);
        if (m.replicas !== undefined) h.replicas = m.replicas;
      }
      this.#manifests.set(name, m);
    }
  }

  async #persistManifests(): Promise<void> {
    const out: Record<string, Manifest> = {};
    for (const [n, m] of this.#manifests) out[n] = m;
    await this.#storage!.put('manifests.json', new TextEncoder().encode(JSON.stringify(out)));
  }

  // ---- helpers -------------------------------------------------------------------------------

  #advertise(): void {
    const t = this.#transport;
    if (t === undefined || this.#state !== 'running') return;
    const caps: string[] = this.#duty.paused ? [] : this.#registry.types().filter((ty) => this.#registry.get(ty).placement !== 'local');
    if (!this.#duty.paused) for (const [name, h] of this.#indexes) caps.push(`index:${name}@${h.index.currentVersion}`);
    // The layout of own sharded indexes, so any node can fan a query out (even while paused).
    for (const [name, m] of this.#manifests) if (m.shards > 1) caps.push(`manifest:${name}/${m.shards}`);
    t.advertise(caps, this.#queue.length / this.#cfg.queueCapacity);
  }

  #refuse(reason: string): void {
    this.#refused[reason] = (this.#refused[reason] ?? 0) + 1;
  }

  #need(): { identity: PiKey; ledger: Ledger; account: LedgerAccount } {
    if (this.#identity === undefined || this.#ledger === undefined || this.#account === undefined || this.#state === 'new') {
      throw new NodeStateError('the node is not started');
    }
    return { identity: this.#identity, ledger: this.#ledger, account: this.#account };
  }
}

function groupByResult(collected: readonly Collected[]): Collected[][] {
  const m = new Map<string, Collected[]>();
  for (const c of collected) {
    const g = m.get(c.resHex);
    if (g === undefined) m.set(c.resHex, [c]);
    else g.push(c);
  }
  return [...m.values()].sort((a, b) => b.length - a.length);
}

