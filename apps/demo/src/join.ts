/**
 * How the page finds the network: the hub that served it publishes `/hub.json` (its peer id,
 * WebSockets port, ledger policy and demo index) and `/docs.json` (titles of the indexed
 * documents). The bootstrap address is rebuilt from the page's own host name, so a dashboard
 * opened from another machine dials the hub where it found it.
 */

import type { LedgerPolicyInput } from '@edge/economy';

export interface HubInfo {
  readonly version: 1;
  readonly peerId: string;
  readonly hub: string;
  readonly bootstrap: readonly string[];
  readonly wsPort: number;
  readonly policy: LedgerPolicyInput;
  readonly index: { readonly name: string; readonly dim: number; readonly size: number; readonly k: number };
  readonly workers: readonly { readonly id: string; readonly short: string }[];
}

export interface DocMeta {
  readonly id: string;
  readonly title: string;
  readonly category: string;
  readonly snippet: string;
}

/** `/hub.json`, waiting while the hub answers 503 (still starting); undefined where no hub serves it. */
export async function fetchHubInfo(signal?: AbortSignal, waitMs = 60_000): Promise<HubInfo | undefined> {
  try {
    const end = Date.now() + waitMs;
    let res = await fetch('/hub.json', { cache: 'no-store', ...(signal ? { signal } : {}) });
    while (res.status === 503 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 1_000));
      res = await fetch('/hub.json', { cache: 'no-store', ...(signal ? { signal } : {}) });
    }
    if (!res.ok) return undefined;
    const info = (await res.json()) as HubInfo;
    if (info.version !== 1 || typeof info.peerId !== 'string' || !Number.isInteger(info.wsPort)) return undefined;
    return info;
  } catch {
    return undefined;
  }
}

export async function fetchDocs(): Promise<Map<string, DocMeta>> {
  const res = await fetch('/docs.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`/docs.json: HTTP ${res.status}`);
  const body = (await res.json()) as { docs: DocMeta[] };
  return new Map(body.docs.map((d) => [d.id, d]));
}

/** The hub's WebSockets multiaddr as reachable from this page. */
export function bootstrapAddress(info: HubInfo, hostname = location.hostname): string {
  const host = hostname.replace(/^\[|\]$/g, '');
  const proto = /^[0-9.]+$/.test(host) ? 'ip4' : host.includes(':') ? 'ip6' : 'dns4';
  return `/${proto}/${host}/tcp/${info.wsPort}/ws/p2p/${info.peerId}`;
}
