/** What an environment variant (`#platform`) supplies to `createNetwork`. */

import type { Libp2pOptions } from 'libp2p';

export interface Platform {
  readonly name: 'node' | 'browser';
  /** Installs what this environment lacks for libp2p 3 (idempotent; Node 20 only). */
  prepare(): void;
  /** The transports of this environment (circuit relay v2 is always one). */
  transports(): NonNullable<Libp2pOptions['transports']>;
  /** Listen addresses when the caller gives none. */
  defaultListen(): string[];
  /** Whether dialing private and loopback addresses is allowed when the caller does not say. */
  readonly allowPrivateByDefault: boolean;
}
