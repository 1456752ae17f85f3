/**
 * `new EdgeNetConfig(siteId).cpuLimit(0.3)...build()`: the builder of DESIGN.md. Every setter
 * checks its value at once and throws `ConfigError` (code `ERR_NODE_CONFIG`, with the field);
 * `build()` checks what needs the whole picture and returns an `EdgeNetNode` (not started).
 */

import type { PiKey } from '@edge/identity';
import type { LedgerPolicyInput } from '@edge/economy';
import { ConfigError } from './errors.js';
import type { ResolvedConfig } from './options.js';
import type { NodeStorage } from './storage.js';
import type { Transport } from './transport.js';
import { EdgeNetNode } from './node.js';

const SITE_RE = /^[A-Za-z0-9._-]{1,64}$/;
const MULTIADDR_RE = /^\/[a-z0-9]+\//;

export class EdgeNetConfig {
  #c: { -readonly [K in keyof ResolvedConfig]: ResolvedConfig[K] };

  constructor(siteId: string) {
    if (typeof siteId !== 'string' || !SITE_RE.test(siteId)) throw new ConfigError('siteId', 'must be 1..64 characters of [A-Za-z0-9._-]');
    this.#c = {
      siteId,
      cpuLimit: 0.3,
      memoryLimit: 256 << 20,
      minIdleTime: 0,
      respectBattery: true,
      bootstrap: [],
      listen: [],
      storage: undefined,
      identity: undefined,
      passphrase: undefined,
      transport: undefined,
      ledgerPolicy: { net: 'edge-net' },
      trustedPeers: [],
      stake: 0,
      queueCapacity: 16,
      taskTimeoutMs: 30_000,
      canaryRate: 0.02,
      replicaQuota: 512 << 20,
      now: Date.now,
      random: Math.random,
    };
  }

  /** Share of one CPU core given to tasks, 0.1..0.5. */
  cpuLimit(share: number): this {
    if (typeof share !== 'number' || !(share >= 0.1 && share <= 0.5)) throw new ConfigError('cpuLimit', 'must be a number in [0.1, 0.5]');
    this.#c.cpuLimit = share;
    return this;
  }

  /** Heap limit of the task worker thread, bytes (>= 32 MiB). */
  memoryLimit(bytes: number): this {
    if (!Number.isSafeInteger(bytes) || bytes < 32 << 20) throw new ConfigError('memoryLimit', 'must be an integer number of bytes >= 32 MiB');
    this.#c.memoryLimit = bytes;
    return this;
  }

  /** How long after user activity (`signalActivity`) contribution stays off, ms. */
  minIdleTime(ms: number): this {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new ConfigError('minIdleTime', 'must be a non-negative integer (ms)');
    this.#c.minIdleTime = ms;
    return this;
  }

  respectBattery(on: boolean): this {
    if (typeof on !== 'boolean') throw new ConfigError('respectBattery', 'must be a boolean');
    this.#c.respectBattery = on;
    return this;
  }

  /** Bootstrap multiaddrs, handed to the transport (@edge/net). */
  bootstrap(addrs: readonly string[]): this {
    if (!Array.isArray(addrs) || addrs.some((a) => typeof a !== 'string' || !MULTIADDR_RE.test(a))) throw new ConfigError('bootstrap', 'must be an array of multiaddr strings');
    this.#c.bootstrap = [...addrs];
    return this;
  }

  /**
   * Listen multiaddrs (e.g. `/ip4/0.0.0.0/tcp/4001`). With `listen` or `bootstrap` and no
   * `transport`, `start()` joins the network through @edge/net (`createNetTransport`).
   */
  listen(addrs: readonly string[]): this {
    if (!Array.isArray(addrs) || addrs.some((a) => typeof a !== 'string' || !MULTIADDR_RE.test(a))) throw new ConfigError('listen', 'must be an array of multiaddr strings');
    this.#c.listen = [...addrs];
    return this;
  }

  /** A directory (Node: files) or a `NodeStorage`. Without one the node keeps everything in memory. */
  storage(dirOrStore: string | NodeStorage): this {
    const ok =
      (typeof dirOrStore === 'string' && dirOrStore.length > 0) ||
      (typeof dirOrStore === 'object' && dirOrStore !== null && typeof dirOrStore.get === 'function' && typeof dirOrStore.put === 'function' && typeof dirOrStore.openLedger === 'function');
    if (!ok) throw new ConfigError('storage', 'must be a directory path or a NodeStorage');
    this.#c.storage = dirOrStore;
    return this;
  }

  /** Use this identity instead of the stored or a new one. */
  identity(key: PiKey): this {
    if (typeof key !== 'object' || key === null || !(key.publicKey instanceof Uint8Array)) throw new ConfigError('identity', 'must be a PiKey');
    this.#c.identity = key;
    return this;
  }

  /** Stored identity is an Argon2id-encrypted backup under this passphrase (else a 0600 seed file). */
  passphrase(p: string): this {
    if (typeof p !== 'string' || p.length < 8) throw new ConfigError('passphrase', 'must be at least 8 characters');
    this.#c.passphrase = p;
    return this;
  }

  /** The network: a factory given the node's key (@edge/net's, or an in-process one in tests). */
  transport(factory: (identity: PiKey) => Transport): this {
    if (typeof factory !== 'function') throw new ConfigError('transport', 'must be a function (identity) => Transport');
    this.#c.transport = factory;
    return this;
  }

  /** Ledger policy (every replica of one network must use the same). */
  ledgerPolicy(policy: LedgerPolicyInput): this {
    if (typeof policy !== 'object' || policy === null || typeof policy.net !== 'string') throw new ConfigError('ledgerPolicy', 'must be a policy with a net name');
    this.#c.ledgerPolicy = { ...policy };
    return this;
  }

  /** Peers (public keys) that may see plaintext of private tasks. */
  trustedPeers(keys: readonly Uint8Array[]): this {
    if (!Array.isArray(keys) || keys.some((k) => !(k instanceof Uint8Array) || k.length !== 32)) throw new ConfigError('trustedPeers', 'must be 32-byte public keys');
    this.#c.trustedPeers = keys.map((k) => k.slice());
    return this;
  }

  /** Stake to lock at start (base units); needed to witness payments and evidence. */
  stake(amount: number): this {
    if (!Number.isSafeInteger(amount) || amount < 0) throw new ConfigError('stake', 'must be a non-negative integer');
    this.#c.stake = amount;
    return this;
  }

  queueCapacity(n: number): this {
    if (!Number.isSafeInteger(n) || n < 1 || n > 10_000) throw new ConfigError('queueCapacity', 'must be an integer in [1, 10000]');
    this.#c.queueCapacity = n;
    return this;
  }

  /** How long a worker has to answer an offer, ms. */
  /**
   * Probability (0..1, default 0.02) that a task sampled out of replication (its worker is
   * trusted) is accompanied by a known-answer canary sent to the same worker (docs/tasks.md).
   */
  canaryRate(rate: number): this {
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new ConfigError('canaryRate', 'must be a number in [0, 1]');
    this.#c.canaryRate = rate;
    return this;
  }

  /** Bytes of other owners' index replicas this node stores at most (default 512 MiB); a push beyond it is refused (`replica-quota`). */
  replicaQuota(bytes: number): this {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new ConfigError('replicaQuota', 'must be a non-negative integer (bytes)');
    this.#c.replicaQuota = bytes;
    return this;
  }

  taskTimeout(ms: number): this {
    if (!Number.isSafeInteger(ms) || ms < 10 || ms > 3_600_000) throw new ConfigError('taskTimeout', 'must be an integer in [10, 3600000] ms');
    this.#c.taskTimeoutMs = ms;
    return this;
  }

  /** Clock and randomness (simulations and tests). */
  clock(now: () => number): this {
    if (typeof now !== 'function') throw new ConfigError('clock', 'must be a function');
    this.#c.now = now;
    return this;
  }

  random(rand: () => number): this {
    if (typeof rand !== 'function') throw new ConfigError('random', 'must be a function returning [0, 1)');
    this.#c.random = rand;
    return this;
  }

  build(): EdgeNetNode {
    if (this.#c.passphrase !== undefined && this.#c.storage === undefined) throw new ConfigError('passphrase', 'needs storage (the backup is stored there)');
    return new EdgeNetNode({ ...this.#c, bootstrap: [...this.#c.bootstrap], listen: [...this.#c.listen], trustedPeers: [...this.#c.trustedPeers] });
  }
}
