/** A node's figures as the hub's status line and `/status.json` show them. */

import type { EdgeNetNode } from '@edge/node';

/** What the hub's status line and `/status.json` show of a node. */
export interface NodeSnapshot {
  readonly id: string;
  readonly short: string;
  readonly balance: number;
  readonly earned: number;
  readonly spent: number;
  readonly staked: number;
  readonly completed: number;
  readonly queue: number;
  readonly peers: number;
  readonly reputation: number;
  readonly indexVersion: number | undefined;
  /** The process that runs the node. */
  readonly pid: number;
}

export function snapshot(node: EdgeNetNode, index: string): NodeSnapshot {
  const s = node.getStats();
  return {
    id: node.nodeId(),
    short: node.shortId(),
    balance: s.ruv_balance,
    earned: s.ruv_earned,
    spent: s.ruv_spent,
    staked: s.ruv_staked,
    completed: s.tasks_completed,
    queue: s.queue,
    peers: s.peers,
    reputation: s.reputation,
    indexVersion: node.indexVersion(index),
    pid: process.pid,
  };
}

