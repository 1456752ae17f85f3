/** The resolved configuration an EdgeNetNode is built from (see EdgeNetConfig). */

import type { PiKey } from '@edge/identity';
import type { LedgerPolicyInput } from '@edge/economy';
import type { NodeStorage } from './storage.js';
import type { Transport } from './transport.js';

export interface ResolvedConfig {
  readonly siteId: string;
  readonly cpuLimit: number;
  readonly memoryLimit: number;
  readonly minIdleTime: number;
  readonly respectBattery: boolean;
  readonly bootstrap: readonly string[];
  /** Listen multiaddrs for the @edge/net transport (empty: that transport's default). */
  readonly listen: readonly string[];
  readonly storage: string | NodeStorage | undefined;
  readonly identity: PiKey | undefined;
  readonly passphrase: string | undefined;
  readonly transport: ((identity: PiKey) => Transport) | undefined;
  readonly ledgerPolicy: LedgerPolicyInput;
  readonly trustedPeers: readonly Uint8Array[];
  /** Stake (base units) the node locks at start so it can witness payments and evidence. */
  readonly stake: number;
  /** Offers waiting for the duty cycle beyond this are refused as `busy`. */
  readonly queueCapacity: number;
  readonly taskTimeoutMs: number;
  /** Probability that a task given to one trusted worker (not replicated) comes with a known-answer canary. */
  readonly canaryRate: number;
  /** Total bytes of index replicas (other owners' indexes and shards) this node accepts. */
  readonly replicaQuota: number;
  readonly now: () => number;
  readonly random: () => number;
}

