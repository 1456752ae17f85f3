/**
 * Eclipse defence (Heilman et al., "Eclipse Attacks on Bitcoin's Peer-to-Peer Network", 2015):
 * an attacker who controls every peer of a node controls what it sees. Two checks:
 *  - diversity: the peers must span at least `minGroups` address groups (e.g. /16 prefixes or
 *    ASNs) and no group may hold more than `maxGroupShare` of them;
 *  - divergence: peers report the Merkle root of their replicated state; peers whose root
 *    differs from ours are divergent (we sync with them). When our root disagrees with most
 *    peers and the agreeing majority comes from too few groups, we may be eclipsed (or they are).
 */

import { toHex } from '@edge/identity';
import { RacArgumentError } from './errors.js';
import { isBytes } from './hash.js';

export interface EclipseOptions {
  /** Fewest distinct address groups among peers. Default 3. */
  minGroups?: number;
  /** Largest share of peers one group may hold. Default 0.5. */
  maxGroupShare?: number;
}

export interface EclipseAssessment {
  readonly peers: number;
  readonly distinctGroups: number;
  readonly maxGroupShare: number;
  /** Peer set passes the diversity check. */
  readonly diverse: boolean;
  /** Peers whose last reported root differs from ours. */
  readonly divergent: readonly string[];
  /** Distinct groups among the peers that agree with us. */
  readonly agreeingGroups: number;
  /** Not diverse, or diverse peers disagree with us while our agreeing peers are few groups. */
  readonly suspected: boolean;
}

export interface EclipseGuard {
  /** Records a peer, its address group and (optionally) its reported root. */
  observe(peerId: string, group: string, root?: Uint8Array): void;
  /** Forgets a peer. */
  forget(peerId: string): void;
  /** Judges the current peer set against our own root. */
  assess(localRoot?: Uint8Array): EclipseAssessment;
  readonly options: Required<EclipseOptions>;
}

export function createEclipseGuard(options: EclipseOptions = {}): EclipseGuard {
  const opts = { minGroups: options.minGroups ?? 3, maxGroupShare: options.maxGroupShare ?? 0.5 };
  if (!Number.isInteger(opts.minGroups) || opts.minGroups < 1) throw new RacArgumentError('minGroups must be a positive integer');
  if (!(opts.maxGroupShare > 0 && opts.maxGroupShare <= 1)) throw new RacArgumentError('maxGroupShare must be in (0, 1]');
  const peers = new Map<string, { group: string; root?: string }>();
  return {
    options: opts,
    observe(peerId, group, root) {
      if (typeof peerId !== 'string' || typeof group !== 'string') throw new RacArgumentError('peerId and group must be strings');
      if (root !== undefined && !isBytes(root)) throw new RacArgumentError('root must be bytes');
      peers.set(peerId, { group, ...(root ? { root: toHex(root) } : {}) });
    },
    forget(peerId) {
      peers.delete(peerId);
    },
    assess(localRoot) {
      const counts = new Map<string, number>();
      for (const p of peers.values()) counts.set(p.group, (counts.get(p.group) ?? 0) + 1);
      const n = peers.size;
      const maxShare = n === 0 ? 1 : Math.max(...counts.values()) / n;
      const diverse = counts.size >= opts.minGroups && maxShare <= opts.maxGroupShare;
      const divergent: string[] = [];
      const agreeing = new Set<string>();
      const local = localRoot ? toHex(localRoot) : undefined;
      let reported = 0;
      for (const [id, p] of peers) {
        if (p.root === undefined || local === undefined) continue;
        reported++;
        if (p.root !== local) divergent.push(id);
        else agreeing.add(p.group);
      }
      const outvoted = reported > 0 && divergent.length * 2 > reported;
      const suspected = !diverse || (outvoted && agreeing.size < opts.minGroups && agreeing.size > 0);
      return { peers: n, distinctGroups: counts.size, maxGroupShare: maxShare, diverse, divergent, agreeingGroups: agreeing.size, suspected };
    },
  };
}
