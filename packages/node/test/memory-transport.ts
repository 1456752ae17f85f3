/**
 * Test double for the network ONLY: an in-process implementation of the node's Transport
 * contract. Messages are copied and delivered asynchronously (as a socket would); a request to a
 * node that is gone never answers and times out. Everything above it (signing, admission,
 * execution, verification, ledger) is the real code.
 */
import { toHex } from '@edge/identity';
import type { PiKey } from '@edge/identity';
import { TransportError, type LedgerSyncProvider, type PeerInfo, type RequestHandler, type Transport } from '../src/index.js';

interface Endpoint {
  id: Uint8Array;
  hex: string;
  handler?: RequestHandler;
  caps: readonly string[];
  load: number;
  latencyMs: number;
  ledgerHandler?: (from: Uint8Array, update: Uint8Array) => void;
  provider?: LedgerSyncProvider;
  evidenceHandler?: (from: Uint8Array, kind: string, subject: Uint8Array, evidence: Uint8Array) => void;
  peerHandlers: ((peer: Uint8Array, up: boolean) => void)[];
  up: boolean;
  muted?: boolean;
}

export interface MemoryNetwork {
  /** Transport factory for EdgeNetConfig.transport; `wrap` lets a test turn a node malicious. */
  transport(options?: { latencyMs?: number; wrap?: (key: PiKey, handler: RequestHandler) => RequestHandler }): (key: PiKey) => Transport;
  /** Cuts a node off (as a crash): its requests and answers stop. */
  crash(id: Uint8Array): void;
  /** The node stays listed (adverts, peers) but never answers a request (a hung worker). */
  mute(id: Uint8Array): void;
}

export function createMemoryNetwork(): MemoryNetwork {
  const eps = new Map<string, Endpoint>();
  const live = () => [...eps.values()].filter((e) => e.up);
  return {
    mute(id) {
      const e = eps.get(toHex(id));
      if (e !== undefined) e.muted = true;
    },
    crash(id) {
      const e = eps.get(toHex(id));
      if (e === undefined) return;
      e.up = false;
      for (const o of live()) for (const h of o.peerHandlers) h(e.id, false);
    },
    transport(options = {}) {
      return (key: PiKey): Transport => {
        const ep: Endpoint = { id: key.publicKey.slice(), hex: toHex(key.publicKey), caps: [], load: 0, latencyMs: options.latencyMs ?? 10, peerHandlers: [], up: false };
        eps.set(ep.hex, ep);
        return {
          async start() {
            ep.up = true;
            for (const o of live()) {
              if (o === ep) continue;
              for (const h of o.peerHandlers) h(ep.id, true);
              for (const h of ep.peerHandlers) h(o.id, true);
            }
          },
          async stop() {
            ep.up = false;
            for (const o of live()) for (const h of o.peerHandlers) h(ep.id, false);
          },
          peers(): PeerInfo[] {
            if (!ep.up) return [];
            return live().filter((o) => o !== ep).map((o) => ({ id: o.id.slice(), capabilities: o.caps, load: o.load, latencyMs: o.latencyMs }));
          },
          request(peer, request, { timeoutMs, signal }) {
            return new Promise<Uint8Array>((resolve, reject) => {
              const target = eps.get(toHex(peer));
              const timer = setTimeout(() => reject(new TransportError('timeout', 'request timed out')), timeoutMs);
              signal?.addEventListener('abort', () => {
                clearTimeout(timer);
                reject(new TransportError('aborted', 'request aborted'));
              });
              if (target === undefined || !target.up || !ep.up || target.muted || target.handler === undefined) return; // silence: times out
              const ac = new AbortController();
              setImmediate(() => {
                target.handler!(ep.id.slice(), request.slice(), ac.signal).then(
                  (reply) => {
                    if (!target.up || !ep.up) return; // crashed meanwhile: no answer
                    clearTimeout(timer);
                    resolve(reply.slice());
                  },
                  (error) => {
                    clearTimeout(timer);
                    reject(new TransportError('failed', String(error)));
                  },
                );
              });
            });
          },
          handle(handler) {
            ep.handler = options.wrap ? options.wrap(key, handler) : handler;
          },
          advertise(caps, load) {
            ep.caps = [...caps];
            ep.load = load;
          },
          ledger: {
            serve(provider) {
              ep.provider = provider;
            },
            // The three frames of net's state-vector exchange, each delivered asynchronously.
            async sync(peer, provider) {
              const target = eps.get(toHex(peer));
              const tick = () => new Promise<void>((r) => setImmediate(r));
              const reachable = () => target !== undefined && target.up && ep.up && !target.muted && target.provider !== undefined;
              if (!reachable()) throw new TransportError('unreachable', 'peer not connected');
              const sv = provider.stateVector().slice();
              await tick();
              if (!reachable()) throw new TransportError('unreachable', 'peer went away');
              const update = target!.provider!.diff(sv).slice();
              const theirs = target!.provider!.stateVector().slice();
              await tick();
              await provider.apply(update, target!.id.slice());
              const back = provider.diff(theirs).slice();
              await tick();
              if (!reachable()) throw new TransportError('unreachable', 'peer went away');
              await target!.provider!.apply(back, ep.id.slice());
            },
            broadcast(update) {
              if (!ep.up) return;
              for (const o of live()) {
                if (o === ep) continue;
                const copy = update.slice();
                setImmediate(() => o.ledgerHandler?.(ep.id.slice(), copy));
              }
            },
            maxBroadcast: 60 * 1024,
            onUpdate(h) {
              ep.ledgerHandler = h;
            },
            onPeer(h) {
              ep.peerHandlers.push(h);
            },
          },
          // Gossip: every other live node gets a copy (the publisher does not hear its own).
          evidence: {
            publish(kind, subject, evidence) {
              if (!ep.up) return;
              for (const o of live()) {
                if (o === ep) continue;
                const s = subject.slice();
                const e = evidence.slice();
                setImmediate(() => o.evidenceHandler?.(ep.id.slice(), kind, s, e));
              }
            },
            onEvidence(h) {
              ep.evidenceHandler = h;
            },
          },
        };
      };
    },
  };
}
